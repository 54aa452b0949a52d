//! Cranelift JIT: native batch reward and check functions.
//!
//! [`JitProgram::compile`] turns one IR program into an `extern "C"`
//! function that loops over a whole batch of environments (the loop is in
//! the generated code); at the optimised tier, programs without native
//! calls also get a function that runs environments two at a time in
//! f64x2 lanes (`codegen/lanes.rs`), which becomes the batch entry. [`JitProgram::eval_reward`] and
//! [`JitProgram::eval_check`] are the safe API: they check every buffer's
//! shape and return an error instead of ever passing a wrong pointer.
//!
//! Agreement with the interpreter is exact, bit for bit: arithmetic and
//! comparisons are IEEE operations with the same semantics (`fmin`/`fmax`
//! are IEEE 754-2019 in both), `tanh` is emitted inline as the very
//! operations the interpreter's `tanh` performs (`builtins::tanh`,
//! `codegen/inline_math.rs`), and the other transcendentals call the same
//! Rust functions through `extern "C"` host symbols (see `host.rs`).

mod codegen;
mod constants;
mod sink;
mod typed;
mod host;

use crate::check::hir::ProgramKind;
use crate::ir::Program;
use cranelift::prelude::*;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module};
use std::fmt;

pub use codegen::lanes::LANES;
pub use typed::{CompiledCheck, CompiledReward};
pub use codegen::{FLAG_REGRESSED, FLAG_SUCCESS, FLAG_VALID};

/// The argument block of a generated function. Field order and widths are
/// the ABI (`codegen::field` holds the byte offsets); every pointer points to
/// `n` rows of the documented width.
#[repr(C)]
struct BatchArgs {
    n: u64,
    /// `n * width` observations, row-major.
    obs: *const f64,
    /// `n` current stage indices (in/out).
    stage: *mut u32,
    /// `n` hold counters (in/out).
    count: *mut u32,
    reward: *mut f64,
    normalized: *mut f64,
    /// `n * term_count` per-term values.
    terms: *mut f64,
    progress: *mut f64,
    /// `n` flag bytes: FLAG_SUCCESS | FLAG_VALID | FLAG_REGRESSED.
    flags: *mut u8,
    /// Checks: `n * output_width` values.
    outputs: *mut f64,
}

type EntryFn = unsafe extern "C" fn(*const BatchArgs);

#[derive(Debug, Clone, PartialEq)]
pub enum JitError {
    /// Cranelift refused the function (a bug in the code generator).
    Codegen(String),
    /// The host's CPU is not supported by Cranelift.
    Host(String),
    /// A buffer has the wrong length for the batch.
    Shape { what: &'static str, expected: usize, got: usize },
    WrongKind { program: String, expected: &'static str },
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JitError::Codegen(e) => write!(f, "code generation failed: {e}"),
            JitError::Host(e) => write!(f, "cannot generate code for this machine: {e}"),
            JitError::Shape { what, expected, got } => write!(f, "{what} has {got} values, expected {expected}"),
            JitError::WrongKind { program, expected } => write!(f, "`{program}` is not a {expected}"),
        }
    }
}

impl std::error::Error for JitError {}

/// Per-environment reward-machine state for a batch (structure of arrays).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchState {
    pub stage: Vec<u32>,
    pub count: Vec<u32>,
}

impl BatchState {
    pub fn new(n: usize) -> BatchState {
        BatchState { stage: vec![0; n], count: vec![0; n] }
    }
}

/// A batch's results, row-major where several values per environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RewardBatch {
    pub reward: Vec<f64>,
    pub normalized: Vec<f64>,
    /// `n * term_count`.
    pub terms: Vec<f64>,
    pub progress: Vec<f64>,
    pub flags: Vec<u8>,
}

impl RewardBatch {
    pub fn new(n: usize, term_count: usize) -> RewardBatch {
        RewardBatch {
            reward: vec![0.0; n],
            normalized: vec![0.0; n],
            terms: vec![0.0; n * term_count],
            progress: vec![0.0; n],
            flags: vec![0; n],
        }
    }
}

/// One program's generated code: the module that owns its code memory,
/// and the entry points in it. The memory is freed on drop.
struct Code {
    module: Option<JITModule>,
    /// The function for whole batches (the vector one where there is one).
    entry: EntryFn,
    /// The scalar function, for batches smaller than a vector step: the
    /// vector function would only call it, one call deeper.
    single: EntryFn,
}

impl Code {
    fn for_batch(&self, n: usize) -> EntryFn {
        if n < 2 { self.single } else { self.entry }
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: `Code` is only ever owned by a `JitProgram`, and every
            // call through `entry` borrows that program, so no call is in
            // flight and none can start once it is being dropped.
            unsafe { module.free_memory() };
        }
    }
}

/// Environment-steps a [`Tier::Adaptive`] program runs as fast-tier code
/// before it is compiled again at the optimised tier. The optimised compile
/// (the scalar function again and the vector function) costs about 1.5 to
/// 4 ms for the examples, and saves 60 to 150 ns per environment-step
/// against the fast tier (BENCHMARKS.md), so it pays for itself after some
/// 20 000 to 60 000 environment-steps: 32 steps of a 1024-wide training
/// batch, while a single 200-step episode never pays for it.
pub const HOT_ENV_STEPS: u64 = 32_768;

/// A compiled program owning its code memory (freed on drop).
pub struct JitProgram {
    /// The code compiled first: fast-tier code for [`Tier::Adaptive`] and
    /// [`Tier::Fast`], optimised code for [`Tier::Optimized`].
    first: Code,
    first_optimized: bool,
    /// Optimised code, installed once an adaptive program is hot. The first
    /// code stays alive with it (another thread may still be running it),
    /// until the program is dropped.
    optimized: std::sync::OnceLock<Code>,
    adaptive: bool,
    /// Environment-steps run so far (adaptive programs only).
    env_steps: std::sync::atomic::AtomicU64,
    /// Set by the one call that compiles the optimised code.
    tier_up_claimed: std::sync::atomic::AtomicBool,
    kind: ProgramKind,
    name: String,
    width: usize,
    term_count: usize,
    output_width: usize,
    /// The program: compiled again at the optimised tier when an adaptive
    /// program gets hot, and translated again to print its CLIF on request
    /// (rendering the function as text costs about as much as a quarter of
    /// compiling it, and only `--emit clif` and the snapshot tests read it).
    source: Box<Program>,
    clif: std::sync::OnceLock<Result<String, JitError>>,
}

// SAFETY: after `finalize_definitions` the code memory is immutable and the
// generated functions are reentrant (all their state is in their arguments
// and their own stack frame); a module is touched again only by `Drop`,
// which has exclusive access. The optimised code is published through a
// `OnceLock`, so a thread that sees it sees it finalized.
unsafe impl Send for JitProgram {}
unsafe impl Sync for JitProgram {}

impl fmt::Debug for JitProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JitProgram({} {})", self.kind.keyword(), self.name)
    }
}

/// Cranelift's two register allocators: the one choice that separates the
/// tiers (see `build_isa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Regalloc {
    /// regalloc2's backtracking allocator: better code, about two thirds
    /// of an optimised compile.
    Backtracking,
    /// regalloc2's single-pass allocator: a fifth of the allocation time;
    /// values live across blocks go through the stack.
    SinglePass,
}

/// The host's target description for an allocator, built once per process
/// (CPU feature detection and settings are the same for every program).
fn target_isa(regalloc: Regalloc) -> Result<cranelift::codegen::isa::OwnedTargetIsa, JitError> {
    use std::sync::OnceLock;
    static BACKTRACKING: OnceLock<Result<cranelift::codegen::isa::OwnedTargetIsa, JitError>> = OnceLock::new();
    static SINGLE_PASS: OnceLock<Result<cranelift::codegen::isa::OwnedTargetIsa, JitError>> = OnceLock::new();
    let cell = match regalloc {
        Regalloc::Backtracking => &BACKTRACKING,
        Regalloc::SinglePass => &SINGLE_PASS,
    };
    cell.get_or_init(|| build_isa(regalloc)).clone()
}

fn build_isa(regalloc: Regalloc) -> Result<cranelift::codegen::isa::OwnedTargetIsa, JitError> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(|e| JitError::Host(e.to_string()));
    // No Cranelift mid-end (e-graph) pass at either tier: the IR arrives
    // optimised by rwd's own passes (hash-consed, folded, dead code
    // removed), and the code generator already places loads and constants
    // where they are used. Measured with `rwd bench`, the pass made
    // PickCube and close lid no faster (within noise) and cost a fifth of
    // every compile (callgrind: 9.7M instructions executed per example
    // program on average with `opt_level=speed`, 7.4M without).
    set(&mut flags, "opt_level", "none")?;
    match regalloc {
        Regalloc::Backtracking => set(&mut flags, "regalloc_algorithm", "backtracking")?,
        Regalloc::SinglePass => set(&mut flags, "regalloc_algorithm", "single_pass")?,
    }
    // The IR verifier is a debug aid for the code generator, and costs
    // about a tenth of a compile. Debug builds (and so `cargo test`, which
    // compiles every example and the property tests' programs) keep it on;
    // release builds, which compile what users run, skip it.
    set(&mut flags, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "is_pic", "false")?;
    cranelift_native::builder()
        .map_err(|e| JitError::Host(e.to_string()))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| JitError::Host(e.to_string()))
}

/// Compiles `program` to native code in a module of its own: the scalar
/// function, and at the optimised tier the vector function calling it
/// (`codegen/lanes.rs`) if the program has one; the entry is the latter.
fn generate(program: &Program, regalloc: Regalloc) -> Result<Code, JitError> {
    let isa = target_isa(regalloc)?;
    let mut module = JITModule::new(JITBuilder::with_isa(isa, cranelift_module::default_libcall_names()));
    // One compilation context per thread, reused: Cranelift keeps its
    // buffers (the register allocator's above all) across functions, so a
    // compile does not start by allocating them all again.
    thread_local! {
        static SCRATCH: std::cell::RefCell<Option<cranelift::codegen::Context>> = const { std::cell::RefCell::new(None) };
    }
    let mut ctx = SCRATCH.with(|s| s.borrow_mut().take()).unwrap_or_else(|| module.make_context());
    let defined = define_functions(&mut module, &mut ctx, program, regalloc);
    module.clear_context(&mut ctx);
    SCRATCH.with(|s| *s.borrow_mut() = Some(ctx));
    let (entry, single) = defined?;
    module.finalize_definitions().map_err(|e| JitError::Codegen(e.to_string()))?;
    // SAFETY: both functions were just defined with the signature
    // `fn(*const BatchArgs)` in the target's default calling convention,
    // which is `extern "C"` on every platform Cranelift supports here.
    let [entry, single] = [entry, single].map(|id| unsafe { std::mem::transmute::<*const u8, EntryFn>(module.get_finalized_function(id)) });
    Ok(Code { module: Some(module), entry, single })
}

/// Whether code compiled with `regalloc` is the vector function: the
/// optimised tier's, for programs without native calls. The fast tier keeps
/// to the scalar function, half the code to compile.
fn vectorized(program: &Program, regalloc: Regalloc) -> bool {
    regalloc == Regalloc::Backtracking && codegen::lanes::vectorizable(program)
}

/// Defines the scalar function and, if asked, the vector one; returns the
/// ids of the batch entry point and of the scalar function.
fn define_functions(
    module: &mut JITModule,
    ctx: &mut cranelift::codegen::Context,
    program: &Program,
    regalloc: Regalloc,
) -> Result<(cranelift_module::FuncId, cranelift_module::FuncId), JitError> {
    let codegen_error = |e: cranelift_module::ModuleError| JitError::Codegen(format!("{e:?}"));
    let lanes = vectorized(program, regalloc);
    module.clear_context(ctx);
    translate(program, &mut ctx.func, module.isa(), regalloc);
    let linkage = if lanes { Linkage::Local } else { Linkage::Export };
    let scalar = module.declare_function(&format!("rwd_{}", program.name), linkage, &ctx.func.signature).map_err(codegen_error)?;
    module.define_function(scalar, ctx).map_err(codegen_error)?;
    if !lanes {
        return Ok((scalar, scalar));
    }
    module.clear_context(ctx);
    let (table, _, constants) = translate_lanes(module, program, scalar, &mut ctx.func)?;
    let vector = module.declare_function(&format!("rwd_{}_lanes", program.name), Linkage::Export, &ctx.func.signature).map_err(codegen_error)?;
    module.define_function(vector, ctx).map_err(codegen_error)?;
    module.define_data(table, &constant_table(&constants)).map_err(codegen_error)?;
    Ok((vector, scalar))
}

/// The vector function's constants, each twice (one per lane), 16-byte
/// aligned so every entry is one aligned vector load.
fn constant_table(constants: &[u64]) -> cranelift_module::DataDescription {
    let mut bytes = Vec::with_capacity(constants.len().max(1) * 16);
    for c in constants {
        bytes.extend(c.to_le_bytes());
        bytes.extend(c.to_le_bytes());
    }
    if bytes.is_empty() {
        bytes.resize(16, 0); // a data object may not be empty
    }
    let mut table = cranelift_module::DataDescription::new();
    table.set_align(16);
    table.define(bytes.into_boxed_slice());
    table
}

/// Replaces host addresses in printed CLIF by their names (`%rwd_tanh`), so
/// the text is the same on every run (snapshots) and readable.
fn symbolize(clif: &str, symbols: &[(usize, String)]) -> String {
    let mut out = clif.to_string();
    for (addr, name) in symbols {
        let hex = format!("{addr:x}");
        // Cranelift groups hex digits by four from the right: 0x55a9_0bc2_d710.
        let mut grouped = String::new();
        for (i, c) in hex.chars().enumerate() {
            if i > 0 && (hex.len() - i) % 4 == 0 {
                grouped.push('_');
            }
            grouped.push(c);
        }
        out = out.replace(&format!("0x{grouped}"), &format!("%{name}"));
    }
    out
}

/// `fn(*const BatchArgs)` in the target's default calling convention.
fn set_signature(func: &mut cranelift::codegen::ir::Function, isa: &dyn cranelift::codegen::isa::TargetIsa) {
    func.signature = Signature::new(isa.default_call_conv());
    func.signature.params.push(AbiParam::new(isa.pointer_type()));
}

/// Emits `program` as CLIF into `func` (signature included) and returns
/// the host symbols it calls, by address.
///
/// At the optimised tier the constants are then placed (`constants.rs`):
/// the same bits, faster code, and a fifth more CLIF to compile, which the
/// fast tier, there to be callable soonest, does without.
fn translate(
    program: &Program,
    func: &mut cranelift::codegen::ir::Function,
    isa: &dyn cranelift::codegen::isa::TargetIsa,
    regalloc: Regalloc,
) -> Vec<(usize, String)> {
    set_signature(func, isa);
    let mut fbc = FunctionBuilderContext::new();
    let builder = FunctionBuilder::new(func, &mut fbc);
    let (builder, symbols) = codegen::Translator::new(builder, program, isa.pointer_type()).translate();
    builder.finalize(isa.frontend_config());
    if regalloc == Regalloc::Backtracking {
        constants::place_constants(func);
    }
    symbols
}

/// Emits the vector function into `func`, importing the scalar function
/// `scalar` and declaring its constant table in `module`; returns the
/// table (to be defined with the constants), the host symbols it calls and
/// the constants. Both compiling and printing go through here, so the
/// printed CLIF is the compiled function.
fn translate_lanes(
    module: &mut JITModule,
    program: &Program,
    scalar: cranelift_module::FuncId,
    func: &mut cranelift::codegen::ir::Function,
) -> Result<(cranelift_module::DataId, Vec<(usize, String)>, Vec<u64>), JitError> {
    set_signature(func, module.isa());
    let callee = module.declare_func_in_func(scalar, func);
    let table = module
        .declare_data(&format!("rwd_{}_lanes_constants", program.name), Linkage::Local, false, false)
        .map_err(|e| JitError::Codegen(format!("{e:?}")))?;
    let table_gv = module.declare_data_in_func(table, func);
    let isa = module.isa();
    let mut fbc = FunctionBuilderContext::new();
    let builder = FunctionBuilder::new(func, &mut fbc);
    let (builder, symbols, constants) = codegen::lanes::LaneTranslator::new(builder, program, isa.pointer_type(), callee, table_gv).translate();
    builder.finalize(isa.frontend_config());
    Ok((table, symbols, constants))
}

/// How hard Cranelift works: the trade between compile time and code
/// speed. Every tier computes the same bits: they translate the same
/// scalar CLIF (the optimised tier then moves its constants into memory
/// operands and loads, `constants.rs`) and differ in register allocation,
/// and the optimised tier's
/// vector function performs the scalar operations per lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tier {
    /// Fast-tier code at once, recompiled at the optimised tier after
    /// [`HOT_ENV_STEPS`] environment-steps, as tiered JITs do: a model's
    /// repair loop gets callable code soonest, and training, where a
    /// reward runs millions of times, runs optimised code all but its
    /// first few steps. What [`JitProgram::compile`] uses.
    #[default]
    Adaptive,
    /// Optimised code from the start (backtracking register allocator,
    /// and the vector function where the program has no native call).
    Optimized,
    /// Fast-tier code only (single-pass register allocator).
    Fast,
}

impl JitProgram {
    /// Compiles a program the default way, [`Tier::Adaptive`]: callable
    /// fast-tier code now, optimised code once it has run
    /// [`HOT_ENV_STEPS`] environment-steps.
    pub fn compile(program: &Program) -> Result<JitProgram, JitError> {
        Self::compile_tier(program, Tier::Adaptive)
    }

    /// Compiles a program at a chosen tier.
    pub fn compile_tier(program: &Program, tier: Tier) -> Result<JitProgram, JitError> {
        let first_regalloc = match tier {
            Tier::Adaptive | Tier::Fast => Regalloc::SinglePass,
            Tier::Optimized => Regalloc::Backtracking,
        };
        Ok(JitProgram {
            first: generate(program, first_regalloc)?,
            first_optimized: first_regalloc == Regalloc::Backtracking,
            optimized: std::sync::OnceLock::new(),
            adaptive: tier == Tier::Adaptive,
            env_steps: std::sync::atomic::AtomicU64::new(0),
            tier_up_claimed: std::sync::atomic::AtomicBool::new(false),
            kind: program.kind,
            name: program.name.clone(),
            width: program.layout.width as usize,
            term_count: program.term_names().len(),
            output_width: program.outputs.iter().map(|o| o.values.len()).sum(),
            source: Box::new(program.clone()),
            clif: std::sync::OnceLock::new(),
        })
    }

    /// Whether the code that runs now is optimised: always at
    /// [`Tier::Optimized`], never at [`Tier::Fast`], once hot at
    /// [`Tier::Adaptive`].
    pub fn is_optimized(&self) -> bool {
        self.first_optimized || self.optimized.get().is_some()
    }

    /// Whether batches of [`LANES`] or more environments run the vector
    /// function (`codegen/lanes.rs`): optimised code of a program without
    /// native calls.
    pub fn runs_vector_code(&self) -> bool {
        self.is_optimized() && codegen::lanes::vectorizable(&self.source)
    }

    /// The entry point for a call over `n` environments: the optimised code
    /// if there is some; otherwise the first code, after compiling the
    /// optimised code if this call makes an adaptive program hot. Exactly
    /// one call compiles it; calls on other threads meanwhile keep running
    /// the first code, which computes the same bits (the tiers translate
    /// the same scalar CLIF, up to where its constants live, and differ in
    /// register allocation, and the
    /// optimised tier's vector function computes each lane as the scalar
    /// function does).
    #[inline]
    fn entry(&self, n: usize) -> EntryFn {
        use std::sync::atomic::Ordering;
        if let Some(code) = self.optimized.get() {
            return code.for_batch(n);
        }
        if self.adaptive {
            // A plain load and store, not an atomic add: `lock xadd` is a
            // full barrier on x86, paid on every call. Calls racing on
            // other threads may lose a few counts, which only delays the
            // tier-up a little; the claim below still lets exactly one
            // call compile.
            let steps = self.env_steps.load(Ordering::Relaxed) + n as u64;
            self.env_steps.store(steps, Ordering::Relaxed);
            if steps >= HOT_ENV_STEPS
                && !self.tier_up_claimed.swap(true, Ordering::AcqRel)
                && let Some(entry) = self.tier_up(n)
            {
                return entry;
            }
        }
        self.first.for_batch(n)
    }

    /// Compiles the optimised code (once, by the call that claimed it) and
    /// returns its entry for `n` environments. Out of line, so the common
    /// path of [`Self::entry`] stays a few instructions.
    #[cold]
    #[inline(never)]
    fn tier_up(&self, n: usize) -> Option<EntryFn> {
        // The CLIF compiled for the first code, its constants placed, so
        // this cannot fail short of a Cranelift bug; if it did, the program
        // keeps running its (correct) first code.
        let code = generate(&self.source, Regalloc::Backtracking).ok()?;
        let entry = code.for_batch(n);
        let _ = self.optimized.set(code);
        Some(entry)
    }

    /// The Cranelift IR of the generated function as the code generator
    /// emits it, before Cranelift optimises it (`rwd compile --emit clif`).
    /// Translated again on first use: the translation is deterministic, so
    /// this is the very function that was compiled.
    pub fn clif(&self) -> &str {
        let text = self.clif.get_or_init(|| {
            let isa = target_isa(Regalloc::Backtracking)?;
            let mut func = cranelift::codegen::ir::Function::new();
            let symbols = translate(&self.source, &mut func, &*isa, Regalloc::Backtracking);
            let mut text = symbolize(&func.display().to_string(), &symbols);
            if vectorized(&self.source, Regalloc::Backtracking) {
                // The scalar function's name, for the vector one's calls.
                let mut module = JITModule::new(JITBuilder::with_isa(isa.clone(), cranelift_module::default_libcall_names()));
                let scalar = module
                    .declare_function(&format!("rwd_{}", self.source.name), Linkage::Local, &func.signature)
                    .map_err(|e| JitError::Codegen(e.to_string()))?;
                let mut vector = cranelift::codegen::ir::Function::new();
                let (_, symbols, constants) = translate_lanes(&mut module, &self.source, scalar, &mut vector)?;
                text.push_str(&format!("\n; the optimised tier's entry: {LANES} environments per step, the scalar function above for the rest\n"));
                text.push_str(&symbolize(&vector.display().to_string(), &symbols));
                let listed: Vec<String> = constants.iter().map(|c| format!("{c:#018x}")).collect();
                text.push_str(&format!("; its constant table (gv0), 16 bytes each: {}\n", listed.join(", ")));
            }
            Ok(text)
        });
        match text {
            Ok(t) => t,
            // Unreachable in practice: the same ISA was built to compile `self`.
            Err(_) => "",
        }
    }

    pub fn term_count(&self) -> usize {
        self.term_count
    }

    pub fn output_width(&self) -> usize {
        self.output_width
    }

    fn expect(what: &'static str, expected: usize, got: usize) -> Result<(), JitError> {
        if expected == got { Ok(()) } else { Err(JitError::Shape { what, expected, got }) }
    }

    /// One reward step for every environment of the batch. `obs` is
    /// `n * width` row-major; `state` and `out` must be sized for `n`.
    pub fn eval_reward(&self, obs: &[f64], state: &mut BatchState, out: &mut RewardBatch) -> Result<(), JitError> {
        if self.kind != ProgramKind::Reward {
            return Err(JitError::WrongKind { program: self.name.clone(), expected: "reward" });
        }
        let n = state.stage.len();
        Self::expect("the observation batch", n * self.width, obs.len())?;
        Self::expect("the hold counters", n, state.count.len())?;
        Self::expect("the reward buffer", n, out.reward.len())?;
        Self::expect("the normalized buffer", n, out.normalized.len())?;
        Self::expect("the terms buffer", n * self.term_count, out.terms.len())?;
        Self::expect("the progress buffer", n, out.progress.len())?;
        Self::expect("the flags buffer", n, out.flags.len())?;
        let args = BatchArgs {
            n: n as u64,
            obs: obs.as_ptr(),
            stage: state.stage.as_mut_ptr(),
            count: state.count.as_mut_ptr(),
            reward: out.reward.as_mut_ptr(),
            normalized: out.normalized.as_mut_ptr(),
            terms: out.terms.as_mut_ptr(),
            progress: out.progress.as_mut_ptr(),
            flags: out.flags.as_mut_ptr(),
            outputs: std::ptr::null_mut(),
        };
        // SAFETY: every buffer was checked above to hold exactly what the
        // generated code reads or writes for `n` environments.
        unsafe { (self.entry(n))(&args) };
        Ok(())
    }

    /// Runs a check (or failure) over a batch: `out` gets `n * output_width`
    /// values (bools as 0/1), `valid` one flag byte per environment (0 where
    /// the observation was not finite; its outputs are then untouched).
    pub fn eval_check(&self, obs: &[f64], out: &mut [f64], valid: &mut [u8]) -> Result<(), JitError> {
        if self.kind == ProgramKind::Reward {
            return Err(JitError::WrongKind { program: self.name.clone(), expected: "check or failure" });
        }
        let n = valid.len();
        Self::expect("the observation batch", n * self.width, obs.len())?;
        Self::expect("the output buffer", n * self.output_width, out.len())?;
        let args = BatchArgs {
            n: n as u64,
            obs: obs.as_ptr(),
            stage: std::ptr::null_mut(),
            count: std::ptr::null_mut(),
            reward: std::ptr::null_mut(),
            normalized: std::ptr::null_mut(),
            terms: std::ptr::null_mut(),
            progress: std::ptr::null_mut(),
            flags: valid.as_mut_ptr(),
            outputs: out.as_mut_ptr(),
        };
        // SAFETY: checked above; check functions touch only obs, flags, outputs.
        unsafe { (self.entry(n))(&args) };
        Ok(())
    }
}
