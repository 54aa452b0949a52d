//! The typed face of the JIT: [`CompiledReward`] and [`CompiledCheck`].
//!
//! [`JitProgram`] compiles any program and offers both `eval_reward` and
//! `eval_check`, each of which must first ask whether the program is of its
//! kind. A caller that knows what it holds (a training loop's reward, a
//! failure detector) takes one of these instead: the kind is checked once,
//! when compiling, and `eval_batch` can only be called the right way.

use super::{BatchState, JitError, JitProgram, RewardBatch, Tier};
use crate::check::hir::ProgramKind;
use crate::ir::Program;

/// A reward compiled to native code: owns its code memory (freed on drop),
/// `Send + Sync`, evaluated a whole batch at a time.
pub struct CompiledReward {
    jit: JitProgram,
}

impl CompiledReward {
    /// Compiles a reward program the default way ([`Tier::Adaptive`]);
    /// [`JitError::WrongKind`] for a check or failure program.
    pub fn compile(program: &Program) -> Result<CompiledReward, JitError> {
        Self::compile_tier(program, Tier::Adaptive)
    }

    pub fn compile_tier(program: &Program, tier: Tier) -> Result<CompiledReward, JitError> {
        if program.kind != ProgramKind::Reward {
            return Err(JitError::WrongKind { program: program.name.clone(), expected: "reward" });
        }
        Ok(CompiledReward { jit: JitProgram::compile_tier(program, tier)? })
    }

    /// Buffers for a batch of `n` environments: the reward machines at
    /// their first stage, and the outputs.
    pub fn batch(&self, n: usize) -> (BatchState, RewardBatch) {
        (BatchState::new(n), RewardBatch::new(n, self.jit.term_count()))
    }

    /// One reward step for every environment: `obs` is `n * width`
    /// row-major, `state` and `out` sized for `n` (see [`Self::batch`]). A
    /// buffer of the wrong length is an error, never a wrong access.
    pub fn eval_batch(&self, obs: &[f64], state: &mut BatchState, out: &mut RewardBatch) -> Result<(), JitError> {
        self.jit.eval_reward(obs, state, out)
    }

    pub fn term_count(&self) -> usize {
        self.jit.term_count()
    }

    /// The compiled program, for what both kinds share (its CLIF, its tier).
    pub fn program(&self) -> &JitProgram {
        &self.jit
    }
}

/// A check or failure program compiled to native code.
pub struct CompiledCheck {
    jit: JitProgram,
}

impl CompiledCheck {
    /// Compiles a check or failure program the default way;
    /// [`JitError::WrongKind`] for a reward.
    pub fn compile(program: &Program) -> Result<CompiledCheck, JitError> {
        if program.kind == ProgramKind::Reward {
            return Err(JitError::WrongKind { program: program.name.clone(), expected: "check or failure" });
        }
        Ok(CompiledCheck { jit: JitProgram::compile(program)? })
    }

    /// Values per environment (bools as 0/1, in declaration order).
    pub fn output_width(&self) -> usize {
        self.jit.output_width()
    }

    /// Runs the check over a batch: `out` gets `n * output_width` values,
    /// `valid` one flag byte per environment (no `FLAG_VALID` where the
    /// observation was not finite; its outputs are then untouched).
    pub fn eval_batch(&self, obs: &[f64], out: &mut [f64], valid: &mut [u8]) -> Result<(), JitError> {
        self.jit.eval_check(obs, out, valid)
    }

    pub fn program(&self) -> &JitProgram {
        &self.jit
    }
}
