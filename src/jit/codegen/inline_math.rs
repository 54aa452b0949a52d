//! [`FloatOps`] as Cranelift instructions, so the generated code computes
//! rwd's `tanh` inline with the very operations the interpreter performs
//! (see `builtins::tanh`): no call, no clobbered registers, same bits.

use super::Translator;
use crate::builtins::tanh::{FloatOps, ROUNDER, SIGN_BIT};
use cranelift::prelude::*;

impl FloatOps for Translator<'_, '_> {
    type F = Value;
    type M = Value;
    fn constant(&mut self, x: f64) -> Value {
        self.f64c(x)
    }
    fn add(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fadd(a, b)
    }
    fn sub(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fsub(a, b)
    }
    fn mul(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fmul(a, b)
    }
    fn div(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fdiv(a, b)
    }
    fn abs(&mut self, a: Value) -> Value {
        self.b.ins().fabs(a)
    }
    fn pow2_from_rounded(&mut self, k_plus_rounder: Value) -> Value {
        let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), k_plus_rounder);
        let biased = self.b.ins().iadd_imm_s(bits, 1023i64.wrapping_sub(ROUNDER.to_bits() as i64));
        let exponent = self.b.ins().ishl_imm_u(biased, 52);
        self.b.ins().bitcast(types::F64, MemFlagsData::new(), exponent)
    }
    fn or_sign(&mut self, mag: Value, sign: Value) -> Value {
        let sign_bit = self.f64c(f64::from_bits(SIGN_BIT));
        let s = self.b.ins().band(sign, sign_bit);
        self.b.ins().bor(mag, s)
    }
    fn ge(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, a, b)
    }
    fn lt(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().fcmp(FloatCC::LessThan, a, b)
    }
    fn select(&mut self, m: Value, if_true: Value, if_false: Value) -> Value {
        self.b.ins().select(m, if_true, if_false)
    }
}

/// The same operations on every lane: each is the scalar operation per
/// lane, so each lane gets the scalar code's bits.
impl FloatOps for super::lanes::LaneTranslator<'_, '_> {
    type F = [Value; super::lanes::GROUPS];
    type M = [Value; super::lanes::GROUPS];
    fn constant(&mut self, x: f64) -> Self::F {
        self.splat(x)
    }
    fn add(&mut self, a: Self::F, b: Self::F) -> Self::F {
        self.fadd(a, b)
    }
    fn sub(&mut self, a: Self::F, b: Self::F) -> Self::F {
        self.fsub(a, b)
    }
    fn mul(&mut self, a: Self::F, b: Self::F) -> Self::F {
        self.fmul(a, b)
    }
    fn div(&mut self, a: Self::F, b: Self::F) -> Self::F {
        self.fdiv(a, b)
    }
    fn abs(&mut self, a: Self::F) -> Self::F {
        super::lanes::LaneTranslator::abs(self, a)
    }
    fn pow2_from_rounded(&mut self, k_plus_rounder: Self::F) -> Self::F {
        let little = MemFlagsData::new().with_endianness(codegen::ir::Endianness::Little);
        let bias = self.splat_i64(1023i64.wrapping_sub(ROUNDER.to_bits() as i64));
        std::array::from_fn(|g| {
            let bits = self.b.ins().bitcast(types::I64X2, little, k_plus_rounder[g]);
            let biased = self.b.ins().iadd(bits, bias[g]);
            let by = self.b.ins().iconst(types::I32, 52);
            let exponent = self.b.ins().ishl(biased, by);
            self.b.ins().bitcast(types::F64X2, little, exponent)
        })
    }
    fn or_sign(&mut self, mag: Self::F, sign: Self::F) -> Self::F {
        let sign_bit = self.splat(-0.0);
        std::array::from_fn(|g| {
            let s = self.b.ins().band(sign[g], sign_bit[g]);
            self.b.ins().bor(mag[g], s)
        })
    }
    fn ge(&mut self, a: Self::F, b: Self::F) -> Self::M {
        self.fcmp(FloatCC::GreaterThanOrEqual, a, b)
    }
    fn lt(&mut self, a: Self::F, b: Self::F) -> Self::M {
        self.fcmp(FloatCC::LessThan, a, b)
    }
    fn select(&mut self, m: Self::M, if_true: Self::F, if_false: Self::F) -> Self::F {
        self.lane_select(m, if_true, if_false)
    }
}
