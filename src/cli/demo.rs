//! `rwd demo`: the end-to-end job on the shipped examples. Every example is
//! compiled (timed), every program with a recorded episode in
//! `examples/episodes/NAME.jsonl` is run by the interpreter and by the JIT
//! (which must agree on every step), and the results come out as one table
//! plus a reward sparkline per episode.

use super::args::Args;
use super::files::{parse_observation, read};
use super::{CliError, CliResult};
use rwd::check::hir::ProgramKind;
use super::engine::Engine;
use rwd::interp::OutputValue;
use std::path::Path;
use std::time::Instant;

struct Row {
    file: String,
    program: String,
    kind: &'static str,
    width: u32,
    compile_us: f64,
    steps: usize,
    outcome: String,
    sparkline: String,
}

pub fn run(args: &Args) -> CliResult {
    let dir = args.value("--examples").unwrap_or("examples");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| CliError::Failed(format!("cannot list `{dir}`: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rwd"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::Failed(format!("no .rwd files in `{dir}`")));
    }
    let mut rows = Vec::new();
    let mut sim_rows = Vec::new();
    let pictures = args.value("--pictures");
    // Recovery training per scene, when the runtime is built in: 300
    // iterations (about 20 s a scene) take the toolbox's close-lid recovery
    // from about a third of the states to about three quarters; the tests
    // run a few to check the table.
    let iterations = args.count("--iterations", 300, 0..=1_000_000)?;
    if let Some(dir) = pictures {
        super::files::check_writable_dir(&format!("{dir}/x"))?;
    }
    let mut failed = false;
    for (i, file) in files.iter().enumerate() {
        eprintln!("[{}/{}] {file}", i + 1, files.len());
        let text = read(file)?;
        // Warm (the stdlib is parsed once per process), then time source to
        // native code for every program of the file.
        for p in &rwd::compile(file, &text).programs {
            let _ = rwd::jit::JitProgram::compile(p);
        }
        let start = Instant::now();
        let c = rwd::compile(file, &text);
        for p in &c.programs {
            let _ = rwd::jit::JitProgram::compile(p);
        }
        let compile_us = start.elapsed().as_secs_f64() * 1e6;
        if c.has_errors() {
            eprint!("{}", rwd::diag::render::render_human(&c.diagnostics, &c.sources, rwd::diag::render::Style::Plain));
            failed = true;
            continue;
        }
        if let Some(row) = super::demo_sim::run(file, &text, &c, pictures, iterations)? {
            sim_rows.push(row);
        }
        for p in &c.programs {
            let episode = Path::new(dir).join("episodes").join(format!("{}.jsonl", p.name));
            let (steps, outcome, sparkline) = match std::fs::read_to_string(&episode) {
                Ok(text) => run_episode(p, &text).map_err(|e| CliError::Failed(format!("{}: {e}", episode.display())))?,
                Err(_) => (0, "(no episode)".to_string(), String::new()),
            };
            rows.push(Row {
                file: Path::new(file).file_name().and_then(|n| n.to_str()).unwrap_or(file).to_string(),
                program: p.name.clone(),
                kind: p.kind.keyword(),
                width: p.layout.width,
                compile_us,
                steps,
                outcome,
                sparkline,
            });
        }
    }
    println!("\n== the shipped examples, each on its recorded episode ==\n");
    print_table(&rows);
    println!("\nto native: the whole file, source text to callable native code (optimised tier)");
    println!("every step above ran in the interpreter and in JIT-compiled native code, with identical results");
    println!("\n== failures of the base policy in the embedded simulator, and the recovery rewards ==\n");
    super::demo_sim::print_table(&sim_rows, iterations);
    // Pick trash: the clone inherits the fallen-can failure, the one the
    // recovery residual above does not fix.
    if let Some(table) = super::afil::demo(rwd_sim::Task::PickTrash)? {
        println!("\n== the learned base policy: behaviour cloning, then failure-informed fine-tuning ==\n");
        print!("{table}");
    }
    Ok(if failed { 1 } else { 0 })
}

/// Runs one episode: for a reward, the stage path, return and success; for a
/// check or failure, the answers of the last observation.
fn run_episode(p: &rwd::ir::Program, text: &str) -> Result<(usize, String, String), String> {
    // Both back ends run every step; the demo fails if they ever differ.
    let mut interp = Engine::new(p, "interp")?;
    let mut jit = Engine::new(p, "jit")?;
    let mut rewards = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut success_at = None;
    let mut regressions = 0;
    let mut last_check = String::new();
    let mut steps = 0;
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let obs = parse_observation(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        steps += 1;
        if p.kind == ProgramKind::Reward {
            let r = interp.step(&obs).map_err(|e| format!("line {}: {e}", n + 1))?;
            let j = jit.step(&obs).map_err(|e| format!("line {}: {e}", n + 1))?;
            if j.reward.to_bits() != r.reward.to_bits() || j.stage != r.stage || j.terms != r.terms {
                return Err(format!("line {}: the JIT gives reward {} at stage {}, the interpreter {} at stage {}", n + 1, j.reward, j.stage, r.reward, r.stage));
            }
            rewards.push(r.normalized);
            regressions += usize::from(r.regressed);
            let name = match super::commands::stage_name(p, r.stage) {
                serde_json::Value::String(s) => s,
                _ => "terms".to_string(),
            };
            if path.last() != Some(&name) {
                path.push(name);
            }
            if r.success && success_at.is_none() {
                success_at = Some(steps - 1);
            }
        } else {
            let out = interp.check(&obs).map_err(|e| format!("line {}: {e}", n + 1))?;
            if jit.check(&obs).map_err(|e| format!("line {}: {e}", n + 1))? != out {
                return Err(format!("line {}: the JIT's check report differs from the interpreter's", n + 1));
            }
            last_check = out
                .iter()
                .filter_map(|(k, v)| match v {
                    OutputValue::Bool(b) => Some(format!("{k}={b}")),
                    OutputValue::Number(x) => Some(format!("{k}={x:.3}")),
                    OutputValue::List(_) => None,
                })
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    if p.kind != ProgramKind::Reward {
        return Ok((steps, last_check, String::new()));
    }
    let mut outcome = path.join(">");
    if regressions > 0 {
        outcome.push_str(&format!(" ({regressions} regression{})", if regressions > 1 { "s" } else { "" }));
    }
    outcome.push_str(&match success_at {
        Some(t) => format!("; success at step {t}"),
        None => "; no success".to_string(),
    });
    Ok((steps, outcome, sparkline(&rewards, 40)))
}

/// Normalised rewards as a row of block characters, resampled to `width`.
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() {
        return String::new();
    }
    let n = values.len().min(width);
    (0..n)
        .map(|i| {
            let lo = i * values.len() / n;
            let hi = ((i + 1) * values.len() / n).max(lo + 1);
            let mean = values[lo..hi].iter().sum::<f64>() / (hi - lo) as f64;
            BARS[((mean.clamp(0.0, 1.0) * 7.0).round()) as usize]
        })
        .collect()
}

fn print_table(rows: &[Row]) {
    println!("{:<24} {:<20} {:<8} {:>5} {:>10} {:>6}  outcome", "file", "program", "kind", "width", "to native", "steps");
    println!("{}", "-".repeat(110));
    for r in rows {
        println!(
            "{:<24} {:<20} {:<8} {:>5} {:>8.0}us {:>6}  {}",
            r.file, r.program, r.kind, r.width, r.compile_us, r.steps, r.outcome
        );
        if !r.sparkline.is_empty() {
            println!("{:<24} {:<20} normalized reward per step: {}", "", "", r.sparkline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sparkline;

    #[test]
    fn sparkline_resamples_and_scales() {
        assert_eq!(sparkline(&[0.0, 1.0], 40), "▁█");
        assert_eq!(sparkline(&[0.0, 0.0, 1.0, 1.0], 2), "▁█");
        assert_eq!(sparkline(&[], 10), "");
    }
}
