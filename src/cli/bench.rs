//! `rwd bench`: prints the benchmark report (see `rwd::bench`).
//!
//! `rwd bench FILE` times one reward across back ends; `rwd bench --compile
//! FILE...` times source-to-native compilation of every program in each file.

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
    let report = rwd::bench::run(path, &text, args.value("--program"), budget, &[1, 64, 4096]).map_err(CliError::Failed)?;
    print!("{}", rwd::bench::render(&report));
    Ok(0)
}
