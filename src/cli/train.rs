//! `rwd train`: a residual policy learns to recover from collected failure
//! states, rewarded by a compiled .rwd reward, on top of the frozen base
//! policy (ReCoVLA's recipe on the embedded simulator). Needs libtorch, so
//! it exists only in a `rwd` built with the `runtime` feature.

use super::args::Args;
use super::{CliError, CliResult};

#[cfg(feature = "runtime")]
pub use with_runtime::{demo_recovery, run};

/// What `rwd demo` reports of recovery training on one scene: success rates
/// (training states, held-out states) of the base alone and with the
/// trained residual, and how many states each set has.
pub struct DemoRecovery {
    pub states: (usize, usize),
    pub base: (f64, f64),
    pub residual: (f64, f64),
}

/// Without the runtime there is no recovery training in the demo.
#[cfg(not(feature = "runtime"))]
pub fn demo_recovery(_reward: &rwd::ir::Program, _states: Vec<rwd_sim::EnvState>, _iterations: usize) -> Result<Option<DemoRecovery>, CliError> {
    Ok(None)
}

#[cfg(not(feature = "runtime"))]
pub fn run(_args: &Args) -> CliResult {
    Err(CliError::Failed(
        "`train` needs libtorch: this rwd was built without the training runtime; build it with `./x cargo build --release --features runtime`".into(),
    ))
}

#[cfg(feature = "runtime")]
mod with_runtime {
    use super::super::base::{load as load_checkpoint, task_name};
    use super::super::collect::{FailureSet, load};
    use super::super::files::{check_writable_dir, write_atomic_bytes};
    use super::super::sim_link::{RewardRunner, task_for};
    use super::*;
    use rwd::check::hir::ProgramKind;
    use rwd_runtime::ppo::{self, ActorCritic, PpoConfig, StepOut, VecTask};
    use rwd_runtime::{BaseInputs, PolicyNet, RuntimeError, checkpoint};
    use rwd_sim::{ACTION_DIM, BasePolicy, EnvState, POLICY_OBS_DIM, PolicyNoise, PolicyState, VecEnv};

    /// The frozen policy the residual corrects.
    pub enum Base {
        /// A learned base policy (`rwd train-base`): its last hidden layer
        /// is part of the residual's observation.
        Learned(PolicyNet),
        /// The scripted controller re-prompted in the failure state
        /// ([`PolicyState::resume`]), with fresh perception errors.
        Scripted,
        /// No base: the residual acts alone.
        None,
    }

    /// How far the residual may move each action component, in the
    /// simulator's normalised action units ([-1, 1]). The scripted base
    /// steers to its target with a dead-beat gain, so a residual smaller
    /// than the base's full command can only shift where the arm stops by
    /// millimetres; at 1 it can hold the arm anywhere.
    const RESIDUAL_SCALE: f32 = 1.0;

    /// The action components a residual corrects. Yaw, pitch, the mobile
    /// base and the torso always stay the base policy's: noise there moves
    /// the whole arm and only wrecks episodes (ReCoVLA's residual, too, acts
    /// on the end effector).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Residual {
        /// The TCP's velocity (x, y, z).
        Tcp,
        /// The TCP's velocity and the gripper command (action 5). The base
        /// leaves the gripper command at 0 while it carries, so a residual
        /// above 0.25 there releases the object where the residual, not the
        /// base's estimate, put it.
        TcpGripper,
    }

    impl Residual {
        fn components(self) -> &'static [usize] {
            match self {
                Residual::Tcp => &[0, 1, 2],
                Residual::TcpGripper => &[0, 1, 2, 5],
            }
        }

        pub fn name(self) -> &'static str {
            match self {
                Residual::Tcp => "tcp",
                Residual::TcpGripper => "tcp+gripper",
            }
        }

        pub fn parse(text: &str) -> Result<Residual, CliError> {
            match text {
                "tcp" => Ok(Residual::Tcp),
                "tcp+gripper" => Ok(Residual::TcpGripper),
                _ => Err(CliError::Usage(format!("`--residual {text}`: expected `tcp` or `tcp+gripper`"))),
            }
        }

        /// The measured better choice per task (300 iterations, scripted
        /// base, docs/cli.md). A misplaced broccoli was released where the
        /// base misjudged the bowl (7.5 cm per axis); a TCP-only residual can
        /// hold the arm over the bowl but not make the base let go there
        /// (52% to 56% on the training states, none better held out), one
        /// with the gripper can (52% to 68%, held out 41% to 59%). On the
        /// lid the base's own grip is right, and exploration on the gripper
        /// drops the lid mid-swing: 27% to 40% with it, to 71% without.
        pub fn for_task(task: rwd_sim::Task) -> Residual {
            match task {
                rwd_sim::Task::SortVegetables => Residual::TcpGripper,
                _ => Residual::Tcp,
            }
        }
    }

    /// Recovery episodes: each environment starts from a collected failure
    /// state and runs `horizon` steps or until the task succeeds. The agent
    /// sees the policy observation, the base policy's action and features,
    /// and the reward's progress and stage; it adds a scaled correction to
    /// the base action.
    pub struct RecoveryTask<'a> {
        venv: VecEnv,
        reward: RewardRunner,
        base: &'a Base,
        scripted: BasePolicy,
        draws: u64,
        base_inputs: BaseInputs,
        starts: Vec<EnvState>,
        next_start: usize,
        horizon: u32,
        /// Per environment: the base action and features of the current state.
        base_action: Vec<f32>,
        base_features: Vec<f32>,
        feature_dim: usize,
        stages: f32,
        sim_obs: Vec<f32>,
        executed: Vec<f32>,
        /// If false, an ended episode is not restarted (evaluation).
        pub restart: bool,
        residual: Residual,
    }

    fn runtime(e: RuntimeError) -> CliError {
        CliError::Failed(e.to_string())
    }

    fn sim_error(e: rwd_sim::SimError) -> RuntimeError {
        RuntimeError::Config { field: "simulator", problem: e.to_string() }
    }

    fn cli_error(e: CliError) -> RuntimeError {
        let (CliError::Usage(problem) | CliError::Failed(problem)) = e;
        RuntimeError::Config { field: "reward", problem }
    }

    impl<'a> RecoveryTask<'a> {
        pub fn new(
            reward: &rwd::ir::Program,
            starts: Vec<EnvState>,
            n: usize,
            horizon: u32,
            base: &'a Base,
            residual: Residual,
        ) -> Result<RecoveryTask<'a>, CliError> {
            let first = starts.first().ok_or_else(|| CliError::Failed("no failure states to start from".into()))?;
            let config = rwd_sim::TaskConfig { task: first.task, variant: first.variant };
            let task = task_for(reward)?;
            if task != first.task {
                return Err(CliError::Failed(format!(
                    "the reward `{}` is written for `{}`, the failure states are from `{}`",
                    reward.name,
                    task.scene_name(),
                    first.task.scene_name()
                )));
            }
            if let Base::Learned(net) = base
                && (net.spec.obs_dim != rwd_runtime::INPUT_DIM || net.spec.act_dim != ACTION_DIM)
            {
                return Err(CliError::Failed(format!(
                    "the base policy maps {} -> {} values; a base policy maps {} -> {ACTION_DIM}",
                    net.spec.obs_dim,
                    net.spec.act_dim,
                    rwd_runtime::INPUT_DIM
                )));
            }
            let feature_dim = match base {
                Base::Learned(net) => net.spec.feature_dim(),
                _ => 0,
            };
            let venv = VecEnv::new(config, n, 0);
            let stages = reward.reward.as_ref().map_or(1, |r| r.stages.len().max(1)) as f32;
            let mut t = RecoveryTask {
                scripted: BasePolicy::new(&venv, PolicyNoise::default()),
                venv,
                reward: RewardRunner::new(reward, task, n)?,
                base,
                draws: 0,
                base_inputs: BaseInputs::new(n),
                starts,
                next_start: 0,
                horizon: horizon.clamp(1, config.task.horizon()),
                base_action: vec![0.0; n * ACTION_DIM],
                base_features: vec![0.0; n * feature_dim],
                feature_dim,
                stages,
                sim_obs: vec![0.0; n * POLICY_OBS_DIM],
                executed: vec![0.0; n * ACTION_DIM],
                restart: true,
                residual,
            };
            for env in 0..n {
                t.start(env).map_err(runtime)?;
            }
            t.refresh_base().map_err(runtime)?;
            Ok(t)
        }

        /// Puts the next failure state into `env`, its clock set so that
        /// `horizon` steps remain.
        fn start(&mut self, env: usize) -> Result<(), RuntimeError> {
            let mut state = self.starts[self.next_start % self.starts.len()].clone();
            self.next_start += 1;
            state.step = state.task.horizon() - self.horizon;
            state.done = false;
            state.success = false;
            self.venv.set_state(env, &state).map_err(sim_error)?;
            self.reward.state.stage[env] = 0;
            self.reward.state.count[env] = 0;
            self.reward.out.progress[env] = 0.0;
            self.base_inputs.reset_env(env);
            if let Base::Scripted = self.base {
                self.draws += 1;
                let draw = state.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(self.draws);
                self.scripted.set_state(env, PolicyState::resume(&state, draw, PolicyNoise::default())).map_err(sim_error)?;
            }
            Ok(())
        }

        /// The base policy's action and features for every current state.
        fn refresh_base(&mut self) -> Result<(), RuntimeError> {
            match self.base {
                Base::Learned(net) => {
                    let n = self.venv.n_envs();
                    let (actions, features) = net.act(self.base_inputs.fill(&self.venv)?, n)?;
                    self.base_action = actions;
                    self.base_features = features;
                }
                Base::Scripted => self.scripted.act(&self.venv, &mut self.base_action).map_err(sim_error)?,
                Base::None => {}
            }
            Ok(())
        }

        pub fn n(&self) -> usize {
            self.venv.n_envs()
        }
    }

    impl VecTask for RecoveryTask<'_> {
        fn n_envs(&self) -> usize {
            self.venv.n_envs()
        }

        fn obs_dim(&self) -> usize {
            POLICY_OBS_DIM + ACTION_DIM + self.feature_dim + 2
        }

        fn act_dim(&self) -> usize {
            self.residual.components().len()
        }

        fn observe(&mut self, out: &mut [f32]) -> Result<(), RuntimeError> {
            let (n, dim, f) = (self.n_envs(), self.obs_dim(), self.feature_dim);
            if out.len() != n * dim {
                return Err(RuntimeError::Shape { what: "recovery observation", expected: n * dim, got: out.len() });
            }
            self.venv.policy_obs(&mut self.sim_obs).map_err(sim_error)?;
            for env in 0..n {
                let row = &mut out[env * dim..(env + 1) * dim];
                let (sim, rest) = row.split_at_mut(POLICY_OBS_DIM);
                sim.copy_from_slice(&self.sim_obs[env * POLICY_OBS_DIM..(env + 1) * POLICY_OBS_DIM]);
                let (action, rest) = rest.split_at_mut(ACTION_DIM);
                action.copy_from_slice(&self.base_action[env * ACTION_DIM..(env + 1) * ACTION_DIM]);
                let (features, reward) = rest.split_at_mut(f);
                features.copy_from_slice(&self.base_features[env * f..(env + 1) * f]);
                // The residual sees progress on the stage scale, (stage +
                // shaping) / stages, where the last stage done reads 1: the
                // evaluation metric keeps its top step for success alone.
                let progress = self.reward.out.progress[env] * (f64::from(self.stages) + 1.0) / f64::from(self.stages);
                reward[0] = progress.min(1.0) as f32;
                reward[1] = self.reward.state.stage[env] as f32 / self.stages;
            }
            Ok(())
        }

        fn step(&mut self, actions: &[f32], out: &mut StepOut) -> Result<(), RuntimeError> {
            let n = self.n_envs();
            let components = self.residual.components();
            let k = components.len();
            if actions.len() != n * k {
                return Err(RuntimeError::Shape { what: "residual actions", expected: n * k, got: actions.len() });
            }
            self.executed.copy_from_slice(&self.base_action);
            for (env, residual) in actions.chunks_exact(k).enumerate() {
                for (&component, r) in components.iter().zip(residual) {
                    let e = &mut self.executed[env * ACTION_DIM + component];
                    *e = (*e + RESIDUAL_SCALE * r).clamp(-1.0, 1.0);
                }
            }
            self.venv.step(&self.executed).map_err(sim_error)?;
            self.base_inputs.executed(&self.executed);
            self.reward.step(&self.venv).map_err(cli_error)?;
            for env in 0..n {
                // The reward's own success is absorbing: the episode ends
                // there and is paid, at once, what staying in success at
                // the top of the normalised range would earn to the horizon.
                // Without that a residual learns to hover short of a risky
                // last step (releasing the broccoli), since every step in
                // the late stages already pays well and failing loses it.
                let succeeded = self.reward.out.flags[env] & rwd::jit::FLAG_SUCCESS != 0;
                let remaining = self.venv.horizon().saturating_sub(self.venv.step_count(env));
                let done = succeeded || remaining == 0;
                out.reward[env] = if succeeded {
                    1.0 + remaining as f32
                } else {
                    self.reward.out.normalized[env] as f32
                };
                out.progress[env] = self.reward.out.progress[env] as f32;
                out.success[env] = self.venv.success(env);
                out.done[env] = done;
                if done && self.restart {
                    self.start(env)?;
                }
            }
            self.refresh_base()
        }
    }

    /// How recovery episodes from a set of failure states ended.
    #[derive(Debug, Clone)]
    pub struct Recovery {
        pub mean_progress: f64,
        pub mean_return: f64,
        /// Episodes, successes and the simulator's labels of the final states.
        pub outcomes: rwd_sim::Outcomes,
        /// Episodes the reward ended as a success whose final state the
        /// simulator's success test rejects: the reward asks for less than
        /// the task (a lid shut but still held), and a residual trained
        /// with it learns to stop short.
        pub unconfirmed_successes: usize,
    }

    /// One episode from each state, the residual acting deterministically
    /// (its mean), or the base policy alone when `residual` is `None`.
    pub fn evaluate(
        reward: &rwd::ir::Program,
        states: &[EnvState],
        horizon: u32,
        base: &Base,
        corrects: Residual,
        residual: Option<&PolicyNet>,
    ) -> Result<Recovery, CliError> {
        let n = states.len();
        let mut task = RecoveryTask::new(reward, states.to_vec(), n, horizon, base, corrects)?;
        task.restart = false;
        let mut obs = vec![0f32; n * task.obs_dim()];
        let mut out = StepOut::new(n);
        // Per environment: the reward's progress when its episode ended.
        let mut finished: Vec<Option<f32>> = vec![None; n];
        let mut outcomes = rwd_sim::Outcomes { episodes: n, ..Default::default() };
        let mut returns = vec![0f64; n];
        let mut unconfirmed_successes = 0;
        for _ in 0..task.horizon {
            let actions = match residual {
                Some(net) => {
                    task.observe(&mut obs).map_err(runtime)?;
                    ppo::act_deterministic(net, &obs, n).map_err(runtime)?
                }
                None => vec![0.0; n * corrects.components().len()],
            };
            task.step(&actions, &mut out).map_err(runtime)?;
            for env in 0..n {
                if finished[env].is_none() {
                    returns[env] += f64::from(out.reward[env]);
                    if out.done[env] {
                        finished[env] = Some(out.progress[env]);
                        let label = task.venv.env(env).map_or("other", rwd_sim::outcome_label);
                        *outcomes.by_label.entry(label.to_string()).or_default() += 1;
                        outcomes.successes += usize::from(out.success[env]);
                        let rewarded = task.reward.out.flags[env] & rwd::jit::FLAG_SUCCESS != 0;
                        unconfirmed_successes += usize::from(rewarded && !out.success[env]);
                    }
                }
            }
            if finished.iter().all(Option::is_some) {
                break;
            }
        }
        Ok(Recovery {
            mean_progress: finished.iter().map(|p| f64::from(p.unwrap_or(0.0))).sum::<f64>() / n.max(1) as f64,
            mean_return: returns.iter().sum::<f64>() / n.max(1) as f64,
            outcomes,
            unconfirmed_successes,
        })
    }

    fn reward_for<'c>(compilation: &'c rwd::Compilation, set: &FailureSet, name: Option<&str>) -> Result<&'c rwd::ir::Program, CliError> {
        if name.is_some() {
            return compilation.select(name, &[ProgramKind::Reward]).map_err(CliError::Failed);
        }
        let for_failure = compilation
            .programs
            .iter()
            .filter(|p| p.kind == ProgramKind::Reward)
            .filter(|p| p.reward.as_ref().and_then(|r| r.failure.as_deref()) == Some(set.failure.as_str()))
            .collect::<Vec<_>>();
        match for_failure.as_slice() {
            [one] => Ok(one),
            _ => compilation.select(None, &[ProgramKind::Reward]).map_err(|e| {
                CliError::Failed(format!("no reward is written `for {}` ({e}); name one with `--reward`", set.failure))
            }),
        }
    }

    /// The base policy to train over; a learned one must have been trained
    /// on the failure states' task (the policy observation has the same
    /// width for every task, so nothing else would catch the mix-up).
    fn load_base(path: &str, task: rwd_sim::Task) -> Result<Base, CliError> {
        match path {
            "none" => Ok(Base::None),
            "scripted" => Ok(Base::Scripted),
            _ => {
                let (net, header) = load_checkpoint(path)?;
                let expected = task_name(task);
                if header.task != expected {
                    return Err(CliError::Failed(format!(
                        "`{path}` is a base policy for `{}`; the failure states are from `{expected}`",
                        header.task
                    )));
                }
                Ok(Base::Learned(net))
            }
        }
    }

    /// PPO settings for recovery from failure states.
    pub fn ppo_config(iterations: usize, seed: i64) -> PpoConfig {
        PpoConfig {
            iterations,
            seed,
            // Exploration of about 0.14 per action component: the scripted
            // base is a dead-beat controller, and wider noise wrecks the
            // episodes it would have won (at 0.37 its 51% recovery rate fell
            // to 10% before any learning).
            init_log_std: -2.0,
            // Sort vegetables, scripted base: at 3e-4 the recovery return
            // rose 0.4 in 0.8M steps, at 1e-3 by 1.4 in 1.2M.
            learning_rate: 1e-3,
            ..PpoConfig::default()
        }
    }

    /// Failure states split into the ones trained on and the ones only
    /// evaluated (every fourth, when there are at least 8).
    pub struct Split {
        pub training: Vec<EnvState>,
        pub held_out: Vec<EnvState>,
    }

    impl Split {
        pub fn of(states: Vec<EnvState>) -> Split {
            let hold_out = states.len() >= 8;
            let (held_out, training): (Vec<_>, Vec<_>) = states.into_iter().enumerate().partition(|(i, _)| hold_out && i % 4 == 3);
            Split { training: training.into_iter().map(|(_, s)| s).collect(), held_out: held_out.into_iter().map(|(_, s)| s).collect() }
        }
    }

    /// A residual trained by PPO from `training` states. Every
    /// `SELECT_EVERY` iterations (and before the first) the residual runs
    /// one deterministic episode from each training state; the weights with
    /// the most successes are kept. Before any update the residual is near
    /// zero, so the kept one does at least about as well as the base alone
    /// on the states it saw; the held-out states say whether that carries.
    pub fn train_residual(
        reward: &rwd::ir::Program,
        training: &[EnvState],
        base: &Base,
        corrects: Residual,
        envs: usize,
        horizon: u32,
        config: &PpoConfig,
        on_iteration: impl FnMut(&ppo::IterationReport),
    ) -> Result<(ActorCritic, Option<(usize, f64)>), CliError> {
        let mut task = RecoveryTask::new(reward, training.to_vec(), envs, horizon, base, corrects)?;
        let mut agent = ActorCritic::new(task.obs_dim(), task.act_dim(), config).map_err(runtime)?;
        // Normalise observations as the base policy alone meets them.
        let mut first = vec![0f32; task.n() * task.obs_dim()];
        task.observe(&mut first).map_err(runtime)?;
        agent.fit_normalisation(&first, task.n()).map_err(runtime)?;
        let mut score = |actor: &PolicyNet| -> Result<f64, RuntimeError> {
            let r = evaluate(reward, training, horizon, base, corrects, Some(actor)).map_err(cli_error)?;
            Ok(r.outcomes.success_rate())
        };
        let selection = ppo::ActorSelection { every: SELECT_EVERY, score: &mut score };
        let kept = ppo::train_selected(&mut agent, &mut task, config, Some(selection), on_iteration).map_err(runtime)?;
        Ok((agent, kept))
    }

    /// How often the residual is scored for keeping.
    const SELECT_EVERY: usize = 10;

    /// One row of the before/after table.
    pub struct Comparison {
        pub states: &'static str,
        pub policy: &'static str,
        pub recovery: Recovery,
    }

    /// The base alone and the base with the residual, on the training and
    /// the held-out states.
    pub fn compare(reward: &rwd::ir::Program, split: &Split, horizon: u32, base: &Base, corrects: Residual, residual: &PolicyNet) -> Result<Vec<Comparison>, CliError> {
        let mut rows = Vec::new();
        for (states, set) in [("training", &split.training), ("held out", &split.held_out)] {
            if set.is_empty() {
                continue;
            }
            for (policy, residual) in [("base alone", None), ("base + residual", Some(residual))] {
                rows.push(Comparison { states, policy, recovery: evaluate(reward, set, horizon, base, corrects, residual)? });
            }
        }
        Ok(rows)
    }

    pub fn print_comparison(rows: &[Comparison]) {
        println!(
            "{:<22} {:<16} {:>8} {:>8} {:>9} {:>8}  final states that failed",
            "failure states", "policy", "episodes", "success", "progress", "return"
        );
        for row in rows {
            let r = &row.recovery;
            let failed: Vec<String> =
                r.outcomes.by_label.iter().filter(|(l, _)| l.as_str() != "success").map(|(l, c)| format!("{l} {c}")).collect();
            println!(
                "{:<22} {:<16} {:>8} {:>7.1}% {:>9.3} {:>8.2}  {}",
                row.states,
                row.policy,
                r.outcomes.episodes,
                100.0 * r.outcomes.success_rate(),
                r.mean_progress,
                r.mean_return,
                failed.join(", ")
            );
        }
        let unconfirmed: usize = rows.iter().map(|r| r.recovery.unconfirmed_successes).sum();
        let episodes: usize = rows.iter().map(|r| r.recovery.outcomes.episodes).sum();
        if unconfirmed > 0 {
            println!(
                "\nwarning: in {unconfirmed} of these {episodes} episodes the reward's `success` held where the simulator's success \
                 test does not:\n  the reward asks for less than the task (a part shut but still held, say), and the episode \
                 ended there;\n  a residual trained with it learns to stop short"
            );
        }
    }

    /// The demo's recovery step: a residual over the re-prompted scripted
    /// base, trained from `states` with `reward`, compared with the base
    /// alone. `None` with fewer than 8 states (no held-out set).
    pub fn demo_recovery(reward: &rwd::ir::Program, states: Vec<EnvState>, iterations: usize) -> Result<Option<DemoRecovery>, CliError> {
        if states.len() < 8 {
            return Ok(None);
        }
        let corrects = Residual::for_task(task_for(reward)?);
        let split = Split::of(states);
        let (horizon, base) = (80, Base::Scripted);
        let (agent, _) = train_residual(reward, &split.training, &base, corrects, 64, horizon, &ppo_config(iterations, 0), |r| {
            eprint!("\r  recovery training with `{}`: iteration {}/{iterations}", reward.name, r.iteration + 1);
        })?;
        eprintln!();
        let rows = compare(reward, &split, horizon, &base, corrects, &agent.actor)?;
        let rate = |states: &str, policy: &str| {
            rows.iter()
                .find(|r| r.states == states && r.policy == policy)
                .map_or(f64::NAN, |r| r.recovery.outcomes.success_rate())
        };
        Ok(Some(DemoRecovery {
            states: (split.training.len(), split.held_out.len()),
            base: (rate("training", "base alone"), rate("held out", "base alone")),
            residual: (rate("training", "base + residual"), rate("held out", "base + residual")),
        }))
    }

    /// `rwd train FILE --failures F.json --base scripted|CKPT|none [--reward NAME]
    /// [--residual tcp|tcp+gripper] [--iterations N] [--envs N] [--horizon H]
    /// [--seed S] [--out R.ckpt]`
    pub fn run(args: &Args) -> CliResult {
        let path = args.one("FILE")?;
        let failures_path = args.value("--failures").ok_or_else(|| CliError::Usage("`train` needs `--failures FILE.json` (from `rwd collect`)".into()))?;
        let base_path = args.value("--base").ok_or_else(|| CliError::Usage("`train` needs `--base scripted`, `--base CKPT` (from `rwd train-base`) or `--base none`".into()))?;
        let out = args.value("--out").unwrap_or("residual.ckpt");
        check_writable_dir(out)?;
        // PPO keeps envs x horizon steps of rollout per iteration.
        let envs = args.count("--envs", 64, 1..=8_192)?;
        let horizon = args.count("--horizon", 80, 1..=10_000)? as u32;
        let config = ppo_config(args.count("--iterations", 200, 1..=1_000_000)?, args.number("--seed", 0)?);

        let set = load(failures_path)?;
        if set.failures.is_empty() {
            return Err(CliError::Failed(format!("`{failures_path}` holds no failure states")));
        }
        let compilation = super::super::commands::compile_file(path, args)?;
        let reward = reward_for(&compilation, &set, args.value("--reward"))?;
        let base = load_base(base_path, set.config.task)?;
        let split = Split::of(set.failures.iter().map(|r| r.state.clone()).collect());
        let corrects = match args.value("--residual") {
            Some(text) => Residual::parse(text)?,
            None => Residual::for_task(set.failures[0].state.task),
        };
        println!(
            "train: residual PPO on `{}` from {} failure state(s) of `{}` ({} held out), base {}, residual on {}, {} envs x {} steps x {} iterations",
            reward.name,
            split.training.len(),
            set.failure,
            split.held_out.len(),
            base_path,
            corrects.name(),
            envs,
            config.steps,
            config.iterations
        );
        println!("iter  env-steps  reward/step  episodes  success  progress  action std");
        let (agent, kept) = train_residual(reward, &split.training, &base, corrects, envs, horizon, &config, |r| {
            println!(
                "{:>4}  {:>9}  {:>11.4}  {:>8}  {:>6.1}%  {:>8.3}  {:>10.3}",
                r.iteration + 1,
                (r.iteration + 1) * r.env_steps,
                r.mean_reward,
                r.episodes,
                100.0 * r.success_rate,
                r.mean_progress,
                r.std
            );
        })?;
        if let Some((iterations, success)) = kept {
            println!("kept the residual after {iterations} iteration(s): {:.1}% success from the training states", 100.0 * success);
        }
        let note = format!("residual PPO on `{}` for `{}` over base `{base_path}`, correcting {}", reward.name, set.failure, corrects.name());
        write_atomic_bytes(out, &checkpoint::to_bytes(&agent.actor, task_name(split.training[0].task), &note).map_err(runtime)?)?;
        println!("wrote {out}\n");
        print_comparison(&compare(reward, &split, horizon, &base, corrects, &agent.actor)?);
        Ok(0)
    }
}
