//! The learned base policy: behaviour cloning with DAgger. Plain cloning
//! of a closed-loop controller fails by compounding error: the network
//! drifts into states the controller never visited and has no label for.
//! DAgger (Ross et al., 2011) rolls the network out, asks the controller
//! what it would have done in the states the network reached, adds those
//! pairs and trains again.

use rwd_sim::{ACTION_DIM, BasePolicy, Outcomes, PolicyNoise, TaskConfig, VecEnv};

use crate::bc::{self, BcConfig, BcReport, Demonstrations};
use crate::error::RuntimeError;
use crate::policy_net::PolicyNet;
use crate::rollout::{BaseInputs, INPUT_DIM, sim};

/// How to train a base policy.
#[derive(Debug, Clone)]
pub struct BaseConfig {
    pub task: TaskConfig,
    /// Episodes per round (rolled out in parallel).
    pub episodes: usize,
    /// Rounds after the first, expert-driven one.
    pub dagger_rounds: usize,
    pub seed: u64,
    pub noise: PolicyNoise,
    pub bc: BcConfig,
}

/// What happened in one round.
#[derive(Debug, Clone)]
pub struct Round {
    pub round: usize,
    pub pairs: usize,
    /// How the episodes driven this round ended (the expert's in round 0,
    /// the network's after).
    pub outcomes: Outcomes,
    pub report: BcReport,
}

/// Trains a network that imitates the scripted controller.
pub fn train(config: &BaseConfig, mut on_round: impl FnMut(&Round)) -> Result<PolicyNet, RuntimeError> {
    let mut demos = Demonstrations::new(INPUT_DIM, ACTION_DIM);
    let mut net: Option<PolicyNet> = None;
    for round in 0..=config.dagger_rounds {
        let seed = config.seed.wrapping_add(round as u64 * 7919);
        let outcomes = rollout(config, net.as_ref(), seed, &mut demos)?;
        let (trained, report) = bc::train(&demos, &config.bc, |_, _, _| {})?;
        net = Some(trained);
        on_round(&Round { round, pairs: demos.len(), outcomes, report });
    }
    net.ok_or(RuntimeError::Config { field: "dagger_rounds", problem: "no round ran".into() })
}

/// One round of episodes driven by `driver` (the expert when `None`), with
/// the expert's action recorded for every state before its episode ends.
fn rollout(config: &BaseConfig, driver: Option<&PolicyNet>, seed: u64, demos: &mut Demonstrations) -> Result<Outcomes, RuntimeError> {
    let n = config.episodes;
    let mut venv = VecEnv::new(config.task, n, seed);
    let mut expert = BasePolicy::new(&venv, config.noise);
    let mut inputs = BaseInputs::new(n);
    let mut labels = vec![0f32; n * ACTION_DIM];
    for _ in 0..venv.horizon() {
        inputs.fill(&venv)?;
        // The expert acts every step even when it does not drive: its
        // controller state follows the episode, so its labels stay valid.
        expert.act(&venv, &mut labels).map_err(sim)?;
        for env in (0..n).filter(|&e| !venv.done(e)) {
            demos.push(inputs.row(env), &labels[env * ACTION_DIM..(env + 1) * ACTION_DIM])?;
        }
        let driven = match driver {
            None => labels.clone(),
            Some(net) => net.act(inputs.fill(&venv)?, n)?.0,
        };
        venv.step(&driven).map_err(sim)?;
        inputs.executed(&driven);
    }
    Ok(Outcomes::of(&venv))
}
