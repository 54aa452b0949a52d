//! One environment stepped by either back end, with identical results: the
//! CLI's `eval --backend jit|interp`.

use rwd::interp::{EvalError, Interpreter, OutputValue, StageState, StepResult, check_width, first_non_finite, report};
use rwd::ir::Program;
use rwd::jit::{BatchState, FLAG_REGRESSED, FLAG_SUCCESS, FLAG_VALID, JitProgram, RewardBatch};

pub enum Engine<'p> {
    Interp { interp: Interpreter<'p>, state: StageState },
    Jit { program: &'p Program, jit: Box<JitProgram>, state: BatchState, out: RewardBatch },
}

impl<'p> Engine<'p> {
    pub fn new(program: &'p Program, backend: &str) -> Result<Engine<'p>, String> {
        match backend {
            "interp" => Ok(Engine::Interp { interp: Interpreter::new(program), state: StageState::default() }),
            "jit" => {
                let jit = JitProgram::compile(program).map_err(|e| e.to_string())?;
                let out = RewardBatch::new(1, jit.term_count());
                Ok(Engine::Jit { program, jit: Box::new(jit), state: BatchState::new(1), out })
            }
            other => Err(format!("unknown backend `{other}` (jit or interp)")),
        }
    }

    pub fn step(&mut self, obs: &[f64]) -> Result<StepResult, EvalError> {
        match self {
            Engine::Interp { interp, state } => interp.step(state, obs),
            Engine::Jit { program, jit, state, out } => {
                check_width(program, obs)?;
                jit.eval_reward(obs, state, out).map_err(|_| EvalError::NotAReward(program.name.clone()))?;
                let flags = out.flags[0];
                let valid = flags & FLAG_VALID != 0;
                let error = (!valid).then(|| match first_non_finite(program, obs) {
                    Some(e) => e.to_string(),
                    None => "reward is not finite (run with --backend interp to see which term)".to_string(),
                });
                Ok(StepResult {
                    reward: out.reward[0],
                    normalized: out.normalized[0],
                    terms: out.terms.clone(),
                    stage: state.stage[0],
                    success: flags & FLAG_SUCCESS != 0,
                    progress: out.progress[0],
                    regressed: flags & FLAG_REGRESSED != 0,
                    valid,
                    error,
                })
            }
        }
    }

    pub fn check(&mut self, obs: &[f64]) -> Result<Vec<(String, OutputValue)>, EvalError> {
        match self {
            Engine::Interp { interp, .. } => interp.check(obs),
            Engine::Jit { program, jit, .. } => {
                check_width(program, obs)?;
                let mut flat = vec![0.0; jit.output_width()];
                let mut valid = [0u8];
                jit.eval_check(obs, &mut flat, &mut valid).map_err(|_| EvalError::NotACheck(program.name.clone()))?;
                if valid[0] & FLAG_VALID == 0
                    && let Some(e) = first_non_finite(program, obs) {
                        return Err(e);
                    }
                Ok(report(program, &flat))
            }
        }
    }
}
