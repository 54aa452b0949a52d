//! `rwd evaluate` and `rwd train-base`: the base policy (the stand-in for a
//! fine-tuned VLA) measured in the embedded simulator, and its learned
//! variant trained by behaviour cloning from perturbed demonstrations
//! (DART). Training needs libtorch, so it exists only in a `rwd` built with
//! the `runtime` feature (`./x` builds that one).

use super::args::Args;
use super::collect::parse_variant;
use super::{CliError, CliResult};
use rwd_sim::{BasePolicy, Outcomes, PolicyNoise, Task, TaskConfig, VecEnv};

pub fn parse_task(text: &str) -> Result<Task, CliError> {
    Task::ALL.into_iter().find(|t| t.scene_name() == text || task_name(*t) == text).ok_or_else(|| {
        let names: Vec<&str> = Task::ALL.iter().map(|t| task_name(*t)).collect();
        CliError::Usage(format!("unknown task `{text}` (one of: {})", names.join(", ")))
    })
}

pub fn task_name(task: Task) -> &'static str {
    match task {
        Task::SortVegetables => "sort_vegetables",
        Task::PickTrash => "pick_trash",
        Task::OrganizeToolbox => "organize_toolbox",
        Task::Drawer => "drawer",
    }
}

/// The labels of the final states that failed, each with its share of the
/// episodes: "fallen_can 28%, other 8%".
pub fn failed_states(outcomes: &Outcomes) -> String {
    let failures: Vec<String> = outcomes
        .by_label
        .keys()
        .filter(|l| l.as_str() != "success")
        .map(|l| format!("{l} {:.0}%", 100.0 * outcomes.rate(l)))
        .collect();
    failures.join(", ")
}

/// One row of the `evaluate` table.
fn row(outcomes: &Outcomes, task: Task, policy: &str) -> String {
    format!(
        "{:<18} {:<12} {:>8} {:>8.1}%  {}",
        task_name(task),
        policy,
        outcomes.episodes,
        100.0 * outcomes.success_rate(),
        failed_states(outcomes)
    )
}

const HEADER: &str = "task               policy       episodes  success  final states that failed";

/// `rwd evaluate [--task T] [--policy scripted|CKPT] [--guidance G] [--episodes N] [--seed S] [--variant V]`
pub fn evaluate(args: &Args) -> CliResult {
    let task = args.value("--task").map(parse_task).transpose()?;
    // Episodes run side by side: each holds a simulator state (about 200 bytes).
    let episodes = args.count("--episodes", 200, 1..=1_000_000)?;
    let seed: u64 = args.number("--seed", 1)?;
    let variant = parse_variant(args.value("--variant").unwrap_or("nominal"))?;
    let policy = args.value("--policy").unwrap_or("scripted");
    let guidance: Option<f64> = args.value("--guidance").map(|_| args.number("--guidance", 0.0)).transpose()?;
    if guidance.is_some() && policy == "scripted" {
        return Err(CliError::Usage("`--guidance` applies to a learned policy with a failure head (`--policy CKPT`)".into()));
    }
    let learned = match policy {
        "scripted" => None,
        path => Some(learned::Learned::open(path, guidance)?),
    };
    // A learned policy is judged on the task it was trained for unless told
    // otherwise; the scripted one on every task.
    let tasks = match (task, learned.as_ref().and_then(|l| l.task)) {
        (Some(task), _) | (None, Some(task)) => vec![task],
        (None, None) => Task::ALL.to_vec(),
    };
    println!("{HEADER}");
    for task in tasks {
        let config = TaskConfig { task, variant };
        let outcome = match &learned {
            None => scripted(config, episodes, seed)?,
            Some(learned) => learned.evaluate(config, episodes, seed)?,
        };
        println!("{}", row(&outcome, task, if learned.is_some() { "learned" } else { "scripted" }));
    }
    Ok(0)
}

fn scripted(config: TaskConfig, episodes: usize, seed: u64) -> Result<Outcomes, CliError> {
    let mut venv = VecEnv::new(config, episodes, seed);
    BasePolicy::new(&venv, PolicyNoise::default())
        .run_episodes(&mut venv, |_, _| {})
        .map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(Outcomes::of(&venv))
}

#[cfg(feature = "runtime")]
mod learned {
    use super::super::files::{write_atomic_bytes, check_writable_dir};
    use super::*;
    use rwd_runtime::base::{self, BaseConfig, Progress};
    use rwd_runtime::checkpoint;

    pub fn runtime(e: rwd_runtime::RuntimeError) -> CliError {
        CliError::Failed(e.to_string())
    }

    /// An epoch's closed-loop success in a progress table, `-` if not scored.
    pub fn score_cell(success: Option<f64>) -> String {
        success.map_or_else(|| "-".to_string(), |s| format!("{:.1}%", 100.0 * s))
    }

    /// Which epoch's weights training kept (0-based `kept`), and their score.
    pub fn kept_line(kept: usize, scores: &[(usize, f64)], episodes: usize) -> String {
        match scores.iter().find(|s| s.0 == kept) {
            Some((_, success)) => format!("kept epoch {}: {:.1}% success over {episodes} held-out episodes", kept + 1, 100.0 * success),
            None => format!("kept epoch {} (the last)", kept + 1),
        }
    }

    /// A policy checkpoint and its header.
    pub fn load(path: &str) -> Result<(rwd_runtime::PolicyNet, checkpoint::Header), CliError> {
        let bytes = std::fs::read(path).map_err(|e| CliError::Failed(format!("cannot read `{path}`: {e}")))?;
        checkpoint::from_bytes(&bytes, path).map_err(runtime)
    }

    /// A learned policy to evaluate, and the task its checkpoint names
    /// (`None` for a name that is no simulator task).
    pub struct Learned {
        net: rwd_runtime::PolicyNet,
        pub task: Option<Task>,
    }

    impl Learned {
        /// `guidance` overrides the checkpoint's AFIL guidance scale.
        pub fn open(path: &str, guidance: Option<f64>) -> Result<Learned, CliError> {
            let (mut net, header) = load(path)?;
            if let Some(g) = guidance {
                if !net.spec.failure_head {
                    return Err(CliError::Usage(format!("`--guidance`: `{path}` has no failure head (`rwd train-afil` makes one)")));
                }
                net.set_guidance(g).map_err(runtime)?;
            }
            Ok(Learned { net, task: parse_task(&header.task).ok() })
        }

        pub fn evaluate(&self, config: TaskConfig, episodes: usize, seed: u64) -> Result<Outcomes, CliError> {
            rwd_runtime::evaluate_learned(&self.net, config, episodes, seed).map_err(runtime)
        }
    }

    /// `rwd train-base --task T --out CKPT [--episodes N] [--epochs E] [--seed S]
    /// [--noise K] [--perturb SIGMA] [--select-every E] [--select-episodes N] [--variant V]`
    pub fn train(args: &Args) -> CliResult {
        let task = parse_task(args.value("--task").ok_or_else(|| CliError::Usage("`train-base` needs `--task`".into()))?)?;
        let out = args.value("--out").ok_or_else(|| CliError::Usage("`train-base` needs `--out FILE.ckpt`".into()))?;
        check_writable_dir(out)?;
        let mut config = BaseConfig::new(TaskConfig { task, variant: parse_variant(args.value("--variant").unwrap_or("nominal"))? });
        // Each demonstration episode keeps up to about 30 KB of training pairs.
        config.episodes = args.count("--episodes", config.episodes, 1..=10_000)?;
        config.seed = args.number("--seed", config.seed)?;
        config.noise = PolicyNoise { scale: args.number("--noise", config.noise.scale)? };
        config.perturbation = args.number("--perturb", config.perturbation)?;
        config.bc.epochs = args.count("--epochs", config.bc.epochs, 1..=10_000)?;
        config.select_every = args.number("--select-every", config.select_every)?;
        config.selection_episodes = args.count("--select-episodes", config.selection_episodes, 0..=1_000_000)?;
        let (net, report) = base::train(&config, |p| match p {
            Progress::Demonstrated { pairs, outcomes } => {
                println!(
                    "demonstrations: {} episodes, {pairs} pairs; the perturbed demonstrator succeeded in {:.1}%",
                    outcomes.episodes,
                    100.0 * outcomes.success_rate()
                );
                println!("epoch  train loss  validation loss  closed-loop success");
            }
            Progress::Epoch { epoch, train_loss, validation_loss, success } => {
                let success = score_cell(*success);
                println!("{:>5}  {train_loss:>10.4}  {validation_loss:>15.4}  {success:>19}", epoch + 1);
            }
        })
        .map_err(runtime)?;
        let kept = report.kept_epoch + 1;
        println!("{}", kept_line(report.kept_epoch, &report.scores, config.selection_episodes));
        let note = format!(
            "behaviour cloning of the scripted controller (noise {}) from {} demonstrations perturbed by {}; epoch {kept} of {} kept",
            config.noise.scale, config.episodes, config.perturbation, config.bc.epochs
        );
        write_atomic_bytes(out, &checkpoint::to_bytes(&net, task_name(task), &note).map_err(runtime)?)?;
        println!("wrote {out}");
        Ok(0)
    }
}

/// Why a command that trains or runs a network cannot, in a `rwd` without libtorch.
#[cfg(not(feature = "runtime"))]
pub const MISSING: &str =
    "this rwd was built without the training runtime (libtorch); build it with `./x cargo build --release --features runtime`";

#[cfg(not(feature = "runtime"))]
mod learned {
    use super::*;

    /// Never made without the runtime: opening one is the error.
    pub struct Learned {
        pub task: Option<Task>,
    }

    impl Learned {
        pub fn open(_path: &str, _guidance: Option<f64>) -> Result<Learned, CliError> {
            Err(CliError::Failed(format!("a learned policy needs libtorch: {MISSING}")))
        }

        pub fn evaluate(&self, _config: TaskConfig, _episodes: usize, _seed: u64) -> Result<Outcomes, CliError> {
            Err(CliError::Failed(format!("a learned policy needs libtorch: {MISSING}")))
        }
    }

    pub fn train(_args: &Args) -> CliResult {
        Err(CliError::Failed(format!("`train-base` needs libtorch: {MISSING}")))
    }
}

pub use learned::train;
#[cfg(feature = "runtime")]
pub use learned::{kept_line, load, runtime, score_cell};
