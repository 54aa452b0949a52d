//! IR -> Cranelift IR for one program: a function that loops over a batch of
//! environments. One `Translator` per function, one `translate_*` method per
//! construct (the cranelift-jit-demo shape).
//!
//! Generated function: `extern "C" fn(args: *const BatchArgs)`; see
//! [`super::BatchArgs`] for the fields and their layout.

mod inline_math;
pub mod lanes;
mod min_max;
mod stages;

use super::host;
use super::sink;
use crate::builtins::{Math1, Math2};
use crate::ir::range::{Facts, Interval};
use crate::ir::{Bin, Cmp, Inst, Program, Stmt};
use cranelift::prelude::*;
use rustc_hash::FxHashMap as HashMap;

/// Byte offsets of [`super::BatchArgs`] fields (all 8 bytes wide).
mod field {
    pub const N: i32 = 0;
    pub const OBS: i32 = 8;
    pub const STAGE: i32 = 16;
    pub const COUNT: i32 = 24;
    pub const REWARD: i32 = 32;
    pub const NORMALIZED: i32 = 40;
    pub const TERMS: i32 = 48;
    pub const PROGRESS: i32 = 56;
    pub const FLAGS: i32 = 64;
    pub const OUTPUTS: i32 = 72;
}

/// Bits of the per-environment flags byte.
pub const FLAG_SUCCESS: u8 = 1;
pub const FLAG_VALID: u8 = 2;
pub const FLAG_REGRESSED: u8 = 4;

/// The loop index and the argument block.
struct Env {
    i: Value,
    args: Value,
}

pub struct Translator<'a, 'b> {
    b: FunctionBuilder<'b>,
    program: &'a Program,
    ptr: Type,
    /// The CLIF value of each IR value (indexed by IR value).
    values: Vec<Option<Value>>,
    /// Stack space for native-call arguments and results.
    call_slot: Option<codegen::ir::StackSlot>,
    flags: MemFlagsData,
    /// Host addresses baked into the code, with names, so the printed CLIF
    /// can show `%rwd_tanh` instead of an address that changes every run.
    pub symbols: Vec<(usize, String)>,
    /// Call signatures imported so far: each shape is imported once.
    signatures: HashMap<Signature, codegen::ir::SigRef>,
    /// The i8 condition (0 or 1) behind each boolean IR value (comparisons,
    /// `!`, `&&`, `||`, `done`): a condition used as a condition again
    /// (`select`, `&&`, a gate) is used directly, with no f64 0.0/1.0 in
    /// between and no compare against zero to get it back.
    conds: Vec<Option<Value>>,
    /// IR values used as numbers somewhere (arithmetic, stored, a select's
    /// operand, a call argument); only booleans in this set are turned into
    /// f64 0.0/1.0. Smaller functions compile faster at every tier.
    numeric: Vec<bool>,
    /// f64 constants already emitted in each block, so each block computes
    /// 0.0 and 1.0 once instead of once per comparison.
    consts: HashMap<(Block, u64), Value>,
    /// IR values that are observation loads, by slot (see [`Self::slot`]).
    loads: Vec<Option<u32>>,
    /// Slots already loaded in each block since the last call.
    slot_cache: HashMap<(Block, u32), Value>,
    /// This environment's observation row.
    row: Option<Value>,
    /// What is known of each IR value once the row is proved finite (the
    /// only path that computes anything): see `min_max`.
    facts: Vec<Facts>,
}

impl<'a, 'b> Translator<'a, 'b> {
    pub fn new(b: FunctionBuilder<'b>, program: &'a Program, ptr: Type) -> Translator<'a, 'b> {
        Translator {
            b,
            program,
            ptr,
            values: vec![None; program.num_values as usize],
            call_slot: None,
            flags: MemFlagsData::trusted(),
            symbols: Vec::new(),
            signatures: HashMap::default(),
            conds: vec![None; program.num_values as usize],
            numeric: numeric_uses(program),
            consts: HashMap::default(),
            loads: vec![None; program.num_values as usize],
            slot_cache: HashMap::default(),
            row: None,
            facts: crate::ir::range::finite_path_facts(program),
        }
    }

    /// Emits the whole function; returns the finished builder and the
    /// host symbols it uses.
    pub fn translate(mut self) -> (FunctionBuilder<'b>, Vec<(usize, String)>) {
        let ptr = self.ptr;
        let slot_words = max_call_words(self.program);
        if slot_words > 0 {
            let data = StackSlotData::new(StackSlotKind::ExplicitSlot, slot_words * 8, 3);
            self.call_slot = Some(self.b.create_sized_stack_slot(data));
        }
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let args = self.b.block_params(entry)[0];
        let i_var = self.b.declare_var(types::I64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.def_var(i_var, zero);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let next = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(header);
        let i = self.b.use_var(i_var);
        let n = self.b.ins().load(types::I64, self.flags, args, field::N);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        self.b.ins().brif(more, body, &[], exit, &[]);

        self.b.switch_to_block(body);
        let env = Env { i, args };
        if self.program.reward.is_some() {
            self.translate_reward(&env, next);
        } else {
            self.translate_check(&env, next);
        }

        self.b.switch_to_block(next);
        let i = self.b.use_var(i_var);
        let i1 = self.b.ins().iadd_imm_u(i, 1);
        self.b.def_var(i_var, i1);
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(exit);
        self.b.ins().return_(&[]);
        self.b.seal_all_blocks();
        let _ = ptr;
        (self.b, self.symbols)
    }

    // ------------------------------------------------------------ helpers

    /// A pointer from the argument block, loaded where it is used: kept in
    /// a register across the loop, each of the ten would be one more value
    /// live across every call, for the register allocator to split and
    /// spill (its work grows with them) and for the code to save and
    /// reload. A load from the argument block (in L1) is as cheap.
    fn field_ptr(&mut self, env: &Env, offset: i32) -> Value {
        self.b.ins().load(self.ptr, self.flags, env.args, offset)
    }

    fn f64c(&mut self, x: f64) -> Value {
        let Some(block) = self.b.current_block() else { return self.b.ins().f64const(x) };
        if let Some(v) = self.consts.get(&(block, x.to_bits())) {
            return *v;
        }
        let v = self.b.ins().f64const(x);
        self.consts.insert((block, x.to_bits()), v);
        v
    }

    /// Booleans are f64 0.0/1.0; anything non-zero (NaN included) is true.
    fn truthy(&mut self, x: Value) -> Value {
        let zero = self.f64c(0.0);
        self.b.ins().fcmp(FloatCC::NotEqual, x, zero)
    }

    /// The truth of an IR value as an i8 0/1: its condition if it is a
    /// boolean computed here, else `x != 0`.
    fn cond(&mut self, x: crate::ir::Value) -> Value {
        match self.conds.get(x.0 as usize).copied().flatten() {
            Some(c) => c,
            None => {
                let v = self.v(x);
                self.truthy(v)
            }
        }
    }

    /// Records the boolean `dest` as condition `c`, and as f64 0.0/1.0 too
    /// if it is ever used as a number.
    fn define_bool(&mut self, dest: u32, c: Value) {
        set(&mut self.conds, dest, c);
        if self.numeric.get(dest as usize).copied().unwrap_or(true) {
            let f = self.bool_to_f64(c);
            set(&mut self.values, dest, f);
        }
    }

    fn bool_to_f64(&mut self, c: Value) -> Value {
        let (one, zero) = (self.f64c(1.0), self.f64c(0.0));
        self.b.ins().select(c, one, zero)
    }

    /// The observation slot an IR value is a plain load of, if it is one.
    fn loaded_slot(&self, x: crate::ir::Value) -> Option<u32> {
        self.loads.get(x.0 as usize).copied().flatten()
    }

    fn v(&mut self, x: crate::ir::Value) -> Value {
        match self.loads.get(x.0 as usize).copied().flatten() {
            Some(o) => self.slot(o),
            None => match self.values.get(x.0 as usize).copied().flatten() {
                Some(v) => v,
                None => unreachable!("IR value v{} is used before it is defined", x.0),
            },
        }
    }

    fn import(&mut self, sig: Signature) -> codegen::ir::SigRef {
        if let Some(r) = self.signatures.get(&sig) {
            return *r;
        }
        let r = self.b.import_signature(sig.clone());
        self.signatures.insert(sig, r);
        r
    }

    fn call_host(&mut self, address: usize, params: &[Value]) -> Value {
        let sig = math_signature(self.b.func.signature.call_conv, params.len());
        let sig_ref = self.import(sig);
        let callee = self.b.ins().iconst(self.ptr, address as i64);
        let call = self.b.ins().call_indirect(sig_ref, callee, params);
        self.after_call();
        self.b.inst_results(call)[0]
    }

    /// Computes this environment's row address (for [`Self::slot`]) and
    /// returns an i8 that is 1 iff every slot of the row is finite.
    ///
    /// `x - x` is 0 for finite x and NaN for NaN and infinities, so the row
    /// is finite iff the sum of every `x - x` is 0. The sum is taken two
    /// slots at a time in f64x2 lanes, into four accumulators (short
    /// dependency chains, few live registers): about one and a half
    /// instructions per slot instead of a compare, two flag tests and an
    /// `and` each.
    fn check_observation(&mut self, env: &Env) -> Value {
        let width = self.program.layout.width as i64;
        let obs = self.field_ptr(env, field::OBS);
        let row = element(&mut self.b, obs, env.i, width * 8);
        self.row = Some(row);
        // Not `aligned`: a row starts at any multiple of 8 bytes, and an
        // aligned vector load may be folded into an instruction that faults
        // on a 16-byte misalignment. `readonly` and `can_move` are true (the
        // observation block is borrowed shared, the outputs exclusively, so
        // nothing writes it while the function runs); with Cranelift's
        // optimiser on they let it place each load next to its subtraction
        // instead of issuing all of them first and spilling the excess.
        let vector = MemFlagsData::new().with_notrap().with_readonly().with_can_move();
        let mut acc: Vec<Value> = Vec::with_capacity(4);
        for pair in 0..width / 2 {
            let x = self.b.ins().load(types::F64X2, vector, row, (pair * 16) as i32);
            let d = self.b.ins().fsub(x, x);
            let k = pair as usize % 4;
            if k < acc.len() {
                acc[k] = self.b.ins().fadd(acc[k], d);
            } else {
                acc.push(d);
            }
        }
        let mut scalars = Vec::with_capacity(3);
        if let Some(sum) = sum_tree(&mut self.b, acc) {
            for lane in 0..2u8 {
                scalars.push(self.b.ins().extractlane(sum, lane));
            }
        }
        if width % 2 == 1 {
            let scalar = MemFlagsData::trusted().with_readonly().with_can_move();
            let x = self.b.ins().load(types::F64, scalar, row, ((width - 1) * 8) as i32);
            scalars.push(self.b.ins().fsub(x, x));
        }
        match sum_tree(&mut self.b, scalars) {
            Some(d) => {
                let zero = self.f64c(0.0);
                self.b.ins().fcmp(FloatCC::Equal, d, zero)
            }
            None => self.b.ins().iconst(types::I8, 1),
        }
    }

    /// Observation slot `o` of this environment, loaded in the current
    /// block where it is first needed and again after every call, rather
    /// than once per environment and kept live: a value live across a call
    /// is spilled to the stack (calls clobber every vector register) and
    /// reloaded anyway, and a load from the row (in L1 since the finiteness
    /// check) costs the same as that reload without the spill. Short live
    /// ranges also make register allocation, the larger part of a compile,
    /// much cheaper.
    fn slot(&mut self, o: u32) -> Value {
        let block = self.b.current_block();
        if let Some(block) = block
            && let Some(v) = self.slot_cache.get(&(block, o))
        {
            return *v;
        }
        let Some(row) = self.row else { unreachable!("observation slots are read after the finiteness check") };
        let v = self.b.ins().load(types::F64, self.flags, row, (o * 8) as i32);
        if let Some(block) = block {
            self.slot_cache.insert((block, o), v);
        }
        v
    }

    /// Forgets the slots and constants held in registers: called after
    /// every call, for the reason given at [`Self::slot`].
    fn after_call(&mut self) {
        self.slot_cache.clear();
        self.consts.clear();
    }

    fn translate_block(&mut self, stmts: &[Stmt], stage: Option<Value>) {
        let refs: Vec<&Stmt> = stmts.iter().collect();
        self.translate_stmts(&refs, stage);
    }

    /// The post block, with each gated term's value computed only when its
    /// `when` holds: the statements that only that value needs (its
    /// exclusive cone) are sunk into a conditional block. The select would
    /// discard them otherwise, so results are unchanged; the work is skipped,
    /// as a hand-written `if` would skip it.
    fn translate_post(&mut self, stmts: &[Stmt], stage: Value) {
        let program = self.program;
        let Some(spec) = &program.reward else {
            return self.translate_block(stmts, Some(stage));
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
            self.translate_stmts(&pending, Some(stage));
            pending.clear();
            let Inst::Select(c, a, b) = s.inst else { unreachable!("cones are built for selects only") };
            let t = self.cond(c);
            let then = self.b.create_block();
            let merge = self.b.create_block();
            let merged = self.b.append_block_param(merge, types::F64);
            let otherwise = self.v(b);
            self.b.ins().brif(t, then, &[], merge, &[codegen::ir::BlockArg::Value(otherwise)]);
            self.b.switch_to_block(then);
            let body: Vec<&Stmt> = stmts.iter().filter(|x| cone.contains(&x.dest.0)).collect();
            self.translate_stmts(&body, Some(stage));
            let value = self.v(a);
            self.b.ins().jump(merge, &[codegen::ir::BlockArg::Value(value)]);
            self.b.switch_to_block(merge);
            set(&mut self.values, s.dest.0, merged);
        }
        self.translate_stmts(&pending, Some(stage));
    }

    fn translate_stmts(&mut self, stmts: &[&Stmt], stage: Option<Value>) {
        for s in stmts.iter().copied() {
            let d = s.dest.0;
            let r = match &s.inst {
                Inst::Const(c) => self.f64c(*c),
                Inst::Load(o) => {
                    set(&mut self.loads, d, *o);
                    continue;
                }
                Inst::Neg(x) => {
                    let x = self.v(*x);
                    self.b.ins().fneg(x)
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
                    let c = self.b.ins().fcmp(float_cc(*c), x, y);
                    self.define_bool(d, c);
                    continue;
                }
                Inst::Not(x) => {
                    let t = self.cond(*x);
                    // Conditions are 0 or 1, so xor with 1 is `not`.
                    let c = self.b.ins().bxor_imm_u(t, 1);
                    self.define_bool(d, c);
                    continue;
                }
                Inst::And(x, y) | Inst::Or(x, y) => {
                    let (tx, ty) = (self.cond(*x), self.cond(*y));
                    let c = if matches!(s.inst, Inst::And(..)) { self.b.ins().band(tx, ty) } else { self.b.ins().bor(tx, ty) };
                    self.define_bool(d, c);
                    continue;
                }
                Inst::Select(c, x, y) => {
                    let t = self.cond(*c);
                    let (x, y) = (self.v(*x), self.v(*y));
                    self.b.ins().select(t, x, y)
                }
                Inst::StageDone(i) => {
                    let stage = stage.unwrap_or_else(|| self.b.ins().iconst(types::I32, 0));
                    let c = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, stage, i64::from(*i));
                    self.define_bool(d, c);
                    continue;
                }
                Inst::Call { func, args, outputs, name } => {
                    self.symbols.push((*func as usize, format!("native_{name}")));
                    self.translate_call(*func as usize, args, *outputs, d);
                    continue;
                }
            };
            set(&mut self.values, d, r);
        }
    }

    fn translate_unary(&mut self, op: Math1, x: Value) -> Value {
        match op {
            Math1::Abs => self.b.ins().fabs(x),
            Math1::Sqrt => self.b.ins().sqrt(x),
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

    /// IEEE 754-2019 minimum or maximum in the cheapest form that is exact
    /// for what the operands can be (see `min_max::form`): a compare and
    /// select is one `minsd`/`maxsd`.
    fn translate_min_max(&mut self, m: Math2, x: crate::ir::Value, y: crate::ir::Value) -> Value {
        let facts = [self.fact(x), self.fact(y)];
        let v = [self.v(x), self.v(y)];
        self.min_max(m, v, facts)
    }

    fn fact(&self, v: crate::ir::Value) -> Facts {
        self.facts.get(v.0 as usize).copied().unwrap_or(Facts::UNKNOWN)
    }

    /// `m(v[0], v[1])` for operands with `facts`.
    fn min_max(&mut self, m: Math2, v: [Value; 2], facts: [Facts; 2]) -> Value {
        match min_max::form(m, facts[0], facts[1]) {
            min_max::Form::Operand(a) => v[a],
            min_max::Form::LessOf(a, b) => {
                let less = self.b.ins().fcmp(FloatCC::LessThan, v[a], v[b]);
                self.b.ins().select(less, v[a], v[b])
            }
            min_max::Form::GreaterOf(a, b) => {
                let less = self.b.ins().fcmp(FloatCC::LessThan, v[b], v[a]);
                self.b.ins().select(less, v[a], v[b])
            }
            min_max::Form::Ieee => self.translate_binary(Bin::Math(m), v[0], v[1]),
        }
    }

    fn translate_binary(&mut self, op: Bin, x: Value, y: Value) -> Value {
        match op {
            Bin::Add => self.b.ins().fadd(x, y),
            Bin::Sub => self.b.ins().fsub(x, y),
            Bin::Mul => self.b.ins().fmul(x, y),
            Bin::Div => self.b.ins().fdiv(x, y),
            Bin::Math(Math2::Min) => self.b.ins().fmin(x, y),
            Bin::Math(Math2::Max) => self.b.ins().fmax(x, y),
            Bin::Math(m) => match host::binary_address(m) {
                Some(addr) => {
                    self.symbols.push((addr, format!("rwd_{}", format!("{m:?}").to_lowercase())));
                    self.call_host(addr, &[x, y])
                }
                None => x,
            },
        }
    }

    /// Writes the arguments to the stack slot, calls the native through the
    /// shim, and reads the results back.
    fn translate_call(&mut self, func: usize, args: &[crate::ir::Value], outputs: u32, dest: u32) {
        let Some(slot) = self.call_slot else { return };
        let base = self.b.ins().stack_addr(self.ptr, slot, 0);
        // Arguments are mostly whole objects read straight from the
        // observation (pose, rotation, half extents): two neighbouring
        // slots are copied with one 16-byte load and store (not `aligned`:
        // neither address need be a multiple of 16).
        let unaligned = MemFlagsData::new().with_notrap();
        let mut k = 0;
        while k < args.len() {
            let pair = match (self.loaded_slot(args[k]), args.get(k + 1).and_then(|a| self.loaded_slot(*a))) {
                (Some(o), Some(o1)) if o1 == o + 1 => self.row.map(|row| (row, o)),
                _ => None,
            };
            if let Some((row, o)) = pair {
                let v = self.b.ins().load(types::F64X2, unaligned, row, (o * 8) as i32);
                self.b.ins().store(unaligned, v, base, (k * 8) as i32);
                k += 2;
            } else {
                let v = self.v(args[k]);
                self.b.ins().store(self.flags, v, base, (k * 8) as i32);
                k += 1;
            }
        }
        let out = self.b.ins().iadd_imm_u(base, (args.len() * 8) as i64);
        let mut sig = Signature::new(self.b.func.signature.call_conv);
        for _ in 0..5 {
            sig.params.push(AbiParam::new(self.ptr));
        }
        let sig_ref = self.import(sig);
        self.symbols.push((host::call_native_address(), "rwd_call_native".to_string()));
        let callee = self.b.ins().iconst(self.ptr, host::call_native_address() as i64);
        let f = self.b.ins().iconst(self.ptr, func as i64);
        let n_args = self.b.ins().iconst(self.ptr, args.len() as i64);
        let n_out = self.b.ins().iconst(self.ptr, i64::from(outputs));
        self.b.ins().call_indirect(sig_ref, callee, &[f, base, n_args, out, n_out]);
        self.after_call();
        for k in 0..outputs {
            let v = self.b.ins().load(types::F64, self.flags, out, (k * 8) as i32);
            set(&mut self.values, dest + k, v);
        }
    }

    /// Loads the observation and branches on its finiteness; returns the
    /// (compute, invalid) blocks, with no block selected.
    fn split_on_valid(&mut self, env: &Env) -> (Block, Block) {
        let ok = self.check_observation(env);
        let compute = self.b.create_block();
        let invalid = self.b.create_block();
        self.b.ins().brif(ok, compute, &[], invalid, &[]);
        (compute, invalid)
    }

    /// Stores this environment's flag byte.
    fn store_flags(&mut self, env: &Env, flags: Value) {
        let base = self.field_ptr(env, field::FLAGS);
        let at = self.b.ins().iadd(base, env.i);
        self.b.ins().store(self.flags, flags, at, 0);
    }

    // ------------------------------------------------------------- checks

    fn translate_check(&mut self, env: &Env, next: Block) {
        let width: u32 = self.program.outputs.iter().map(|o| o.values.len() as u32).sum();
        let (compute, invalid) = self.split_on_valid(env);

        self.b.switch_to_block(invalid);
        let zero8 = self.b.ins().iconst(types::I8, 0);
        self.store_flags(env, zero8);
        self.b.ins().jump(next, &[]);

        self.b.switch_to_block(compute);
        let program = self.program;
        self.translate_block(&program.pre, None);
        let outs = self.field_ptr(env, field::OUTPUTS);
        let row = element(&mut self.b, outs, env.i, i64::from(width) * 8);
        let values: Vec<crate::ir::Value> = self.program.outputs.iter().flat_map(|o| o.values.iter().copied()).collect();
        for (k, v) in values.iter().enumerate() {
            let x = self.v(*v);
            self.b.ins().store(self.flags, x, row, (k * 8) as i32);
        }
        let valid = self.b.ins().iconst(types::I8, i64::from(FLAG_VALID));
        self.store_flags(env, valid);
        self.b.ins().jump(next, &[]);
    }

    // ------------------------------------------------------------ rewards

    fn translate_reward(&mut self, env: &Env, next: Block) {
        let Some(spec) = self.program.reward.clone() else { return };
        let k = spec.stages.len() as u32;
        let n_terms = self.program.term_names().len() as i64;
        let (compute, invalid) = self.split_on_valid(env);

        // Invalid: reward 0, terms 0, flags 0, stage state unchanged.
        self.b.switch_to_block(invalid);
        let zero = self.f64c(0.0);
        for f in [field::REWARD, field::NORMALIZED, field::PROGRESS] {
            let base = self.field_ptr(env, f);
            let at = element(&mut self.b, base, env.i, 8);
            self.b.ins().store(self.flags, zero, at, 0);
        }
        let terms_base = self.field_ptr(env, field::TERMS);
        let row = element(&mut self.b, terms_base, env.i, n_terms * 8);
        for t in 0..n_terms {
            self.b.ins().store(self.flags, zero, row, (t * 8) as i32);
        }
        let zero8 = self.b.ins().iconst(types::I8, 0);
        self.store_flags(env, zero8);
        self.b.ins().jump(next, &[]);

        self.b.switch_to_block(compute);
        let program = self.program;
        self.translate_block(&program.pre, None);
        let stage_base = self.field_ptr(env, field::STAGE);
        let stage_at = element(&mut self.b, stage_base, env.i, 4);
        let count_base = self.field_ptr(env, field::COUNT);
        let count_at = element(&mut self.b, count_base, env.i, 4);
        let stage0 = self.b.ins().load(types::I32, self.flags, stage_at, 0);
        let count0 = self.b.ins().load(types::I32, self.flags, count_at, 0);

        let zero = self.f64c(0.0);
        let input = stages::StageInputs {
            stage0,
            count0,
            gates: spec.stages.iter().map(|st| self.cond(st.gate)).collect(),
            holds: spec.stages.iter().map(|st| st.hold.map(|(h, _)| self.cond(h))).collect(),
            bonuses: spec.stages.iter().map(|st| st.bonus.map(|b| self.v(b))).collect(),
            zero,
        };
        let machine = stages::emit(&mut self.b, &spec, &input);
        let (stage, count, regressed) = (machine.stage, machine.count, machine.regressed);

        // Post block, shaping, terms, reward.
        let program = self.program;
        self.translate_post(&program.post, stage);
        let mut shape = self.f64c(0.0);
        for (s, st_spec) in spec.stages.iter().enumerate() {
            let here = self.b.ins().icmp_imm_u(IntCC::Equal, stage, s as i64);
            let v = self.v(st_spec.shape);
            shape = self.b.ins().select(here, v, shape);
        }
        let mut terms = vec![self.b.ins().fcvt_from_uint(types::F64, stage), shape];
        // Which terms the facts prove finite (`Facts::is_bounded`): the
        // stage index, a shape or bonus that is bounded (a bonus is paid
        // or taken back at most once a step), a bounded term.
        let bounded = |this: &Self, v: crate::ir::Value| this.fact(v).is_bounded();
        let mut sure = vec![true, spec.stages.iter().all(|st| bounded(self, st.shape))];
        terms.extend(machine.paid.iter().flatten());
        sure.extend(spec.stages.iter().filter_map(|st| st.bonus).map(|b| bounded(self, b)));
        for t in &spec.terms {
            terms.push(self.v(t.value));
            sure.push(bounded(self, t.value));
        }
        // The same left-to-right sum from 0.0 as the interpreter.
        let mut reward = self.f64c(0.0);
        for t in &terms {
            reward = self.b.ins().fadd(reward, *t);
        }
        let success = match spec.success {
            Some(v) => self.cond(v),
            None if k > 0 => self.b.ins().icmp_imm_u(IntCC::Equal, stage, i64::from(k)),
            None => self.b.ins().iconst(types::I8, 0),
        };
        let mut reward_sure = sure.iter().all(|s| *s);
        if let Some(sv) = spec.success_value {
            let x = self.v(sv);
            reward = self.b.ins().select(success, x, reward);
            reward_sure &= bounded(self, sv);
        }
        // Finite iff reward - reward and every t - t are 0 (NaN otherwise);
        // only what the facts do not already prove finite is checked.
        let unsure: Vec<Value> = std::iter::once((reward, reward_sure)).chain(terms.iter().copied().zip(sure)).filter(|(_, sure)| !sure).map(|(v, _)| v).collect();
        if let Some((&first, rest)) = unsure.split_first() {
            let zero = self.f64c(0.0);
            let mut d = self.b.ins().fsub(first, first);
            for t in rest {
                let dt = self.b.ins().fsub(*t, *t);
                d = self.b.ins().fadd(d, dt);
            }
            let finite = self.b.ins().fcmp(FloatCC::Equal, d, zero);
            let store = self.b.create_block();
            self.b.ins().brif(finite, store, &[], invalid, &[]);
            self.b.switch_to_block(store);
        }

        let (lo, hi) = spec.bounds;
        let normalized = if hi > lo {
            let lo_v = self.f64c(lo);
            let span = self.f64c(hi - lo);
            let x = self.b.ins().fsub(reward, lo_v);
            let x = self.b.ins().fdiv(x, span);
            self.clamp01(x)
        } else {
            self.f64c(0.0)
        };
        let progress = if k > 0 {
            let sf = self.b.ins().fcvt_from_uint(types::F64, stage);
            let x = self.b.ins().fadd(sf, shape);
            let kf = self.f64c(f64::from(k + 1));
            let x = self.b.ins().fdiv(x, kf);
            let p = self.clamp01(x);
            let one = self.f64c(1.0);
            self.b.ins().select(success, one, p)
        } else {
            let (one, zero) = (self.f64c(1.0), self.f64c(0.0));
            self.b.ins().select(success, one, zero)
        };
        for (f, v) in [(field::REWARD, reward), (field::NORMALIZED, normalized), (field::PROGRESS, progress)] {
            let base = self.field_ptr(env, f);
            let at = element(&mut self.b, base, env.i, 8);
            self.b.ins().store(self.flags, v, at, 0);
        }
        let terms_base = self.field_ptr(env, field::TERMS);
        let row = element(&mut self.b, terms_base, env.i, n_terms * 8);
        for (t, v) in terms.iter().enumerate() {
            self.b.ins().store(self.flags, *v, row, (t * 8) as i32);
        }
        // Without stages the machine state never changes: no stores.
        if k > 0 {
            self.b.ins().store(self.flags, stage, stage_at, 0);
            self.b.ins().store(self.flags, count, count_at, 0);
        }
        // flags = success | valid | regressed << 2
        let valid = self.b.ins().iconst(types::I8, i64::from(FLAG_VALID));
        let reg = self.b.ins().ishl_imm_u(regressed, 2);
        let f = self.b.ins().bor(success, valid);
        let f = self.b.ins().bor(f, reg);
        self.store_flags(env, f);
        self.b.ins().jump(next, &[]);
    }

    /// max(min(x, 1), 0) with the interpreter's NaN and signed-zero rules,
    /// for an `x` that is not NaN (computed from finite outputs): two
    /// instructions instead of Cranelift's `fmin` and `fmax`, about
    /// sixteen.
    fn clamp01(&mut self, x: Value) -> Value {
        let (zero, one) = (self.f64c(0.0), self.f64c(1.0));
        let not_nan = Facts { range: Interval::ALL, may_be_nan: false, may_be_neg_zero: true };
        let m = self.min_max(Math2::Min, [x, one], [not_nan, Facts::constant(1.0)]);
        let at_most_one = Facts { range: Interval::new(f64::NEG_INFINITY, 1.0), ..not_nan };
        self.min_max(Math2::Max, [m, zero], [at_most_one, Facts::constant(0.0)])
    }
}

/// `base + index * scale` as a pointer.
fn element(b: &mut FunctionBuilder, base: Value, index: Value, scale: i64) -> Value {
    let off = b.ins().imul_imm_u(index, scale);
    b.ins().iadd(base, off)
}

/// The sum of `xs` added pairwise as a balanced tree (`None` if empty).
fn sum_tree(b: &mut FunctionBuilder, mut xs: Vec<Value>) -> Option<Value> {
    while xs.len() > 1 {
        let mut next = Vec::with_capacity(xs.len().div_ceil(2));
        for pair in xs.chunks(2) {
            next.push(if pair.len() == 2 { b.ins().fadd(pair[0], pair[1]) } else { pair[0] });
        }
        xs = next;
    }
    xs.pop()
}

/// A host math function's signature: `arity` f64s to one f64.
fn math_signature(call_conv: isa::CallConv, arity: usize) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.extend(std::iter::repeat_n(AbiParam::new(types::F64), arity));
    sig.returns.push(AbiParam::new(types::F64));
    sig
}

fn float_cc(c: Cmp) -> FloatCC {
    match c {
        Cmp::Lt => FloatCC::LessThan,
        Cmp::Le => FloatCC::LessThanOrEqual,
        Cmp::Gt => FloatCC::GreaterThan,
        Cmp::Ge => FloatCC::GreaterThanOrEqual,
        Cmp::Eq => FloatCC::Equal,
        Cmp::Ne => FloatCC::NotEqual,
    }
}

/// The most f64 words any native call needs (arguments plus results).
fn max_call_words(p: &Program) -> u32 {
    p.pre
        .iter()
        .chain(&p.post)
        .map(|s| match &s.inst {
            Inst::Call { args, outputs, .. } => args.len() as u32 + outputs,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Which IR values are used as numbers (see `Translator::numeric`): operands
/// of arithmetic, comparisons and calls, a select's two values, and every
/// value the generated code stores or adds (outputs, terms, shapes, bonuses,
/// the success value). Conditions alone (a select's condition, `!`, `&&`,
/// `||`, gates, holds, success) are not.
fn numeric_uses(p: &Program) -> Vec<bool> {
    let mut numeric = vec![false; p.num_values as usize];
    let mut mark = |v: crate::ir::Value| {
        if let Some(slot) = numeric.get_mut(v.0 as usize) {
            *slot = true;
        }
    };
    for s in p.pre.iter().chain(&p.post) {
        match &s.inst {
            Inst::Const(_) | Inst::Load(_) | Inst::StageDone(_) | Inst::Not(_) | Inst::And(..) | Inst::Or(..) => {}
            Inst::Neg(x) | Inst::Unary(_, x) => mark(*x),
            Inst::Binary(_, x, y) | Inst::Compare(_, x, y) | Inst::Select(_, x, y) => {
                mark(*x);
                mark(*y);
            }
            Inst::Call { args, .. } => args.iter().copied().for_each(&mut mark),
        }
    }
    for o in &p.outputs {
        o.values.iter().copied().for_each(&mut mark);
    }
    if let Some(r) = &p.reward {
        for st in &r.stages {
            mark(st.shape);
            if let Some(b) = st.bonus {
                mark(b);
            }
        }
        for t in &r.terms {
            mark(t.value);
        }
        if let Some(v) = r.success_value {
            mark(v);
        }
    }
    numeric
}

/// `table[index] = Some(x)`, growing the table if an IR value is past
/// `num_values` (never, for the lowerer's programs).
fn set<T: Copy>(table: &mut Vec<Option<T>>, index: u32, x: T) {
    let i = index as usize;
    if i >= table.len() {
        table.resize(i + 1, None);
    }
    table[i] = Some(x);
}
