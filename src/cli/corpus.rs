//! `rwd corpus DIR [--bench] [--runs N]`: how the model-style programs in
//! DIR fare (compile as is / fixed automatically / need a round trip), and
//! with `--bench` the compile-and-check latency per candidate.

use super::args::Args;
use super::files::read;
use super::{CliError, CliResult};
use rwd::vlm::corpus::{Report, classify};
use std::time::Instant;

/// The `.rwd` files of `dir`, sorted, with their text.
pub fn load(dir: &str) -> Result<Vec<(String, String)>, CliError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CliError::Failed(format!("cannot read directory `{dir}`: {e}")))?;
    let mut paths: Vec<std::path::PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "rwd")).collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let path = p.to_string_lossy().to_string();
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            read(&path).map(|t| (name, t))
        })
        .collect()
}

pub fn run(args: &Args) -> CliResult {
    let dir = args.one("DIR")?;
    let files = load(dir)?;
    if files.is_empty() {
        return Err(CliError::Failed(format!("`{dir}` has no .rwd files")));
    }
    let report = Report { files: files.iter().map(|(n, t)| (n.clone(), classify(n, t))).collect() };
    print!("{}", report.render());
    if args.has("--bench") {
        let runs = args.count("--runs", 51, 1..=100_000)?;
        print!("{}", bench(&files, runs));
    }
    Ok(0)
}

/// The median of `runs` timings of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Sorted values at quantile `q`.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Per candidate, the median of `runs` compilations (parse, check and, if
/// it has no errors, lowering), and of `runs` parses alone; then the median
/// and p90 over candidates.
fn bench(files: &[(String, String)], runs: usize) -> String {
    let mut total = Vec::new();
    let mut parse = Vec::new();
    for (name, text) in files {
        total.push(median_ms(runs, || {
            std::hint::black_box(rwd::compile(name, text));
        }));
        parse.push(median_ms(runs, || {
            std::hint::black_box(rwd::syntax::parser::parse(rwd::source::FileId(0), text));
        }));
    }
    total.sort_by(f64::total_cmp);
    parse.sort_by(f64::total_cmp);
    let median = quantile(&total, 0.5);
    format!(
        "\ncompile-and-check latency per candidate ({} candidates, median of {runs} runs each{}):\n  median {:.3} ms, p90 {:.3} ms, max {:.3} ms (of which parsing: median {:.3} ms)\n  median / 1 ms target = {:.2} (goal 0.2 ms: {:.2})\n",
        total.len(),
        if cfg!(debug_assertions) { "; DEBUG build, use --release" } else { "" },
        median,
        quantile(&total, 0.9),
        quantile(&total, 1.0),
        quantile(&parse, 0.5),
        median / 1.0,
        median / 0.2
    )
}
