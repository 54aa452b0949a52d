//! `rwd bench`: prints the benchmark report (see `rwd::bench`).
//!
//! `rwd bench FILE` times one reward across back ends; `rwd bench --compile
//! FILE...` times source-to-native compilation of every program in each file.
//! `RWD_BENCH_BATCHES=4096` (comma-separated) times other batch sizes than
//! the reported 1, 64 and 4096, e.g. to profile one of them alone.

use super::args::Args;
use super::files::read;
use super::{CliError, CliResult};
use std::time::Duration;

pub fn run(args: &Args) -> CliResult {
    let quick = args.has("--quick");
    if args.positional.is_empty() {
        return Err(CliError::Usage("`bench` needs a FILE".into()));
    }
    if args.has("--compile") {
        let mut rows = Vec::new();
        for (i, path) in args.positional.iter().enumerate() {
            eprintln!("[{}/{}] compiling {path}", i + 1, args.positional.len());
            let text = read(path)?;
            rows.push(rwd::bench::compile_latency(path, &text, if quick { 5 } else { 41 }).map_err(CliError::Failed)?);
        }
        print!("{}", rwd::bench::render_latency(&rows));
        return Ok(0);
    }
    let path = args.one("FILE")?;
    let text = read(path)?;
    let budget = if quick { Duration::from_millis(100) } else { Duration::from_millis(1500) };
    eprintln!("benchmarking {path} ({} per measurement)...", if quick { "quick" } else { "1.5 s" });
    let batches: Vec<usize> = match std::env::var("RWD_BENCH_BATCHES") {
        Ok(list) => list
            .split(',')
            .map(|b| b.trim().parse().map_err(|_| CliError::Usage(format!("RWD_BENCH_BATCHES: `{b}` is not a batch size"))))
            .collect::<Result<_, _>>()?,
        Err(_) => vec![1, 64, 4096],
    };
    let report = rwd::bench::run(path, &text, args.value("--program"), budget, &batches).map_err(CliError::Failed)?;
    print!("{}", rwd::bench::render(&report));
    Ok(0)
}
