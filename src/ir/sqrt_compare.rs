//! Comparisons of a square root with a constant become comparisons of the
//! radicand with a threshold: `distance(a, b) < 2cm`, the commonest gate in
//! a reward, then needs no square root (the root stays only where the
//! distance itself is used, often a gated term's cone).
//!
//! The rewrite is exact, not approximate: `sqrt` is correctly rounded and
//! so monotone, which makes `{x : sqrt(x) <= c}` the doubles up to some
//! largest `T`, and `{x : sqrt(x) < c}` those below some smallest `U`.
//! Both are found by stepping one double at a time from `c * c`, so
//! `sqrt(x) <= c` and `x <= T` agree on every double `x` that is not
//! negative, NaN included (both false). A radicand that may be negative
//! (`sqrt(a - b)`) is left alone: there `sqrt` gives NaN and the rewrite
//! would not. Whether it may be is read from the range facts under finite
//! observations, the only ones whose results count (a step with a
//! non-finite observation is flagged invalid before anything is computed).

use super::range::finite_path_facts;
use super::{Cmp, Inst, Program, Stmt, Value};
use crate::builtins::Math1;

/// Rewrites every `cmp sqrt(x), c` (either operand order, `lt le gt ge`)
/// whose radicand is never below zero and whose constant is not negative
/// and not NaN. The square roots left without a use are removed by
/// `opt::compact` afterwards.
pub fn compare_radicands(p: &mut Program) {
    let facts = finite_path_facts(p);
    // Per value: the radicand if it is a square root of a never-negative
    // value, the constant if it is one.
    let n = p.num_values as usize;
    let (mut radicands, mut constants) = (vec![None; n], vec![None; n]);
    for s in p.pre.iter().chain(&p.post) {
        let d = s.dest.0 as usize;
        match s.inst {
            Inst::Unary(Math1::Sqrt, x) if facts.get(x.0 as usize).is_some_and(|f| f.range.lo >= 0.0) => radicands[d] = Some(x),
            Inst::Const(c) => constants[d] = Some(c),
            _ => {}
        }
    }
    let radicand = |v: Value| radicands.get(v.0 as usize).copied().flatten();
    let constant = |v: Value| constants.get(v.0 as usize).copied().flatten();
    let mut next = p.num_values;
    for block in [&mut p.pre, &mut p.post] {
        let mut out = Vec::with_capacity(block.len());
        for s in block.drain(..) {
            if let Inst::Compare(op, a, b) = s.inst {
                // `c op sqrt(x)` is `sqrt(x) op' c` with the comparison mirrored.
                let rewrite = match (radicand(a), constant(b), constant(a), radicand(b)) {
                    (Some(x), Some(c), _, _) => Some((op, x, c)),
                    (_, _, Some(c), Some(x)) => mirrored(op).map(|op| (op, x, c)),
                    _ => None,
                };
                if let Some((op, x, t)) = rewrite.and_then(|(op, x, c)| radicand_threshold(op, c).map(|t| (op, x, t))) {
                    let threshold = Value(next);
                    next += 1;
                    out.push(Stmt { dest: threshold, inst: Inst::Const(t) });
                    out.push(Stmt { dest: s.dest, inst: Inst::Compare(op, x, threshold) });
                    continue;
                }
            }
            out.push(s);
        }
        *block = out;
    }
    p.num_values = next;
}

/// `op` with its operands swapped: `c < y` is `y > c`.
fn mirrored(op: Cmp) -> Option<Cmp> {
    match op {
        Cmp::Lt => Some(Cmp::Gt),
        Cmp::Le => Some(Cmp::Ge),
        Cmp::Gt => Some(Cmp::Lt),
        Cmp::Ge => Some(Cmp::Le),
        Cmp::Eq | Cmp::Ne => None,
    }
}

/// The `t` with `sqrt(x) op c == x op t` for every double `x >= -0.0` and
/// NaN; `None` where there is no rewrite (`eq`, `ne`, a negative or NaN `c`).
pub fn radicand_threshold(op: Cmp, c: f64) -> Option<f64> {
    if c.is_nan() || c < 0.0 {
        return None;
    }
    match op {
        // sqrt(x) <= c  <=>  x <= T;  sqrt(x) > c  <=>  x > T.
        Cmp::Le | Cmp::Gt => largest_with_root_at_most(c),
        // sqrt(x) < c  <=>  x < U;  sqrt(x) >= c  <=>  x >= U.
        Cmp::Lt | Cmp::Ge => smallest_with_root_at_least(c),
        Cmp::Eq | Cmp::Ne => None,
    }
}

/// Steps taken from `c * c` to the threshold: it is within an ulp or two
/// of the boundary, so a handful; the bound only guards the loop.
const MAX_STEPS: usize = 64;

/// The largest double `T >= 0` with `sqrt(T) <= c` (`c >= 0`).
fn largest_with_root_at_most(c: f64) -> Option<f64> {
    let mut t = (c * c).min(f64::MAX);
    if c == f64::INFINITY {
        t = f64::INFINITY;
    }
    for _ in 0..MAX_STEPS {
        if t > 0.0 && t.sqrt() > c {
            t = t.next_down();
        } else if t < f64::INFINITY && t.next_up().sqrt() <= c {
            t = t.next_up();
        } else {
            return Some(t.max(0.0));
        }
    }
    None
}

/// The smallest double `U >= 0` with `sqrt(U) >= c` (`c >= 0`).
fn smallest_with_root_at_least(c: f64) -> Option<f64> {
    let mut t = (c * c).min(f64::MAX);
    if c == f64::INFINITY {
        t = f64::INFINITY;
    }
    for _ in 0..MAX_STEPS {
        if t < f64::INFINITY && t.sqrt() < c {
            t = t.next_up();
        } else if t > 0.0 && t.next_down().sqrt() >= c {
            t = t.next_down();
        } else {
            return Some(t.max(0.0));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // The interpreter's comparison: the semantics the rewrite must keep.
    use crate::interp::compare as holds;

    /// Doubles around `t`: the threshold's neighbours, where a wrong
    /// threshold would show.
    fn around(t: f64) -> Vec<f64> {
        let mut xs = vec![t];
        let (mut up, mut down) = (t, t);
        for _ in 0..6 {
            up = up.next_up();
            down = down.next_down();
            xs.extend([up, down]);
        }
        xs
    }

    #[test]
    fn the_radicand_comparison_agrees_with_the_root_comparison_on_every_neighbour() {
        let mut cs = vec![0.0, -0.0, 5e-324, 1e-300, 1e-160, 1e-12, 0.01, 0.02, 0.025, 0.1, 0.5, 1.0, 2.0, 3.0, 1e10, 1e154, 1.3407807929942596e154, 1e200, f64::MAX, f64::INFINITY];
        // Pseudo-random constants of every magnitude.
        let mut s = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..2000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            cs.push(f64::from_bits(s >> 2)); // non-negative, any exponent
        }
        for c in cs.into_iter().filter(|c| !c.is_nan()) {
            for op in [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge] {
                let t = radicand_threshold(op, c).unwrap_or_else(|| panic!("no threshold for {op:?} {c:e}"));
                let mut xs = around(t);
                xs.extend(around(c * c));
                xs.extend([0.0, -0.0, 5e-324, f64::MAX, f64::INFINITY, f64::NAN]);
                for x in xs.into_iter().filter(|x| x.is_nan() || *x >= 0.0) {
                    assert_eq!(holds(op, x.sqrt(), c), holds(op, x, t), "sqrt({x:e}) {op:?} {c:e} vs {x:e} {op:?} {t:e}");
                }
            }
        }
    }

    /// A radicand that may be negative keeps its square root (there `sqrt`
    /// is NaN and the comparison false, where `x < t` would be true); a
    /// sum of squares is rewritten. Both answer as the square roots would.
    #[test]
    fn only_radicands_that_are_never_negative_are_rewritten() {
        use crate::interp::{Interpreter, OutputValue};
        let src = "scene s { props { x: scalar  y: scalar } }\n\
                   check c on s { signed = sqrt(x) < 0.5  squares = norm(vec3(x, y, 0)) <= 0.5 }";
        let c = crate::compile("t.rwd", src);
        assert!(!c.has_errors());
        let p = &c.programs[0];
        let sqrts = p.pre.iter().filter(|s| matches!(s.inst, Inst::Unary(Math1::Sqrt, _))).count();
        assert_eq!(sqrts, 1, "the signed radicand keeps its root, the norm loses its own");
        let mut interp = Interpreter::new(p);
        for (x, y) in [(-0.1f64, 0.0f64), (0.2, 0.3), (0.3, 0.4), (0.3, 0.41), (-0.0, 0.0), (0.25, 0.0), (0.2500000000000001, 0.0)] {
            // What the comparisons mean, computed with the square roots.
            let signed = x.sqrt() < 0.5;
            let squares = (x * x + y * y + 0.0 * 0.0).sqrt() <= 0.5;
            let out = interp.check(&[x, y]).expect("finite observation");
            assert_eq!(out[0].1, OutputValue::Bool(signed), "sqrt({x}) < 0.5");
            assert_eq!(out[1].1, OutputValue::Bool(squares), "|({x}, {y})| <= 0.5");
        }
    }

    #[test]
    fn no_rewrite_for_equality_or_a_negative_or_nan_constant() {
        assert_eq!(radicand_threshold(Cmp::Eq, 1.0), None);
        assert_eq!(radicand_threshold(Cmp::Ne, 1.0), None);
        assert_eq!(radicand_threshold(Cmp::Lt, -1.0), None);
        assert_eq!(radicand_threshold(Cmp::Le, f64::NAN), None);
    }
}
