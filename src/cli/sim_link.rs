//! The bridge between compiled programs and the embedded simulator: a
//! program's observation layout becomes a gather plan over the simulator's
//! scene (checked once, at start-up), and a failure program becomes a
//! detector run by the JIT over a whole batch of environments.

use super::CliError;
use super::commands::layout_json;
use rwd::ir::Program;
use rwd::jit::{BatchState, CompiledCheck, CompiledReward, FLAG_VALID, RewardBatch};
use rwd_sim::{ObsPlan, ProgramLayout, Task, VecEnv};

/// The simulator task whose scene the program is written for.
pub fn task_for(program: &Program) -> Result<Task, CliError> {
    let scene = &program.layout.scene;
    Task::from_scene(scene).ok_or_else(|| {
        let known: Vec<&str> = Task::ALL.iter().map(|t| t.scene_name()).collect();
        CliError::Failed(format!(
            "`{}` is written for scene `{scene}`, which the embedded simulator does not have (it has: {})",
            program.name,
            known.join(", ")
        ))
    })
}

/// The program's layout checked against the simulator's scene.
pub fn obs_plan(program: &Program, task: Task) -> Result<ObsPlan, CliError> {
    let layout: ProgramLayout = serde_json::from_value(layout_json(program))
        .map_err(|e| CliError::Failed(format!("internal: layout of `{}` is not readable: {e}", program.name)))?;
    ObsPlan::new(task, &layout).map_err(|e| {
        CliError::Failed(format!("`{}` cannot observe the simulator's `{}` scene: {e}", program.name, task.scene_name()))
    })
}

/// What a failure program says about one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Detected,
    Clear,
    /// The observation had a NaN or infinity: no verdict.
    Invalid,
}

/// A failure program compiled to native code, observing a `VecEnv`.
pub struct Detector {
    jit: CompiledCheck,
    plan: ObsPlan,
    obs: Vec<f64>,
    out: Vec<f64>,
    valid: Vec<u8>,
}

impl Detector {
    pub fn new(program: &Program, task: Task) -> Result<Detector, CliError> {
        let plan = obs_plan(program, task)?;
        let jit = CompiledCheck::compile(program).map_err(|e| CliError::Failed(format!("cannot compile `{}`: {e}", program.name)))?;
        if jit.output_width() != 1 {
            return Err(CliError::Failed(format!("`{}` is not a failure program (it has {} outputs)", program.name, jit.output_width())));
        }
        Ok(Detector { jit, plan, obs: Vec::new(), out: Vec::new(), valid: Vec::new() })
    }

    /// One verdict per environment, for the current states.
    pub fn detect(&mut self, venv: &VecEnv) -> Result<Vec<Verdict>, CliError> {
        let n = venv.n_envs();
        self.obs.resize(n * self.plan.width(), 0.0);
        self.out.resize(n, 0.0);
        self.valid.resize(n, 0);
        self.plan.gather(venv, &mut self.obs).map_err(|e| CliError::Failed(e.to_string()))?;
        self.jit.eval_batch(&self.obs, &mut self.out, &mut self.valid).map_err(|e| CliError::Failed(e.to_string()))?;
        Ok(self
            .out
            .iter()
            .zip(&self.valid)
            .map(|(&x, &flags)| match (flags & FLAG_VALID != 0, rwd::interp::truthy(x)) {
                (false, _) => Verdict::Invalid,
                (true, true) => Verdict::Detected,
                (true, false) => Verdict::Clear,
            })
            .collect())
    }
}

/// A reward program compiled to native code, stepping its reward machine
/// over every environment of a `VecEnv`.
pub struct RewardRunner {
    jit: CompiledReward,
    plan: ObsPlan,
    obs: Vec<f64>,
    pub state: BatchState,
    pub out: RewardBatch,
}

impl RewardRunner {
    pub fn new(program: &Program, task: Task, n_envs: usize) -> Result<RewardRunner, CliError> {
        let plan = obs_plan(program, task)?;
        let jit = CompiledReward::compile(program).map_err(|e| CliError::Failed(format!("cannot compile `{}`: {e}", program.name)))?;
        let (state, out) = jit.batch(n_envs);
        Ok(RewardRunner { jit, plan, obs: Vec::new(), state, out })
    }

    /// One reward step for every environment's current state.
    pub fn step(&mut self, venv: &VecEnv) -> Result<(), CliError> {
        self.obs.resize(venv.n_envs() * self.plan.width(), 0.0);
        self.plan.gather(venv, &mut self.obs).map_err(|e| CliError::Failed(e.to_string()))?;
        self.jit.eval_batch(&self.obs, &mut self.state, &mut self.out).map_err(|e| CliError::Failed(e.to_string()))
    }
}
