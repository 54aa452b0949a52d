//! Where the scalar function's f64 constants live: a pass over its CLIF
//! that makes each one cost at most one instruction where it is used.
//!
//! Cranelift's x64 back end materialises an `f64const` in a register as two
//! instructions (`movabsq` of the bits into an integer register, `vmovq`
//! into a vector one) and keeps it there for the rest of the block, where
//! the register allocator spills it when registers run short and reloads
//! it later. Only where the constant is an instruction's memory operand
//! (the second operand of `vaddsd`, `vmulsd`, `vucomisd` and their kind)
//! does it come from the function's constant pool instead, for free. So:
//!
//! - `fadd` and `fmul` with the constant first get their operands swapped.
//!   Both are commutative in IEEE 754 bit for bit, NaN payloads aside, and
//!   a constant that is NaN is left where it is.
//! - `fcmp` with a symmetric condition (`==`, `!=`, ordered, unordered)
//!   likewise, so the constant is the operand Cranelift reads from memory.
//! - Every other use of a constant in a register gets a load of its own
//!   from the constant pool right before the instruction that uses it
//!   (`vconst` of the 16 bytes, then lane 0, which is no instruction): one
//!   instruction, no integer register, and a live range of one instruction
//!   that never needs a spill. 0.0 stays as it is (`vxorpd`, already one).
//!
//! - `fabs` becomes a `band` with the sign-clearing mask loaded that way:
//!   Cranelift's own `fabs` builds its mask in a register each time, three
//!   instructions where this is two.
//!
//! A compare and select that Cranelift lowers together to one `minsd` or
//! `maxsd` (`select(fcmp(lt, x, y), x, y)`, see `codegen/min_max.rs`)
//! must keep reading the same values, or the pattern is lost: a constant
//! `x` (the register operand) gets one load before the compare, which both
//! read; a constant `y` is the memory operand already.
//!
//! Nothing here changes a result: the same operations on the same bits.

use cranelift::codegen::cursor::{Cursor, FuncCursor};
use cranelift::codegen::ir::{ConstantData, Function, Inst, InstructionData, Opcode, Value, ValueDef};
use cranelift::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// The bits of a non-NaN f64 constant, if `v` is one.
fn constant_bits(func: &Function, v: Value) -> Option<u64> {
    let ValueDef::Result(inst, _) = func.dfg.value_def(v) else { return None };
    match func.dfg.insts[inst] {
        InstructionData::UnaryIeee64 { opcode: Opcode::F64const, imm } => Some(imm.bits()),
        _ => None,
    }
}

/// The argument of `inst` (by index) that Cranelift's x64 lowering takes as
/// a memory operand, where a constant costs nothing.
fn memory_operand(func: &Function, inst: Inst) -> Option<usize> {
    match func.dfg.insts[inst] {
        InstructionData::Binary { opcode: Opcode::Fadd | Opcode::Fsub | Opcode::Fmul | Opcode::Fdiv, .. } => Some(1),
        InstructionData::FloatCompare { cond, .. } => Some(match cond {
            // `ucomisd` tests only "above": these compare with the operands flipped.
            FloatCC::LessThan | FloatCC::LessThanOrEqual | FloatCC::UnorderedOrGreaterThan | FloatCC::UnorderedOrGreaterThanOrEqual => 0,
            _ => 1,
        }),
        _ => None,
    }
}

fn is_symmetric(cond: FloatCC) -> bool {
    matches!(
        cond,
        FloatCC::Equal | FloatCC::NotEqual | FloatCC::Ordered | FloatCC::Unordered | FloatCC::OrderedNotEqual | FloatCC::UnorderedOrEqual
    )
}

/// Compares and selects that lower to one `minsd`/`maxsd` together, as
/// (compare, select) pairs.
fn min_max_pairs(func: &Function) -> Vec<(Inst, Inst)> {
    let mut pairs = Vec::new();
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            let InstructionData::Ternary { opcode: Opcode::Select, args: [c, x, y] } = func.dfg.insts[inst] else { continue };
            let ValueDef::Result(compare, _) = func.dfg.value_def(c) else { continue };
            if let InstructionData::FloatCompare { cond: FloatCC::LessThan, args: [a, b], .. } = func.dfg.insts[compare]
                && ((a, b) == (x, y) || (a, b) == (y, x))
            {
                pairs.push((compare, inst));
            }
        }
    }
    pairs
}

/// Loads a pair's constant register operand once, for both its
/// instructions (see the module documentation).
fn place_pair_constant(func: &mut Function, compare: Inst, select: Inst) {
    let x = func.dfg.inst_args(select)[1];
    let Some(bits) = constant_bits(func, x).filter(|b| *b != 0) else { return };
    // The compare may be shared by other selects; only this pair's uses change.
    let loaded = load_constant(func, compare, bits);
    for inst in [compare, select] {
        for arg in func.dfg.inst_args_mut(inst) {
            if *arg == x {
                *arg = loaded;
            }
        }
    }
}

/// Puts `inst`'s constant operand second where that is exact and free.
fn swap_constant_second(func: &mut Function, inst: Inst) {
    let is_nan_constant = |func: &Function, v: Value| constant_bits(func, v).is_some_and(|b| f64::from_bits(b).is_nan());
    let swappable = match func.dfg.insts[inst] {
        InstructionData::Binary { opcode: Opcode::Fadd | Opcode::Fmul, .. } => true,
        InstructionData::FloatCompare { cond, .. } => is_symmetric(cond),
        _ => false,
    };
    if !swappable {
        return;
    }
    let args = func.dfg.inst_args(inst);
    let (a, b) = (args[0], args[1]);
    if constant_bits(func, a).is_some() && constant_bits(func, b).is_none() && !is_nan_constant(func, a) {
        let args = func.dfg.inst_args_mut(inst);
        args.swap(0, 1);
    }
}

/// Runs the pass over `func` (see the module documentation).
pub fn place_constants(func: &mut Function) {
    let pairs = min_max_pairs(func);
    let mut skip: HashSet<Inst> = HashSet::default();
    for &(compare, select) in &pairs {
        place_pair_constant(func, compare, select);
        skip.extend([compare, select]);
    }
    let insts: Vec<Inst> = func.layout.blocks().flat_map(|b| func.layout.block_insts(b)).collect();
    for inst in insts {
        if skip.contains(&inst) {
            continue;
        }
        if let InstructionData::Unary { opcode: Opcode::Fabs, arg } = func.dfg.insts[inst]
            && func.dfg.value_type(arg) == types::F64
        {
            let magnitude = load_constant(func, inst, !(1u64 << 63));
            func.replace(inst).band(arg, magnitude);
            continue;
        }
        swap_constant_second(func, inst);
        let keep = memory_operand(func, inst);
        let fixed = func.dfg.inst_args(inst).len();
        // Constants this instruction needs in a register, with the load
        // that replaces each (one per distinct constant).
        let mut loads: HashMap<Value, Value> = HashMap::default();
        let values: Vec<Value> = func.dfg.inst_values(inst).collect();
        for (k, v) in values.into_iter().enumerate() {
            if (k < fixed && Some(k) == keep) || loads.contains_key(&v) {
                continue;
            }
            let Some(bits) = constant_bits(func, v) else { continue };
            if bits == 0 {
                continue;
            }
            let scalar = load_constant(func, inst, bits);
            loads.insert(v, scalar);
        }
        if loads.is_empty() {
            continue;
        }
        let mut k = 0;
        func.dfg.map_inst_values(inst, |v| {
            let position = k;
            k += 1;
            if position < fixed && Some(position) == keep {
                return v;
            }
            loads.get(&v).copied().unwrap_or(v)
        });
    }
    remove_unused_constants(func);
}

/// An f64 with `bits`, loaded from the constant pool right before `inst`.
fn load_constant(func: &mut Function, inst: Inst, bits: u64) -> Value {
    let bytes: Vec<u8> = [bits.to_le_bytes(), 0u64.to_le_bytes()].concat();
    let handle = func.dfg.constants.insert(ConstantData::from(bytes));
    let mut cursor = FuncCursor::new(func).at_inst(inst);
    let pair = cursor.ins().vconst(types::F64X2, handle);
    cursor.ins().extractlane(pair, 0)
}

/// Drops the `f64const`s whose every use now loads its own copy: they would
/// be lowered to nothing, but the printed CLIF is easier to read without.
fn remove_unused_constants(func: &mut Function) {
    let mut used: HashSet<Value> = HashSet::default();
    let insts: Vec<Inst> = func.layout.blocks().flat_map(|b| func.layout.block_insts(b)).collect();
    for &inst in &insts {
        used.extend(func.dfg.inst_values(inst));
    }
    for inst in insts {
        if func.dfg.insts[inst].opcode() == Opcode::F64const && !used.contains(&func.dfg.first_result(inst)) {
            func.layout.remove_inst(inst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift::codegen::ir::{AbiParam, Signature, UserFuncName};
    use cranelift::codegen::isa::CallConv;
    use cranelift::frontend::{FunctionBuilder, FunctionBuilderContext};

    fn frontend() -> cranelift::codegen::isa::TargetFrontendConfig {
        match super::super::target_isa(super::super::Regalloc::Backtracking) {
            Ok(isa) => isa.frontend_config(),
            Err(e) => panic!("no ISA for this host: {e}"),
        }
    }

    /// A function of one f64 `x` whose body `body` emits; it returns
    /// what `body` returns.
    fn function_of_x(name: &str, body: impl FnOnce(&mut FunctionBuilder, Value) -> Vec<Value>) -> Function {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(types::F64));
        let mut func = Function::with_name_signature(UserFuncName::testcase(name), sig);
        let mut fbc = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fbc);
        let block = b.create_block();
        b.append_block_params_for_function_params(block);
        b.switch_to_block(block);
        let x = b.block_params(block)[0];
        let results = body(&mut b, x);
        for _ in &results {
            b.func.signature.returns.push(AbiParam::new(types::F64));
        }
        b.ins().return_(&results);
        b.seal_all_blocks();
        b.finalize(frontend());
        func
    }

    /// One of each case the pass tells apart, in a function of `x`.
    fn sample() -> Function {
        function_of_x("sample", |b, x| {
            let (two, three, half, zero) = (b.ins().f64const(2.0), b.ins().f64const(3.0), b.ins().f64const(0.5), b.ins().f64const(0.0));
            let sum = b.ins().fadd(two, x); // swapped: 2.0 becomes the memory operand
            let product = b.ins().fmul(sum, three); // already second: kept
            let difference = b.ins().fsub(three, product); // first operand of a subtraction: loaded
            let magnitude = b.ins().fabs(difference); // a band with the loaded mask
            let equal = b.ins().fcmp(FloatCC::Equal, half, magnitude); // symmetric: swapped
            let below = b.ins().fcmp(FloatCC::LessThan, magnitude, half); // `half` is the register operand: loaded
            let either = b.ins().bor(equal, below);
            let chosen = b.ins().select(either, two, magnitude); // select operands: loaded
            let less = b.ins().fcmp(FloatCC::LessThan, chosen, three); // a minsd pair: left alone
            let min = b.ins().select(less, chosen, three);
            let above = b.ins().fcmp(FloatCC::LessThan, half, min); // a minsd pair whose register operand
            let clamped = b.ins().select(above, half, min); // is a constant: one load, read by both
            vec![b.ins().fadd(clamped, zero)] // 0.0 is one instruction anyway: kept
        })
    }

    #[test]
    fn constants_are_memory_operands_or_loaded_where_used() {
        let mut func = sample();
        let before = func.display().to_string();
        place_constants(&mut func);
        let after = func.display().to_string();
        insta::assert_snapshot!(format!("{before}\n; after place_constants\n{after}"));
    }

    #[test]
    fn a_nan_constant_is_not_swapped() {
        let mut sum = None;
        let mut func = function_of_x("nan", |b, x| {
            let nan = b.ins().f64const(f64::NAN);
            sum = Some((b.ins().fadd(nan, x), x));
            Vec::new()
        });
        place_constants(&mut func);
        let Some((sum, x)) = sum else { unreachable!("the body ran") };
        let ValueDef::Result(sum_inst, _) = func.dfg.value_def(sum) else { unreachable!("an instruction's result") };
        // NaN + NaN keeps the first operand's payload: the order stays.
        assert_eq!(func.dfg.inst_args(sum_inst)[1], x);
    }
}
