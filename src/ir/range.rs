//! Interval analysis over the IR: a sound range for every value.
//!
//! Used to state a reward's bounds (and so its normalisation) and to warn
//! when a shape may leave [0, 1]. Observation slots are unbounded (bools are
//! [0, 1]); every operation maps intervals soundly, ignoring NaN (a NaN
//! result flags the step at run time instead).

use super::*;
use crate::builtins::{Math1, Math2};
use std::f64::consts::{FRAC_PI_2, PI};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    pub const ALL: Interval = Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY };
    pub const UNIT: Interval = Interval { lo: 0.0, hi: 1.0 };

    pub fn new(lo: f64, hi: f64) -> Interval {
        if lo.is_nan() || hi.is_nan() { Interval::ALL } else { Interval { lo, hi } }
    }

    pub fn point(x: f64) -> Interval {
        Interval::new(x, x)
    }

    pub fn is_finite(self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }

    fn hull(self, o: Interval) -> Interval {
        Interval::new(self.lo.min(o.lo), self.hi.max(o.hi))
    }

    fn monotone(self, f: impl Fn(f64) -> f64) -> Interval {
        Interval::new(f(self.lo), f(self.hi))
    }
}

/// 0 * inf is 0 in interval products (the zero bound is exact).
fn mul_bound(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 { 0.0 } else { a * b }
}

fn mul(a: Interval, b: Interval) -> Interval {
    let p = [mul_bound(a.lo, b.lo), mul_bound(a.lo, b.hi), mul_bound(a.hi, b.lo), mul_bound(a.hi, b.hi)];
    Interval::new(p.iter().copied().fold(f64::INFINITY, f64::min), p.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

fn div(a: Interval, b: Interval) -> Interval {
    if b.lo > 0.0 || b.hi < 0.0 {
        return mul(a, Interval::new(1.0 / b.hi, 1.0 / b.lo));
    }
    if a.lo >= 0.0 && b.lo >= 0.0 {
        return Interval::new(0.0, f64::INFINITY);
    }
    Interval::ALL
}

fn unary(op: Math1, x: Interval) -> Interval {
    match op {
        Math1::Abs => {
            if x.lo >= 0.0 {
                x
            } else if x.hi <= 0.0 {
                Interval::new(-x.hi, -x.lo)
            } else {
                Interval::new(0.0, x.hi.max(-x.lo))
            }
        }
        Math1::Sqrt => Interval::new(x.lo.max(0.0).sqrt(), x.hi.max(0.0).sqrt()),
        Math1::Tanh => x.monotone(crate::builtins::tanh::tanh_f64),
        Math1::Exp => x.monotone(f64::exp),
        Math1::Ln => Interval::new(if x.lo <= 0.0 { f64::NEG_INFINITY } else { x.lo.ln() }, x.hi.max(0.0).ln()),
        Math1::Floor => x.monotone(f64::floor),
        Math1::Sin | Math1::Cos => Interval::new(-1.0, 1.0),
        Math1::Tan => Interval::ALL,
        Math1::Asin | Math1::Atan => Interval::new(-FRAC_PI_2, FRAC_PI_2),
        Math1::Acos => Interval::new(0.0, PI),
    }
}

fn binary(op: Bin, a: Interval, b: Interval, same: bool) -> Interval {
    match op {
        Bin::Add => Interval::new(a.lo + b.lo, a.hi + b.hi),
        Bin::Sub if same => Interval::point(0.0),
        Bin::Sub => Interval::new(a.lo - b.hi, a.hi - b.lo),
        // x * x is a square: never negative.
        Bin::Mul if same => {
            let m = mul(a, b);
            Interval::new(m.lo.max(0.0), m.hi)
        }
        Bin::Mul => mul(a, b),
        Bin::Div => div(a, b),
        Bin::Math(Math2::Min) => Interval::new(a.lo.min(b.lo), a.hi.min(b.hi)),
        Bin::Math(Math2::Max) => Interval::new(a.lo.max(b.lo), a.hi.max(b.hi)),
        Bin::Math(Math2::Atan2) => Interval::new(-PI, PI),
        Bin::Math(Math2::Pow) if a.lo >= 0.0 => Interval::new(0.0, f64::INFINITY),
        Bin::Math(Math2::Pow) => Interval::ALL,
    }
}

/// Output range of a native function's results, by builtin name.
fn native_range(name: &str) -> Interval {
    match name {
        "angle" => Interval::new(0.0, PI),
        "contain_fully" | "above" | "check_collision" => Interval::UNIT,
        _ => Interval::ALL,
    }
}

/// The interval of every value of a program (indexed by value number).
pub fn ranges(p: &Program, load: &dyn Fn(u32) -> Interval) -> Vec<Interval> {
    let mut iv = vec![Interval::ALL; p.num_values as usize];
    for stmt in p.pre.iter().chain(&p.post) {
        let g = |v: Value| iv[v.0 as usize];
        let d = stmt.dest.0 as usize;
        let r = match &stmt.inst {
            Inst::Const(c) => Interval::point(*c),
            Inst::Load(offset) => load(*offset),
            Inst::Neg(x) => Interval::new(-g(*x).hi, -g(*x).lo),
            Inst::Unary(op, x) => unary(*op, g(*x)),
            Inst::Binary(op, a, b) => binary(*op, g(*a), g(*b), a == b),
            Inst::Compare(..) | Inst::Not(_) | Inst::And(..) | Inst::Or(..) | Inst::StageDone(_) => Interval::UNIT,
            Inst::Select(c, a, b) => {
                let cond = g(*c);
                if cond.lo > 0.0 {
                    g(*a)
                } else if cond.lo == 0.0 && cond.hi == 0.0 {
                    g(*b)
                } else {
                    g(*a).hull(g(*b))
                }
            }
            Inst::Call { name, outputs, .. } => {
                let r = native_range(name);
                for i in 0..*outputs as usize {
                    iv[d + i] = r;
                }
                continue;
            }
        };
        iv[d] = r;
    }
    iv
}

/// What is known of a value where every observation slot the program reads
/// is finite: the code generator's finite path, which is the only one that
/// computes anything (a step with a non-finite slot is flagged, see
/// `interp`). Unlike [`ranges`], this does not trust declared field ranges
/// (nothing checks an observation against them at run time), and it is
/// sound to the last bit, since the JIT uses it to drop or simplify
/// instructions and must still agree with the interpreter exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts {
    /// Every value the expression can take that is not NaN.
    pub range: Interval,
    pub may_be_nan: bool,
    /// May be -0.0 (a zero in `range` does not tell the sign).
    pub may_be_neg_zero: bool,
}

/// See [`Facts::is_bounded`].
pub const BOUNDED: f64 = 1e300;

impl Facts {
    pub const UNKNOWN: Facts = Facts { range: Interval::ALL, may_be_nan: true, may_be_neg_zero: true };

    /// The facts of the constant `c`: exactly it.
    pub fn constant(c: f64) -> Facts {
        Facts { range: Interval::point(c), may_be_nan: c.is_nan(), may_be_neg_zero: c.to_bits() == (-0.0f64).to_bits() }
    }

    /// Never NaN and never beyond ±[`BOUNDED`]: a sum of fewer than 10^7
    /// such values cannot overflow, whatever the order of the additions.
    pub fn is_bounded(self) -> bool {
        !self.may_be_nan && self.range.lo >= -BOUNDED && self.range.hi <= BOUNDED
    }

    /// Never NaN and never below +0.0 (no -0.0 either).
    pub fn is_non_negative(self) -> bool {
        !self.may_be_nan && self.range.lo >= 0.0 && !self.may_be_neg_zero
    }

    fn may_be_zero(self) -> bool {
        self.range.lo <= 0.0 && self.range.hi >= 0.0
    }

    fn may_be_pos_inf(self) -> bool {
        self.range.hi == f64::INFINITY
    }

    fn may_be_neg_inf(self) -> bool {
        self.range.lo == f64::NEG_INFINITY
    }

    fn may_be_inf(self) -> bool {
        self.may_be_pos_inf() || self.may_be_neg_inf()
    }
}

/// One ulp outwards on both sides: a bound computed with a function that is
/// accurate but not guaranteed monotone (rwd's `tanh` is within 2 ulp).
fn widen(i: Interval, ulps: u32) -> Interval {
    let (mut lo, mut hi) = (i.lo, i.hi);
    for _ in 0..ulps {
        lo = lo.next_down();
        hi = hi.next_up();
    }
    Interval::new(lo, hi)
}

/// Quotient bounds from the four endpoint quotients (division by a divisor
/// of one sign is monotone in each operand), or everything.
fn sound_div(a: Interval, b: Interval) -> Interval {
    if !(b.lo > 0.0 || b.hi < 0.0) {
        return Interval::ALL;
    }
    let q = [a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi];
    if q.iter().any(|x| x.is_nan()) {
        return Interval::ALL;
    }
    Interval::new(q.iter().copied().fold(f64::INFINITY, f64::min), q.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// `tanh` keeps the sign (-0.0 included) and stays in [-1, 1].
fn tanh_range(x: Interval) -> Interval {
    let t = widen(x.monotone(crate::builtins::tanh::tanh_f64), 4);
    let lo = if x.lo >= 0.0 { t.lo.max(0.0) } else { t.lo.max(-1.0) };
    let hi = if x.hi <= 0.0 { t.hi.min(0.0) } else { t.hi.min(1.0) };
    Interval::new(lo, hi)
}

fn unary_facts(op: Math1, x: Facts) -> Facts {
    let range = match op {
        Math1::Tanh => tanh_range(x.range),
        Math1::Abs | Math1::Sqrt | Math1::Floor => unary(op, x.range),
        // Host functions: their ranges are right but not to the last ulp.
        _ => widen(unary(op, x.range), 4),
    };
    let may_be_nan = x.may_be_nan
        || match op {
            Math1::Abs | Math1::Tanh | Math1::Exp | Math1::Atan | Math1::Floor => false,
            Math1::Sqrt | Math1::Ln => x.range.lo < 0.0,
            Math1::Sin | Math1::Cos | Math1::Tan => x.may_be_inf(),
            Math1::Asin | Math1::Acos => x.range.lo < -1.0 || x.range.hi > 1.0,
        };
    let may_be_neg_zero = match op {
        Math1::Abs => false,
        // Each gives -0.0 for -0.0, and tanh may round a tiny negative to it.
        Math1::Sqrt | Math1::Floor | Math1::Tanh | Math1::Sin | Math1::Tan | Math1::Asin | Math1::Atan => x.may_be_neg_zero || x.range.lo < 0.0,
        Math1::Exp | Math1::Acos | Math1::Cos | Math1::Ln => false,
    };
    Facts { range, may_be_nan, may_be_neg_zero: may_be_neg_zero && range.lo <= 0.0 }
}

fn binary_facts(op: Bin, a: Facts, b: Facts, same: bool) -> Facts {
    let range = match op {
        Bin::Div => sound_div(a.range, b.range),
        Bin::Math(Math2::Atan2 | Math2::Pow) => widen(binary(op, a.range, b.range, same), 4),
        _ => binary(op, a.range, b.range, same),
    };
    let operand_nan = a.may_be_nan || b.may_be_nan;
    let may_be_nan = operand_nan
        || match op {
            Bin::Add => (a.may_be_pos_inf() && b.may_be_neg_inf()) || (a.may_be_neg_inf() && b.may_be_pos_inf()),
            Bin::Sub => (a.may_be_pos_inf() && b.may_be_pos_inf()) || (a.may_be_neg_inf() && b.may_be_neg_inf()),
            // A square is 0 * 0 or inf * inf, never 0 * inf.
            Bin::Mul => !same && ((a.may_be_zero() && b.may_be_inf()) || (a.may_be_inf() && b.may_be_zero())),
            Bin::Div => (a.may_be_zero() && b.may_be_zero()) || (a.may_be_inf() && b.may_be_inf()),
            Bin::Math(Math2::Min | Math2::Max | Math2::Atan2) => false,
            Bin::Math(Math2::Pow) => true,
        };
    // "x is at or above +0.0": a maximum with it is never -0.0.
    let at_or_above_pos_zero = |f: Facts| f.range.lo >= 0.0 && !f.may_be_neg_zero && !f.may_be_nan;
    let may_be_neg_zero = match op {
        // Round to nearest: a sum is -0.0 only if both addends are.
        Bin::Add => a.may_be_neg_zero && b.may_be_neg_zero,
        // x - y is -0.0 only for x = -0.0 (and y = +0.0); x - x is +0.0.
        Bin::Sub => a.may_be_neg_zero && !same,
        // A square is never negative; otherwise any product or quotient
        // that can be zero (underflow included: the range shows it).
        Bin::Mul if same => false,
        Bin::Mul | Bin::Div => true,
        Bin::Math(Math2::Min) => a.may_be_neg_zero || b.may_be_neg_zero,
        Bin::Math(Math2::Max) => (a.may_be_neg_zero && !at_or_above_pos_zero(b)) || (b.may_be_neg_zero && !at_or_above_pos_zero(a)),
        Bin::Math(Math2::Atan2 | Math2::Pow) => true,
    };
    Facts { range, may_be_nan, may_be_neg_zero: may_be_neg_zero && range.lo <= 0.0 && range.hi >= 0.0 }
}

/// The [`Facts`] of every value of a program (indexed by value number) in
/// the finite path.
pub fn finite_path_facts(p: &Program) -> Vec<Facts> {
    let finite = Interval::new(-f64::MAX, f64::MAX);
    let mut facts = vec![Facts::UNKNOWN; p.num_values as usize];
    for stmt in p.pre.iter().chain(&p.post) {
        let g = |v: Value| facts.get(v.0 as usize).copied().unwrap_or(Facts::UNKNOWN);
        let r = match &stmt.inst {
            Inst::Const(c) => Facts::constant(*c),
            Inst::Load(_) => Facts { range: finite, may_be_nan: false, may_be_neg_zero: true },
            Inst::Neg(x) => {
                let x = g(*x);
                Facts { range: Interval::new(-x.range.hi, -x.range.lo), may_be_nan: x.may_be_nan, may_be_neg_zero: x.may_be_zero() }
            }
            Inst::Unary(op, x) => unary_facts(*op, g(*x)),
            Inst::Binary(op, a, b) => binary_facts(*op, g(*a), g(*b), a == b),
            Inst::Compare(..) | Inst::Not(_) | Inst::And(..) | Inst::Or(..) | Inst::StageDone(_) => {
                Facts { range: Interval::UNIT, may_be_nan: false, may_be_neg_zero: false }
            }
            Inst::Select(_, a, b) => {
                let (a, b) = (g(*a), g(*b));
                Facts { range: a.range.hull(b.range), may_be_nan: a.may_be_nan || b.may_be_nan, may_be_neg_zero: a.may_be_neg_zero || b.may_be_neg_zero }
            }
            Inst::Call { .. } => continue,
        };
        if let Some(slot) = facts.get_mut(stmt.dest.0 as usize) {
            *slot = r;
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_shape_is_in_unit_interval() {
        // 1 - tanh(5 * d) for d in [0, inf)
        let d = Interval::new(0.0, f64::INFINITY);
        let kd = binary(Bin::Mul, Interval::point(5.0), d, false);
        let t = unary(Math1::Tanh, kd);
        let r = binary(Bin::Sub, Interval::point(1.0), t, false);
        assert_eq!(r, Interval::new(0.0, 1.0));
    }

    #[test]
    fn division_by_an_interval_containing_zero_is_unbounded() {
        assert_eq!(div(Interval::new(1.0, 2.0), Interval::new(-1.0, 1.0)), Interval::ALL);
        assert_eq!(div(Interval::new(1.0, 2.0), Interval::new(2.0, 4.0)), Interval::new(0.25, 1.0));
        assert_eq!(div(Interval::new(0.0, 2.0), Interval::new(0.0, 4.0)), Interval::new(0.0, f64::INFINITY));
    }

    #[test]
    fn squares_are_non_negative_and_zero_times_inf_is_zero() {
        let x = Interval::ALL;
        assert_eq!(binary(Bin::Mul, x, x, true).lo, 0.0);
        assert_eq!(mul(Interval::point(0.0), Interval::ALL), Interval::point(0.0));
    }

    fn finite() -> Facts {
        Facts { range: Interval::new(-f64::MAX, f64::MAX), may_be_nan: false, may_be_neg_zero: true }
    }

    #[test]
    fn a_reach_term_of_finite_slots_is_never_nan() {
        // d = sqrt(dx^2 + dy^2): may overflow to +inf, never NaN, never -0.0.
        let dx = binary_facts(Bin::Sub, finite(), finite(), false);
        assert!(!dx.may_be_nan);
        let sq = binary_facts(Bin::Mul, dx, dx, true);
        assert!(!sq.may_be_neg_zero && sq.range.lo == 0.0);
        let d = unary_facts(Math1::Sqrt, binary_facts(Bin::Add, sq, sq, false));
        assert!(d.is_non_negative() && d.range.hi == f64::INFINITY);
        let k = Facts { range: Interval::point(5.0), may_be_nan: false, may_be_neg_zero: false };
        let t = unary_facts(Math1::Tanh, binary_facts(Bin::Mul, k, d, false));
        assert!(!t.may_be_nan && t.range.lo >= 0.0 && t.range.hi <= 1.0);
        let one = Facts { range: Interval::point(1.0), may_be_nan: false, may_be_neg_zero: false };
        let reach = binary_facts(Bin::Sub, one, t, false);
        assert!(reach.is_non_negative() && reach.range.hi <= 1.0);
    }

    #[test]
    fn infinities_that_may_meet_make_nan() {
        let x = finite();
        let big = binary_facts(Bin::Mul, x, x, false);
        assert!(big.range.hi == f64::INFINITY && !big.may_be_nan);
        // inf - inf, 0 * inf, 0 / 0.
        assert!(binary_facts(Bin::Sub, big, big, false).may_be_nan);
        assert!(binary_facts(Bin::Mul, big, x, false).may_be_nan);
        assert!(binary_facts(Bin::Div, x, x, false).may_be_nan);
        // A square root of what may be negative.
        assert!(unary_facts(Math1::Sqrt, x).may_be_nan);
        // Dividing by a constant: finite operands, no NaN.
        let c = Facts { range: Interval::point(-1.75), may_be_nan: false, may_be_neg_zero: false };
        assert!(!binary_facts(Bin::Div, x, c, false).may_be_nan);
    }

    #[test]
    fn quotient_bounds_are_the_endpoint_quotients() {
        assert_eq!(sound_div(Interval::new(1.0, 2.0), Interval::new(2.0, 4.0)), Interval::new(0.25, 1.0));
        assert_eq!(sound_div(Interval::new(1.0, 2.0), Interval::new(-1.0, 1.0)), Interval::ALL);
        assert_eq!(sound_div(Interval::new(-3.0, 3.0), Interval::new(-2.0, -1.0)), Interval::new(-3.0, 3.0));
    }
}
