//! Proximal policy optimisation (Schulman et al., 2017) for the residual
//! policy: a Gaussian actor and a value critic, trained on batches of
//! environments stepped in lock-step.
//!
//! The runtime knows nothing of rewards or simulators: a [`VecTask`]
//! supplies observations, applies actions and says what they earned. The
//! CLI's recovery task puts the simulator, the frozen base policy and a
//! compiled .rwd reward behind it, so this crate needs no compiler.

use tch::nn::OptimizerConfig;
use tch::{Kind, Tensor, nn};

use crate::error::RuntimeError;
use crate::policy_net::{BestWeights, NetSpec, PolicyNet, batch_tensor, flat, lock_rng};

/// A batch of environments an agent acts in.
pub trait VecTask {
    fn n_envs(&self) -> usize;
    fn obs_dim(&self) -> usize;
    fn act_dim(&self) -> usize;
    /// Every environment's observation, `n_envs x obs_dim`.
    fn observe(&mut self, out: &mut [f32]) -> Result<(), RuntimeError>;
    /// Applies one action per environment (`n_envs x act_dim`, unclipped)
    /// and fills `out`. An environment whose episode ended starts its next
    /// one before returning; `out` describes the one that ended.
    fn step(&mut self, actions: &[f32], out: &mut StepOut) -> Result<(), RuntimeError>;
}

/// What one step earned, per environment.
#[derive(Debug, Clone, Default)]
pub struct StepOut {
    pub reward: Vec<f32>,
    /// The episode ended at this step.
    pub done: Vec<bool>,
    /// The episode ended in success (only meaningful where `done`).
    pub success: Vec<bool>,
    /// The reward's progress score at this step, in [0, 1].
    pub progress: Vec<f32>,
}

impl StepOut {
    pub fn new(n: usize) -> StepOut {
        StepOut { reward: vec![0.0; n], done: vec![false; n], success: vec![false; n], progress: vec![0.0; n] }
    }
}

/// Hyperparameters of PPO.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PpoConfig {
    pub hidden: Vec<usize>,
    pub iterations: usize,
    /// Steps per environment per iteration.
    pub steps: usize,
    pub epochs: usize,
    pub minibatches: usize,
    pub gamma: f64,
    pub gae_lambda: f64,
    pub clip: f64,
    pub learning_rate: f64,
    pub value_coef: f64,
    pub entropy_coef: f64,
    pub max_grad_norm: f64,
    /// Initial log standard deviation of the actions.
    pub init_log_std: f64,
    /// State-dependent exploration (gSDE, Raffin et al., 2021): the noise is
    /// `features(s) . theta` with `theta` drawn per environment every this
    /// many steps (and when its episode ends), so the same state gets the
    /// same perturbation for a while. `None`: independent noise per step.
    pub state_dependent: Option<usize>,
    pub seed: i64,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            hidden: vec![64, 64],
            iterations: 30,
            steps: 64,
            epochs: 4,
            minibatches: 4,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip: 0.2,
            learning_rate: 3e-4,
            value_coef: 0.5,
            entropy_coef: 0.0,
            max_grad_norm: 0.5,
            init_log_std: -1.0,
            state_dependent: None,
            seed: 0,
        }
    }
}

impl PpoConfig {
    fn validate(&self) -> Result<(), RuntimeError> {
        let at_least_one = |field, v: usize| {
            if v == 0 { Err(RuntimeError::Config { field, problem: "must be at least 1".into() }) } else { Ok(()) }
        };
        at_least_one("iterations", self.iterations)?;
        at_least_one("steps", self.steps)?;
        at_least_one("epochs", self.epochs)?;
        at_least_one("minibatches", self.minibatches)?;
        for (field, v) in [("gamma", self.gamma), ("gae_lambda", self.gae_lambda)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(RuntimeError::Config { field, problem: "must be in [0, 1]".into() });
            }
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(RuntimeError::Config { field: "learning_rate", problem: "must be a positive number".into() });
        }
        Ok(())
    }
}

/// The residual actor (a [`PolicyNet`] whose output is the action mean,
/// plus a learned log standard deviation) and its critic.
pub struct ActorCritic {
    pub actor: PolicyNet,
    pub critic: PolicyNet,
    log_std: Tensor,
    /// gSDE: log standard deviation of each entry of `theta` (features x
    /// actions); used only with `PpoConfig::state_dependent`.
    sde_log_std: Tensor,
    state_dependent: bool,
}

/// Adds the actor's exploration variables to `net`'s store (a copy of the
/// actor's weights needs the same variables).
pub fn add_exploration_vars(net: &PolicyNet, init_log_std: f64) -> (Tensor, Tensor) {
    let (features, actions) = (net.spec.feature_dim() as i64, net.spec.act_dim as i64);
    let root = net.vs.root();
    (
        root.var("log_std", &[actions], nn::Init::Const(init_log_std)),
        // Each action's variance is sum_j z_j^2 sigma_j^2 over the features
        // z (tanh, |z| < 1): start sigma so that the standard deviation is
        // about exp(init) when a quarter of the features are near 1.
        root.var("sde_log_std", &[features, actions], nn::Init::Const(init_log_std - 0.5 * (features as f64 / 4.0).ln())),
    )
}

impl ActorCritic {
    pub fn new(obs_dim: usize, act_dim: usize, config: &PpoConfig) -> Result<ActorCritic, RuntimeError> {
        let _rng = lock_rng();
        tch::manual_seed(config.seed);
        let spec = |act_dim| NetSpec { obs_dim, act_dim, hidden: config.hidden.clone(), failure_head: false };
        let mut actor = PolicyNet::new_with_rng_held(spec(act_dim))?;
        // A residual starts as no correction at all: the base policy alone,
        // exactly, so the weights kept before any update (selection) score
        // what the base scores. The head's weights still get gradients (the
        // hidden activations are not zero), so the first update moves them.
        actor.scale_head(0.0);
        let (log_std, sde_log_std) = add_exploration_vars(&actor, config.init_log_std);
        let critic = PolicyNet::new_with_rng_held(spec(1))?;
        Ok(ActorCritic { actor, critic, log_std, sde_log_std, state_dependent: config.state_dependent.is_some() })
    }

    /// Fits both networks' observation normalisation to a batch.
    pub fn fit_normalisation(&mut self, obs: &[f32], n: usize) -> Result<(), RuntimeError> {
        let batch = batch_tensor("observations", obs, n, self.actor.spec.obs_dim)?;
        self.actor.fit_normalisation(&batch);
        self.critic.fit_normalisation(&batch);
        Ok(())
    }

    /// The action mean and each action's standard deviation, `n x act`.
    fn distribution(&self, obs: &Tensor) -> (Tensor, Tensor) {
        let (mean, features) = self.actor.forward_with_features(obs);
        let std = if self.state_dependent {
            // Exploration must not train the features (gSDE detaches them).
            (features.detach().square().matmul(&self.sde_log_std.exp().square()) + 1e-8).sqrt()
        } else {
            self.log_std.exp().expand_as(&mean)
        };
        (mean, std)
    }

    fn log_prob(mean: &Tensor, std: &Tensor, actions: &Tensor) -> Tensor {
        let z = (actions - mean) / std;
        let per_dim = z.square() * -0.5 - std.log() - 0.5 * (2.0 * std::f64::consts::PI).ln();
        per_dim.sum_dim_intlist([-1i64].as_slice(), false, Kind::Float)
    }

    fn entropy(std: &Tensor) -> Tensor {
        (std.log() + 0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln())
            .sum_dim_intlist([-1i64].as_slice(), false, Kind::Float)
            .mean(Kind::Float)
    }

    /// A fresh gSDE matrix per environment, `n x features x actions`.
    fn draw_theta(&self, n: usize) -> Tensor {
        let sigma = self.sde_log_std.exp().detach();
        Tensor::randn([n as i64, sigma.size()[0], sigma.size()[1]], (Kind::Float, tch::Device::Cpu)) * sigma
    }
}

/// How one iteration went.
#[derive(Debug, Clone, Default)]
pub struct IterationReport {
    pub iteration: usize,
    pub env_steps: usize,
    /// Mean reward per environment-step.
    pub mean_reward: f64,
    pub episodes: usize,
    /// Success rate of the episodes that ended this iteration.
    pub success_rate: f64,
    /// Mean final progress of those episodes.
    pub mean_progress: f64,
    pub policy_loss: f64,
    pub value_loss: f64,
    pub std: f64,
}

/// Trains `agent` on `task`; `on_iteration` reports progress. The agent
/// ends with its last weights.
pub fn train(
    agent: &mut ActorCritic,
    task: &mut dyn VecTask,
    config: &PpoConfig,
    on_iteration: impl FnMut(&IterationReport),
) -> Result<(), RuntimeError> {
    train_selected(agent, task, config, None, on_iteration).map(|_| ())
}

/// Scores the actor every `every` iterations, before the first and after
/// the last; the best-scored weights are kept (ties go to the later).
pub struct ActorSelection<'a> {
    pub every: usize,
    pub score: &'a mut dyn FnMut(&PolicyNet) -> Result<f64, RuntimeError>,
}

/// [`train`], keeping the actor weights `selection` scores best; returns
/// (iterations done when the kept weights were scored, their score).
pub fn train_selected(
    agent: &mut ActorCritic,
    task: &mut dyn VecTask,
    config: &PpoConfig,
    mut selection: Option<ActorSelection<'_>>,
    mut on_iteration: impl FnMut(&IterationReport),
) -> Result<Option<(usize, f64)>, RuntimeError> {
    config.validate()?;
    if selection.as_ref().is_some_and(|s| s.every == 0) {
        return Err(RuntimeError::Config { field: "selection", problem: "must score every 1 or more iterations".into() });
    }
    let (n, obs_dim, act_dim) = (task.n_envs(), task.obs_dim(), task.act_dim());
    if agent.actor.spec.obs_dim != obs_dim || agent.actor.spec.act_dim != act_dim {
        return Err(RuntimeError::Config {
            field: "agent",
            problem: format!("maps {} -> {}, the task {obs_dim} -> {act_dim}", agent.actor.spec.obs_dim, agent.actor.spec.act_dim),
        });
    }
    let mut best = match &selection {
        Some(_) => {
            let _rng = lock_rng();
            let store = PolicyNet::new_with_rng_held(agent.actor.spec.clone())?;
            // The same variables as the actor's, so copying back restores all.
            let _ = add_exploration_vars(&store, 0.0);
            Some(BestWeights::new(store))
        }
        None => None,
    };
    let mut consider = |agent: &ActorCritic, done: usize, selection: &mut Option<ActorSelection<'_>>| -> Result<(), RuntimeError> {
        if let (Some(select), Some(best)) = (selection.as_mut(), best.as_mut()) {
            best.offer(&agent.actor, (select.score)(&agent.actor)?, done)?;
        }
        Ok(())
    };
    consider(agent, 0, &mut selection)?;
    let steps = config.steps;
    let mut actor_opt = nn::Adam::default().build(&agent.actor.vs, config.learning_rate)?;
    let mut critic_opt = nn::Adam::default().build(&agent.critic.vs, config.learning_rate)?;
    let mut obs = vec![0f32; n * obs_dim];
    let mut out = StepOut::new(n);
    // gSDE's exploration matrices; only drawn when used, so a run without
    // gSDE draws from the generator exactly as before it existed.
    let mut theta = config.state_dependent.map(|_| {
        let _rng = lock_rng();
        agent.draw_theta(n)
    });
    let mut steps_since_draw = 0usize;
    for iteration in 0..config.iterations {
        // Rollout.
        let mut obs_rows = Vec::with_capacity(steps * n * obs_dim);
        let (mut actions_all, mut logp_all, mut values) = (Vec::new(), Vec::new(), Vec::new());
        let (mut rewards, mut dones) = (Vec::with_capacity(steps * n), Vec::with_capacity(steps * n));
        let mut report = IterationReport { iteration, env_steps: steps * n, ..Default::default() };
        let (mut successes, mut progress_sum) = (0usize, 0.0);
        for _ in 0..steps {
            task.observe(&mut obs)?;
            let x = batch_tensor("observations", &obs, n, obs_dim)?;
            let (actions, logp, value) = {
                let _rng = lock_rng();
                tch::no_grad(|| {
                    let (mean, std) = agent.distribution(&x);
                    let noise = match &theta {
                        Some(theta) => agent.actor.features(&x).unsqueeze(1).bmm(theta).squeeze_dim(1),
                        None => Tensor::randn_like(&mean) * &std,
                    };
                    let actions = &mean + noise;
                    let logp = ActorCritic::log_prob(&mean, &std, &actions);
                    (actions, logp, agent.critic.forward(&x).squeeze_dim(-1))
                })
            };
            let actions = flat(&actions)?;
            task.step(&actions, &mut out)?;
            if let (Some(every), Some(theta)) = (config.state_dependent, theta.as_mut()) {
                steps_since_draw += 1;
                // A new episode gets its own draw, as does everyone every `every` steps.
                let ended: Vec<i64> = (0..n).filter(|&e| out.done[e]).map(|e| e as i64).collect();
                if steps_since_draw >= every.max(1) || !ended.is_empty() {
                    let _rng = lock_rng();
                    let fresh = tch::no_grad(|| agent.draw_theta(n));
                    if steps_since_draw >= every.max(1) {
                        *theta = fresh;
                        steps_since_draw = 0;
                    } else {
                        let index = Tensor::from_slice(&ended);
                        *theta = theta.index_copy(0, &index, &fresh.index_select(0, &index));
                    }
                }
            }
            obs_rows.extend_from_slice(&obs);
            actions_all.extend_from_slice(&actions);
            logp_all.extend(flat(&logp)?);
            values.extend(flat(&value)?);
            rewards.extend_from_slice(&out.reward);
            dones.extend_from_slice(&out.done);
            for env in (0..n).filter(|&e| out.done[e]) {
                report.episodes += 1;
                successes += usize::from(out.success[env]);
                progress_sum += f64::from(out.progress[env]);
            }
        }
        task.observe(&mut obs)?;
        let x = batch_tensor("observations", &obs, n, obs_dim)?;
        let last_values = flat(&tch::no_grad(|| agent.critic.forward(&x).squeeze_dim(-1)))?;
        let (advantages, returns) = gae(&rewards, &dones, &values, &last_values, n, config);
        report.mean_reward = rewards.iter().map(|&r| f64::from(r)).sum::<f64>() / rewards.len() as f64;
        if report.episodes > 0 {
            report.success_rate = successes as f64 / report.episodes as f64;
            report.mean_progress = progress_sum / report.episodes as f64;
        }

        // Update.
        let total = steps * n;
        let obs_t = batch_tensor("rollout observations", &obs_rows, total, obs_dim)?;
        let act_t = batch_tensor("rollout actions", &actions_all, total, act_dim)?;
        let logp_t = Tensor::from_slice(&logp_all);
        let adv = Tensor::from_slice(&advantages);
        let adv = (&adv - adv.mean(Kind::Float)) / (adv.std(false) + 1e-8);
        let ret_t = Tensor::from_slice(&returns);
        let batch = (total / config.minibatches).max(1) as i64;
        let (mut policy_loss, mut value_loss, mut updates) = (0.0, 0.0, 0usize);
        for _ in 0..config.epochs {
            let order = {
                let _rng = lock_rng();
                Tensor::randperm(total as i64, (Kind::Int64, tch::Device::Cpu))
            };
            let mut start = 0i64;
            while start < total as i64 {
                let len = batch.min(total as i64 - start);
                let idx = order.narrow(0, start, len);
                let (o, a) = (obs_t.index_select(0, &idx), act_t.index_select(0, &idx));
                let (old_logp, adv_b, ret_b) = (logp_t.index_select(0, &idx), adv.index_select(0, &idx), ret_t.index_select(0, &idx));
                let (mean, std) = agent.distribution(&o);
                let ratio = (ActorCritic::log_prob(&mean, &std, &a) - old_logp).exp();
                let clipped = ratio.clamp(1.0 - config.clip, 1.0 + config.clip);
                let surrogate = (&ratio * &adv_b).minimum(&(clipped * &adv_b));
                let p_loss = -surrogate.mean(Kind::Float) - ActorCritic::entropy(&std) * config.entropy_coef;
                actor_opt.zero_grad();
                p_loss.backward();
                actor_opt.clip_grad_norm(config.max_grad_norm);
                actor_opt.step();
                let v_loss = (agent.critic.forward(&o).squeeze_dim(-1) - ret_b).square().mean(Kind::Float) * config.value_coef;
                critic_opt.zero_grad();
                v_loss.backward();
                critic_opt.clip_grad_norm(config.max_grad_norm);
                critic_opt.step();
                policy_loss += p_loss.double_value(&[]);
                value_loss += v_loss.double_value(&[]);
                updates += 1;
                start += len;
            }
        }
        report.policy_loss = policy_loss / updates.max(1) as f64;
        report.value_loss = value_loss / updates.max(1) as f64;
        report.std = tch::no_grad(|| agent.distribution(&obs_t).1.mean(Kind::Float).double_value(&[]));
        on_iteration(&report);
        let done = iteration + 1;
        if selection.as_ref().is_some_and(|s| done % s.every == 0 || done == config.iterations) {
            consider(agent, done, &mut selection)?;
        }
    }
    match best.and_then(BestWeights::into_kept) {
        Some((kept, done, score)) => {
            agent.actor.vs.copy(&kept.vs)?;
            Ok(Some((done, score)))
        }
        None => Ok(None),
    }
}

/// Generalised advantage estimation over a rollout stored step-major
/// (`steps x n`). An ended episode does not bootstrap from the next state
/// (which belongs to the next episode); a horizon cut counts as an end
/// too, a small bias accepted for simplicity.
fn gae(rewards: &[f32], dones: &[bool], values: &[f32], last: &[f32], n: usize, config: &PpoConfig) -> (Vec<f32>, Vec<f32>) {
    let steps = rewards.len() / n;
    let mut advantages = vec![0f32; rewards.len()];
    let mut running = vec![0f64; n];
    for t in (0..steps).rev() {
        for env in 0..n {
            let i = t * n + env;
            let next_value = if t + 1 == steps { last[env] } else { values[i + n] };
            let alive = if dones[i] { 0.0 } else { 1.0 };
            let delta = f64::from(rewards[i]) + config.gamma * f64::from(next_value) * alive - f64::from(values[i]);
            running[env] = delta + config.gamma * config.gae_lambda * alive * running[env];
            advantages[i] = running[env] as f32;
        }
    }
    let returns = advantages.iter().zip(values).map(|(a, v)| a + v).collect();
    (advantages, returns)
}

/// The actor's deterministic action (its mean) for a batch.
pub fn act_deterministic(actor: &PolicyNet, obs: &[f32], n: usize) -> Result<Vec<f32>, RuntimeError> {
    Ok(actor.act(obs, n)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gae_stops_at_episode_ends_and_bootstraps_otherwise() {
        let config = PpoConfig { gamma: 0.5, gae_lambda: 1.0, ..PpoConfig::default() };
        // One environment, three steps, the episode ends at step 1.
        let (adv, ret) = gae(&[1.0, 1.0, 1.0], &[false, true, false], &[0.0, 0.0, 0.0], &[4.0], 1, &config);
        assert_eq!(ret, vec![1.5, 1.0, 3.0]);
        assert_eq!(adv, ret);
    }
}
