//! Geometry lowered to IR arithmetic: quaternion rotation, point-in-box,
//! holding, relative position. These are the builtins the JIT should not
//! pay a call for; `builtins/geom.rs` keeps the typed reference
//! implementations they are tested against.

use super::lower::Lowerer;
use super::{Bin, Cmp, Inst, Value};
use crate::builtins::Math1;

/// Slack on box faces, as in `builtins::geom::GEOM_TOL`.
pub const BOX_TOLERANCE: f64 = 1e-9;
/// `is_holding` grows the object's box by this much, as `geom::HOLD_MARGIN`.
pub const HOLD_MARGIN: f64 = 0.01;
/// Quaternions shorter than this (or not finite) count as the identity.
pub const QUAT_EPS: f64 = 1e-12;

impl Lowerer<'_> {
    fn sub(&mut self, a: Value, b: Value) -> Value {
        self.bin(Bin::Sub, a, b)
    }

    fn add(&mut self, a: Value, b: Value) -> Value {
        self.bin(Bin::Add, a, b)
    }

    fn mul(&mut self, a: Value, b: Value) -> Value {
        self.bin(Bin::Mul, a, b)
    }

    fn cross3(&mut self, u: [Value; 3], v: [Value; 3]) -> [Value; 3] {
        let mut out = [u[0]; 3];
        for (k, (i, j)) in [(1, 2), (2, 0), (0, 1)].into_iter().enumerate() {
            let a = self.mul(u[i], v[j]);
            let b = self.mul(u[j], v[i]);
            out[k] = self.sub(a, b);
        }
        out
    }

    /// The unit quaternion (w, x, y, z) of `q`; the identity if `q` is
    /// (nearly) zero or not finite. Components are first divided by the
    /// largest magnitude, so quaternions near the f64 range (1e200) do not
    /// overflow when squared.
    pub fn quat_unit(&mut self, q: &[Value]) -> [Value; 4] {
        let abs: Vec<Value> = q.iter().map(|c| self.emit(Inst::Unary(Math1::Abs, *c))).collect();
        let m01 = self.max(abs[0], abs[1]);
        let m23 = self.max(abs[2], abs[3]);
        let m = self.max(m01, m23);
        let (zero, one) = (self.konst(0.0), self.konst(1.0));
        let positive = self.emit(Inst::Compare(Cmp::Gt, m, zero));
        let safe_m = self.emit(Inst::Select(positive, m, one));
        // One division and four multiplications instead of four divisions.
        let inv_m = self.bin(Bin::Div, one, safe_m);
        let scaled: Vec<Value> = q.iter().map(|c| self.mul(*c, inv_m)).collect();
        let squares: Vec<Value> = scaled.iter().map(|c| self.mul(*c, *c)).collect();
        let s01 = self.add(squares[0], squares[1]);
        let s012 = self.add(s01, squares[2]);
        let n2 = self.add(s012, squares[3]);
        let n = self.emit(Inst::Unary(Math1::Sqrt, n2));
        let norm = self.mul(m, n);
        let (eps, inf) = (self.konst(QUAT_EPS), self.konst(f64::INFINITY));
        let big = self.emit(Inst::Compare(Cmp::Gt, norm, eps));
        let finite = self.emit(Inst::Compare(Cmp::Lt, norm, inf));
        let ok = self.emit(Inst::And(big, finite));
        let inv_n = self.bin(Bin::Div, one, n);
        let mut out = [q[0]; 4];
        for k in 0..4 {
            let unit = self.mul(scaled[k], inv_n);
            out[k] = self.emit(Inst::Select(ok, unit, if k == 0 { one } else { zero }));
        }
        out
    }

    /// `v` rotated by the unit quaternion `q` (or by its inverse):
    /// t = 2 u x v, v' = v + w t + u x t with u = (x, y, z).
    pub fn rotate_by(&mut self, q: [Value; 4], v: [Value; 3], inverse: bool) -> [Value; 3] {
        let u = if inverse {
            [self.emit(Inst::Neg(q[1])), self.emit(Inst::Neg(q[2])), self.emit(Inst::Neg(q[3]))]
        } else {
            [q[1], q[2], q[3]]
        };
        let two = self.konst(2.0);
        let uv = self.cross3(u, v);
        let t = [self.mul(two, uv[0]), self.mul(two, uv[1]), self.mul(two, uv[2])];
        let ut = self.cross3(u, t);
        let mut out = v;
        for k in 0..3 {
            let wt = self.mul(q[0], t[k]);
            let a = self.add(v[k], wt);
            out[k] = self.add(a, ut[k]);
        }
        out
    }

    /// 1.0 if `p` lies in the oriented box (centre, quat, half) grown by
    /// `margin` on every side, faces included with [`BOX_TOLERANCE`].
    pub fn point_in_box(&mut self, b: &[Value], p: [Value; 3], margin: f64) -> Value {
        let q = self.quat_unit(&b[3..7]);
        let d = [self.sub(p[0], b[0]), self.sub(p[1], b[1]), self.sub(p[2], b[2])];
        let local = self.rotate_by(q, d, true);
        let slack = self.konst(margin + BOX_TOLERANCE);
        let mut inside: Option<Value> = None;
        for k in 0..3 {
            let half = self.emit(Inst::Unary(Math1::Abs, b[7 + k]));
            let limit = self.add(half, slack);
            let off = self.emit(Inst::Unary(Math1::Abs, local[k]));
            let ok = self.emit(Inst::Compare(Cmp::Le, off, limit));
            inside = Some(match inside {
                None => ok,
                Some(acc) => self.emit(Inst::And(acc, ok)),
            });
        }
        inside.unwrap_or_else(|| self.konst(0.0))
    }

    /// The body's z axis in the world, each component clamped to [-1, 1]
    /// (it is a unit vector; the clamp only removes rounding past 1).
    pub fn up_axis(&mut self, rot: &[Value]) -> Vec<Value> {
        let q = self.quat_unit(rot);
        let (zero, one, minus_one) = (self.konst(0.0), self.konst(1.0), self.konst(-1.0));
        let up = self.rotate_by(q, [zero, zero, one], false);
        up.iter()
            .map(|c| {
                let lo = self.max(*c, minus_one);
                self.min(lo, one)
            })
            .collect()
    }
}
