//! `rwd bench FILE`: prints the benchmark report (see `rwd::bench`).

use super::args::Args;
use super::files::read;
use super::{CliError, CliResult};
use std::time::Duration;

pub fn run(args: &Args) -> CliResult {
    let path = args.one("FILE")?;
    let text = read(path)?;
    let quick = args.has("--quick");
    let budget = if quick { Duration::from_millis(100) } else { Duration::from_millis(1500) };
    eprintln!("benchmarking {path} ({} per measurement)...", if quick { "quick" } else { "1.5 s" });
    let report = rwd::bench::run(path, &text, args.value("--program"), budget, &[1, 64, 4096]).map_err(CliError::Failed)?;
    print!("{}", rwd::bench::render(&report));
    Ok(0)
}
