//! `rwd evaluate` and `rwd train-base`: the base policy (the stand-in for a
//! fine-tuned VLA) measured in the embedded simulator, and its learned
//! variant trained by behaviour cloning with DAgger. Training needs
//! libtorch, so it exists only in a `rwd` built with the `runtime` feature
//! (`./x` builds that one).

use super::args::Args;
use super::collect::{number, parse_variant};
use super::{CliError, CliResult};
use rwd_sim::{ACTION_DIM, BasePolicy, PolicyNoise, Task, TaskConfig, VecEnv};
use std::collections::BTreeMap;

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

/// How a batch of episodes ended, by the simulator's label of each final state.
struct Outcome {
    episodes: usize,
    by_label: BTreeMap<String, usize>,
}

impl Outcome {
    fn of(venv: &VecEnv) -> Outcome {
        let mut by_label = BTreeMap::new();
        for s in venv.envs() {
            let label = if s.success { "success" } else { rwd_sim::tasks::failure_mode(s).unwrap_or("other") };
            *by_label.entry(label.to_string()).or_insert(0) += 1;
        }
        Outcome { episodes: venv.n_envs(), by_label }
    }

    fn rate(&self, label: &str) -> f64 {
        self.by_label.get(label).copied().unwrap_or(0) as f64 / self.episodes.max(1) as f64
    }

    fn row(&self, task: Task, policy: &str) -> String {
        let failures: Vec<String> = self
            .by_label
            .iter()
            .filter(|(l, _)| l.as_str() != "success")
            .map(|(l, n)| format!("{l} {:.0}%", 100.0 * *n as f64 / self.episodes.max(1) as f64))
            .collect();
        format!(
            "{:<18} {:<12} {:>8} {:>8.1}%  {}",
            task_name(task),
            policy,
            self.episodes,
            100.0 * self.rate("success"),
            failures.join(", ")
        )
    }
}

const HEADER: &str = "task               policy       episodes  success  final states that failed";

/// `rwd evaluate [--task T] [--policy scripted|CKPT] [--episodes N] [--seed S] [--variant V]`
pub fn evaluate(args: &Args) -> CliResult {
    let tasks = match args.value("--task") {
        Some(t) => vec![parse_task(t)?],
        None => Task::ALL.to_vec(),
    };
    let episodes: usize = number(args, "--episodes", 200)?;
    let seed: u64 = number(args, "--seed", 1)?;
    let variant = parse_variant(args.value("--variant").unwrap_or("nominal"))?;
    if episodes == 0 {
        return Err(CliError::Usage("`--episodes` must be at least 1".into()));
    }
    let policy = args.value("--policy").unwrap_or("scripted");
    println!("{HEADER}");
    for task in tasks {
        let config = TaskConfig { task, variant };
        let outcome = match policy {
            "scripted" => scripted(config, episodes, seed)?,
            checkpoint => learned::evaluate(checkpoint, config, episodes, seed)?,
        };
        println!("{}", outcome.row(task, if policy == "scripted" { "scripted" } else { "learned" }));
    }
    Ok(0)
}

fn scripted(config: TaskConfig, episodes: usize, seed: u64) -> Result<Outcome, CliError> {
    let fail = |e: rwd_sim::SimError| CliError::Failed(e.to_string());
    let mut venv = VecEnv::new(config, episodes, seed);
    let mut policy = BasePolicy::new(&venv, PolicyNoise::default());
    let mut actions = vec![0f32; episodes * ACTION_DIM];
    for _ in 0..venv.horizon() {
        policy.act(&venv, &mut actions).map_err(fail)?;
        venv.step(&actions).map_err(fail)?;
    }
    Ok(Outcome::of(&venv))
}

#[cfg(feature = "runtime")]
mod learned {
    use super::super::files::{write_atomic_bytes, check_writable_dir};
    use super::*;
    use rwd_runtime::base::{self, BaseConfig};
    use rwd_runtime::bc::BcConfig;
    use rwd_runtime::checkpoint;

    fn runtime(e: rwd_runtime::RuntimeError) -> CliError {
        CliError::Failed(e.to_string())
    }

    pub fn evaluate(path: &str, config: TaskConfig, episodes: usize, seed: u64) -> Result<Outcome, CliError> {
        let bytes = std::fs::read(path).map_err(|e| CliError::Failed(format!("cannot read `{path}`: {e}")))?;
        let (net, _header) = checkpoint::from_bytes(&bytes, path).map_err(runtime)?;
        let outcomes = rwd_runtime::evaluate_learned(&net, config, episodes, seed).map_err(runtime)?;
        Ok(Outcome { episodes: outcomes.episodes, by_label: outcomes.by_label })
    }

    /// `rwd train-base --task T --out CKPT [--episodes N] [--rounds R] [--epochs E] [--seed S]`
    pub fn train(args: &Args) -> CliResult {
        let task = parse_task(args.value("--task").ok_or_else(|| CliError::Usage("`train-base` needs `--task`".into()))?)?;
        let out = args.value("--out").ok_or_else(|| CliError::Usage("`train-base` needs `--out FILE.ckpt`".into()))?;
        check_writable_dir(out)?;
        let config = BaseConfig {
            task: TaskConfig { task, variant: parse_variant(args.value("--variant").unwrap_or("nominal"))? },
            episodes: number(args, "--episodes", 100)?,
            dagger_rounds: number(args, "--rounds", 2)?,
            seed: number(args, "--seed", 1)?,
            noise: PolicyNoise { scale: number(args, "--noise", 1.0)? },
            bc: BcConfig { epochs: number(args, "--epochs", 20)?, ..BcConfig::default() },
        };
        if config.episodes == 0 {
            return Err(CliError::Usage("`--episodes` must be at least 1".into()));
        }
        println!("round  driven by  pairs     driven success  train loss  validation loss");
        let net = base::train(&config, |r| {
            println!(
                "{:>5}  {:<9}  {:>8}  {:>13.1}%  {:>10.4}  {:>15.4}",
                r.round,
                if r.round == 0 { "scripted" } else { "network" },
                r.pairs,
                100.0 * r.outcomes.success_rate(),
                r.report.train_loss.last().copied().unwrap_or(f64::NAN),
                r.report.validation_loss.last().copied().unwrap_or(f64::NAN)
            );
        })
        .map_err(runtime)?;
        let note = format!("behaviour cloning with {} DAgger round(s), {} episodes each", config.dagger_rounds, config.episodes);
        write_atomic_bytes(out, &checkpoint::to_bytes(&net, task_name(task), &note).map_err(runtime)?)?;
        println!("wrote {out}");
        Ok(0)
    }
}

#[cfg(not(feature = "runtime"))]
mod learned {
    use super::*;

    const MISSING: &str = "this rwd was built without the training runtime (libtorch); build it with `./x cargo build --release --features runtime`";

    pub fn evaluate(_path: &str, _config: TaskConfig, _episodes: usize, _seed: u64) -> Result<Outcome, CliError> {
        Err(CliError::Failed(format!("a learned policy needs libtorch: {MISSING}")))
    }

    pub fn train(_args: &Args) -> CliResult {
        Err(CliError::Failed(format!("`train-base` needs libtorch: {MISSING}")))
    }
}

pub use learned::train;
