//! How to emit an IEEE 754-2019 `min` or `max` given what is known of its
//! operands in the finite path ([`Facts`]): not at all, as one compare and
//! select (which Cranelift lowers to a single `minsd`/`minpd` or
//! `maxsd`/`maxpd`), or as Cranelift's `fmin`/`fmax`, whose NaN and
//! signed-zero handling takes about eight instructions.
//!
//! Clamps are where this pays: `clamp(x, 0, 1)` inside a shape that the
//! stage then clamps again, or `max(1 - tanh(k d), 0)`, whose operand is
//! never NaN once the observations are finite. Each form gives exactly the
//! interpreter's `fmin`/`fmax` bits on every input the facts allow.

use crate::builtins::Math2;
use crate::ir::range::Facts;

/// `Less(a, b)` is `a < b ? a : b` for the operand order given as 0 (the
/// IR's left operand) or 1 (its right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The result is always this operand: emit nothing.
    Operand(usize),
    /// `x[a] < x[b] ? x[a] : x[b]`.
    LessOf(usize, usize),
    /// `x[b] < x[a] ? x[a] : x[b]`.
    GreaterOf(usize, usize),
    /// Cranelift's `fmin`/`fmax`.
    Ieee,
}

/// The cheapest exact form of `m(x, y)`.
///
/// With neither operand NaN:
/// - `min(x, y)` is `x` if `x <= y` always and `y` is never -0.0 (at
///   `x = y = 0`, `min(±0, +0)` is `x`); likewise `max(x, y)` is `x` if
///   `x >= y` always and `x` is never -0.0.
/// - `x < y ? x : y` differs from the minimum only at `x = -0.0`,
///   `y = +0.0`, so it is exact when `x` is never -0.0; `y < x ? x : y`
///   differs from the maximum only at `x = +0.0`, `y = -0.0`, so it is
///   exact when `y` is never -0.0.
pub fn form(m: Math2, x: Facts, y: Facts) -> Form {
    if x.may_be_nan || y.may_be_nan {
        return Form::Ieee;
    }
    let f = [x, y];
    match m {
        Math2::Min => {
            for (a, b) in [(0, 1), (1, 0)] {
                if f[a].range.hi <= f[b].range.lo && !f[b].may_be_neg_zero {
                    return Form::Operand(a);
                }
            }
            match (x.may_be_neg_zero, y.may_be_neg_zero) {
                (false, _) => Form::LessOf(0, 1),
                (true, false) => Form::LessOf(1, 0),
                (true, true) => Form::Ieee,
            }
        }
        Math2::Max => {
            for (a, b) in [(0, 1), (1, 0)] {
                if f[a].range.lo >= f[b].range.hi && !f[a].may_be_neg_zero {
                    return Form::Operand(a);
                }
            }
            match (x.may_be_neg_zero, y.may_be_neg_zero) {
                (_, false) => Form::GreaterOf(0, 1),
                (false, true) => Form::GreaterOf(1, 0),
                (true, true) => Form::Ieee,
            }
        }
        _ => Form::Ieee,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::{fmax, fmin};
    use crate::ir::range::Interval;

    /// Values with every sign and zero, and the facts that describe a set
    /// of them exactly.
    const SAMPLES: [f64; 9] = [-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, f64::INFINITY];

    fn facts_of(xs: &[f64]) -> Facts {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Facts {
            range: Interval::new(lo, hi),
            may_be_nan: xs.iter().any(|x| x.is_nan()),
            may_be_neg_zero: xs.iter().any(|x| x.to_bits() == (-0.0f64).to_bits()),
        }
    }

    fn apply(form: Form, m: Math2, x: f64, y: f64) -> f64 {
        let v = [x, y];
        match form {
            Form::Operand(a) => v[a],
            Form::LessOf(a, b) => {
                if v[a] < v[b] {
                    v[a]
                } else {
                    v[b]
                }
            }
            Form::GreaterOf(a, b) => {
                if v[b] < v[a] {
                    v[a]
                } else {
                    v[b]
                }
            }
            Form::Ieee => {
                if m == Math2::Min {
                    fmin(x, y)
                } else {
                    fmax(x, y)
                }
            }
        }
    }

    /// Every contiguous window of the samples (and each with NaN added) as
    /// the set an operand ranges over: whatever form is chosen for two such
    /// sets gives the interpreter's bits for every pair drawn from them.
    #[test]
    fn every_form_is_exact_on_the_values_its_facts_allow() {
        let mut sets: Vec<Vec<f64>> = Vec::new();
        for i in 0..SAMPLES.len() {
            for j in i..SAMPLES.len() {
                let window = SAMPLES[i..=j].to_vec();
                let mut with_nan = window.clone();
                with_nan.push(f64::NAN);
                sets.push(window);
                sets.push(with_nan);
            }
        }
        let mut cheap = 0;
        for m in [Math2::Min, Math2::Max] {
            for xs in &sets {
                for ys in &sets {
                    let form = form(m, facts_of(xs), facts_of(ys));
                    cheap += usize::from(form != Form::Ieee);
                    for &x in xs {
                        for &y in ys {
                            let want = if m == Math2::Min { fmin(x, y) } else { fmax(x, y) };
                            let got = apply(form, m, x, y);
                            assert!(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()), "{m:?}({x:?}, {y:?}) as {form:?}: {got:?}, want {want:?}");
                        }
                    }
                }
            }
        }
        assert!(cheap > 1000, "only {cheap} pairs of sets got a cheaper form");
    }

    #[test]
    fn a_clamp_of_a_clamped_value_is_dropped() {
        let unit = Facts { range: Interval::UNIT, may_be_nan: false, may_be_neg_zero: false };
        let zero = facts_of(&[0.0]);
        let one = facts_of(&[1.0]);
        assert_eq!(form(Math2::Max, unit, zero), Form::Operand(0));
        assert_eq!(form(Math2::Min, unit, one), Form::Operand(0));
        // An observation is finite but may be -0.0: one maxpd, not dropped.
        let obs = Facts { range: Interval::new(-f64::MAX, f64::MAX), may_be_nan: false, may_be_neg_zero: true };
        assert_eq!(form(Math2::Max, obs, zero), Form::GreaterOf(0, 1));
        assert_eq!(form(Math2::Min, obs, one), Form::LessOf(1, 0));
    }
}
