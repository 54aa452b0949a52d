//! `rwd demo`: placeholder, filled in below.

use super::args::Args;
use super::CliResult;

pub fn run(_args: &Args) -> CliResult {
    Ok(0)
}
