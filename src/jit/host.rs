//! Host functions the generated code calls: transcendentals (Cranelift has
//! no instructions for them) and a shim into the native geometry library.
//!
//! Every one is `extern "C"` and calls the very Rust function the
//! interpreter calls, which is what makes JIT results bit-identical to the
//! interpreter's, transcendentals included. `tanh`, the one dense rewards
//! use most, is not here: the generated code computes it inline.

use crate::builtins::{Math1, Math2, NativeFn};
use crate::interp::math1;

macro_rules! unary_host {
    ($($name:ident => $op:expr),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 { math1($op, x) })*
    };
}

unary_host! {
    rwd_exp => Math1::Exp,
    rwd_ln => Math1::Ln,
    rwd_sin => Math1::Sin,
    rwd_cos => Math1::Cos,
    rwd_tan => Math1::Tan,
    rwd_asin => Math1::Asin,
    rwd_acos => Math1::Acos,
    rwd_atan => Math1::Atan,
    rwd_floor => Math1::Floor,
}

extern "C" fn rwd_atan2(y: f64, x: f64) -> f64 {
    crate::interp::math2(crate::ir::Bin::Math(Math2::Atan2), y, x)
}

extern "C" fn rwd_pow(x: f64, y: f64) -> f64 {
    crate::interp::math2(crate::ir::Bin::Math(Math2::Pow), x, y)
}

/// The address of the host function for a one-argument math op, or `None`
/// for ops the generated code computes inline: abs and sqrt (Cranelift has
/// instructions for them) and tanh (`builtins::tanh`, emitted instruction
/// for instruction by `codegen::inline_math`).
pub fn unary_address(op: Math1) -> Option<usize> {
    let f: extern "C" fn(f64) -> f64 = match op {
        Math1::Abs | Math1::Sqrt | Math1::Tanh => return None,
        Math1::Exp => rwd_exp,
        Math1::Ln => rwd_ln,
        Math1::Sin => rwd_sin,
        Math1::Cos => rwd_cos,
        Math1::Tan => rwd_tan,
        Math1::Asin => rwd_asin,
        Math1::Acos => rwd_acos,
        Math1::Atan => rwd_atan,
        Math1::Floor => rwd_floor,
    };
    Some(f as usize)
}

/// The address of the host function for a two-argument math op, or `None`
/// for min and max (Cranelift's `fmin`/`fmax` have the interpreter's
/// IEEE 754-2019 semantics).
pub fn binary_address(op: Math2) -> Option<usize> {
    let f: extern "C" fn(f64, f64) -> f64 = match op {
        Math2::Min | Math2::Max => return None,
        Math2::Atan2 => rwd_atan2,
        Math2::Pow => rwd_pow,
    };
    Some(f as usize)
}

/// Calls a native builtin from generated code: `func` is a [`NativeFn`]
/// passed as an address, `args`/`out` point into the generated function's
/// stack frame.
///
/// # Safety
/// `func` must be the address of a `NativeFn`, `args` must point to `n_args`
/// readable f64s and `out` to `n_out` writable f64s not overlapping `args`.
/// The code generator guarantees all three.
pub unsafe extern "C" fn rwd_call_native(func: usize, args: *const f64, n_args: usize, out: *mut f64, n_out: usize) {
    // SAFETY: the generator passes `NativeFn as usize` for `func`; fn pointers
    // round-trip through usize on every platform Cranelift targets.
    let f: NativeFn = unsafe { std::mem::transmute::<usize, NativeFn>(func) };
    // SAFETY: lengths and disjointness are the caller's contract above.
    let (args, out) = unsafe { (std::slice::from_raw_parts(args, n_args), std::slice::from_raw_parts_mut(out, n_out)) };
    f(args, out);
}

pub fn call_native_address() -> usize {
    rwd_call_native as *const () as usize
}
