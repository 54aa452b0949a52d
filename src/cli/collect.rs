//! `rwd collect`: roll out the base policy in the embedded simulator, judge
//! every final state with a `failure` program compiled to native code, and
//! save the failure states (full simulator state, so training can reset to
//! them) with pictures a person or a VLM can look at.

use super::args::Args;
use super::files::{read, write_atomic, write_atomic_bytes};
use super::sim_link::{Detector, Verdict, task_for};
use super::{CliError, CliResult, picture};
use rwd::check::hir::ProgramKind;
use rwd_sim::{BasePolicy, EnvState, PolicyNoise, TaskConfig, Variant, VecEnv, outcome_label};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

/// The file `collect` writes and `render` (and training) read.
#[derive(Serialize, Deserialize)]
pub struct FailureSet {
    pub format: String,
    /// The .rwd file and the failure program that judged the states.
    pub source: String,
    pub failure: String,
    pub scene: String,
    pub config: TaskConfig,
    pub seed: u64,
    pub episodes: usize,
    pub base_successes: usize,
    pub failures: Vec<FailureRecord>,
}

#[derive(Serialize, Deserialize)]
pub struct FailureRecord {
    pub episode: usize,
    /// The simulator's own label of the final state (cross-check).
    pub sim_label: Option<String>,
    pub state: EnvState,
}

pub const FORMAT: &str = "rwd-failures/1";

pub fn parse_variant(text: &str) -> Result<Variant, CliError> {
    Ok(match text {
        "nominal" => Variant::Nominal,
        "substituted" => Variant::SubstitutedObjects,
        "tall-can" => Variant::TallCan,
        "tape-roll" => Variant::TapeRoll,
        other => {
            return Err(CliError::Usage(format!("unknown variant `{other}` (nominal, substituted, tall-can, tape-roll)")));
        }
    })
}

pub fn run(args: &Args) -> CliResult {
    let path = args.one("FILE")?;
    // Every detected failure state is kept and written out (about 2 KB of JSON).
    let episodes = args.count("--episodes", 200, 1..=100_000)?;
    let seed: u64 = args.number("--seed", 0)?;
    let pictures = args.count("--pictures", 3, 0..=1_000)?;
    let noise: f64 = args.number("--noise", 1.0)?;
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(CliError::Usage(format!("`--noise` must be a non-negative number, got {noise}")));
    }
    let variant = parse_variant(args.value("--variant").unwrap_or("nominal"))?;
    let out = args.value("--out").unwrap_or("failures.json");
    super::files::check_writable_dir(out)?;

    let compilation = super::commands::compile_file(path, args)?;
    let program = compilation.select(args.value("--failure"), &[ProgramKind::Failure]).map_err(CliError::Failed)?;
    let task = task_for(program)?;
    let mut detector = Detector::new(program, task)?;

    let config = TaskConfig { task, variant };
    let mut venv = VecEnv::new(config, episodes, seed);
    eprintln!(
        "collect: {episodes} episodes of `{}` ({variant:?}), {} steps each, judged by `{}`",
        task.scene_name(),
        venv.horizon(),
        program.name
    );
    BasePolicy::new(&venv, PolicyNoise { scale: noise })
        .run_episodes(&mut venv, progress)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }

    let verdicts = detector.detect(&venv)?;
    let Verdicts { labels, table } = classify(&venv, &verdicts);
    let mut set = FailureSet {
        format: FORMAT.into(),
        source: path.into(),
        failure: program.name.clone(),
        scene: task.scene_name().into(),
        config,
        seed,
        episodes,
        base_successes: (0..episodes).filter(|&i| venv.success(i)).count(),
        failures: Vec::new(),
    };
    for (episode, verdict) in verdicts.iter().enumerate() {
        if *verdict == Verdict::Detected {
            let state = venv.state(episode).map_err(|e| CliError::Failed(e.to_string()))?;
            let sim_label = (!state.success).then(|| labels[episode].clone());
            set.failures.push(FailureRecord { episode, sim_label, state });
        }
    }
    let json = serde_json::to_string_pretty(&set).map_err(|e| CliError::Failed(format!("cannot encode the failures: {e}")))?;
    write_atomic(out, &json)?;

    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", summary(&set, &table));
    let _ = writeln!(stdout, "wrote {} failure state(s) to {out}", set.failures.len());
    for record in set.failures.iter().take(pictures) {
        let png_path = picture_path(out, &set.failure, record.episode);
        let title = format!("{}: episode {} ({})", set.failure, record.episode, set.scene);
        write_atomic_bytes(&png_path, &picture::png(&record.state, &title)?)?;
        let _ = writeln!(stdout, "wrote {png_path}");
    }
    Ok(0)
}

/// The simulator's label of every final state, and the table of labels
/// (rows) against the program's verdicts (detected, clear, invalid).
pub struct Verdicts {
    pub labels: Vec<String>,
    pub table: BTreeMap<String, [usize; 3]>,
}

pub fn classify(venv: &VecEnv, verdicts: &[Verdict]) -> Verdicts {
    let mut out = Verdicts { labels: Vec::with_capacity(verdicts.len()), table: BTreeMap::new() };
    for (state, verdict) in venv.envs().iter().zip(verdicts) {
        let label = outcome_label(state);
        let column = match verdict {
            Verdict::Detected => 0,
            Verdict::Clear => 1,
            Verdict::Invalid => 2,
        };
        out.table.entry(label.to_string()).or_default()[column] += 1;
        out.labels.push(label.to_string());
    }
    out
}

/// `failures.json` -> `failures-misplaced_broccoli-17.png`, beside it.
fn picture_path(out: &str, failure: &str, episode: usize) -> String {
    let stem = out.strip_suffix(".json").unwrap_or(out);
    format!("{stem}-{failure}-{episode}.png")
}

/// A bar redrawn in place on a terminal; a line per quarter in a log.
fn progress(step: u32, horizon: u32) {
    let width = 30;
    let filled = |s: u32| (s as usize * width) / horizon.max(1) as usize;
    if std::io::stderr().is_terminal() {
        if step == 1 || filled(step) != filled(step - 1) || step == horizon {
            eprint!("\r  [{}{}] step {step}/{horizon}", "#".repeat(filled(step)), ".".repeat(width - filled(step)));
        }
    } else if (4 * (step - 1)) / horizon.max(1) != (4 * step) / horizon.max(1) {
        eprintln!("  step {step}/{horizon}");
    }
}

fn summary(set: &FailureSet, table: &BTreeMap<String, [usize; 3]>) -> String {
    let n = set.episodes as f64;
    let mut s = format!(
        "base policy: {}/{} successes ({:.0}%); `{}` detected in {} final states ({:.0}%)\n\n",
        set.base_successes,
        set.episodes,
        100.0 * set.base_successes as f64 / n,
        set.failure,
        set.failures.len(),
        100.0 * set.failures.len() as f64 / n
    );
    s.push_str(&format!("{:<22} {:>8} {:>9} {:>9} {:>8}\n", "final state (sim)", "episodes", "detected", "clear", "invalid"));
    for (label, [detected, clear, invalid]) in table {
        s.push_str(&format!("{label:<22} {:>8} {detected:>9} {clear:>9} {invalid:>8}\n", detected + clear + invalid));
    }
    s
}

/// `rwd render FAILURES.json [--index K] --out PNG`: one saved failure
/// state as a picture.
pub fn render(args: &Args) -> CliResult {
    let path = args.one("FAILURES.json")?;
    let out = args.value("--out").ok_or_else(|| CliError::Usage("`render` needs `--out FILE.png`".into()))?;
    let index: usize = args.number("--index", 0)?;
    let set = load(path)?;
    let record = set.failures.get(index).ok_or_else(|| {
        CliError::Failed(format!("`{path}` has {} failure state(s); there is no index {index}", set.failures.len()))
    })?;
    let title = format!("{}: episode {} ({})", set.failure, record.episode, set.scene);
    write_atomic_bytes(out, &picture::png(&record.state, &title)?)?;
    println!("wrote {out}");
    Ok(0)
}

/// Reads a file written by `collect`, checking its format line.
pub fn load(path: &str) -> Result<FailureSet, CliError> {
    let text = read(path)?;
    let set: FailureSet = serde_json::from_str(&text)
        .map_err(|e| CliError::Failed(format!("`{path}` is not a failure set written by `rwd collect`: {e}")))?;
    if set.format != FORMAT {
        return Err(CliError::Failed(format!("`{path}` has format `{}`; this rwd reads `{FORMAT}`", set.format)));
    }
    Ok(set)
}
