//! The reference interpreter: the semantics of rwd programs.
//!
//! It runs the IR's straight-line blocks over one observation and steps the
//! reward machine. Any other back end (the Cranelift JIT) must agree with it.
//!
//! Reward machine, per environment, per step (see docs/language.md):
//! 1. if the current stage has `hold C else S` and C is false: go back to S,
//!    taking back the bonuses of the stages between S and the current one;
//! 2. while the current stage's gate holds: count the step; once it has held
//!    `for N steps` in a row, pay its bonus and advance (several stages may
//!    complete in one step; a gate that fails resets its count);
//! 3. reward = stage index (the floor) + current stage's shaping in [0, 1]
//!    + bonuses paid this step + terms and penalties; on success with a
//!    success value, the reward is that value;
//! 4. progress = (stage + shaping) / (stages + 1), 1 on success.
//!
//! An observation with NaN or infinity in a slot the program reads gives a
//! step flagged invalid (reward 0) that leaves the stage state unchanged; a
//! step whose reward or any term comes out non-finite is flagged the same way.

use crate::builtins::{Math1, Math2};
use crate::ir::{Bin, Cmp, Inst, OutputTy, Program, Stmt};
use serde::Serialize;
use std::fmt;

/// Per-environment reward-machine state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StageState {
    /// Index of the current stage; equal to the number of stages when all are done.
    pub stage: u32,
    /// Consecutive steps the current stage's gate has held.
    pub count: u32,
}

/// Errors of the caller's making (wrong program kind or observation shape).
#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    WrongWidth { program: String, expected: u32, got: usize },
    NotAReward(String),
    NotACheck(String),
    /// A check or failure observation with a non-finite slot.
    NonFinite { slot: u32, name: String, value: f64 },
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::WrongWidth { program, expected, got } => {
                write!(f, "observation has {got} values but `{program}` reads {expected} (see `rwd compile --emit layout`)")
            }
            EvalError::NotAReward(p) => write!(f, "`{p}` is not a reward"),
            EvalError::NotACheck(p) => write!(f, "`{p}` is not a check or failure"),
            EvalError::NonFinite { slot, name, value } => write!(f, "observation slot {slot} ({name}) is {value}"),
        }
    }
}

impl std::error::Error for EvalError {}

/// Everything one reward step yields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    pub reward: f64,
    /// `(reward - lo) / (hi - lo)` clamped to [0, 1], with the static bounds.
    pub normalized: f64,
    /// Per-term values, named by [`Program::term_names`].
    pub terms: Vec<f64>,
    pub stage: u32,
    pub success: bool,
    pub progress: f64,
    /// A hold failed this step and the machine went back.
    pub regressed: bool,
    /// False if the observation (or the result) was not finite.
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A check's or failure's named results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OutputValue {
    Bool(bool),
    Number(f64),
    List(Vec<f64>),
}

/// Reusable evaluation buffers for one program.
pub struct Interpreter<'p> {
    program: &'p Program,
    vals: Vec<f64>,
    scratch: Vec<f64>,
}

impl<'p> Interpreter<'p> {
    pub fn new(program: &'p Program) -> Interpreter<'p> {
        Interpreter { program, vals: vec![0.0; program.num_values as usize], scratch: Vec::new() }
    }

    /// One reward step for one environment.
    pub fn step(&mut self, state: &mut StageState, obs: &[f64]) -> Result<StepResult, EvalError> {
        check_width(self.program, obs)?;
        let p = self.program;
        let Some(spec) = &p.reward else { return Err(EvalError::NotAReward(p.name.clone())) };
        let n_terms = p.term_names().len();
        if let Some(e) = first_non_finite(self.program, obs) {
            return Ok(invalid(n_terms, state.stage, e.to_string()));
        }
        exec(&p.pre, &mut self.vals, &mut self.scratch, obs, u32::MAX);

        let k = spec.stages.len() as u32;
        let mut next = *state;
        let mut regressed = false;
        // Bonuses paid (or taken back) this step, per stage.
        let mut bonus_paid = vec![0.0; spec.stages.len()];
        if next.stage < k
            && let Some((hold, target)) = spec.stages[next.stage as usize].hold
                && !truthy(self.vals[hold.0 as usize]) {
                    // Going back undoes the completions in between: their
                    // bonuses are taken back, so dropping and re-grasping
                    // never pays more than holding on.
                    for s in target..next.stage {
                        if let Some(b) = spec.stages[s as usize].bonus {
                            bonus_paid[s as usize] -= self.vals[b.0 as usize];
                        }
                    }
                    next = StageState { stage: target, count: 0 };
                    regressed = true;
                }
        while next.stage < k {
            let s = &spec.stages[next.stage as usize];
            if !truthy(self.vals[s.gate.0 as usize]) {
                next.count = 0;
                break;
            }
            next.count += 1;
            if next.count < s.steps {
                break;
            }
            if let Some(b) = s.bonus {
                bonus_paid[next.stage as usize] += self.vals[b.0 as usize];
            }
            next = StageState { stage: next.stage + 1, count: 0 };
        }
        exec(&p.post, &mut self.vals, &mut self.scratch, obs, next.stage);

        let shape = if next.stage < k { self.vals[spec.stages[next.stage as usize].shape.0 as usize] } else { 0.0 };
        let mut terms = Vec::with_capacity(n_terms);
        terms.push(next.stage as f64);
        terms.push(shape);
        for (s, paid) in spec.stages.iter().zip(&bonus_paid) {
            if s.bonus.is_some() {
                terms.push(*paid);
            }
        }
        for t in &spec.terms {
            terms.push(self.vals[t.value.0 as usize]);
        }
        // Left to right from +0.0: the order every back end uses.
        let mut reward = 0.0;
        for t in &terms {
            reward += t;
        }
        let success = match spec.success {
            Some(v) => truthy(self.vals[v.0 as usize]),
            None => k > 0 && next.stage == k,
        };
        if let (true, Some(v)) = (success, spec.success_value) {
            reward = self.vals[v.0 as usize];
        }
        // Any non-finite term flags the step, even one a success value replaces.
        if !reward.is_finite() || terms.iter().any(|t| !t.is_finite()) {
            let culprit = p
                .term_names()
                .into_iter()
                .zip(&terms)
                .find(|(_, v)| !v.is_finite())
                .map_or(format!("the success value is {reward}"), |(n, v)| format!("term `{n}` is {v}"));
            return Ok(invalid(n_terms, state.stage, format!("reward is not finite ({culprit})")));
        }
        let (lo, hi) = spec.bounds;
        let normalized = if hi > lo { clamp01((reward - lo) / (hi - lo)) } else { 0.0 };
        let progress = if success {
            1.0
        } else if k > 0 {
            // Success is the step after the last stage: short of it,
            // progress stays below 1 even with every stage done.
            clamp01((next.stage as f64 + shape) / (k + 1) as f64)
        } else {
            0.0
        };
        *state = next;
        Ok(StepResult { reward, normalized, terms, stage: next.stage, success, progress, regressed, valid: true, error: None })
    }

    /// Runs a check (or failure) on one observation.
    pub fn check(&mut self, obs: &[f64]) -> Result<Vec<(String, OutputValue)>, EvalError> {
        check_width(self.program, obs)?;
        let p = self.program;
        if p.reward.is_some() {
            return Err(EvalError::NotACheck(p.name.clone()));
        }
        if let Some(e) = first_non_finite(self.program, obs) {
            return Err(e);
        }
        exec(&p.pre, &mut self.vals, &mut self.scratch, obs, u32::MAX);
        let flat: Vec<f64> = p.outputs.iter().flat_map(|o| o.values.iter().map(|v| self.vals[v.0 as usize])).collect();
        Ok(report(p, &flat))
    }

    /// Whether a failure program detects its failure in this observation.
    pub fn detect(&mut self, obs: &[f64]) -> Result<bool, EvalError> {
        let out = self.check(obs)?;
        Ok(matches!(out.first(), Some((_, OutputValue::Bool(true)))))
    }
}

/// An observation must be exactly as wide as the program's layout.
pub fn check_width(p: &Program, obs: &[f64]) -> Result<(), EvalError> {
    let expected = p.layout.width;
    if obs.len() != expected as usize {
        return Err(EvalError::WrongWidth { program: p.name.clone(), expected, got: obs.len() });
    }
    Ok(())
}

/// The first slot that is NaN or infinite, named by the layout.
pub fn first_non_finite(p: &Program, obs: &[f64]) -> Option<EvalError> {
    obs.iter().position(|x| !x.is_finite()).map(|i| EvalError::NonFinite {
        slot: i as u32,
        name: p.layout.slot_name(i as u32),
        value: obs[i],
    })
}

/// A check's named results from its flat output row (outputs in order,
/// each as wide as its type): the form both back ends produce.
pub fn report(p: &Program, flat: &[f64]) -> Vec<(String, OutputValue)> {
    let mut at = 0;
    p.outputs
        .iter()
        .map(|o| {
            let vals = flat.get(at..at + o.values.len()).unwrap_or(&[]).to_vec();
            at += o.values.len();
            let value = match o.ty {
                OutputTy::Bool => OutputValue::Bool(vals.first().is_some_and(|x| truthy(*x))),
                OutputTy::Scalar(_) => OutputValue::Number(vals.first().copied().unwrap_or(f64::NAN)),
                _ => OutputValue::List(vals),
            };
            (o.name.clone(), value)
        })
        .collect()
}

fn invalid(n_terms: usize, stage: u32, error: String) -> StepResult {
    StepResult {
        reward: 0.0,
        normalized: 0.0,
        terms: vec![0.0; n_terms],
        stage,
        success: false,
        progress: 0.0,
        regressed: false,
        valid: false,
        error: Some(error),
    }
}

/// Booleans are 0.0 / 1.0; anything non-zero (NaN included) is true.
pub fn truthy(x: f64) -> bool {
    x != 0.0
}

fn b(x: bool) -> f64 {
    if x { 1.0 } else { 0.0 }
}

/// max(min(x, 1), 0) with [`fmin`]/[`fmax`] semantics (NaN stays NaN).
pub fn clamp01(x: f64) -> f64 {
    fmax(fmin(x, 1.0), 0.0)
}

/// IEEE 754-2019 minimum: NaN if either is NaN, and -0 below +0.
pub fn fmin(a: f64, c: f64) -> f64 {
    if a.is_nan() || c.is_nan() {
        f64::NAN
    } else if a < c || (a == c && a.is_sign_negative()) {
        a
    } else {
        c
    }
}

/// IEEE 754-2019 maximum: NaN if either is NaN, and +0 above -0.
pub fn fmax(a: f64, c: f64) -> f64 {
    if a.is_nan() || c.is_nan() {
        f64::NAN
    } else if a > c || (a == c && a.is_sign_positive()) {
        a
    } else {
        c
    }
}

pub fn math1(op: Math1, x: f64) -> f64 {
    match op {
        Math1::Abs => x.abs(),
        Math1::Sqrt => x.sqrt(),
        Math1::Tanh => crate::builtins::tanh::tanh_f64(x),
        Math1::Exp => x.exp(),
        Math1::Ln => x.ln(),
        Math1::Sin => x.sin(),
        Math1::Cos => x.cos(),
        Math1::Tan => x.tan(),
        Math1::Asin => x.asin(),
        Math1::Acos => x.acos(),
        Math1::Atan => x.atan(),
        Math1::Floor => x.floor(),
    }
}

pub fn math2(op: Bin, x: f64, y: f64) -> f64 {
    match op {
        Bin::Add => x + y,
        Bin::Sub => x - y,
        Bin::Mul => x * y,
        Bin::Div => x / y,
        Bin::Math(Math2::Min) => fmin(x, y),
        Bin::Math(Math2::Max) => fmax(x, y),
        Bin::Math(Math2::Atan2) => x.atan2(y),
        Bin::Math(Math2::Pow) => x.powf(y),
    }
}

pub fn compare(c: Cmp, x: f64, y: f64) -> bool {
    match c {
        Cmp::Lt => x < y,
        Cmp::Le => x <= y,
        Cmp::Gt => x > y,
        Cmp::Ge => x >= y,
        Cmp::Eq => x == y,
        Cmp::Ne => x != y,
    }
}

/// Executes straight-line code; `stage` is the machine's stage after this
/// step's transitions (read by `StageDone`).
fn exec(stmts: &[Stmt], vals: &mut [f64], scratch: &mut Vec<f64>, obs: &[f64], stage: u32) {
    for s in stmts {
        let d = s.dest.0 as usize;
        let g = |v: &crate::ir::Value| vals[v.0 as usize];
        let r = match &s.inst {
            Inst::Const(c) => *c,
            Inst::Load(o) => obs[*o as usize],
            Inst::Neg(x) => -g(x),
            Inst::Unary(op, x) => math1(*op, g(x)),
            Inst::Binary(op, x, y) => math2(*op, g(x), g(y)),
            Inst::Compare(c, x, y) => b(compare(*c, g(x), g(y))),
            Inst::Not(x) => b(!truthy(g(x))),
            Inst::And(x, y) => b(truthy(g(x)) && truthy(g(y))),
            Inst::Or(x, y) => b(truthy(g(x)) || truthy(g(y))),
            Inst::Select(c, x, y) => {
                if truthy(g(c)) {
                    g(x)
                } else {
                    g(y)
                }
            }
            Inst::StageDone(i) => b(stage != u32::MAX && stage > *i),
            Inst::Call { func, args, outputs, .. } => {
                scratch.clear();
                scratch.extend(args.iter().map(|a| vals[a.0 as usize]));
                func(scratch, &mut vals[d..d + *outputs as usize]);
                continue;
            }
        };
        vals[d] = r;
    }
}
