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
/// Above this largest |component| (2^500) a quaternion is scaled by
/// [`HUGE_QUAT_SCALE`] (2^-520) before it is squared. The scaling is exact
/// (a power of two) and puts the norm² in (2^-40, 2^1010): finite, and far
/// above `QUAT_EPS`², as the norm of a huge quaternion must be. Unscaled,
/// a norm² is at most 4 * 2^1000.
const HUGE_QUAT: f64 = f64::from_bits((1023 + 500) << 52);
const HUGE_QUAT_SCALE: f64 = f64::from_bits((1023 - 520) << 52);

/// A quaternion prepared for rotating vectors ([`Lowerer::rotation`]): its
/// components (scaled if huge), `k = 2 / |q|²` of those, and whether it is a
/// rotation at all.
pub struct Rotation {
    w: Value,
    u: [Value; 3],
    k: Value,
    valid: Value,
}

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

    /// `q` (w, x, y, z) prepared for [`Self::rotate_by`]. Rotating needs no
    /// unit quaternion: with `k = 2 / |q|²`, `t = k (u x v)` and
    /// `v' = v + w t + u x t` is the rotation by `q / |q|`. That is one
    /// division, where normalising first costs a square root and two.
    ///
    /// A quaternion whose norm is below [`QUAT_EPS`], or that is not finite,
    /// is no rotation (the identity), as in `builtins::geom::quat_from_wxyz`.
    /// One whose largest |component| exceeds 2^500 is first scaled by 2^-520
    /// (exact: a power of two), so squaring it cannot overflow.
    pub fn rotation(&mut self, q: &[Value]) -> Rotation {
        let abs: Vec<Value> = q.iter().map(|c| self.emit(Inst::Unary(Math1::Abs, *c))).collect();
        let m01 = self.max(abs[0], abs[1]);
        let m23 = self.max(abs[2], abs[3]);
        let m = self.max(m01, m23);
        let (huge, one, small) = (self.konst(HUGE_QUAT), self.konst(1.0), self.konst(HUGE_QUAT_SCALE));
        let is_huge = self.emit(Inst::Compare(Cmp::Gt, m, huge));
        let scale = self.emit(Inst::Select(is_huge, small, one));
        let s: Vec<Value> = q.iter().map(|c| self.mul(*c, scale)).collect();
        let squares: Vec<Value> = s.iter().map(|c| self.mul(*c, *c)).collect();
        let s01 = self.add(squares[0], squares[1]);
        let s012 = self.add(s01, squares[2]);
        let n2 = self.add(s012, squares[3]);
        let (eps2, inf) = (self.konst(QUAT_EPS * QUAT_EPS), self.konst(f64::INFINITY));
        let long_enough = self.emit(Inst::Compare(Cmp::Gt, n2, eps2));
        let finite = self.emit(Inst::Compare(Cmp::Lt, n2, inf));
        let valid = self.emit(Inst::And(long_enough, finite));
        let two = self.konst(2.0);
        // Unguarded: an invalid quaternion's rotation is discarded by a select.
        let k = self.bin(Bin::Div, two, n2);
        Rotation { w: s[0], u: [s[1], s[2], s[3]], k, valid }
    }

    /// `v` rotated by `r` (or by its inverse, which negates `u`:
    /// `v' = v - w t + u x t`); `v` itself if `r` is no rotation.
    pub fn rotate_by(&mut self, r: &Rotation, v: [Value; 3], inverse: bool) -> [Value; 3] {
        let p = [self.mul(r.k, r.u[0]), self.mul(r.k, r.u[1]), self.mul(r.k, r.u[2])];
        let t = self.cross3(p, v);
        let ut = self.cross3(r.u, t);
        let mut out = v;
        for k in 0..3 {
            let wt = self.mul(r.w, t[k]);
            let a = if inverse { self.sub(v[k], wt) } else { self.add(v[k], wt) };
            let rotated = self.add(a, ut[k]);
            out[k] = self.emit(Inst::Select(r.valid, rotated, v[k]));
        }
        out
    }

    /// 1.0 if `p` lies in the oriented box (centre, quat, half) grown by
    /// `margin` on every side, faces included with [`BOX_TOLERANCE`].
    pub fn point_in_box(&mut self, b: &[Value], p: [Value; 3], margin: f64) -> Value {
        let r = self.rotation(&b[3..7]);
        let d = [self.sub(p[0], b[0]), self.sub(p[1], b[1]), self.sub(p[2], b[2])];
        let local = self.rotate_by(&r, d, true);
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
        let r = self.rotation(rot);
        let (zero, one, minus_one) = (self.konst(0.0), self.konst(1.0), self.konst(-1.0));
        let up = self.rotate_by(&r, [zero, zero, one], false);
        up.iter()
            .map(|c| {
                let lo = self.max(*c, minus_one);
                self.min(lo, one)
            })
            .collect()
    }
}
