//! Benchmarks as data: ns per environment-step for the interpreter, the JIT
//! and hand-written Rust, measured in the same run, and compile latency.
//! `rwd bench` prints the report; `cargo bench` runs the same code.

pub mod baselines;

use crate::interp::{Interpreter, StageState};
use crate::ir::Program;
use crate::jit::{BatchState, CompiledReward, JitProgram, RewardBatch, Tier};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BatchTiming {
    pub batch: usize,
    pub interp_ns: f64,
    /// Optimised code: what an adaptive program runs once hot.
    pub jit_ns: f64,
    /// Fast-tier code: what an adaptive program runs first.
    pub jit_fast_ns: f64,
    pub rust_ns: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub program: String,
    /// Median microseconds from source text to a checked, lowered program.
    pub front_us: f64,
    /// Median microseconds from IR to optimised native code (the compile
    /// an adaptive program does when hot; [`Tier::Optimized`] from the start).
    pub jit_us: f64,
    /// Median microseconds from IR to callable native code the default way
    /// ([`CompiledReward::compile`]: fast-tier code first).
    pub callable_us: f64,
    pub timings: Vec<BatchTiming>,
    /// Environment-steps on which the baseline was checked against the interpreter.
    pub baseline_checked: Option<usize>,
}

/// A small deterministic generator for observations.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// `n` observations for a program: positions near the origin so gates open
/// and close, unit quaternions, bools 0/1.
pub fn observations(p: &Program, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed | 1);
    let w = p.layout.width as usize;
    let mut obs = vec![0.0; n * w];
    for row in obs.chunks_exact_mut(w) {
        for f in &p.layout.fields {
            let o = f.offset as usize;
            for c in 0..f.width as usize {
                row[o + c] = match f.ty.as_str() {
                    "bool" => f64::from(u8::from(rng.uniform(0.0, 1.0) < 0.5)),
                    "angle" => rng.uniform(0.0, 1.8),
                    "vec3" if f.field == "half" => rng.uniform(0.01, 0.1),
                    _ => rng.uniform(-0.15, 0.15),
                };
            }
            if f.ty == "quat" {
                let q: Vec<f64> = (0..4).map(|_| rng.uniform(-1.0, 1.0)).collect();
                let norm = q.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-9);
                for (c, x) in q.iter().enumerate() {
                    row[o + c] = x / norm;
                }
            }
        }
    }
    obs
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// ns per environment-step of each of `fs`, each of which evaluates `n`
/// environments once: the median of ten samples of `budget / 10` each.
/// The samples are taken in turns (one of each function, then again), so a
/// change in the machine's load while measuring (it is shared) affects
/// every function alike and the ratios between them stay meaningful.
///
/// Calls are timed in runs of [`calls_per_clock_read`], not one by one:
/// reading the clock costs about 30 ns on this kind of machine, as much as
/// a whole batch of one with the JIT, and would otherwise be counted as
/// part of every call (it used to be: batch 1 read 110 ns for a 80 ns call).
fn time_per_env_step(n: usize, budget: Duration, fs: &mut [&mut dyn FnMut(usize)]) -> Vec<f64> {
    const ROUNDS: u32 = 10;
    let sample = budget / ROUNDS;
    let mut samples = vec![Vec::new(); fs.len()];
    let mut calls_so_far = vec![0usize; fs.len()];
    let runs: Vec<u64> = fs
        .iter_mut()
        .enumerate()
        .map(|(k, f)| {
            let run = calls_per_clock_read(&mut |c| f(calls_so_far[k] + c));
            calls_so_far[k] += 1;
            run
        })
        .collect();
    for _ in 0..ROUNDS {
        for (k, f) in fs.iter_mut().enumerate() {
            let start = Instant::now();
            let mut calls = 0u64;
            while start.elapsed() < sample || calls == 0 {
                for _ in 0..runs[k] {
                    f(calls_so_far[k]);
                    calls_so_far[k] += 1;
                }
                calls += runs[k];
            }
            samples[k].push(start.elapsed().as_nanos() as f64 / (calls as f64 * n as f64));
        }
    }
    samples.into_iter().map(median).collect()
}

/// How many calls of `f` to make between two reads of the clock so that
/// reading it is under 0.1% of the time measured: enough calls for 50 us,
/// from the slowest of three single calls (the first one also warms the
/// caches up).
fn calls_per_clock_read(f: &mut dyn FnMut(usize)) -> u64 {
    const RUN: Duration = Duration::from_micros(50);
    let slowest = (0..3)
        .map(|c| {
            let start = Instant::now();
            f(c);
            start.elapsed()
        })
        .max()
        .unwrap_or(RUN);
    (RUN.as_nanos() / slowest.as_nanos().max(1)).clamp(1, 1 << 20) as u64
}

/// Compares the baseline with the interpreter over a few steps; an error
/// names the first disagreement.
fn check_baseline(p: &Program, baseline: &baselines::Baseline) -> Result<usize, String> {
    let n = 64;
    let w = p.layout.width as usize;
    let terms = p.term_names().len();
    let mut state = BatchState::new(n);
    let mut istates = vec![StageState::default(); n];
    let mut interp = Interpreter::new(p);
    for step in 0..20 {
        let obs = observations(p, n, 100 + step);
        let mut out = RewardBatch::new(n, terms);
        baseline(&obs, &mut state, &mut out);
        for e in 0..n {
            let r = interp.step(&mut istates[e], &obs[e * w..(e + 1) * w]).map_err(|e| e.to_string())?;
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
            if state.stage[e] != istates[e].stage || !close(out.reward[e], r.reward) || !close(out.normalized[e], r.normalized) {
                return Err(format!(
                    "step {step} env {e}: baseline reward {} stage {} vs interpreter {} stage {}",
                    out.reward[e], state.stage[e], r.reward, r.stage
                ));
            }
        }
    }
    Ok(n * 20)
}

/// Benchmarks one reward program of `text`.
pub fn run(name: &str, text: &str, program: Option<&str>, budget: Duration, batches: &[usize]) -> Result<Report, String> {
    let c = crate::compile(name, text);
    if c.has_errors() {
        return Err(format!("`{name}` does not compile"));
    }
    let p = c.select(program, &[crate::check::hir::ProgramKind::Reward])?;
    let reps = if budget < Duration::from_millis(300) { 5 } else { 21 };
    let mut front = Vec::new();
    let mut jit_times = Vec::new();
    let mut callable_times = Vec::new();
    for _ in 0..reps {
        let start = Instant::now();
        let c2 = crate::compile(name, text);
        front.push(start.elapsed().as_secs_f64() * 1e6);
        let p2 = c2.select(Some(&p.name), &[crate::check::hir::ProgramKind::Reward])?;
        let start = Instant::now();
        let jit = CompiledReward::compile_tier(p2, Tier::Optimized).map_err(|e| e.to_string())?;
        jit_times.push(start.elapsed().as_secs_f64() * 1e6);
        drop(jit);
        let start = Instant::now();
        let callable = CompiledReward::compile(p2).map_err(|e| e.to_string())?;
        callable_times.push(start.elapsed().as_secs_f64() * 1e6);
        drop(callable);
    }
    let jit = CompiledReward::compile_tier(p, Tier::Optimized).map_err(|e| e.to_string())?;
    let jit_fast = CompiledReward::compile_tier(p, Tier::Fast).map_err(|e| e.to_string())?;
    let baseline = baselines::for_program(p);
    let baseline_checked = match &baseline {
        Some(b) => Some(check_baseline(p, b)?),
        None => None,
    };
    let w = p.layout.width as usize;
    let terms = jit.term_count();
    let mut timings = Vec::new();
    for &n in batches {
        // Four different batches, cycled, so no single branch pattern is learned.
        let data: Vec<Vec<f64>> = (0..4).map(|k| observations(p, n, 7 + k)).collect();
        let (mut jit_state, mut jit_out) = (BatchState::new(n), RewardBatch::new(n, terms));
        let mut jit_f = |call: usize| {
            let _ = jit.eval_batch(&data[call % 4], &mut jit_state, &mut jit_out);
        };
        let (mut fast_state, mut fast_out) = (BatchState::new(n), RewardBatch::new(n, terms));
        let mut fast_f = |call: usize| {
            let _ = jit_fast.eval_batch(&data[call % 4], &mut fast_state, &mut fast_out);
        };
        let mut interp = Interpreter::new(p);
        let mut istates = vec![StageState::default(); n];
        let mut interp_f = |call: usize| {
            let obs = &data[call % 4];
            for (e, st) in istates.iter_mut().enumerate() {
                let _ = interp.step(st, &obs[e * w..(e + 1) * w]);
            }
        };
        let (mut rust_state, mut rust_out) = (BatchState::new(n), RewardBatch::new(n, terms));
        let mut rust_f = |call: usize| {
            if let Some(b) = &baseline {
                b(&data[call % 4], &mut rust_state, &mut rust_out);
            }
        };
        let mut fs: Vec<&mut dyn FnMut(usize)> = vec![&mut jit_f, &mut fast_f, &mut interp_f];
        if baseline.is_some() {
            fs.push(&mut rust_f);
        }
        let ns = time_per_env_step(n, budget, &mut fs);
        let (jit_ns, jit_fast_ns, interp_ns) = (ns[0], ns[1], ns[2]);
        let rust_ns = ns.get(3).copied();
        timings.push(BatchTiming { batch: n, interp_ns, jit_ns, jit_fast_ns, rust_ns });
    }
    Ok(Report { program: p.name.clone(), front_us: median(front), jit_us: median(jit_times), callable_us: median(callable_times), timings, baseline_checked })
}

/// Source-to-native compile latency of every program in one file.
#[derive(Debug, Clone)]
pub struct CompileLatency {
    pub file: String,
    pub programs: usize,
    /// Median microseconds: the front end, then all programs compiled to
    /// callable code the default way (fast tier first), then all compiled
    /// to optimised code (what each does again once hot).
    pub front_us: f64,
    pub callable_us: f64,
    pub optimized_us: f64,
}

/// The compile-latency target per program, source text to callable code.
pub const COMPILE_TARGET_US: f64 = 2000.0;

/// Measures [`CompileLatency`] over `reps` repetitions (median).
pub fn compile_latency(name: &str, text: &str, reps: usize) -> Result<CompileLatency, String> {
    let (mut front, mut callable, mut optimized) = (Vec::new(), Vec::new(), Vec::new());
    let mut programs = 0;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let c = crate::compile(name, text);
        front.push(start.elapsed().as_secs_f64() * 1e6);
        if c.has_errors() {
            return Err(format!("`{name}` does not compile"));
        }
        programs = c.programs.len();
        let start = Instant::now();
        for p in &c.programs {
            drop(JitProgram::compile(p).map_err(|e| e.to_string())?);
        }
        callable.push(start.elapsed().as_secs_f64() * 1e6);
        let start = Instant::now();
        for p in &c.programs {
            drop(JitProgram::compile_tier(p, Tier::Optimized).map_err(|e| e.to_string())?);
        }
        optimized.push(start.elapsed().as_secs_f64() * 1e6);
    }
    Ok(CompileLatency { file: name.to_string(), programs, front_us: median(front), callable_us: median(callable), optimized_us: median(optimized) })
}

/// Compile latencies as a table; per program, since the target is per
/// program, with the ratio against it.
pub fn render_latency(rows: &[CompileLatency]) -> String {
    let mut s = format!(
        "{:<32} {:>8} {:>9} {:>16} {:>10} {:>16}\n",
        "file", "programs", "front us", "callable us/prog", "vs 2 ms", "optimised us/prog"
    );
    for r in rows {
        let n = r.programs.max(1) as f64;
        let callable = (r.front_us + r.callable_us) / n;
        s.push_str(&format!(
            "{:<32} {:>8} {:>9.0} {:>16.0} {:>9.2}x {:>16.0}\n",
            r.file,
            r.programs,
            r.front_us,
            callable,
            callable / COMPILE_TARGET_US,
            (r.front_us + r.optimized_us) / n
        ));
    }
    s.push_str("callable: source text to native code the default way (fast tier first; recompiled optimised\n");
    s.push_str(&format!("once hot, after {} env-steps); optimised: source text to optimised code directly\n", crate::jit::HOT_ENV_STEPS));
    s
}

/// The report as a table with the ratios the targets are stated in.
pub fn render(r: &Report) -> String {
    let mut s = format!(
        "{}: source to callable native code {:.0} us (front end {:.0} us + fast tier {:.0} us); optimised code {:.0} us from the IR\n",
        r.program,
        r.front_us + r.callable_us,
        r.front_us,
        r.callable_us,
        r.jit_us
    );
    if let Some(n) = r.baseline_checked {
        s.push_str(&format!("  hand-written Rust baseline agrees with the interpreter on {n} env-steps\n"));
    }
    // `interp/rust` is how much faster than the interpreter a JIT exactly
    // as fast as the hand-written Rust would be: the ceiling the
    // `interp/jit` ratio meets when `jit/rust` is 1.
    s.push_str(&format!(
        "  {:>6} {:>10} {:>9} {:>9} {:>9} {:>11} {:>9} {:>12}\n",
        "batch", "interp ns", "jit ns", "fast ns", "rust ns", "interp/jit", "jit/rust", "interp/rust"
    ));
    for t in &r.timings {
        let rust = t.rust_ns.map_or("-".to_string(), |x| format!("{x:.1}"));
        let ratio = t.rust_ns.map_or("-".to_string(), |x| format!("{:.2}x", t.jit_ns / x));
        let ceiling = t.rust_ns.map_or("-".to_string(), |x| format!("{:.1}x", t.interp_ns / x));
        s.push_str(&format!(
            "  {:>6} {:>10.1} {:>9.1} {:>9.1} {:>9} {:>10.1}x {:>9} {:>12}\n",
            t.batch,
            t.interp_ns,
            t.jit_ns,
            t.jit_fast_ns,
            rust,
            t.interp_ns / t.jit_ns,
            ratio,
            ceiling
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written baseline is only a baseline while it computes what its
    /// program does: each one against the interpreter on its example.
    #[test]
    fn every_baseline_agrees_with_the_interpreter() {
        for (file, name) in [("examples/pick_cube.rwd", "pick_cube"), ("examples/organize_toolbox.rwd", "close_lid")] {
            let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + file).expect("example");
            let c = crate::compile(file, &text);
            let p = c.programs.iter().find(|p| p.name == name).expect("program");
            let baseline = baselines::for_program(p).expect("a baseline");
            let checked = check_baseline(p, &baseline).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(checked > 0);
        }
    }
}
