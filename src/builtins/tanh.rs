//! rwd's `tanh`: one algorithm, written once over [`FloatOps`], that the
//! interpreter runs on `f64` and the JIT emits inline as Cranelift
//! instructions.
//!
//! Why not the C library's `tanh` through a host call, like the other
//! transcendentals: dense rewards call `tanh` once or more per term (every
//! ManiSkill reach term is `1 - tanh(k * d)`), and glibc's costs about 16 ns
//! a call (through `expm1`), plus a call that clobbers every vector register
//! of the generated code. This one is about forty additions and
//! multiplications and one division, without a branch, inlined. Because
//! both back ends perform the same IEEE 754 operations in the same order
//! (neither Rust nor Cranelift fuses a multiply and an add unless asked),
//! their results are identical bit for bit, as before.
//!
//! Accuracy: within 2 ulp of the correctly rounded result, as glibc's is
//! (over 220 000 points against mpmath at 200 bits, both were at most 2 ulp
//! off; 71% of rwd's results were correctly rounded). A test holds it to
//! 2 ulp on 1 500 such points (`tests/reference/tanh.txt`, written by the
//! script next to it). `tanh(±0) = ±0`, `tanh(±inf) = ±1`, NaN gives NaN,
//! and the result never leaves [-1, 1].
//!
//! The algorithm, on `a = |x|` with the sign copied back: with
//! `e = expm1(2a)`, `tanh(a) = e / (e + 2)` below 1 and `1 - 2 / (e + 2)`
//! from 1 to 22 (fdlibm's split); from 22 on `a` is taken as 22, where the
//! second form rounds to exactly 1.
//! `expm1(y)` reduces `y = k ln2 + r` with `|r| <= ln2 / 2` (Cody and
//! Waite's two-part ln2, so `k ln2_hi` is exact), takes `expm1(r)` from its
//! Taylor series to degree 13 (truncation below 2^-55 relative there), and
//! rebuilds `2^k expm1(r) + (2^k - 1)`, both parts exact but the last sum.

/// The operations the algorithm needs, over a float type `F` and a
/// comparison result `M`: `f64` and `bool` for the interpreter, Cranelift
/// values for the JIT.
pub trait FloatOps {
    type F: Copy;
    type M: Copy;
    fn constant(&mut self, x: f64) -> Self::F;
    fn add(&mut self, a: Self::F, b: Self::F) -> Self::F;
    fn sub(&mut self, a: Self::F, b: Self::F) -> Self::F;
    fn mul(&mut self, a: Self::F, b: Self::F) -> Self::F;
    fn div(&mut self, a: Self::F, b: Self::F) -> Self::F;
    fn abs(&mut self, a: Self::F) -> Self::F;
    /// `2^k` from `k + ROUNDER` for an integer `k` in 0..=64: that sum's
    /// low significand bits are `k` itself (its ulp is 1), so this is
    /// integer arithmetic on its bits, `(bits - bits(ROUNDER) + 1023) << 52`
    /// reinterpreted, wrapping.
    fn pow2_from_rounded(&mut self, k_plus_rounder: Self::F) -> Self::F;
    /// `mag` with the sign bit of `sign` OR-ed into its own: `copysign`
    /// for a `mag` whose sign bit is clear, in two bitwise operations
    /// where `copysign` takes three.
    fn or_sign(&mut self, mag: Self::F, sign: Self::F) -> Self::F;
    /// `a >= b`; false when either is NaN.
    fn ge(&mut self, a: Self::F, b: Self::F) -> Self::M;
    /// `a < b`; false when either is NaN.
    fn lt(&mut self, a: Self::F, b: Self::F) -> Self::M;
    fn select(&mut self, m: Self::M, if_true: Self::F, if_false: Self::F) -> Self::F;
}

/// The sign bit of an f64.
pub const SIGN_BIT: u64 = 1 << 63;

/// Above this, `tanh` rounds to 1 in f64 (`1 - tanh(22)` is about 1.6e-19).
const SATURATION: f64 = 22.0;
const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// 1.5 * 2^52: adding and subtracting it rounds a float below 2^51 in
/// magnitude to an integer, ties to even, with two additions any machine
/// has (SSE4.1's `roundsd` is not in baseline x86-64).
pub const ROUNDER: f64 = 6755399441055744.0;
/// ln 2 split so that `k * LN2_HI` is exact for |k| < 2^20 (fdlibm's split).
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);

/// 1/n! for n = 2..=13, the Taylor coefficients of `(expm1(r) - r) / r^2`.
const INV_FACTORIALS: [f64; 12] = {
    let mut c = [0.0; 12];
    let mut fact = 1.0;
    let mut n = 2;
    while n <= 13 {
        fact *= n as f64;
        c[n - 2] = 1.0 / fact;
        n += 1;
    }
    c
};

/// `expm1(y)` for `y` in [0, 44].
fn expm1_reduced<O: FloatOps>(o: &mut O, y: O::F) -> O::F {
    let inv_ln2 = o.constant(INV_LN2);
    let scaled = o.mul(y, inv_ln2);
    let rounder = o.constant(ROUNDER);
    let k_plus_rounder = o.add(scaled, rounder);
    let k = o.sub(k_plus_rounder, rounder);
    let ln2_hi = o.constant(LN2_HI);
    let ln2_lo = o.constant(LN2_LO);
    let k_hi = o.mul(k, ln2_hi);
    let hi = o.sub(y, k_hi);
    let k_lo = o.mul(k, ln2_lo);
    let r = o.sub(hi, k_lo);

    // q(r) = sum c[i] r^i by Estrin's scheme: independent pairs, then
    // powers of r^2, so the dependency chain is 5 deep instead of 12.
    let c = INV_FACTORIALS.map(|x| o.constant(x));
    let r2 = o.mul(r, r);
    let r4 = o.mul(r2, r2);
    let r8 = o.mul(r4, r4);
    let mut pairs = [c[0]; 6];
    for (i, pair) in pairs.iter_mut().enumerate() {
        let odd = o.mul(c[2 * i + 1], r);
        *pair = o.add(c[2 * i], odd);
    }
    let p23 = o.mul(r2, pairs[1]);
    let q0 = o.add(pairs[0], p23);
    let p67 = o.mul(r2, pairs[3]);
    let q1 = o.add(pairs[2], p67);
    let p1011 = o.mul(r2, pairs[5]);
    let q2 = o.add(pairs[4], p1011);
    let q1 = o.mul(r4, q1);
    let q2 = o.mul(r8, q2);
    let q = o.add(q0, q1);
    let q = o.add(q, q2);
    let r2q = o.mul(r2, q);
    let expm1_r = o.add(r, r2q);

    // 2^k (1 + expm1(r)) - 1 = 2^k expm1(r) + (2^k - 1).
    let scale = o.pow2_from_rounded(k_plus_rounder);
    let one = o.constant(1.0);
    let scaled = o.mul(scale, expm1_r);
    let scale_minus_1 = o.sub(scale, one);
    o.add(scaled, scale_minus_1)
}

/// `tanh(x)`, in terms of `o`'s operations.
pub fn tanh<O: FloatOps>(o: &mut O, x: O::F) -> O::F {
    let a = o.abs(x);
    let limit = o.constant(SATURATION);
    // Clamped so the reduction's k stays in range; a NaN stays NaN. This
    // compare-and-select shape is one `minsd` (`minpd`) in the JIT.
    let above = o.lt(limit, a);
    let clamped = o.select(above, limit, a);
    let y = o.add(clamped, clamped);
    let e = expm1_reduced(o, y);
    // e / (e + 2) below 1, and 1 - 2 / (e + 2) from 1 on (fdlibm's split):
    // near 1 the small quotient's rounding error is far below an ulp of
    // the result, where e / (e + 2) would be off by more than one.
    let one = o.constant(1.0);
    let two = o.constant(2.0);
    let large = o.ge(a, one);
    let numerator = o.select(large, two, e);
    let denominator = o.add(e, two);
    let q = o.div(numerator, denominator);
    let complement = o.sub(one, q);
    // From 22 on `clamped` is 22, and 1 - 2 / (e^44 + 1) rounds to 1
    // exactly: no select for saturation is needed.
    let t = o.select(large, complement, q);
    // `t` is +0 to 1, or a NaN from |x|: its sign bit is clear.
    o.or_sign(t, x)
}

/// The interpreter's operations: plain `f64`.
pub struct Scalar;

impl FloatOps for Scalar {
    type F = f64;
    type M = bool;
    #[inline(always)]
    fn constant(&mut self, x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn add(&mut self, a: f64, b: f64) -> f64 {
        a + b
    }
    #[inline(always)]
    fn sub(&mut self, a: f64, b: f64) -> f64 {
        a - b
    }
    #[inline(always)]
    fn mul(&mut self, a: f64, b: f64) -> f64 {
        a * b
    }
    #[inline(always)]
    fn div(&mut self, a: f64, b: f64) -> f64 {
        a / b
    }
    #[inline(always)]
    fn abs(&mut self, a: f64) -> f64 {
        a.abs()
    }
    #[inline(always)]
    fn pow2_from_rounded(&mut self, k_plus_rounder: f64) -> f64 {
        f64::from_bits(k_plus_rounder.to_bits().wrapping_sub(ROUNDER.to_bits()).wrapping_add(1023) << 52)
    }
    #[inline(always)]
    fn or_sign(&mut self, mag: f64, sign: f64) -> f64 {
        f64::from_bits(mag.to_bits() | (sign.to_bits() & SIGN_BIT))
    }
    #[inline(always)]
    fn ge(&mut self, a: f64, b: f64) -> bool {
        a >= b
    }
    #[inline(always)]
    fn lt(&mut self, a: f64, b: f64) -> bool {
        a < b
    }
    #[inline(always)]
    fn select(&mut self, m: bool, if_true: f64, if_false: f64) -> f64 {
        if m {
            if_true
        } else {
            if_false
        }
    }
}

/// rwd's `tanh` on one `f64`: what the interpreter, the range analysis,
/// the hand-written baselines and the JIT's agreement test call.
#[inline]
pub fn tanh_f64(x: f64) -> f64 {
    tanh(&mut Scalar, x)
}

#[cfg(test)]
mod tests {
    use super::tanh_f64;

    /// Distance in units in the last place between two finite f64s of the
    /// same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    /// Against the C library's `tanh` (the previous implementation, itself
    /// up to 2 ulp off), densely over the line; the bound against exact
    /// values is the next test's.
    #[test]
    fn within_three_ulp_of_libm_everywhere() {
        let mut worst = (0, 0.0);
        // Dense over the interesting range, then logarithmically to the
        // tiny and the saturated ends.
        let mut xs: Vec<f64> = (0..200_000).map(|i| i as f64 * 1e-4).collect();
        let mut x = 1e-300;
        while x < 1e3 {
            xs.push(x);
            x *= 1.001;
        }
        for &x in &xs {
            for x in [x, -x] {
                let (got, want) = (tanh_f64(x), x.tanh());
                let d = ulps(got, want);
                if d > worst.0 {
                    worst = (d, x);
                }
            }
        }
        assert!(worst.0 <= 3, "{} ulp from libm at x = {:e}", worst.0, worst.1);
    }

    #[test]
    fn within_two_ulp_of_the_correctly_rounded_value() {
        let table = include_str!("../../tests/reference/tanh.txt");
        let mut points = 0;
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let mut hex = line.split(' ').map(|h| u64::from_str_radix(h, 16).map(f64::from_bits));
            let (Some(Ok(x)), Some(Ok(want))) = (hex.next(), hex.next()) else { panic!("bad reference line {line:?}") };
            for (x, want) in [(x, want), (-x, -want)] {
                let got = tanh_f64(x);
                assert!(ulps(got, want) <= 2, "tanh({x:e}) = {got:e}, correctly rounded {want:e}: {} ulp", ulps(got, want));
            }
            points += 1;
        }
        assert_eq!(points, 1500);
    }

    #[test]
    fn special_values() {
        assert_eq!(tanh_f64(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tanh_f64(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(tanh_f64(f64::INFINITY), 1.0);
        assert_eq!(tanh_f64(f64::NEG_INFINITY), -1.0);
        assert!(tanh_f64(f64::NAN).is_nan());
        assert_eq!(tanh_f64(22.0), 1.0);
        assert_eq!(tanh_f64(-1e10), -1.0);
        assert_eq!(tanh_f64(1e-310), 1e-310, "subnormals are their own tanh");
    }

    #[test]
    fn odd_bounded_and_monotone() {
        let mut prev = -1.0;
        let mut x = -25.0;
        while x <= 25.0 {
            let t = tanh_f64(x);
            assert!((-1.0..=1.0).contains(&t), "tanh({x}) = {t}");
            // With `1 - 2 / (e + 2)` from 1 on, no step back even where the
            // result rounds from 1 - 2^-53 to 1 (near |x| = 19.06), which
            // `e / (e + 2)` alone stepped back over by 2 ulp.
            assert!(t >= prev, "not monotone at {x}: {prev} then {t}");
            assert_eq!(tanh_f64(-x).to_bits(), (-t).to_bits(), "not odd at {x}");
            prev = t;
            x += 1e-3;
        }
    }
}
