//! Rollouts in the embedded simulator: demonstrations from the scripted
//! controller, and evaluation of a base policy (scripted or learned) by
//! success rate and the simulator's labels of the final states.

use std::collections::BTreeMap;

use rwd_sim::tasks::failure_mode;
use rwd_sim::{ACTION_DIM, BasePolicy, POLICY_OBS_DIM, PolicyNoise, TaskConfig, VecEnv};

use crate::bc::Demonstrations;
use crate::error::RuntimeError;
use crate::policy_net::PolicyNet;

fn sim(error: rwd_sim::SimError) -> RuntimeError {
    RuntimeError::Config { field: "simulator", problem: error.to_string() }
}

/// How a batch of episodes ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcomes {
    pub episodes: usize,
    pub successes: usize,
    /// Final states by the simulator's label ("success", a failure mode, "other").
    pub by_label: BTreeMap<String, usize>,
}

impl Outcomes {
    pub fn success_rate(&self) -> f64 {
        if self.episodes == 0 { 0.0 } else { self.successes as f64 / self.episodes as f64 }
    }

    pub(crate) fn of(venv: &VecEnv) -> Outcomes {
        let mut outcomes = Outcomes { episodes: venv.n_envs(), ..Outcomes::default() };
        for state in venv.envs() {
            let label = if state.success { "success" } else { failure_mode(state).unwrap_or("other") };
            outcomes.successes += usize::from(state.success);
            *outcomes.by_label.entry(label.to_string()).or_default() += 1;
        }
        outcomes
    }
}

/// Rolls out the scripted controller in `episodes` environments and records
/// (policy observation, expert action) for every step before each episode
/// ends. Returns the pairs and how the episodes ended.
pub fn collect_demonstrations(
    config: TaskConfig,
    episodes: usize,
    seed: u64,
    noise: PolicyNoise,
    mut on_step: impl FnMut(u32, u32),
) -> Result<(Demonstrations, Outcomes), RuntimeError> {
    let mut venv = VecEnv::new(config, episodes, seed);
    let mut policy = BasePolicy::new(&venv, noise);
    let mut obs = vec![0f32; episodes * POLICY_OBS_DIM];
    let mut actions = vec![0f32; episodes * ACTION_DIM];
    let mut demos = Demonstrations::new(POLICY_OBS_DIM, ACTION_DIM);
    let horizon = venv.horizon();
    for step in 0..horizon {
        venv.policy_obs(&mut obs).map_err(sim)?;
        policy.act(&venv, &mut actions).map_err(sim)?;
        for env in 0..episodes {
            if !venv.done(env) {
                let o = &obs[env * POLICY_OBS_DIM..(env + 1) * POLICY_OBS_DIM];
                let a = &actions[env * ACTION_DIM..(env + 1) * ACTION_DIM];
                demos.push(o, a)?;
            }
        }
        venv.step(&actions).map_err(sim)?;
        on_step(step + 1, horizon);
    }
    Ok((demos, Outcomes::of(&venv)))
}

/// The scripted controller's outcomes over `episodes` seeded episodes.
pub fn evaluate_scripted(config: TaskConfig, episodes: usize, seed: u64, noise: PolicyNoise) -> Result<Outcomes, RuntimeError> {
    let mut venv = VecEnv::new(config, episodes, seed);
    let mut policy = BasePolicy::new(&venv, noise);
    let mut actions = vec![0f32; episodes * ACTION_DIM];
    for _ in 0..venv.horizon() {
        policy.act(&venv, &mut actions).map_err(sim)?;
        venv.step(&actions).map_err(sim)?;
    }
    Ok(Outcomes::of(&venv))
}

/// A learned policy's outcomes over the same kind of episodes: it sees only
/// the policy observation, acts every step, and its actions are clipped by
/// the simulator like any other.
pub fn evaluate_learned(net: &PolicyNet, config: TaskConfig, episodes: usize, seed: u64) -> Result<Outcomes, RuntimeError> {
    if net.spec.obs_dim != POLICY_OBS_DIM || net.spec.act_dim != ACTION_DIM {
        return Err(RuntimeError::Config {
            field: "policy",
            problem: format!(
                "the network maps {} -> {} values; the simulator's policy observation has {POLICY_OBS_DIM} and its action {ACTION_DIM}",
                net.spec.obs_dim, net.spec.act_dim
            ),
        });
    }
    let mut venv = VecEnv::new(config, episodes, seed);
    let mut obs = vec![0f32; episodes * POLICY_OBS_DIM];
    for _ in 0..venv.horizon() {
        venv.policy_obs(&mut obs).map_err(sim)?;
        let (actions, _features) = net.act(&obs, episodes)?;
        venv.step(&actions).map_err(sim)?;
    }
    Ok(Outcomes::of(&venv))
}
