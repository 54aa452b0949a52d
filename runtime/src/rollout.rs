//! Rollouts in the embedded simulator: a base policy's input rows, and
//! evaluation of a base policy (scripted or learned) by success rate and the
//! simulator's labels of the final states.

use rwd_sim::obs::CLOCK_SLOT;
use rwd_sim::rng::Rng;
use rwd_sim::{ACTION_DIM, BasePolicy, Outcomes, POLICY_OBS_DIM, PolicyNoise, TaskConfig, VecEnv};

use crate::error::RuntimeError;
use crate::policy_net::PolicyNet;

/// A base policy's input: the simulator's policy observation followed by
/// the action executed at the previous step (zero at the start). The
/// scripted controller is a state machine; the previous action tells a
/// memoryless network which phase it is in (approaching and retreating
/// pass through the same states). The episode clock is withheld (its slot
/// is 0): with it the network learns when the demonstrator usually did
/// what instead of reacting to the scene, and a late or early episode
/// stalls (pick trash, 200 perturbed demonstrations, without the previous
/// action: 37% closed-loop success with the clock, 69% without).
pub const INPUT_DIM: usize = POLICY_OBS_DIM + ACTION_DIM;

/// The input rows of a batch, kept between steps.
pub struct BaseInputs {
    n: usize,
    rows: Vec<f32>,
    obs: Vec<f32>,
    previous: Vec<f32>,
}

impl BaseInputs {
    pub fn new(n: usize) -> BaseInputs {
        BaseInputs { n, rows: vec![0.0; n * INPUT_DIM], obs: vec![0.0; n * POLICY_OBS_DIM], previous: vec![0.0; n * ACTION_DIM] }
    }

    /// The rows for the current states, `n x INPUT_DIM`.
    pub fn fill(&mut self, venv: &VecEnv) -> Result<&[f32], RuntimeError> {
        venv.policy_obs(&mut self.obs).map_err(sim)?;
        for env in 0..self.n {
            let row = &mut self.rows[env * INPUT_DIM..(env + 1) * INPUT_DIM];
            row[..POLICY_OBS_DIM].copy_from_slice(&self.obs[env * POLICY_OBS_DIM..(env + 1) * POLICY_OBS_DIM]);
            row[CLOCK_SLOT] = 0.0;
            row[POLICY_OBS_DIM..].copy_from_slice(&self.previous[env * ACTION_DIM..(env + 1) * ACTION_DIM]);
        }
        Ok(&self.rows)
    }

    /// Forgets one environment's previous action (its episode restarted).
    pub fn reset_env(&mut self, env: usize) {
        if let Some(previous) = self.previous.get_mut(env * ACTION_DIM..(env + 1) * ACTION_DIM) {
            previous.fill(0.0);
        }
    }

    pub fn row(&self, env: usize) -> &[f32] {
        &self.rows[env * INPUT_DIM..(env + 1) * INPUT_DIM]
    }

    /// Records what the simulator was told to do (clipped as it clips).
    pub fn executed(&mut self, actions: &[f32]) {
        for (p, a) in self.previous.iter_mut().zip(actions) {
            *p = if a.is_nan() { 0.0 } else { a.clamp(-1.0, 1.0) };
        }
    }
}

/// Runs every episode of `venv` to the horizon with Gaussian noise of
/// standard deviation `sigma` added to each action component `policy`
/// chooses (then clipped to [-1, 1], as the simulator clips). Before each
/// step, `record(env, input row, chosen action, executed action)` hears
/// every environment whose episode has not ended. Demonstrations (labelled
/// with the chosen action) and AFIL's rollouts (with the executed one) are
/// both this loop.
pub(crate) fn perturbed_rollout(
    venv: &mut VecEnv,
    sigma: f64,
    rng: &mut Rng,
    mut policy: impl FnMut(&[f32], &VecEnv, &mut [f32]) -> Result<(), RuntimeError>,
    mut record: impl FnMut(usize, &[f32], &[f32], &[f32]) -> Result<(), RuntimeError>,
) -> Result<(), RuntimeError> {
    let n = venv.n_envs();
    let mut inputs = BaseInputs::new(n);
    let mut chosen = vec![0f32; n * ACTION_DIM];
    let mut executed = vec![0f32; n * ACTION_DIM];
    for _ in 0..venv.horizon() {
        policy(inputs.fill(venv)?, venv, &mut chosen)?;
        for (out, action) in executed.iter_mut().zip(&chosen) {
            *out = (f64::from(*action) + sigma * rng.normal()).clamp(-1.0, 1.0) as f32;
        }
        for env in (0..n).filter(|&e| !venv.done(e)) {
            let span = env * ACTION_DIM..(env + 1) * ACTION_DIM;
            record(env, inputs.row(env), &chosen[span.clone()], &executed[span])?;
        }
        venv.step(&executed).map_err(sim)?;
        inputs.executed(&executed);
    }
    Ok(())
}

pub(crate) fn sim(error: rwd_sim::SimError) -> RuntimeError {
    RuntimeError::Config { field: "simulator", problem: error.to_string() }
}

/// The scripted controller's outcomes over `episodes` seeded episodes.
pub fn evaluate_scripted(config: TaskConfig, episodes: usize, seed: u64, noise: PolicyNoise) -> Result<Outcomes, RuntimeError> {
    let mut venv = VecEnv::new(config, episodes, seed);
    BasePolicy::new(&venv, noise).run_episodes(&mut venv, |_, _| {}).map_err(sim)?;
    Ok(Outcomes::of(&venv))
}

/// A learned policy's outcomes over the same kind of episodes: it sees only
/// the policy observation, acts every step, and its actions are clipped by
/// the simulator like any other.
pub fn evaluate_learned(net: &PolicyNet, config: TaskConfig, episodes: usize, seed: u64) -> Result<Outcomes, RuntimeError> {
    if net.spec.obs_dim != INPUT_DIM || net.spec.act_dim != ACTION_DIM {
        return Err(RuntimeError::Config {
            field: "policy",
            problem: format!(
                "the network maps {} -> {} values; a base policy maps {INPUT_DIM} (the simulator's policy observation and the previous action) -> {ACTION_DIM}",
                net.spec.obs_dim, net.spec.act_dim
            ),
        });
    }
    let mut venv = VecEnv::new(config, episodes, seed);
    let mut inputs = BaseInputs::new(episodes);
    for _ in 0..venv.horizon() {
        let (actions, _features) = net.act(inputs.fill(&venv)?, episodes)?;
        venv.step(&actions).map_err(sim)?;
        inputs.executed(&actions);
    }
    Ok(Outcomes::of(&venv))
}
