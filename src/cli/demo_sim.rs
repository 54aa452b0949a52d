//! The simulator half of `rwd demo`: for every shipped example whose scene
//! the embedded simulator has, roll out the base policy, detect its failure
//! states with the example's compiled `failure`, and read those states (and
//! the successful ones) with the example's compiled recovery reward.

use super::collect::{Verdicts, classify};
use super::sim_link::{Detector, RewardRunner, Verdict, task_for};
use super::{CliError, picture};
use super::files::write_atomic_bytes;
use rwd::Compilation;
use rwd::check::hir::ProgramKind;
use rwd_sim::{BasePolicy, PolicyNoise, TaskConfig, VecEnv};

/// Episodes per task: enough for rates to two digits, seconds on 2 cores.
const EPISODES: usize = 256;
/// A state at rest observed this many times: long enough for a `for N
/// steps` gate in the shipped rewards to complete.
const SETTLE_STEPS: usize = 10;

pub struct SimRow {
    pub task: &'static str,
    pub failure: String,
    pub reward: String,
    pub base_success: usize,
    pub detected: usize,
    /// Detected states the simulator labels with the same failure.
    pub agreeing: usize,
    pub stage_at_failure: String,
    pub progress_at_failure: f64,
    /// Mean normalised reward at the failure states.
    pub reward_at_failure: f64,
    /// The reward `rwd synth` writes from the shipped descriptor of this
    /// failure (no model), read at the same states: name, stage, progress.
    pub synthesized: Option<(String, String, f64)>,
    pub picture: Option<String>,
    /// Recovery training from the detected states with the example's reward
    /// (only in a `rwd` built with the runtime).
    pub recovery: Option<super::train::DemoRecovery>,
}

/// The failure descriptors a VLM would report, shipped with the docs.
const DESCRIPTORS: &str = "docs/descriptors";

/// Runs one example file's first failure (and its recovery reward, if the
/// file has one) in the simulator; `None` if the file has no failure for a
/// simulated scene.
pub fn run(file: &str, text: &str, c: &Compilation, picture_dir: Option<&str>, iterations: usize) -> Result<Option<SimRow>, CliError> {
    let Some(failure) = c.programs.iter().find(|p| p.kind == ProgramKind::Failure) else { return Ok(None) };
    let Ok(task) = task_for(failure) else { return Ok(None) };
    let reward = c.programs.iter().find(|p| p.reward.as_ref().is_some_and(|r| r.failure.as_deref() == Some(failure.name.as_str())));
    let mut detector = Detector::new(failure, task)?;

    let mut venv = VecEnv::new(TaskConfig::new(task), EPISODES, 2026);
    eprintln!("  {file}: {EPISODES} base-policy episodes of `{}`", task.scene_name());
    BasePolicy::new(&venv, PolicyNoise::default())
        .run_episodes(&mut venv, |_, _| {})
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let verdicts = detector.detect(&venv)?;
    let Verdicts { labels, .. } = classify(&venv, &verdicts);
    let detected: Vec<usize> = (0..EPISODES).filter(|&i| verdicts[i] == Verdict::Detected).collect();
    let reading = reward.map(|r| read_at(r, task, &venv, &detected)).transpose()?;
    let synthesized = synthesized_reward(file, text, task, &venv, &detected)?;
    let recovery = match reward {
        Some(r) => {
            let states = detected.iter().map(|&i| venv.state(i)).collect::<Result<Vec<_>, _>>().map_err(|e| CliError::Failed(e.to_string()))?;
            super::train::demo_recovery(r, states, iterations)?
        }
        None => None,
    };
    let picture = match (picture_dir, detected.first()) {
        (Some(dir), Some(&i)) => {
            let path = format!("{dir}/{}.png", failure.name);
            let state = venv.state(i).map_err(|e| CliError::Failed(e.to_string()))?;
            write_atomic_bytes(&path, &picture::png(&state, &format!("{}: base-policy episode {i}", failure.name))?)?;
            Some(path)
        }
        _ => None,
    };
    Ok(Some(SimRow {
        task: task.scene_name(),
        failure: failure.name.clone(),
        reward: reward.map_or("-".into(), |r| r.name.clone()),
        base_success: (0..EPISODES).filter(|&i| venv.success(i)).count(),
        agreeing: detected.iter().filter(|&&i| labels[i] == failure.name).count(),
        detected: detected.len(),
        stage_at_failure: reading.as_ref().map_or_else(|| "-".into(), |r| r.stage.clone()),
        progress_at_failure: reading.as_ref().map_or(f64::NAN, |r| r.progress),
        reward_at_failure: reading.as_ref().map_or(f64::NAN, |r| r.normalized),
        synthesized,
        picture,
        recovery,
    }))
}

/// The first shipped descriptor that `rwd synth` turns into a reward for
/// this file's scene, run on the detected failure states.
fn synthesized_reward(file: &str, text: &str, task: rwd_sim::Task, venv: &VecEnv, detected: &[usize]) -> Result<Option<(String, String, f64)>, CliError> {
    let Ok(scene) = rwd::vlm::scene::SceneView::from_source(file, text, None) else { return Ok(None) };
    let Ok(entries) = std::fs::read_dir(DESCRIPTORS) else { return Ok(None) };
    let mut paths: Vec<std::path::PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|x| x == "json")) {
        let Ok(json) = std::fs::read_to_string(path) else { continue };
        let Ok(descriptor) = rwd::vlm::descriptor::Descriptor::from_json(&json) else { continue };
        let Ok(program) = rwd::vlm::synth::synthesize(&descriptor, Some(&scene)) else { continue };
        let compiled = rwd::compile("synthesized.rwd", &program);
        let Some(reward) = compiled.programs.iter().find(|p| p.kind == ProgramKind::Reward) else { continue };
        if task_for(reward).ok() != Some(task) {
            continue;
        }
        let reading = read_at(reward, task, venv, detected)?;
        return Ok(Some((reward.name.clone(), reading.stage, reading.progress)));
    }
    Ok(None)
}

/// What a reward says about the detected failure states.
struct Reading {
    /// The most common stage, with its count.
    stage: String,
    progress: f64,
    normalized: f64,
}

/// Steps `reward` over every environment's final state, at rest, and reads
/// it at the `detected` ones.
fn read_at(reward: &rwd::ir::Program, task: rwd_sim::Task, venv: &VecEnv, detected: &[usize]) -> Result<Reading, CliError> {
    let mut runner = RewardRunner::new(reward, task, venv.n_envs())?;
    for _ in 0..SETTLE_STEPS {
        runner.step(venv)?;
    }
    let stages: Vec<String> = detected
        .iter()
        .map(|&i| match super::commands::stage_name(reward, runner.state.stage.get(i).copied().unwrap_or(0)) {
            serde_json::Value::String(s) => s,
            _ => "terms".into(),
        })
        .collect();
    Ok(Reading {
        stage: most_common(&stages),
        progress: mean(detected.iter().map(|&i| runner.out.progress[i])),
        normalized: mean(detected.iter().map(|&i| runner.out.normalized[i])),
    })
}

fn most_common(names: &[String]) -> String {
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for n in names {
        match counts.iter_mut().find(|(m, _)| *m == n) {
            Some((_, c)) => *c += 1,
            None => counts.push((n, 1)),
        }
    }
    counts.iter().max_by_key(|(_, c)| *c).map_or("-".into(), |(n, c)| format!("{n} ({c}/{})", names.len()))
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

pub fn print_table(rows: &[SimRow], iterations: usize) {
    println!(
        "{:<16} {:<22} {:>8} {:>14}  {:<14} {:<18} {:>8} {:>7}",
        "scene", "failure", "base ok", "detected (sim)", "reward", "stage at failure", "progress", "reward"
    );
    println!("{}", "-".repeat(116));
    for r in rows {
        let pct = |k: usize| 100.0 * k as f64 / EPISODES as f64;
        let number = |x: f64| if x.is_nan() { "-".to_string() } else { format!("{x:.2}") };
        println!(
            "{:<16} {:<22} {:>7.0}% {:>7} {:>6}  {:<14} {:<18} {:>8} {:>7}",
            r.task,
            r.failure,
            pct(r.base_success),
            r.detected,
            format!("({})", r.agreeing),
            r.reward,
            r.stage_at_failure,
            number(r.progress_at_failure),
            number(r.reward_at_failure),
        );
    }
    println!("\n{EPISODES} episodes per scene of the scripted base policy in the embedded simulator; failures detected");
    println!("by the example's compiled `failure` (in brackets: how many the simulator labels the same);");
    println!("the recovery reward read at each failure state ({SETTLE_STEPS} steps at rest): the stage it starts in,");
    println!("mean progress (0..1) and mean normalised reward.");
    if rows.iter().any(|r| r.recovery.is_some()) {
        println!("\nRecovery training (`rwd train`): from the detected states, the scripted base re-prompted in the failure");
        println!("state, alone and with a residual policy trained by PPO for {iterations} iterations with the example's reward;");
        println!("success of one episode per state (80 steps), on the states trained from and on held-out ones:\n");
        println!("{:<16} {:<14} {:>15} {:>14} {:>14} {:>14}", "scene", "reward", "states (held)", "base, train", "+ residual", "base / + res., held out");
        println!("{}", "-".repeat(104));
        for r in rows {
            if let Some(rec) = &r.recovery {
                let pct = |x: f64| format!("{:.0}%", 100.0 * x);
                println!(
                    "{:<16} {:<14} {:>15} {:>14} {:>14} {:>14}",
                    r.task,
                    r.reward,
                    format!("{} ({})", rec.states.0, rec.states.1),
                    pct(rec.base.0),
                    pct(rec.residual.0),
                    format!("{} / {}", pct(rec.base.1), pct(rec.residual.1)),
                );
            }
        }
    }
    println!("\nThe reward `rwd synth` writes, without a model, from the failure descriptor a VLM would report");
    println!("({DESCRIPTORS}/), read at the same failure states:\n");
    println!("{:<16} {:<28} {:<22} {:>8}", "scene", "synthesized reward", "stage at failure", "progress");
    println!("{}", "-".repeat(77));
    for r in rows {
        match &r.synthesized {
            Some((name, stage, progress)) => println!("{:<16} {name:<28} {stage:<22} {progress:>8.2}", r.task),
            None => println!("{:<16} {:<28}", r.task, "(no descriptor for this scene)"),
        }
    }
    println!();
    for r in rows.iter().filter_map(|r| r.picture.as_ref()) {
        println!("picture of a failure state: {r}");
    }
}
