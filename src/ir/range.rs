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
}
