//! PPO on a task whose answer is known: each one-step episode shows a
//! target in [-1, 1] and pays `1 - (action - target)^2`. A fresh agent acts
//! about 0 (its head starts near zero), so its mean squared error is about
//! E[target^2] = 1/3; a trained one must track the target.

use rwd_runtime::RuntimeError;
use rwd_runtime::ppo::{self, ActorCritic, PpoConfig, StepOut, VecTask};

struct Targets {
    targets: Vec<f32>,
    state: u64,
}

impl Targets {
    fn new(n: usize, seed: u64) -> Targets {
        let mut t = Targets { targets: vec![0.0; n], state: seed };
        for i in 0..n {
            t.targets[i] = t.draw();
        }
        t
    }

    fn draw(&mut self) -> f32 {
        self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.state >> 40) as f64 / (1u64 << 24) as f64) as f32 * 2.0 - 1.0
    }
}

impl VecTask for Targets {
    fn n_envs(&self) -> usize {
        self.targets.len()
    }
    fn obs_dim(&self) -> usize {
        1
    }
    fn act_dim(&self) -> usize {
        1
    }
    fn observe(&mut self, out: &mut [f32]) -> Result<(), RuntimeError> {
        out.copy_from_slice(&self.targets);
        Ok(())
    }
    fn step(&mut self, actions: &[f32], out: &mut StepOut) -> Result<(), RuntimeError> {
        for env in 0..self.targets.len() {
            let error = actions[env] - self.targets[env];
            out.reward[env] = 1.0 - error * error;
            out.done[env] = true;
            out.success[env] = error.abs() < 0.1;
            out.progress[env] = 0.0;
            self.targets[env] = self.draw();
        }
        Ok(())
    }
}

fn mse(agent: &ActorCritic, probe: &[f32]) -> f32 {
    let actions = ppo::act_deterministic(&agent.actor, probe, probe.len()).expect("acts");
    actions.iter().zip(probe).map(|(a, t)| (a - t) * (a - t)).sum::<f32>() / probe.len() as f32
}

#[test]
fn ppo_learns_to_track_a_target() {
    let mut task = Targets::new(64, 1);
    let config = PpoConfig { hidden: vec![32, 32], iterations: 40, steps: 8, learning_rate: 3e-3, init_log_std: -0.5, ..PpoConfig::default() };
    let mut agent = ActorCritic::new(1, 1, &config).expect("agent");
    let probe: Vec<f32> = (0..21).map(|i| -1.0 + 0.1 * i as f32).collect();
    agent.fit_normalisation(&probe, probe.len()).expect("fits");
    let before = mse(&agent, &probe);
    let mut rewards = Vec::new();
    ppo::train(&mut agent, &mut task, &config, |r| rewards.push(r.mean_reward)).expect("trains");
    let after = mse(&agent, &probe);
    assert!(before > 0.2, "a fresh residual acts about 0: {before}");
    assert!(after < 0.03, "trained, it tracks the target: mse {before} -> {after}");
    assert_eq!(rewards.len(), 40);
    let early: f64 = rewards[..5].iter().sum::<f64>() / 5.0;
    let late: f64 = rewards[35..].iter().sum::<f64>() / 5.0;
    assert!(late > early + 0.1, "mean reward rises: {early} -> {late}");
}

/// The same with state-dependent exploration (gSDE).
#[test]
fn ppo_with_state_dependent_exploration_learns_too() {
    let mut task = Targets::new(64, 3);
    let config = PpoConfig {
        hidden: vec![32, 32],
        iterations: 40,
        steps: 8,
        learning_rate: 3e-3,
        init_log_std: -0.5,
        state_dependent: Some(4),
        ..PpoConfig::default()
    };
    let mut agent = ActorCritic::new(1, 1, &config).expect("agent");
    let probe: Vec<f32> = (0..21).map(|i| -1.0 + 0.1 * i as f32).collect();
    agent.fit_normalisation(&probe, probe.len()).expect("fits");
    let mut episodes = Vec::new();
    ppo::train(&mut agent, &mut task, &config, |r| episodes.push(r.episodes)).expect("trains");
    assert!(episodes.iter().all(|&e| e == 64 * 8), "every step ends an episode: {episodes:?}");
    let after = mse(&agent, &probe);
    assert!(after < 0.03, "trained, it tracks the target: mse {after}");
}

#[test]
fn ppo_rejects_a_mismatched_agent_and_bad_settings() {
    let mut task = Targets::new(4, 2);
    let config = PpoConfig { iterations: 1, steps: 2, ..PpoConfig::default() };
    let mut wrong = ActorCritic::new(3, 1, &config).expect("agent");
    let err = ppo::train(&mut wrong, &mut task, &config, |_| {}).err().expect("mismatch");
    assert!(err.to_string().contains("agent"), "{err}");
    let mut agent = ActorCritic::new(1, 1, &config).expect("agent");
    let bad = PpoConfig { gamma: 1.5, ..config };
    let err = ppo::train(&mut agent, &mut task, &bad, |_| {}).err().expect("bad gamma");
    assert!(err.to_string().contains("gamma"), "{err}");
}
