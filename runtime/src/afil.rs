//! Failure-informed fine-tuning of a learned base policy, after AFIL
//! ("Failing Forward: Adaptive Failure-Informed Learning for
//! Vision-Language-Action Models", arXiv:2605.08434): the pretrained policy
//! rolls out on its own, its episodes are split by outcome, and two action
//! heads on the shared hidden layers learn from them, the action head from
//! the successful episodes and a failure head from the failed ones. Acting
//! steers the action head's output away from the failure head's, by an
//! amount that grows with how far the two point apart (their cosine
//! disagreement; [`PolicyNet::act`]).
//!
//! AFIL's generators are diffusion or flow heads and its guidance strength
//! comes from the distance between the two distributions at each denoising
//! step. The base policies here are deterministic regressors, so each head
//! predicts a mean action and the distance is the cosine between the two
//! means: heads that agree (states where success and failure acted alike)
//! leave the action alone; heads that disagree push it away from what the
//! failed episodes did.

use std::cell::RefCell;

use rwd_sim::rng::Rng;
use rwd_sim::{ACTION_DIM, Outcomes, TaskConfig, VecEnv};
use tch::nn::OptimizerConfig;
use tch::{Kind, Reduction, Tensor, nn};

use crate::bc::{Demonstrations, Selection};
use crate::error::RuntimeError;
use crate::policy_net::{BestWeights, NetSpec, PolicyNet, batch_tensor, check_guidance, disagreement, lock_rng};
use crate::rollout::{INPUT_DIM, evaluate_learned, perturbed_rollout};

/// How to fine-tune a base policy with its own failures.
#[derive(Debug, Clone)]
pub struct AfilConfig {
    pub task: TaskConfig,
    /// Episodes the base policy rolls out (in parallel) to be split by outcome.
    pub rollouts: usize,
    pub seed: u64,
    /// Standard deviation of the Gaussian noise added to every executed
    /// action component during the rollouts, for variety among them.
    pub perturbation: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// The guidance scale the result acts with (and is scored with). The
    /// trained heads disagree little ((1 - cos)/2 is 6e-4 to 5e-3 on the
    /// rollout states), so 100 moves actions by 1% to 10%; at 300 success
    /// fell on three of four tasks (docs/cli.md#train-afil).
    pub guidance: f64,
    /// Score in closed loop every this many epochs and keep the best
    /// weights (0: keep the last epoch's).
    pub select_every: usize,
    pub selection_episodes: usize,
}

impl AfilConfig {
    /// The settings `rwd train-afil` uses unless told otherwise.
    pub fn new(task: TaskConfig) -> AfilConfig {
        AfilConfig {
            task,
            rollouts: 400,
            seed: 1,
            perturbation: 0.1,
            epochs: 20,
            batch_size: 256,
            learning_rate: 5e-4,
            guidance: 100.0,
            select_every: 5,
            selection_episodes: 100,
        }
    }

    fn validate(&self) -> Result<(), RuntimeError> {
        let bad = |field, problem: &str| Err(RuntimeError::Config { field, problem: problem.into() });
        if self.rollouts < 2 {
            return bad("rollouts", "must be at least 2 (some to succeed, some to fail)");
        }
        if !(0.0..=1.0).contains(&self.perturbation) {
            return bad("perturbation", "must be in [0, 1]");
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return bad("epochs", "epochs and batch size must be at least 1");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad("learning_rate", "must be a positive number");
        }
        check_guidance(self.guidance)?;
        if self.select_every > 0 && self.selection_episodes == 0 {
            return bad("selection_episodes", "must be at least 1 to select");
        }
        Ok(())
    }

    /// Seeds for closed-loop scoring, disjoint from the rollouts' and from
    /// small evaluation seeds (as `train-base` does).
    pub fn selection_seed(&self) -> u64 {
        self.seed.wrapping_add(0xAF11_5E1E)
    }

    /// Seeds of the rollouts, disjoint from small evaluation seeds (`rwd
    /// evaluate` uses 1) and from `train-base`'s demonstrations.
    pub fn rollout_seed(&self) -> u64 {
        self.seed.wrapping_add(0xAF11_0000_0000)
    }
}

/// What fine-tuning reports as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The rollouts are in: how they ended and the pairs of each kind.
    RolledOut { outcomes: Outcomes, success_pairs: usize, failure_pairs: usize },
    /// One epoch; `success` when it was scored in closed loop.
    Epoch { epoch: usize, success_loss: f64, failure_loss: f64, success: Option<f64> },
}

/// Per-epoch losses of the two heads, the closed-loop scores, and the
/// epoch kept.
#[derive(Debug, Clone, Default)]
pub struct AfilReport {
    pub success_loss: Vec<f64>,
    pub failure_loss: Vec<f64>,
    pub scores: Vec<(usize, f64)>,
    pub kept_epoch: usize,
    /// How the kept network's heads compare on the rollout states.
    pub heads: HeadGap,
}

/// How far apart the two heads are, averaged over a set of states: what
/// guidance has to work with.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HeadGap {
    /// Mean of `(1 - cos(s, f)) / 2`, the guidance weight per unit of scale.
    pub disagreement: f64,
    /// Mean of `|s - f| / |s|`: the heads' distance relative to the action.
    pub relative_distance: f64,
    /// Mean of `|a - s| / |s|` at the network's guidance scale: how far
    /// guidance moved the actions.
    pub guidance_shift: f64,
}

/// [`HeadGap`] of `net` over the states `obs` (`n x obs_dim`).
pub fn head_gap(net: &PolicyNet, obs: &Tensor) -> Option<HeadGap> {
    tch::no_grad(|| {
        let success = net.forward(obs);
        let failure = net.forward_failure(obs)?;
        let weight = disagreement(&success, &failure);
        let norm = success.norm_scalaropt_dim(2, [1], false).clamp_min(1e-8);
        let distance = (&success - &failure).norm_scalaropt_dim(2, [1], false) / &norm;
        let shift = &distance * &weight * net.guidance();
        Some(HeadGap {
            disagreement: weight.mean(Kind::Double).double_value(&[]),
            relative_distance: distance.mean(Kind::Double).double_value(&[]),
            guidance_shift: shift.mean(Kind::Double).double_value(&[]),
        })
    })
}

/// Fine-tunes `base` into a network with a failure head, acting with
/// `config.guidance`.
pub fn train(
    base: &PolicyNet,
    config: &AfilConfig,
    on_progress: impl FnMut(&Progress),
) -> Result<(PolicyNet, AfilReport), RuntimeError> {
    config.validate()?;
    if base.spec.obs_dim != INPUT_DIM || base.spec.act_dim != ACTION_DIM {
        return Err(RuntimeError::Config {
            field: "policy",
            problem: format!("not a base policy: it maps {} -> {} values", base.spec.obs_dim, base.spec.act_dim),
        });
    }
    let on_progress = RefCell::new(on_progress);
    let (success, failure, outcomes) = roll_out(base, config)?;
    (on_progress.borrow_mut())(&Progress::RolledOut {
        outcomes: outcomes.clone(),
        success_pairs: success.len(),
        failure_pairs: failure.len(),
    });
    let kind_missing = |kind: &str| RuntimeError::Config {
        field: "rollouts",
        problem: format!(
            "no {kind} episode among {} rollouts ({:.0}% succeeded): both heads need examples; roll out more episodes",
            outcomes.episodes,
            100.0 * outcomes.success_rate()
        ),
    };
    if success.is_empty() {
        return Err(kind_missing("successful"));
    }
    if failure.is_empty() {
        return Err(kind_missing("failed"));
    }

    let _rng = lock_rng();
    tch::manual_seed(config.seed as i64);
    let spec = NetSpec { failure_head: true, ..base.spec.clone() };
    let fresh = || -> Result<PolicyNet, RuntimeError> {
        let mut net = PolicyNet::new_with_rng_held(spec.clone())?;
        net.copy_from(base)?;
        net.failure_head_from_action_head();
        net.set_guidance(config.guidance)?;
        Ok(net)
    };
    let net = fresh()?;
    let mut best = (config.select_every > 0).then(|| fresh().map(BestWeights::new)).transpose()?;

    let pairs = |d: &Demonstrations, what| -> Result<(Tensor, Tensor), RuntimeError> {
        Ok((batch_tensor(what, &d.obs, d.len(), d.obs_dim)?, batch_tensor(what, &d.actions, d.len(), d.act_dim)?))
    };
    let (success_obs, success_act) = pairs(&success, "successful rollouts")?;
    let (failure_obs, failure_act) = pairs(&failure, "failed rollouts")?;
    let mut optimiser = nn::Adam::default().build(&net.vs, config.learning_rate)?;
    let mut report = AfilReport::default();
    let batch = config.batch_size as i64;
    // An epoch is a pass over the larger set; the smaller one is cycled.
    let (n_s, n_f) = (success.len() as i64, failure.len() as i64);
    let steps = (n_s.max(n_f) + batch - 1) / batch;
    for epoch in 0..config.epochs {
        let (order_s, order_f) = (shuffled(n_s, steps * batch), shuffled(n_f, steps * batch));
        let (mut total_s, mut total_f) = (0.0, 0.0);
        for step in 0..steps {
            let (idx_s, idx_f) = (order_s.narrow(0, step * batch, batch), order_f.narrow(0, step * batch, batch));
            let loss_s = net.forward(&success_obs.index_select(0, &idx_s)).mse_loss(&success_act.index_select(0, &idx_s), Reduction::Mean);
            let predicted_f = net.forward_failure(&failure_obs.index_select(0, &idx_f)).ok_or(RuntimeError::Config {
                field: "policy",
                problem: "the network lost its failure head".into(),
            })?;
            let loss_f = predicted_f.mse_loss(&failure_act.index_select(0, &idx_f), Reduction::Mean);
            total_s += loss_s.double_value(&[]);
            total_f += loss_f.double_value(&[]);
            optimiser.backward_step(&(loss_s + loss_f));
        }
        let (success_loss, failure_loss) = (total_s / steps as f64, total_f / steps as f64);
        report.success_loss.push(success_loss);
        report.failure_loss.push(failure_loss);
        report.kept_epoch = epoch;
        let mut scored = None;
        if let Some(best) = best.as_mut()
            && Selection::scores_after(config.select_every, epoch, config.epochs)
        {
            let score = evaluate_learned(&net, config.task, config.selection_episodes, config.selection_seed())?.success_rate();
            report.scores.push((epoch, score));
            best.offer(&net, score, epoch)?;
            scored = Some(score);
        }
        (on_progress.borrow_mut())(&Progress::Epoch { epoch, success_loss, failure_loss, success: scored });
    }
    let net = match best.and_then(BestWeights::into_kept) {
        Some((kept, epoch, _)) => {
            report.kept_epoch = epoch;
            kept
        }
        None => net,
    };
    report.heads = head_gap(&net, &Tensor::cat(&[&success_obs, &failure_obs], 0)).unwrap_or_default();
    Ok((net, report))
}

/// `len` indices into `0..n`: whole random permutations laid end to end.
fn shuffled(n: i64, len: i64) -> Tensor {
    let copies = (len + n - 1) / n;
    let parts: Vec<Tensor> = (0..copies).map(|_| Tensor::randperm(n, (Kind::Int64, tch::Device::Cpu))).collect();
    Tensor::cat(&parts, 0).narrow(0, 0, len)
}

/// The base policy's own episodes, its executed actions perturbed; every
/// (input row, executed action) pair before an episode ends goes to the
/// successful or the failed set by how its episode ended.
fn roll_out(base: &PolicyNet, config: &AfilConfig) -> Result<(Demonstrations, Demonstrations, Outcomes), RuntimeError> {
    let n = config.rollouts;
    let mut venv = VecEnv::new(config.task, n, config.rollout_seed());
    let mut rng = Rng::new(config.seed ^ 0xAF11_0000_0000_0001);
    let mut per_env: Vec<Demonstrations> = (0..n).map(|_| Demonstrations::new(INPUT_DIM, ACTION_DIM)).collect();
    perturbed_rollout(
        &mut venv,
        config.perturbation,
        &mut rng,
        |rows, _, chosen| {
            chosen.copy_from_slice(&base.act(rows, n)?.0);
            Ok(())
        },
        |env, row, _, executed| per_env[env].push(row, executed),
    )?;
    let outcomes = Outcomes::of(&venv);
    let mut success = Demonstrations::new(INPUT_DIM, ACTION_DIM);
    let mut failure = Demonstrations::new(INPUT_DIM, ACTION_DIM);
    for (env, pairs) in per_env.into_iter().enumerate() {
        let into = if venv.success(env) { &mut success } else { &mut failure };
        into.obs.extend_from_slice(&pairs.obs);
        into.actions.extend_from_slice(&pairs.actions);
    }
    Ok((success, failure, outcomes))
}
