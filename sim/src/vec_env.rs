//! N environments of one task stepped together, split across threads when N
//! is large.

use std::fmt;

use crate::physics::{self, ACTION_DIM, Action};
use crate::policy::{self, PolicyNoise, PolicyState};
use crate::rng::Rng;
use crate::tasks::{Task, Variant, initial_state};
use crate::world::EnvState;

/// What a `VecEnv` simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskConfig {
    pub task: Task,
    pub variant: Variant,
}

impl TaskConfig {
    pub fn new(task: Task) -> TaskConfig {
        TaskConfig { task, variant: Variant::Nominal }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SimError {
    /// The action batch is not `n_envs * ACTION_DIM` long.
    ActionLength { expected: usize, got: usize },
    /// An output buffer has the wrong length.
    OutputLength { what: &'static str, expected: usize, got: usize },
    EnvIndex { index: usize, n_envs: usize },
    /// `set_state` with a state of another task or variant, or a malformed one.
    StateMismatch(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::ActionLength { expected, got } => {
                write!(f, "action batch has {got} values, expected {expected} (n_envs x {ACTION_DIM}, row-major)")
            }
            SimError::OutputLength { what, expected, got } => write!(f, "{what} buffer has {got} values, expected {expected}"),
            SimError::EnvIndex { index, n_envs } => write!(f, "environment {index} out of range (there are {n_envs})"),
            SimError::StateMismatch(m) => write!(f, "state does not fit this environment: {m}"),
        }
    }
}

impl std::error::Error for SimError {}

/// Below this many environments per thread, threads cost more than they
/// save. Measured on the 2-core development machine (shared, loaded): at
/// 1024 envs one thread ran 2.0M env-steps/s and two threads 0.86M (the
/// spawn and join per step cost more than half a step's work); at 8192 envs
/// two threads were ahead (1.73M vs 1.53M).
pub const DEFAULT_MIN_ENVS_PER_THREAD: usize = 4096;

/// Seed of environment `index` when the batch is reset with `seed`.
pub fn env_seed(seed: u64, index: usize) -> u64 {
    Rng::new(seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

pub struct VecEnv {
    cfg: TaskConfig,
    envs: Vec<EnvState>,
    threads: usize,
    min_per_thread: usize,
}

impl VecEnv {
    /// `n_envs` fresh episodes, environment i seeded with `env_seed(seed, i)`.
    pub fn new(cfg: TaskConfig, n_envs: usize, seed: u64) -> VecEnv {
        let envs = (0..n_envs).map(|i| initial_state(cfg.task, cfg.variant, env_seed(seed, i))).collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        VecEnv { cfg, envs, threads, min_per_thread: DEFAULT_MIN_ENVS_PER_THREAD }
    }

    pub fn config(&self) -> TaskConfig {
        self.cfg
    }

    pub fn n_envs(&self) -> usize {
        self.envs.len()
    }

    /// Most worker threads a step uses (default: the machine's parallelism).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Fewest environments a worker thread gets; smaller batches run on
    /// the calling thread (default `DEFAULT_MIN_ENVS_PER_THREAD`).
    pub fn set_min_envs_per_thread(&mut self, n: usize) {
        self.min_per_thread = n.max(1);
    }

    pub fn horizon(&self) -> u32 {
        self.cfg.task.horizon()
    }

    fn check(&self, env: usize) -> Result<(), SimError> {
        if env < self.envs.len() { Ok(()) } else { Err(SimError::EnvIndex { index: env, n_envs: self.envs.len() }) }
    }

    /// Start a new episode in one environment.
    pub fn reset(&mut self, env: usize, seed: u64) -> Result<(), SimError> {
        self.check(env)?;
        self.envs[env] = initial_state(self.cfg.task, self.cfg.variant, seed);
        Ok(())
    }

    pub fn reset_all(&mut self, seed: u64) {
        for (i, e) in self.envs.iter_mut().enumerate() {
            *e = initial_state(self.cfg.task, self.cfg.variant, env_seed(seed, i));
        }
    }

    /// The full state of one environment (a copy).
    pub fn state(&self, env: usize) -> Result<EnvState, SimError> {
        self.check(env)?;
        Ok(self.envs[env].clone())
    }

    /// Restore one environment; the future from here is exactly what it was.
    pub fn set_state(&mut self, env: usize, state: &EnvState) -> Result<(), SimError> {
        self.check(env)?;
        if state.task != self.cfg.task || state.variant != self.cfg.variant {
            return Err(SimError::StateMismatch(format!(
                "state is {:?}/{:?}, environment is {:?}/{:?}",
                state.task, state.variant, self.cfg.task, self.cfg.variant
            )));
        }
        let want = self.cfg.task.body_names().len();
        if state.bodies.len() != want {
            return Err(SimError::StateMismatch(format!("{} bodies, the task has {want}", state.bodies.len())));
        }
        if let Some(h) = state.robot.held
            && h >= want
        {
            return Err(SimError::StateMismatch(format!("held body {h} does not exist")));
        }
        self.envs[env] = state.clone();
        Ok(())
    }

    pub fn envs(&self) -> &[EnvState] {
        &self.envs
    }

    pub fn env(&self, env: usize) -> Option<&EnvState> {
        self.envs.get(env)
    }

    pub fn done(&self, env: usize) -> bool {
        self.envs.get(env).is_some_and(|e| e.done)
    }

    pub fn success(&self, env: usize) -> bool {
        self.envs.get(env).is_some_and(|e| e.success)
    }

    /// Steps since the environment's reset.
    pub fn step_count(&self, env: usize) -> u32 {
        self.envs.get(env).map_or(0, |e| e.step)
    }

    /// Every environment's `done` and `success` flags at once (each buffer
    /// `n_envs` long).
    pub fn flags(&self, done: &mut [bool], success: &mut [bool]) -> Result<(), SimError> {
        let n = self.envs.len();
        for (what, len) in [("done", done.len()), ("success", success.len())] {
            if len != n {
                return Err(SimError::OutputLength { what, expected: n, got: len });
            }
        }
        for ((e, d), s) in self.envs.iter().zip(done.iter_mut()).zip(success.iter_mut()) {
            *d = e.done;
            *s = e.success;
        }
        Ok(())
    }

    /// Every body of one environment, for drawing.
    pub fn bodies(&self, env: usize) -> Result<Vec<crate::view::BodyView>, SimError> {
        self.check(env)?;
        Ok(crate::view::bodies(&self.envs[env]))
    }

    /// The gripper (and base) of one environment, for drawing.
    pub fn gripper(&self, env: usize) -> Result<crate::view::GripperView, SimError> {
        self.check(env)?;
        Ok(crate::view::gripper(&self.envs[env]))
    }

    /// Step every environment once. `actions` is row-major
    /// `n_envs x ACTION_DIM` (see `physics::Action` for the components; each
    /// in [-1, 1], clipped; NaN counts as 0). Done environments keep
    /// stepping; reset them yourself.
    pub fn step(&mut self, actions: &[f32]) -> Result<(), SimError> {
        self.step_generic(actions)
    }

    /// `step` with f64 actions.
    pub fn step_f64(&mut self, actions: &[f64]) -> Result<(), SimError> {
        self.step_generic(actions)
    }

    fn step_generic<T: Copy + Into<f64> + Sync>(&mut self, actions: &[T]) -> Result<(), SimError> {
        let expected = self.envs.len() * ACTION_DIM;
        if actions.len() != expected {
            return Err(SimError::ActionLength { expected, got: actions.len() });
        }
        let threads = self.worker_count();
        par_chunks(&mut self.envs, actions, ACTION_DIM, threads, |env, a| {
            physics::step(env, &Action::from_raw(a));
        });
        Ok(())
    }

    fn worker_count(&self) -> usize {
        (self.envs.len() / self.min_per_thread).clamp(1, self.threads)
    }

    /// The policy observation of every environment, row-major
    /// `n_envs x POLICY_OBS_DIM` (see `obs::policy_obs`).
    pub fn policy_obs(&self, out: &mut [f32]) -> Result<(), SimError> {
        let dim = crate::obs::POLICY_OBS_DIM;
        let expected = self.envs.len() * dim;
        if out.len() != expected {
            return Err(SimError::OutputLength { what: "policy observation", expected, got: out.len() });
        }
        for (e, row) in self.envs.iter().zip(out.chunks_exact_mut(dim)) {
            crate::obs::policy_obs(e, row);
        }
        Ok(())
    }
}

/// Run `f` on each (env, its slice of `data`) pair, in `threads` chunks.
fn par_chunks<T: Sync, F>(envs: &mut [EnvState], data: &[T], width: usize, threads: usize, f: F)
where
    F: Fn(&mut EnvState, &[T]) + Sync,
{
    if threads <= 1 {
        for (e, d) in envs.iter_mut().zip(data.chunks_exact(width)) {
            f(e, d);
        }
        return;
    }
    let per = envs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        for (es, ds) in envs.chunks_mut(per).zip(data.chunks(per * width)) {
            scope.spawn(move || {
                for (e, d) in es.iter_mut().zip(ds.chunks_exact(width)) {
                    f(e, d);
                }
            });
        }
    });
}

/// The scripted base policy for a whole `VecEnv`.
pub struct BasePolicy {
    states: Vec<PolicyState>,
    noise: PolicyNoise,
}

impl BasePolicy {
    /// One policy state per environment, drawn from each environment's seed.
    /// The state re-draws itself when its environment is reset.
    pub fn new(venv: &VecEnv, noise: PolicyNoise) -> BasePolicy {
        let states = venv.envs().iter().map(|e| PolicyState::new(e.task, e.seed, noise)).collect();
        BasePolicy { states, noise }
    }

    /// The base policy's action for every environment (the "expert" action a
    /// network can be cloned from), row-major `n_envs x ACTION_DIM`.
    pub fn act(&mut self, venv: &VecEnv, actions: &mut [f32]) -> Result<(), SimError> {
        let n = venv.n_envs();
        if self.states.len() != n {
            self.states = venv.envs().iter().map(|e| PolicyState::new(e.task, e.seed, self.noise)).collect();
        }
        let expected = n * ACTION_DIM;
        if actions.len() != expected {
            return Err(SimError::OutputLength { what: "action", expected, got: actions.len() });
        }
        let noise = self.noise;
        let threads = venv.worker_count();
        let work = |ps: &mut [PolicyState], es: &[EnvState], out: &mut [f32]| {
            for ((p, e), row) in ps.iter_mut().zip(es).zip(out.chunks_exact_mut(ACTION_DIM)) {
                let a = policy::act(p, e, noise);
                for (o, v) in row.iter_mut().zip(a) {
                    *o = v as f32;
                }
            }
        };
        if threads <= 1 {
            work(&mut self.states, venv.envs(), actions);
            return Ok(());
        }
        let per = n.div_ceil(threads);
        std::thread::scope(|scope| {
            let work = &work;
            for ((ps, es), out) in
                self.states.chunks_mut(per).zip(venv.envs().chunks(per)).zip(actions.chunks_mut(per * ACTION_DIM))
            {
                scope.spawn(move || work(ps, es, out));
            }
        });
        Ok(())
    }

    /// Runs one whole episode (the task's horizon) in every environment,
    /// this policy choosing every action; `on_step(step, horizon)` after each.
    pub fn run_episodes(&mut self, venv: &mut VecEnv, mut on_step: impl FnMut(u32, u32)) -> Result<(), SimError> {
        let mut actions = vec![0f32; venv.n_envs() * ACTION_DIM];
        let horizon = venv.horizon();
        for step in 0..horizon {
            self.act(venv, &mut actions)?;
            venv.step(&actions)?;
            on_step(step + 1, horizon);
        }
        Ok(())
    }

    pub fn state(&self, env: usize) -> Option<&PolicyState> {
        self.states.get(env)
    }

    pub fn set_state(&mut self, env: usize, state: PolicyState) -> Result<(), SimError> {
        let n = self.states.len();
        match self.states.get_mut(env) {
            Some(s) => {
                *s = state;
                Ok(())
            }
            None => Err(SimError::EnvIndex { index: env, n_envs: n }),
        }
    }
}
