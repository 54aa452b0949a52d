//! `rwd train-afil`: failure-informed fine-tuning (AFIL) of a learned base
//! policy; see `rwd_runtime::afil`. Needs libtorch, like `train-base`. Also
//! the demo's last table: a base cloned from the scripted policy, then
//! fine-tuned.

use super::args::Args;
use super::{CliError, CliResult};

#[cfg(not(feature = "runtime"))]
pub fn run(_args: &Args) -> CliResult {
    Err(CliError::Failed(format!("`train-afil` needs libtorch: {}", super::base::MISSING)))
}

/// Without the runtime there is no learned base in the demo.
#[cfg(not(feature = "runtime"))]
pub fn demo(_task: rwd_sim::Task) -> Result<Option<String>, CliError> {
    Ok(None)
}

/// Episodes each policy of the demo's table is judged on (the seeds of
/// `rwd evaluate`).
#[cfg(feature = "runtime")]
const DEMO_EPISODES: usize = 200;

/// The demo's learned-base table for `task`, with `train-base`'s and
/// `train-afil`'s default settings (about 15 s): the clone, then AFIL with
/// and without guidance, each judged on the same held-out episodes.
#[cfg(feature = "runtime")]
pub fn demo(task: rwd_sim::Task) -> Result<Option<String>, CliError> {
    use super::base::{failed_states, runtime, task_name};
    use rwd_runtime::afil::{self, AfilConfig};
    use rwd_runtime::base::{self, BaseConfig};
    use rwd_runtime::evaluate_learned;
    use rwd_sim::TaskConfig;

    let config = TaskConfig::new(task);
    eprintln!("  learned base: cloning the scripted policy on `{}`", task_name(task));
    let (mut net, _) = base::train(&BaseConfig::new(config), |_| {}).map_err(runtime)?;
    let judge = |net: &rwd_runtime::PolicyNet| evaluate_learned(net, config, DEMO_EPISODES, 1).map_err(runtime);
    let cloned = judge(&net)?;
    eprintln!("  learned base: AFIL fine-tuning");
    let afil_config = AfilConfig::new(config);
    let (tuned, report) = afil::train(&net, &afil_config, |_| {}).map_err(runtime)?;
    let guided = judge(&tuned)?;
    net = tuned;
    net.set_guidance(0.0).map_err(runtime)?;
    let unguided = judge(&net)?;
    let mut out = String::new();
    let line = |out: &mut String, policy: &str, o: &rwd_sim::Outcomes| {
        out.push_str(&format!("{policy:<42} {:>7.1}%  {}\n", 100.0 * o.success_rate(), failed_states(o)));
    };
    out.push_str(&format!(
        "The learned base policy (libtorch) on `{}`: an MLP cloned from the scripted policy (`rwd train-base`), then\n",
        task_name(task)
    ));
    out.push_str("fine-tuned by AFIL from its own perturbed rollouts (`rwd train-afil`): a success head and a failure head,\n");
    out.push_str(&format!("acting steered away from failure; success over {DEMO_EPISODES} held-out episodes:\n\n"));
    out.push_str(&format!("{:<42} {:>8}  {}\n{}\n", "policy", "success", "final states that failed", "-".repeat(80)));
    line(&mut out, "clone of the scripted policy", &cloned);
    line(&mut out, &format!("AFIL, guidance {}", afil_config.guidance), &guided);
    line(&mut out, "AFIL, guidance 0 (the success head alone)", &unguided);
    out.push_str(&format!(
        "\nthe heads disagree by (1 - cos)/2 = {:.1e} on average; guidance {} moves actions by {:.1}%\n",
        report.heads.disagreement,
        afil_config.guidance,
        100.0 * report.heads.guidance_shift
    ));
    Ok(Some(out))
}

/// `rwd train-afil --policy CKPT --out CKPT [--task T] [--rollouts N] [--epochs E]
/// [--guidance G] [--perturb SIGMA] [--select-every E] [--select-episodes N] [--seed S] [--variant V]`
#[cfg(feature = "runtime")]
pub fn run(args: &Args) -> CliResult {
    use super::base::{kept_line, load, parse_task, runtime, score_cell, task_name};
    use super::collect::parse_variant;
    use super::files::{check_writable_dir, write_atomic_bytes};
    use rwd_runtime::afil::{self, AfilConfig, Progress};
    use rwd_runtime::checkpoint;
    use rwd_sim::TaskConfig;

    let path = args.value("--policy").ok_or_else(|| CliError::Usage("`train-afil` needs `--policy CKPT` (from `rwd train-base`)".into()))?;
    let out = args.value("--out").ok_or_else(|| CliError::Usage("`train-afil` needs `--out FILE.ckpt`".into()))?;
    check_writable_dir(out)?;
    // Every option is read before the checkpoint, so a bad one is named
    // first; the task is the one the base was cloned on unless told.
    let variant = parse_variant(args.value("--variant").unwrap_or("nominal"))?;
    let task = args.value("--task").map(parse_task).transpose()?;
    // (Without `--task`, the task is set from the checkpoint below.)
    let mut config = AfilConfig::new(TaskConfig { task: task.unwrap_or(rwd_sim::Task::PickTrash), variant });
    // Each rollout keeps up to about 30 KB of training pairs.
    config.rollouts = args.count("--rollouts", config.rollouts, 2..=10_000)?;
    config.epochs = args.count("--epochs", config.epochs, 1..=10_000)?;
    config.guidance = args.number("--guidance", config.guidance)?;
    config.perturbation = args.number("--perturb", config.perturbation)?;
    config.seed = args.number("--seed", config.seed)?;
    config.select_every = args.number("--select-every", config.select_every)?;
    config.selection_episodes = args.count("--select-episodes", config.selection_episodes, 0..=1_000_000)?;
    let (base, header) = load(path)?;
    config.task.task = match task {
        Some(task) => task,
        None => parse_task(&header.task)?,
    };
    let task = config.task.task;

    let (net, report) = afil::train(&base, &config, |p| match p {
        Progress::RolledOut { outcomes, success_pairs, failure_pairs } => {
            println!(
                "rollouts of `{path}`: {} episodes, {:.1}% succeeded; {success_pairs} pairs from successes, {failure_pairs} from failures",
                outcomes.episodes,
                100.0 * outcomes.success_rate()
            );
            println!("epoch  success-head loss  failure-head loss  closed-loop success (guidance {})", config.guidance);
        }
        Progress::Epoch { epoch, success_loss, failure_loss, success } => {
            let success = score_cell(*success);
            println!("{:>5}  {success_loss:>17.4}  {failure_loss:>17.4}  {success:>19}", epoch + 1);
        }
    })
    .map_err(runtime)?;
    let kept = report.kept_epoch + 1;
    println!("{}", kept_line(report.kept_epoch, &report.scores, config.selection_episodes));
    let gap = report.heads;
    println!(
        "the heads on the rollout states: disagreement (1 - cos)/2 {:.2e}, distance {:.1}% of the action; guidance {} moves actions by {:.2}%",
        gap.disagreement,
        100.0 * gap.relative_distance,
        config.guidance,
        100.0 * gap.guidance_shift
    );
    let note = format!(
        "AFIL fine-tuning (guidance {}) of {path} from {} rollouts perturbed by {}; epoch {kept} of {} kept; the base: {}",
        config.guidance, config.rollouts, config.perturbation, config.epochs, header.note
    );
    write_atomic_bytes(out, &checkpoint::to_bytes(&net, task_name(task), &note).map_err(runtime)?)?;
    println!("wrote {out}");
    Ok(0)
}
