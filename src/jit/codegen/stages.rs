//! One environment's stage machine as control flow: the hold check, then the
//! gate cascade, in the scalar function. (The vector function computes only
//! quiet steps, where no machine acts, and hands the others to the scalar
//! function: see `lanes.rs`.)

use crate::ir::RewardSpec;
use cranelift::prelude::*;

/// One environment's inputs, every condition an i8 0/1 and every value f64.
pub struct StageInputs {
    /// The stage and hold counter stored by the previous step (i32).
    pub stage0: Value,
    pub count0: Value,
    /// Per stage: its gate.
    pub gates: Vec<Value>,
    /// Per stage with a `hold`: whether the hold condition holds now.
    pub holds: Vec<Option<Value>>,
    /// Per stage with a bonus: its value.
    pub bonuses: Vec<Option<Value>>,
    /// f64 +0.0, defined where every block of the machine can use it.
    pub zero: Value,
}

pub struct StageOutputs {
    pub stage: Value,
    pub count: Value,
    /// i8: the hold sent the environment back this step.
    pub regressed: Value,
    /// Per stage with a bonus: what it paid (or took back) this step.
    pub paid: Vec<Option<Value>>,
}

/// Emits the machine in the current block and leaves the builder in the
/// block after it, where the outputs are defined.
pub fn emit(b: &mut FunctionBuilder, spec: &RewardSpec, input: &StageInputs) -> StageOutputs {
    let k = spec.stages.len() as u32;
    let stage_var = b.declare_var(types::I32);
    let count_var = b.declare_var(types::I32);
    // Bonuses paid (or taken back) this step, per stage, from +0.0.
    let bonus_vars: Vec<Option<Variable>> = input
        .bonuses
        .iter()
        .map(|bonus| {
            bonus.map(|_| {
                let var = b.declare_var(types::F64);
                b.def_var(var, input.zero);
                var
            })
        })
        .collect();

    // 1. Hold: the current stage's hold condition failing sends it back
    // and takes back the bonuses of the stages in between (branch-free:
    // at most one stage matches).
    let mut stage = input.stage0;
    let mut count = input.count0;
    let mut regressed = b.ins().iconst(types::I8, 0);
    for (s, st) in spec.stages.iter().enumerate() {
        let (Some((_, target)), Some(held)) = (st.hold, input.holds[s]) else { continue };
        let here = b.ins().icmp_imm_u(IntCC::Equal, input.stage0, s as i64);
        let lost = b.ins().bnot(held);
        let lost = b.ins().band(here, lost);
        for j in target as usize..s {
            if let (Some(var), Some(bv)) = (bonus_vars[j], input.bonuses[j]) {
                let taken = b.ins().select(lost, bv, input.zero);
                let cur = b.use_var(var);
                let next = b.ins().fsub(cur, taken);
                b.def_var(var, next);
            }
        }
        let t = b.ins().iconst(types::I32, i64::from(target));
        let z = b.ins().iconst(types::I32, 0);
        stage = b.ins().select(lost, t, stage);
        count = b.ins().select(lost, z, count);
        regressed = b.ins().bor(regressed, lost);
    }

    // 2. Cascade: advance while the current stage's gate holds long enough.
    b.def_var(stage_var, stage);
    b.def_var(count_var, count);
    let head = b.create_block();
    let after = b.create_block();
    b.ins().jump(head, &[]);
    b.switch_to_block(head);
    if k > 0 {
        let st = b.use_var(stage_var);
        let stage_blocks: Vec<Block> = (0..k).map(|_| b.create_block()).collect();
        let default = b.func.dfg.block_call(after, &[]);
        let table: Vec<_> = stage_blocks.iter().map(|blk| b.func.dfg.block_call(*blk, &[])).collect();
        let jt = b.create_jump_table(JumpTableData::new(default, &table));
        b.ins().br_table(st, jt);
        for (s, st_spec) in spec.stages.iter().enumerate() {
            b.switch_to_block(stage_blocks[s]);
            let pass = b.create_block();
            let fail = b.create_block();
            b.ins().brif(input.gates[s], pass, &[], fail, &[]);

            b.switch_to_block(fail);
            let z = b.ins().iconst(types::I32, 0);
            b.def_var(count_var, z);
            b.ins().jump(after, &[]);

            b.switch_to_block(pass);
            let c = b.use_var(count_var);
            let c1 = b.ins().iadd_imm_u(c, 1);
            let advance = b.create_block();
            let wait = b.create_block();
            let enough = b.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, c1, i64::from(st_spec.steps));
            b.ins().brif(enough, advance, &[], wait, &[]);

            b.switch_to_block(wait);
            b.def_var(count_var, c1);
            b.ins().jump(after, &[]);

            b.switch_to_block(advance);
            if let (Some(var), Some(bonus)) = (bonus_vars[s], input.bonuses[s]) {
                let cur = b.use_var(var);
                let paid = b.ins().fadd(cur, bonus);
                b.def_var(var, paid);
            }
            let s1 = b.ins().iconst(types::I32, s as i64 + 1);
            let z = b.ins().iconst(types::I32, 0);
            b.def_var(stage_var, s1);
            b.def_var(count_var, z);
            b.ins().jump(head, &[]);
        }
    } else {
        b.ins().jump(after, &[]);
    }
    b.switch_to_block(after);
    StageOutputs {
        stage: b.use_var(stage_var),
        count: b.use_var(count_var),
        regressed,
        paid: bonus_vars.iter().map(|v| v.map(|var| b.use_var(var))).collect(),
    }
}
