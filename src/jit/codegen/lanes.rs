//! The vector function: environments four at a time, in two f64x2 groups
//! of two lanes, every f64 of the IR one value per lane, every boolean an
//! i64x2 lane mask. The optimised tier's code for programs without native
//! calls.
//!
//! Each lane computes exactly what the scalar function computes for its
//! environment: the same IEEE operations in the same order (Cranelift's
//! f64x2 `fadd`, `fdiv`, `sqrt`, `fmin`, ... are the scalar operations per
//! lane), `tanh` the same generic code (`inline_math.rs`), other
//! transcendentals the same host functions called once per lane. Control
//! flow that differs per environment is not vectorised:
//!
//! - A gated term's cone runs when any lane's gate holds; each lane then
//!   keeps its own value by a lane select, as the scalar select would.
//! - The stage machine is computed on the lanes only for a quiet step (no
//!   lane's gate holds, no lane's hold fails: the stage stays, the counter
//!   resets), which is nearly every step of an episode. A step in which a
//!   machine acts is handed to the scalar function (`stages.rs`).
//! - So is a step with anything non-finite (an observation slot, the
//!   reward, a term): the scalar function writes the documented invalid
//!   result for that environment and the ordinary one for the others.
//!   Nothing is stored before these decisions, so the scalar function
//!   starts from the same state.
//! - A batch's last environments that do not fill a step go to the scalar
//!   function too.
//!
//! So the two functions agree bit for bit by construction; tests/jit.rs
//! holds both to the interpreter.

use super::super::host;
use super::super::sink;
use super::min_max::{self, Form};
use super::{FLAG_VALID, element, field, float_cc, math_signature, numeric_uses, set, sum_tree};
use crate::ir::range::{Facts, finite_path_facts};
use crate::builtins::{Math1, Math2};
use crate::ir::{Bin, Inst, Program, RewardSpec, Stmt};
use cranelift::codegen::ir::{ConstantData, FuncRef, GlobalValue, StackSlot};
use cranelift::prelude::*;
use rustc_hash::FxHashMap as HashMap;

/// Whether `program` gets a vector function: every statement is
/// arithmetic, a comparison, a select or a math function. A native call
/// (`contain`, `check_collision`, ...) takes its arguments through memory,
/// one environment at a time, so programs with one keep the scalar code.
pub fn vectorizable(program: &Program) -> bool {
    !program.pre.iter().chain(&program.post).any(|s| matches!(s.inst, Inst::Call { .. }))
}

/// f64x2 vectors per IR value: environments per step are twice this. The
/// code is written for any number. Two groups (four environments per step,
/// two independent dependency chains interleaved) measured 15% faster than
/// one on PickCube and 27% on close lid, whose vectors stay in registers
/// now that a step has no per-lane stage machine; three were no faster
/// than two (BENCHMARKS.md, 2026-12-04). The cost is twice the optimised
/// code to compile, which a hot program does once, off the first call.
pub const GROUPS: usize = 2;
/// Environments per step.
pub const LANES: usize = 2 * GROUPS;

/// One IR value for the step's environments: group g holds lanes 2g, 2g+1.
type W = [Value; GROUPS];

pub struct LaneTranslator<'a, 'b> {
    pub(super) b: FunctionBuilder<'b>,
    program: &'a Program,
    ptr: Type,
    /// The scalar function of the same program, in the same module.
    scalar: FuncRef,
    /// Where a sub-batch's argument block is built for `scalar`.
    args_slot: Option<StackSlot>,
    flags: MemFlagsData,
    /// The vectors of each numeric IR value.
    values: Vec<Option<W>>,
    /// The i64x2 lane masks of each boolean IR value.
    masks: Vec<Option<W>>,
    numeric: Vec<bool>,
    loads: Vec<Option<u32>>,
    consts: HashMap<(Block, Type, u64), W>,
    /// The function's constant table (16 bytes per constant, both lanes),
    /// its address, and what it holds: see [`Self::constant_bits`].
    table: GlobalValue,
    table_base: Option<Value>,
    table_entries: Vec<u64>,
    table_index: HashMap<u64, u32>,
    /// IR values that are constants: emitted where each use is.
    ir_consts: Vec<Option<f64>>,
    /// What is known of each IR value in the step's finite path, where
    /// every observation slot is proved finite.
    facts: Vec<Facts>,
    slot_cache: HashMap<(Block, u32), W>,
    /// Every observation slot the program reads.
    read_slots: std::collections::BTreeSet<u32>,
    /// The step's observation rows, one per lane.
    rows: Option<[Value; LANES]>,
    /// Host addresses, for the printed CLIF (see `Translator::symbols`).
    pub symbols: Vec<(usize, String)>,
}

/// The loop index (the step's first environment) and the argument block.
struct Step {
    i: Value,
    args: Value,
}

impl<'a, 'b> LaneTranslator<'a, 'b> {
    pub fn new(b: FunctionBuilder<'b>, program: &'a Program, ptr: Type, scalar: FuncRef, table: GlobalValue) -> LaneTranslator<'a, 'b> {
        LaneTranslator {
            b,
            program,
            ptr,
            scalar,
            args_slot: None,
            flags: MemFlagsData::trusted(),
            values: vec![None; program.num_values as usize],
            masks: vec![None; program.num_values as usize],
            numeric: numeric_uses(program),
            loads: vec![None; program.num_values as usize],
            consts: HashMap::default(),
            table,
            table_base: None,
            table_entries: Vec::new(),
            table_index: HashMap::default(),
            ir_consts: vec![None; program.num_values as usize],
            facts: finite_path_facts(program),
            slot_cache: HashMap::default(),
            read_slots: program.pre.iter().chain(&program.post).filter_map(|s| if let Inst::Load(o) = s.inst { Some(o) } else { None }).collect(),
            rows: None,
            symbols: Vec::new(),
        }
    }

    /// Emits the whole function: steps of [`LANES`] environments while
    /// that many remain, then the scalar function for the rest. Returns the
    /// builder, the host symbols called and the constant table's contents
    /// (one 64-bit pattern per 16-byte entry, in both its halves).
    pub fn translate(mut self) -> (FunctionBuilder<'b>, Vec<(usize, String)>, Vec<u64>) {
        let words = 10; // the fields of `BatchArgs`
        let data = StackSlotData::new(StackSlotKind::ExplicitSlot, words * 8, 3);
        self.args_slot = Some(self.b.create_sized_stack_slot(data));
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let args = self.b.block_params(entry)[0];
        self.table_base = Some(self.b.ins().symbol_value(self.ptr, self.table));
        let i_var = self.b.declare_var(types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(i_var, zero);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let fallback = self.b.create_block();
        let next = self.b.create_block();
        let tail = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(header);
        let i = self.b.use_var(i_var);
        let n = self.b.ins().load(types::I64, self.flags, args, field::N);
        let step_end = self.b.ins().iadd_imm_u(i, LANES as i64);
        let step_left = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, step_end, n);
        self.b.ins().brif(step_left, body, &[], tail, &[]);

        self.b.switch_to_block(body);
        let step = Step { i, args };
        if self.program.reward.is_some() {
            self.translate_reward(&step, next, fallback);
        } else {
            self.translate_check(&step, next, fallback);
        }

        self.b.switch_to_block(fallback);
        let i = self.b.use_var(i_var);
        let step = self.b.ins().iconst(types::I64, LANES as i64);
        self.call_scalar(args, i, step);
        self.b.ins().jump(next, &[]);

        self.b.switch_to_block(next);
        let i = self.b.use_var(i_var);
        let i_next = self.b.ins().iadd_imm_u(i, LANES as i64);
        self.b.def_var(i_var, i_next);
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(tail);
        let i = self.b.use_var(i_var);
        let n = self.b.ins().load(types::I64, self.flags, args, field::N);
        let some_left = self.b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        let last = self.b.create_block();
        self.b.ins().brif(some_left, last, &[], exit, &[]);
        self.b.switch_to_block(last);
        let rest = self.b.ins().isub(n, i);
        self.call_scalar(args, i, rest);
        self.b.ins().jump(exit, &[]);

        self.b.switch_to_block(exit);
        self.b.ins().return_(&[]);
        self.b.seal_all_blocks();
        (self.b, self.symbols, self.table_entries)
    }

    /// Runs the scalar function on environments `i .. i + count`: an
    /// argument block whose pointers start at environment `i`.
    fn call_scalar(&mut self, args: Value, i: Value, count: Value) {
        let Some(slot) = self.args_slot else { return };
        let sub = self.b.ins().stack_addr(self.ptr, slot, 0);
        self.b.ins().store(self.flags, count, sub, field::N);
        let w = i64::from(self.program.layout.width);
        let terms = self.program.term_names().len() as i64;
        let outputs: i64 = self.program.outputs.iter().map(|o| o.values.len() as i64).sum();
        let rows = [
            (field::OBS, w * 8),
            (field::STAGE, 4),
            (field::COUNT, 4),
            (field::REWARD, 8),
            (field::NORMALIZED, 8),
            (field::TERMS, terms * 8),
            (field::PROGRESS, 8),
            (field::FLAGS, 1),
            (field::OUTPUTS, outputs * 8),
        ];
        for (f, row_bytes) in rows {
            // A check's reward pointers are null: offset, never dereferenced.
            let base = self.b.ins().load(self.ptr, self.flags, args, f);
            let at = element(&mut self.b, base, i, row_bytes);
            self.b.ins().store(self.flags, at, sub, f);
        }
        self.b.ins().call(self.scalar, &[sub]);
        self.after_call();
    }

    // ------------------------------------------------------------ helpers

    fn field_ptr(&mut self, step: &Step, offset: i32) -> Value {
        self.b.ins().load(self.ptr, self.flags, step.args, offset)
    }

    /// An operation applied to each group.
    fn map1(&mut self, x: W, mut f: impl FnMut(&mut FunctionBuilder<'b>, Value) -> Value) -> W {
        std::array::from_fn(|g| f(&mut self.b, x[g]))
    }

    fn map2(&mut self, x: W, y: W, mut f: impl FnMut(&mut FunctionBuilder<'b>, Value, Value) -> Value) -> W {
        std::array::from_fn(|g| f(&mut self.b, x[g], y[g]))
    }

    /// A constant in every lane. Zero and all-ones are built in a register
    /// (one instruction, kept for the block). Any other is loaded from the
    /// function's constant table right where it is used, one load for the
    /// groups' neighbouring instructions: a short-lived register. Cranelift's
    /// `vconst` would be loaded at each block's first use and held there:
    /// polynomial coefficients held in registers forced spills. (A load per
    /// group, each used once, would rarely fold into its instruction as a
    /// memory operand: Cranelift folds a load only if nothing computed from
    /// it is used twice, and nearly every value here feeds one that is.
    /// Measured, one shared load is 9% fewer instructions.)
    fn constant_bits(&mut self, ty: Type, bits: u64) -> W {
        let Some(block) = self.b.current_block() else { unreachable!("constants are emitted inside a block") };
        let (Some(base), false) = (self.table_base, bits == 0 || bits == u64::MAX) else {
            let key = (block, ty, bits);
            if let Some(v) = self.consts.get(&key) {
                return *v;
            }
            let bytes: Vec<u8> = [bits.to_le_bytes(), bits.to_le_bytes()].concat();
            let c = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
            let v = self.b.ins().vconst(ty, c);
            self.consts.insert(key, [v; GROUPS]);
            return [v; GROUPS];
        };
        let next = self.table_entries.len() as u32;
        let index = *self.table_index.entry(bits).or_insert(next);
        if index == next {
            self.table_entries.push(bits);
        }
        let table = MemFlagsData::new().with_notrap().with_readonly().with_can_move().with_aligned();
        let v = self.b.ins().load(ty, table, base, (index * 16) as i32);
        [v; GROUPS]
    }

    /// `x` in every lane.
    pub(super) fn splat(&mut self, x: f64) -> W {
        self.constant_bits(types::F64X2, x.to_bits())
    }

    /// The same 64 bits in every lane, as i64x2s.
    pub(super) fn splat_i64(&mut self, x: i64) -> W {
        self.constant_bits(types::I64X2, x as u64)
    }

    /// `|x|` per lane: the sign bit cleared with a constant mask (Cranelift's
    /// vector `fabs` builds its mask anew each time, three instructions).
    pub(super) fn abs(&mut self, x: W) -> W {
        let magnitude = self.constant_bits(types::F64X2, !(1u64 << 63));
        self.map2(x, magnitude, |b, x, m| b.ins().band(x, m))
    }

    /// `-x` per lane: the sign bit flipped (as `abs`, for `fneg`).
    fn neg(&mut self, x: W) -> W {
        let sign = self.splat(-0.0);
        self.map2(x, sign, |b, x, s| b.ins().bxor(x, s))
    }

    /// Masks reinterpreted as f64x2 bits, for `bitselect` and `band`.
    pub(super) fn mask_bits(&mut self, mask: W) -> W {
        self.map1(mask, |b, m| b.ins().bitcast(types::F64X2, MemFlagsData::new().with_endianness(codegen::ir::Endianness::Little), m))
    }

    /// `if mask { x } else { y }` per lane.
    pub(super) fn lane_select(&mut self, mask: W, x: W, y: W) -> W {
        let m = self.mask_bits(mask);
        std::array::from_fn(|g| self.b.ins().bitselect(m[g], x[g], y[g]))
    }

    pub(super) fn fadd(&mut self, x: W, y: W) -> W {
        self.map2(x, y, |b, x, y| b.ins().fadd(x, y))
    }

    pub(super) fn fsub(&mut self, x: W, y: W) -> W {
        self.map2(x, y, |b, x, y| b.ins().fsub(x, y))
    }

    pub(super) fn fmul(&mut self, x: W, y: W) -> W {
        self.map2(x, y, |b, x, y| b.ins().fmul(x, y))
    }

    pub(super) fn fdiv(&mut self, x: W, y: W) -> W {
        self.map2(x, y, |b, x, y| b.ins().fdiv(x, y))
    }

    pub(super) fn fcmp(&mut self, cc: FloatCC, x: W, y: W) -> W {
        self.map2(x, y, |b, x, y| b.ins().fcmp(cc, x, y))
    }

    fn v(&mut self, x: crate::ir::Value) -> W {
        if let Some(c) = self.ir_consts.get(x.0 as usize).copied().flatten() {
            return self.splat(c);
        }
        match self.loads.get(x.0 as usize).copied().flatten() {
            Some(o) => self.slot(o),
            None => match self.values.get(x.0 as usize).copied().flatten() {
                Some(v) => v,
                None => unreachable!("IR value v{} is used before it is defined", x.0),
            },
        }
    }

    /// The lane masks of an IR value: its own if it is a boolean computed
    /// here, else `x != 0` per lane (NaN is true, as in the scalar code).
    fn mask(&mut self, x: crate::ir::Value) -> W {
        match self.masks.get(x.0 as usize).copied().flatten() {
            Some(m) => m,
            None => {
                let v = self.v(x);
                let zero = self.splat(0.0);
                self.fcmp(FloatCC::NotEqual, v, zero)
            }
        }
    }

    /// Whether any lane of `mask` is set, as an i8.
    fn any(&mut self, mask: W) -> Value {
        let m = mask[1..].iter().fold(mask[0], |m, x| self.b.ins().bor(m, *x));
        self.b.ins().vany_true(m)
    }

    /// Whether every lane of `mask` is set, as an i8.
    fn all(&mut self, mask: W) -> Value {
        let m = mask[1..].iter().fold(mask[0], |m, x| self.b.ins().band(m, *x));
        self.b.ins().vall_true(m)
    }

    /// Lane `lane` of a value (f64) or a mask (i64).
    fn lane(&mut self, x: W, lane: usize) -> Value {
        self.b.ins().extractlane(x[lane / 2], (lane % 2) as u8)
    }

    fn define_bool(&mut self, dest: u32, mask: W) {
        set(&mut self.masks, dest, mask);
        if self.numeric.get(dest as usize).copied().unwrap_or(true) {
            let bits = self.mask_bits(mask);
            let one = self.splat(1.0);
            let f = self.map2(bits, one, |b, m, o| b.ins().band(m, o));
            set(&mut self.values, dest, f);
        }
    }

    /// Scalars, one per lane, as one value.
    fn join(&mut self, lanes: [Value; LANES]) -> W {
        std::array::from_fn(|g| {
            let v = self.b.ins().scalar_to_vector(types::F64X2, lanes[2 * g]);
            self.b.ins().insertlane(v, lanes[2 * g + 1], 1)
        })
    }

    /// Observation slot `o` of the step's environments, gathered from their
    /// rows in the block that first needs it (as the scalar code loads it).
    fn slot(&mut self, o: u32) -> W {
        let block = self.b.current_block();
        if let Some(block) = block
            && let Some(v) = self.slot_cache.get(&(block, o))
        {
            return *v;
        }
        let Some(rows) = self.rows else { unreachable!("observation slots are read after the finiteness check") };
        let unaligned = MemFlagsData::new().with_notrap();
        // Two components of one vector field (x and y of a position, the
        // halves of a quaternion), read together as a rule, are gathered
        // together: each row's 16-byte load of both, and per group an
        // unpack of the low halves and one of the high halves, two
        // instructions per slot and group instead of three.
        if let Some(first) = self.partnered(o)
            && block.is_none_or(|b| !self.slot_cache.contains_key(&(b, first)) && !self.slot_cache.contains_key(&(b, first + 1)))
        {
            let groups: [[Value; 2]; GROUPS] = std::array::from_fn(|g| {
                let [a, b] = [rows[2 * g], rows[2 * g + 1]].map(|row| self.b.ins().load(types::F64X2, unaligned, row, (first * 8) as i32));
                self.unpack(a, b)
            });
            let pair: [W; 2] = std::array::from_fn(|k| std::array::from_fn(|g| groups[g][k]));
            if let Some(block) = block {
                self.slot_cache.insert((block, first), pair[0]);
                self.slot_cache.insert((block, first + 1), pair[1]);
            }
            return pair[(o - first) as usize];
        }
        // Each group's first lane by a 16-byte load of slots o and o + 1
        // of its first row (in bounds: its second row follows), its second
        // lane inserted from the second row: three instructions, where
        // `scalar_to_vector` of a load takes four.
        let v: W = std::array::from_fn(|g| {
            let v = self.b.ins().load(types::F64X2, unaligned, rows[2 * g], (o * 8) as i32);
            let c = self.b.ins().load(types::F64, self.flags, rows[2 * g + 1], (o * 8) as i32);
            self.b.ins().insertlane(v, c, 1)
        });
        if let Some(block) = block {
            self.slot_cache.insert((block, o), v);
        }
        v
    }

    /// `[a0, b0]` and `[a1, b1]` from f64x2s `a` and `b`: one
    /// `punpcklqdq` and one `punpckhqdq`. Transposes two values of two
    /// environments into two environments' two values, and back.
    fn unpack(&mut self, a: Value, b: Value) -> [Value; 2] {
        let little = MemFlagsData::new().with_endianness(codegen::ir::Endianness::Little);
        let lows = self.b.func.dfg.immediates.push(ConstantData::from((0u8..8).chain(16..24).collect::<Vec<u8>>()));
        let highs = self.b.func.dfg.immediates.push(ConstantData::from((8u8..16).chain(24..32).collect::<Vec<u8>>()));
        let [a, b] = [a, b].map(|v| self.b.ins().bitcast(types::I8X16, little, v));
        [lows, highs].map(|mask| {
            let v = self.b.ins().shuffle(a, b, mask);
            self.b.ins().bitcast(types::F64X2, little, v)
        })
    }

    /// The first of the two slots gathered with `o` (see [`Self::slot`]):
    /// components 2k and 2k + 1 of a vector field, both read by the
    /// program.
    fn partnered(&self, o: u32) -> Option<u32> {
        let (field, comp) = self.program.layout.field_at(o)?;
        let first = o - comp % 2;
        let both_read = first + 1 < field.offset + field.width && self.read_slots.contains(&first) && self.read_slots.contains(&(first + 1));
        both_read.then_some(first)
    }

    fn after_call(&mut self) {
        self.slot_cache.clear();
        self.consts.clear();
    }

    /// A host math function, called once per lane.
    fn call_host(&mut self, address: usize, params: &[W]) -> W {
        let sig = math_signature(self.b.func.signature.call_conv, params.len());
        let sig_ref = self.b.import_signature(sig);
        let lanes: [Value; LANES] = std::array::from_fn(|lane| {
            let scalars: Vec<Value> = params.iter().map(|p| self.lane(*p, lane)).collect();
            let callee = self.b.ins().iconst(self.ptr, address as i64);
            let call = self.b.ins().call_indirect(sig_ref, callee, &scalars);
            self.b.inst_results(call)[0]
        });
        self.after_call();
        self.join(lanes)
    }

    /// Sets the step's rows and returns an i8 that is 1 only if every slot
    /// of every row is finite: their sum is. An infinity or a NaN anywhere
    /// makes the sum infinite or NaN, so a finite sum proves the rows
    /// finite; a sum that overflows though every slot is finite only sends
    /// the step to the scalar function, which checks slot by slot. Half the
    /// instructions of the scalar code's exact `x - x` test.
    fn check_observations(&mut self, step: &Step) -> Value {
        let width = i64::from(self.program.layout.width);
        let obs = self.field_ptr(step, field::OBS);
        let row0 = element(&mut self.b, obs, step.i, width * 8);
        let rows: [Value; LANES] = std::array::from_fn(|l| if l == 0 { row0 } else { self.b.ins().iadd_imm_u(row0, l as i64 * width * 8) });
        self.rows = Some(rows);
        // The rows are contiguous: LANES * width slots from row0.
        let vector = MemFlagsData::new().with_notrap().with_readonly().with_can_move();
        let mut acc: Vec<Value> = Vec::with_capacity(4);
        for p in 0..width * GROUPS as i64 {
            let x = self.b.ins().load(types::F64X2, vector, row0, (p * 16) as i32);
            let k = p as usize % 4;
            if k < acc.len() {
                acc[k] = self.b.ins().fadd(acc[k], x);
            } else {
                acc.push(x);
            }
        }
        match sum_tree(&mut self.b, acc) {
            Some(sum) => {
                // `sum * 0` is zero iff the sum is finite. Unlike `sum -
                // sum`, it reads the sum once, which lets Cranelift fold
                // every load of the sum's tree into its addition (a value
                // read twice makes all it is computed from "used more than
                // once", and a load so marked stays a separate instruction).
                let zero = self.splat(0.0)[0];
                let d = self.b.ins().fmul(sum, zero);
                let finite = self.b.ins().fcmp(FloatCC::Equal, d, zero);
                self.b.ins().vall_true(finite)
            }
            None => self.b.ins().iconst(types::I8, 1),
        }
    }

    /// i8 1 iff every lane of `x` is finite (`x - x` is 0, not NaN).
    fn all_finite(&mut self, x: W) -> Value {
        let d = self.fsub(x, x);
        let zero = self.splat(0.0);
        let finite = self.fcmp(FloatCC::Equal, d, zero);
        self.all(finite)
    }

    // --------------------------------------------------------- statements

    /// The post block, each gated term's exclusive cone computed only when
    /// its `when` holds in any lane (see `Translator::translate_post`).
    fn translate_post(&mut self, stmts: &[Stmt], stage: W) {
        let program = self.program;
        let Some(spec) = &program.reward else {
            return self.translate_stmts(&stmts.iter().collect::<Vec<_>>(), stage);
        };
        let term_selects: Vec<u32> = spec.terms.iter().map(|t| t.value.0).collect();
        let cones = sink::cones(program, stmts, &term_selects);
        let mut pending: Vec<&Stmt> = Vec::new();
        for s in stmts {
            if cones.sunk.contains(&s.dest.0) {
                continue;
            }
            let Some(cone) = cones.by_select.get(&s.dest.0) else {
                pending.push(s);
                continue;
            };
            self.translate_stmts(&pending, stage);
            pending.clear();
            let Inst::Select(c, a, b) = s.inst else { unreachable!("cones are built for selects only") };
            let mask = self.mask(c);
            let any = self.any(mask);
            let then = self.b.create_block();
            let merge = self.b.create_block();
            let merged: W = std::array::from_fn(|_| self.b.append_block_param(merge, types::F64X2));
            let otherwise = self.v(b);
            let args: Vec<codegen::ir::BlockArg> = otherwise.iter().map(|v| codegen::ir::BlockArg::Value(*v)).collect();
            self.b.ins().brif(any, then, &[], merge, &args);
            self.b.switch_to_block(then);
            let body: Vec<&Stmt> = stmts.iter().filter(|x| cone.contains(&x.dest.0)).collect();
            self.translate_stmts(&body, stage);
            let value = self.v(a);
            let otherwise = self.v(b);
            let chosen = self.lane_select(mask, value, otherwise);
            let args: Vec<codegen::ir::BlockArg> = chosen.iter().map(|v| codegen::ir::BlockArg::Value(*v)).collect();
            self.b.ins().jump(merge, &args);
            self.b.switch_to_block(merge);
            set(&mut self.values, s.dest.0, merged);
        }
        self.translate_stmts(&pending, stage);
    }

    /// `stage` is the step's stages as f64 lanes (0.0 in the pre block).
    fn translate_stmts(&mut self, stmts: &[&Stmt], stage: W) {
        for s in stmts.iter().copied() {
            let d = s.dest.0;
            let r = match &s.inst {
                Inst::Const(c) => {
                    set(&mut self.ir_consts, d, *c);
                    continue;
                }
                Inst::Load(o) => {
                    set(&mut self.loads, d, *o);
                    continue;
                }
                Inst::Neg(x) => {
                    let x = self.v(*x);
                    self.neg(x)
                }
                Inst::Unary(op, x) => {
                    let x = self.v(*x);
                    self.translate_unary(*op, x)
                }
                Inst::Binary(Bin::Math(m @ (Math2::Min | Math2::Max)), x, y) => self.translate_min_max(*m, *x, *y),
                Inst::Binary(op, x, y) => {
                    let (x, y) = (self.v(*x), self.v(*y));
                    self.translate_binary(*op, x, y)
                }
                Inst::Compare(c, x, y) => {
                    let (x, y) = (self.v(*x), self.v(*y));
                    let m = self.fcmp(float_cc(*c), x, y);
                    self.define_bool(d, m);
                    continue;
                }
                Inst::Not(x) => {
                    let m = self.mask(*x);
                    let m = self.map1(m, |b, m| b.ins().bnot(m));
                    self.define_bool(d, m);
                    continue;
                }
                Inst::And(x, y) | Inst::Or(x, y) => {
                    let (mx, my) = (self.mask(*x), self.mask(*y));
                    let m = if matches!(s.inst, Inst::And(..)) {
                        self.map2(mx, my, |b, x, y| b.ins().band(x, y))
                    } else {
                        self.map2(mx, my, |b, x, y| b.ins().bor(x, y))
                    };
                    self.define_bool(d, m);
                    continue;
                }
                Inst::Select(c, x, y) => {
                    let m = self.mask(*c);
                    let (x, y) = (self.v(*x), self.v(*y));
                    self.lane_select(m, x, y)
                }
                Inst::StageDone(i) => {
                    let at = self.splat(f64::from(*i));
                    let m = self.fcmp(FloatCC::GreaterThan, stage, at);
                    self.define_bool(d, m);
                    continue;
                }
                Inst::Call { .. } => unreachable!("programs with native calls are not vectorised (`vectorizable`)"),
            };
            set(&mut self.values, d, r);
        }
    }

    /// IEEE 754-2019 minimum or maximum per lane, in the cheapest form
    /// that is exact for what the operands can be (see `min_max::form`).
    /// The safe normalisation of a quaternion takes the maximum of four
    /// absolute values; a shape's clamp is often of an already clamped value.
    fn translate_min_max(&mut self, m: Math2, x: crate::ir::Value, y: crate::ir::Value) -> W {
        let form = min_max::form(m, self.fact(x), self.fact(y));
        let v = [self.v(x), self.v(y)];
        match form {
            Form::Operand(a) => v[a],
            Form::LessOf(a, b) => {
                let less = self.fcmp(FloatCC::LessThan, v[a], v[b]);
                self.lane_select(less, v[a], v[b])
            }
            Form::GreaterOf(a, b) => {
                let less = self.fcmp(FloatCC::LessThan, v[b], v[a]);
                self.lane_select(less, v[a], v[b])
            }
            Form::Ieee if m == Math2::Min => self.map2(v[0], v[1], |b, x, y| b.ins().fmin(x, y)),
            Form::Ieee => self.map2(v[0], v[1], |b, x, y| b.ins().fmax(x, y)),
        }
    }

    fn fact(&self, x: crate::ir::Value) -> Facts {
        self.facts.get(x.0 as usize).copied().unwrap_or(Facts::UNKNOWN)
    }

    fn translate_unary(&mut self, op: Math1, x: W) -> W {
        match op {
            Math1::Abs => self.abs(x),
            Math1::Sqrt => self.map1(x, |b, x| b.ins().sqrt(x)),
            Math1::Tanh => crate::builtins::tanh::tanh(self, x),
            other => match host::unary_address(other) {
                Some(addr) => {
                    self.symbols.push((addr, format!("rwd_{}", format!("{other:?}").to_lowercase())));
                    self.call_host(addr, &[x])
                }
                None => x,
            },
        }
    }

    fn translate_binary(&mut self, op: Bin, x: W, y: W) -> W {
        match op {
            Bin::Add => self.fadd(x, y),
            Bin::Sub => self.fsub(x, y),
            Bin::Mul => self.fmul(x, y),
            Bin::Div => self.fdiv(x, y),
            Bin::Math(Math2::Min) => self.map2(x, y, |b, x, y| b.ins().fmin(x, y)),
            Bin::Math(Math2::Max) => self.map2(x, y, |b, x, y| b.ins().fmax(x, y)),
            Bin::Math(m) => match host::binary_address(m) {
                Some(addr) => {
                    self.symbols.push((addr, format!("rwd_{}", format!("{m:?}").to_lowercase())));
                    self.call_host(addr, &[x, y])
                }
                None => x,
            },
        }
    }

    // ------------------------------------------------------------- checks

    /// Checks the step's observations (to `fallback` if not all finite)
    /// and emits the pre block in the block where they are.
    fn translate_pre(&mut self, step: &Step, fallback: Block) {
        let ok = self.check_observations(step);
        let compute = self.b.create_block();
        self.b.ins().brif(ok, compute, &[], fallback, &[]);
        self.b.switch_to_block(compute);
        let program = self.program;
        let zero = self.splat(0.0);
        self.translate_stmts(&program.pre.iter().collect::<Vec<_>>(), zero);
    }

    fn translate_check(&mut self, step: &Step, next: Block, fallback: Block) {
        self.translate_pre(step, fallback);
        let program = self.program;
        let width: i64 = self.program.outputs.iter().map(|o| o.values.len() as i64).sum();
        let values: Vec<crate::ir::Value> = program.outputs.iter().flat_map(|o| o.values.iter().copied()).collect();
        let outs = self.field_ptr(step, field::OUTPUTS);
        let row0 = element(&mut self.b, outs, step.i, width * 8);
        for (k, v) in values.iter().enumerate() {
            let x = self.v(*v);
            for lane in 0..LANES {
                let xl = self.lane(x, lane);
                self.b.ins().store(self.flags, xl, row0, (lane as i64 * width * 8) as i32 + (k * 8) as i32);
            }
        }
        let valid = self.b.ins().iconst(types::I8, i64::from(FLAG_VALID));
        let flags = self.field_ptr(step, field::FLAGS);
        let at = self.b.ins().iadd(flags, step.i);
        for lane in 0..LANES {
            self.b.ins().store(self.flags, valid, at, lane as i32);
        }
        self.b.ins().jump(next, &[]);
    }

    // ------------------------------------------------------------ rewards

    fn translate_reward(&mut self, step: &Step, next: Block, fallback: Block) {
        let Some(spec) = self.program.reward.clone() else { return };
        let k = spec.stages.len() as u32;
        let n_terms = self.program.term_names().len() as i64;
        self.translate_pre(step, fallback);
        let program = self.program;

        let stage_base = self.field_ptr(step, field::STAGE);
        let stage_at = element(&mut self.b, stage_base, step.i, 4);
        let count_base = self.field_ptr(step, field::COUNT);
        let count_at = element(&mut self.b, count_base, step.i, 4);
        let stage = self.translate_quiet_stages(&spec, stage_at, fallback);

        // Post block, shaping, terms, reward.
        self.translate_post(&program.post, stage);
        let mut shape = self.splat(0.0);
        for (s, st_spec) in spec.stages.iter().enumerate() {
            let at = self.splat(s as f64);
            let here = self.fcmp(FloatCC::Equal, stage, at);
            let v = self.v(st_spec.shape);
            shape = self.lane_select(here, v, shape);
        }
        let mut terms = vec![stage, shape];
        // No bonus is paid or taken back in a quiet step: +0.0, as the
        // machine's sums start.
        for _ in spec.stages.iter().filter(|st| st.bonus.is_some()) {
            terms.push(self.splat(0.0));
        }
        for t in &spec.terms {
            terms.push(self.v(t.value));
        }
        let mut sum = self.splat(0.0);
        for t in &terms {
            sum = self.fadd(sum, *t);
        }
        let mut reward = sum;
        let success = match spec.success {
            Some(v) => self.mask(v),
            None if k > 0 => {
                let at = self.splat(f64::from(k));
                self.fcmp(FloatCC::Equal, stage, at)
            }
            None => self.splat_i64(0),
        };
        if let Some(sv) = spec.success_value {
            let x = self.v(sv);
            reward = self.lane_select(success, x, reward);
        }
        // Finite only if the reward and every term are: the terms' sum is
        // infinite or NaN if any term is, and the reward is that sum or the
        // success value. As with the observations, an overflow of finite
        // values only costs a trip through the scalar function.
        let both = self.fadd(reward, sum);
        let all_finite = self.all_finite(both);
        let store = self.b.create_block();
        self.b.ins().brif(all_finite, store, &[], fallback, &[]);

        self.b.switch_to_block(store);
        let (lo, hi) = spec.bounds;
        let normalized = if hi > lo {
            let lo_v = self.splat(lo);
            let span = self.splat(hi - lo);
            let x = self.fsub(reward, lo_v);
            let x = self.fdiv(x, span);
            self.clamp01(x)
        } else {
            self.splat(0.0)
        };
        let one = self.splat(1.0);
        let progress = if k > 0 {
            let shaped = self.fadd(stage, shape);
            let kf = self.splat(f64::from(k + 1));
            let x = self.fdiv(shaped, kf);
            let p = self.clamp01(x);
            self.lane_select(success, one, p)
        } else {
            let zero = self.splat(0.0);
            self.lane_select(success, one, zero)
        };
        // Two neighbouring environments' f64s are one unaligned 16-byte store.
        let unaligned = MemFlagsData::new().with_notrap();
        for (f, v) in [(field::REWARD, reward), (field::NORMALIZED, normalized), (field::PROGRESS, progress)] {
            let base = self.field_ptr(step, f);
            let at = element(&mut self.b, base, step.i, 8);
            for (g, x) in v.iter().enumerate() {
                self.b.ins().store(unaligned, *x, at, g as i32 * 16);
            }
        }
        // Terms are stored two at a time: terms t and t + 1 of a group's
        // two environments, unpacked into each environment's pair, one
        // 16-byte store each (an odd last term lane by lane).
        let terms_base = self.field_ptr(step, field::TERMS);
        let row0 = element(&mut self.b, terms_base, step.i, n_terms * 8);
        let row_bytes = (n_terms * 8) as i32;
        for (pair, chunk) in terms.chunks(2).enumerate() {
            let at = pair as i32 * 16;
            for g in 0..GROUPS {
                let rows = [2 * g, 2 * g + 1].map(|lane| lane as i32 * row_bytes + at);
                if let [a, b] = chunk {
                    let per_env = self.unpack(a[g], b[g]);
                    for (x, off) in per_env.into_iter().zip(rows) {
                        self.b.ins().store(unaligned, x, row0, off);
                    }
                } else {
                    for (k, off) in rows.into_iter().enumerate() {
                        let x = self.lane(chunk[0], 2 * g + k);
                        self.b.ins().store(self.flags, x, row0, off);
                    }
                }
            }
        }
        let flags_base = self.field_ptr(step, field::FLAGS);
        let flags_at = self.b.ins().iadd(flags_base, step.i);
        for lane in 0..LANES {
            let off = lane as i32 * 4;
            // A quiet step keeps the stage and resets the hold counter, but
            // for a finished machine, whose counter stays (the cascade does
            // not run). Without stages the state never changes: no stores.
            if k > 0 {
                let stage0 = self.b.ins().load(types::I32, self.flags, stage_at, off);
                let count0 = self.b.ins().load(types::I32, self.flags, count_at, off);
                let done = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, stage0, i64::from(k));
                let reset = self.b.ins().iconst(types::I32, 0);
                let count = self.b.ins().select(done, count0, reset);
                self.b.ins().store(self.flags, count, count_at, off);
            }
        }
        // flags = success | valid (a quiet step never regresses), per lane
        // in an i64x2, then the low byte of each lane gathered into four
        // bytes and stored at once.
        let (one, valid) = (self.splat_i64(1), self.splat_i64(i64::from(FLAG_VALID)));
        let per_group: W = std::array::from_fn(|g| {
            let f = self.b.ins().band(success[g], one[g]);
            self.b.ins().bor(f, valid[g])
        });
        let little = MemFlagsData::new().with_endianness(codegen::ir::Endianness::Little);
        let [a, b] = per_group.map(|f| self.b.ins().bitcast(types::I8X16, little, f));
        let low_bytes: Vec<u8> = [0u8, 8, 16, 24].into_iter().chain([0; 12]).collect();
        let low_bytes = self.b.func.dfg.immediates.push(ConstantData::from(low_bytes));
        let bytes = self.b.ins().shuffle(a, b, low_bytes);
        let bytes = self.b.ins().bitcast(types::I32X4, little, bytes);
        let four = self.b.ins().extractlane(bytes, 0);
        self.b.ins().store(unaligned, four, flags_at, 0);
        self.b.ins().jump(next, &[]);
    }

    /// The step's stages as f64 lanes, for a step in which no lane's stage
    /// machine acts; a step in which one does goes to `fallback`.
    ///
    /// Most steps change no machine: in every lane the current stage's
    /// gate is false and its hold (if any) holds, so the stage stays, the
    /// hold counter is reset and no bonus is paid or taken back. That is
    /// checked on the lanes at once, a compare per stage. A step where some
    /// lane's gate holds or hold fails (a few steps of an episode) is the
    /// scalar function's, which runs the machine per environment
    /// (`stages::emit`), as for a step with a non-finite value. A stored
    /// stage past the last (only a caller's own state holds one) is quiet,
    /// as in the machine: no stage there has a gate or a hold.
    fn translate_quiet_stages(&mut self, spec: &RewardSpec, stage_at: Value, fallback: Block) -> W {
        // Each group's two u32 stages are one 8-byte load, converted as
        // i32 by one `cvtdq2pd`: exact below 2^31; a stage from there on
        // reads negative, and falls back.
        let little = MemFlagsData::new().with_endianness(codegen::ir::Endianness::Little);
        let unaligned = MemFlagsData::new().with_notrap();
        let stored: W = std::array::from_fn(|g| {
            let pair = self.b.ins().load(types::I64, unaligned, stage_at, g as i32 * 8);
            let v = self.b.ins().scalar_to_vector(types::I64X2, pair);
            let v = self.b.ins().bitcast(types::I32X4, little, v);
            let wide = self.b.ins().swiden_low(v);
            self.b.ins().fcvt_from_sint(types::F64X2, wide)
        });
        let zero = self.splat(0.0);
        let mut acts = self.fcmp(FloatCC::LessThan, stored, zero);
        for (s, st) in spec.stages.iter().enumerate() {
            let mut moves = self.mask(st.gate);
            if let Some((held, _)) = st.hold {
                let held = self.mask(held);
                moves = self.map2(moves, held, |b, gate, held| b.ins().bor_not(gate, held));
            }
            let at = self.splat(s as f64);
            let here = self.fcmp(FloatCC::Equal, stored, at);
            let here_moves = self.map2(here, moves, |b, x, y| b.ins().band(x, y));
            acts = self.map2(acts, here_moves, |b, x, y| b.ins().bor(x, y));
        }
        let any_acts = self.any(acts);
        let quiet = self.b.create_block();
        self.b.ins().brif(any_acts, fallback, &[], quiet, &[]);
        self.b.switch_to_block(quiet);
        stored
    }

    /// max(min(x, 1), 0) per lane, for an `x` that is not NaN: the store
    /// block's normalized reward and progress, computed from a reward and
    /// terms just proved finite (a sum may overflow to an infinity, never
    /// to NaN). For such an `x`, `x < 1 ? x : 1` and then `0 < m ? m : 0`
    /// are exactly IEEE 754-2019 minimum and maximum (a -0.0 ends as +0.0
    /// in both), and Cranelift lowers each to one `minpd`/`maxpd` instead
    /// of the eight-instruction sequence NaN operands need.
    fn clamp01(&mut self, x: W) -> W {
        // Each constant loaded where it is used (see `constant_bits`).
        let one = self.splat(1.0);
        let below_one = self.fcmp(FloatCC::LessThan, x, one);
        let one = self.splat(1.0);
        let m = self.lane_select(below_one, x, one);
        let zero = self.splat(0.0);
        let positive = self.fcmp(FloatCC::LessThan, zero, m);
        self.lane_select(positive, m, zero)
    }
}
