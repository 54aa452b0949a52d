//! The learned base policy: behaviour cloning of the scripted controller,
//! with noise injected while it demonstrates (DART, Laskey et al., 2017)
//! and the weights chosen by closed-loop success.
//!
//! Plain cloning fails by compounding error: the network drifts into states
//! the controller never visited and has no label for. DAgger (Ross et al.,
//! 2011) answers that by asking the expert about the network's states, but
//! it needs an expert whose action is a function of the state. The scripted
//! controller is a state machine (phases, timers, retries): run alongside
//! the network's episode its memory stops matching the scene, and its
//! labels there (give up, stand still) taught the network to stall (0%
//! closed-loop success in every configuration tried). DART keeps the
//! controller in charge of its own episode, so its memory stays valid, and
//! perturbs what is executed: the states drift the way a network's would,
//! and every one of them is labelled with the controller's clean action
//! (its correction).

use std::cell::{Cell, RefCell};

use rwd_sim::rng::Rng;
use rwd_sim::{ACTION_DIM, BasePolicy, Outcomes, PolicyNoise, TaskConfig, VecEnv};

use crate::bc::{self, BcConfig, BcReport, Demonstrations, Selection};
use crate::error::RuntimeError;
use crate::policy_net::PolicyNet;
use crate::rollout::{INPUT_DIM, evaluate_learned, perturbed_rollout, sim};

/// How to train a base policy.
#[derive(Debug, Clone)]
pub struct BaseConfig {
    pub task: TaskConfig,
    /// Demonstration episodes (rolled out in parallel).
    pub episodes: usize,
    pub seed: u64,
    /// The demonstrator's perception noise: 0 clones an oracle, 1 the
    /// scripted base policy with its failure modes.
    pub noise: PolicyNoise,
    /// Standard deviation of the Gaussian noise added to every executed
    /// action component while demonstrating (actions are in [-1, 1]).
    pub perturbation: f64,
    pub bc: BcConfig,
    /// Score the weights in closed loop every this many epochs and keep the
    /// best (0: keep the last epoch's).
    pub select_every: usize,
    /// Episodes per closed-loop score, on seeds disjoint from the
    /// demonstrations' and from `rwd evaluate`'s default ones.
    pub selection_episodes: usize,
}

impl BaseConfig {
    /// The settings `rwd train-base` uses unless told otherwise.
    pub fn new(task: TaskConfig) -> BaseConfig {
        BaseConfig {
            task,
            episodes: 400,
            seed: 1,
            noise: PolicyNoise::default(),
            perturbation: 0.1,
            bc: BcConfig { epochs: 40, ..BcConfig::default() },
            select_every: 5,
            selection_episodes: 100,
        }
    }

    fn validate(&self) -> Result<(), RuntimeError> {
        if self.episodes == 0 {
            return Err(RuntimeError::Config { field: "episodes", problem: "must be at least 1".into() });
        }
        if !(0.0..=1.0).contains(&self.perturbation) {
            return Err(RuntimeError::Config { field: "perturbation", problem: "must be in [0, 1]".into() });
        }
        if !(self.noise.scale >= 0.0 && self.noise.scale.is_finite()) {
            return Err(RuntimeError::Config { field: "noise", problem: "must be a finite number >= 0".into() });
        }
        if self.select_every > 0 && self.selection_episodes == 0 {
            return Err(RuntimeError::Config { field: "selection_episodes", problem: "must be at least 1 to select".into() });
        }
        Ok(())
    }

    /// Seeds for closed-loop scoring: far from the demonstration seed and
    /// from small evaluation seeds, so the kept weights are not chosen on
    /// the episodes they are later judged on.
    pub fn selection_seed(&self) -> u64 {
        self.seed.wrapping_add(0x5E1E_C7ED)
    }

    /// Seeds of the demonstration episodes. Not `seed` itself: `rwd
    /// evaluate` judges on seed 1 by default, and with the same seed the
    /// clone would be judged on the very scenes it was shown.
    pub fn demonstration_seed(&self) -> u64 {
        self.seed.wrapping_add(0xDE30_0000_0000)
    }
}

/// What training reports as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The demonstrations are in: how many pairs, and how the perturbed
    /// demonstrator's episodes ended.
    Demonstrated { pairs: usize, outcomes: Outcomes },
    /// One epoch of cloning; `success` when it was scored in closed loop.
    Epoch { epoch: usize, train_loss: f64, validation_loss: f64, success: Option<f64> },
}

/// Trains a network that imitates the scripted controller.
pub fn train(config: &BaseConfig, mut on_progress: impl FnMut(&Progress)) -> Result<(PolicyNet, BcReport), RuntimeError> {
    config.validate()?;
    let mut demos = Demonstrations::new(INPUT_DIM, ACTION_DIM);
    let outcomes = demonstrate(config, &mut demos)?;
    on_progress(&Progress::Demonstrated { pairs: demos.len(), outcomes });

    // An epoch is reported once: right away, or with its score if it gets one.
    let progress = RefCell::new(on_progress);
    let losses = Cell::new((0, f64::NAN, f64::NAN));
    let mut score = |epoch: usize, net: &PolicyNet| -> Result<f64, RuntimeError> {
        let success = evaluate_learned(net, config.task, config.selection_episodes, config.selection_seed())?.success_rate();
        let (_, train_loss, validation_loss) = losses.get();
        (progress.borrow_mut())(&Progress::Epoch { epoch, train_loss, validation_loss, success: Some(success) });
        Ok(success)
    };
    let every = config.select_every;
    let selection = (every > 0).then(|| Selection { every, score: &mut score });
    let (net, report) = bc::train_selected(&demos, &config.bc, selection, |epoch, train_loss, validation_loss| {
        losses.set((epoch, train_loss, validation_loss));
        if every == 0 || !Selection::scores_after(every, epoch, config.bc.epochs) {
            (progress.borrow_mut())(&Progress::Epoch { epoch, train_loss, validation_loss, success: None });
        }
    })?;
    Ok((net, report))
}

/// The scripted controller demonstrates `config.episodes` episodes with its
/// executed actions perturbed; every state before an episode ends becomes
/// a pair (input row, the controller's clean action).
fn demonstrate(config: &BaseConfig, demos: &mut Demonstrations) -> Result<Outcomes, RuntimeError> {
    let mut venv = VecEnv::new(config.task, config.episodes, config.demonstration_seed());
    let mut expert = BasePolicy::new(&venv, config.noise);
    let mut rng = Rng::new(config.seed ^ 0xDA27_0000_0000_0001);
    perturbed_rollout(
        &mut venv,
        config.perturbation,
        &mut rng,
        |_, venv, labels| expert.act(venv, labels).map_err(sim),
        |_, row, label, _| demos.push(row, label),
    )?;
    Ok(Outcomes::of(&venv))
}
