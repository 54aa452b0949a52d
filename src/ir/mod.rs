//! The typed IR both back ends consume.
//!
//! A program is straight-line code over f64 slots: no branches, no loops, no
//! calls other than to registered native functions. `if` becomes `Select`
//! (both sides are evaluated: every operation is total), booleans are 0.0 or
//! 1.0, vectors are scalarised. Code comes in two blocks: `pre` reads only the
//! observation; `post` may also read the reward machine's state after this
//! step's transitions (`StageDone`). The reward machine itself (stage index,
//! hold counters, bonuses) is fixed runtime logic described by [`RewardSpec`],
//! run identically by the interpreter and by generated code.

pub mod geometry;
pub mod layout;
pub mod lower;
pub mod opt;
pub mod print;
pub mod range;
pub mod sqrt_compare;

use crate::builtins::{Math1, Math2, NativeFn};
use crate::check::hir::ProgramKind;
use crate::types::Dim;
use layout::Layout;

/// An SSA value: an index into the program's value slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Math(Math2),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// One instruction; it defines `dest` (a `Call` defines `dest .. dest + outputs`).
#[derive(Debug, Clone)]
pub enum Inst {
    Const(f64),
    /// Observation slot at this offset (after layout assignment).
    Load(u32),
    Neg(Value),
    Unary(Math1, Value),
    Binary(Bin, Value, Value),
    /// 1.0 if the comparison holds, else 0.0.
    Compare(Cmp, Value, Value),
    Not(Value),
    And(Value, Value),
    Or(Value, Value),
    /// `cond != 0 ? a : b`.
    Select(Value, Value, Value),
    /// A native function over the listed argument values, writing `outputs` values.
    Call { name: &'static str, func: NativeFn, args: Vec<Value>, outputs: u32 },
    /// 1.0 if stage `i` is complete after this step's transitions (post block only).
    StageDone(u32),
}

impl Inst {
    /// The values this instruction reads, in operand order.
    pub fn operands(&self) -> Vec<Value> {
        match self {
            Inst::Const(_) | Inst::Load(_) | Inst::StageDone(_) => Vec::new(),
            Inst::Neg(a) | Inst::Unary(_, a) | Inst::Not(a) => vec![*a],
            Inst::Binary(_, a, b) | Inst::Compare(_, a, b) | Inst::And(a, b) | Inst::Or(a, b) => vec![*a, *b],
            Inst::Select(c, a, b) => vec![*c, *a, *b],
            Inst::Call { args, .. } => args.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub dest: Value,
    pub inst: Inst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TermKind {
    Shape,
    Bonus,
    Term,
    Penalty,
}

#[derive(Debug, Clone)]
pub struct StageSpec {
    pub name: String,
    /// Shaping in [0, 1] (already clamped in the code).
    pub shape: Value,
    /// The explicit shape before clamping (for range warnings and logs).
    pub raw_shape: Option<Value>,
    pub shape_source: ShapeSource,
    pub gate: Value,
    pub steps: u32,
    pub bonus: Option<Value>,
    pub hold: Option<(Value, u32)>,
}

impl StageSpec {
    /// The values the reward machine reads for this stage: gate, shape,
    /// bonus and hold (everything `pre` must compute).
    pub fn reads(&self) -> impl Iterator<Item = Value> + '_ {
        [Some(self.gate), Some(self.shape), self.bonus, self.hold.map(|(h, _)| h)].into_iter().flatten()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeSource {
    /// Written with `shape`.
    Explicit,
    /// Derived from the `done` gate's robustness margin.
    GateMargin,
    /// Neither: the stage pays 0 until done.
    None,
}

/// A reward-level term (`term`, `penalty`), gated in the code (0 when its
/// `when` is false). Computed in the post block.
#[derive(Debug, Clone)]
pub struct TermSpec {
    pub name: String,
    pub kind: TermKind,
    pub value: Value,
    pub range: (f64, f64),
}

#[derive(Debug, Clone)]
pub struct RewardSpec {
    pub failure: Option<String>,
    pub stages: Vec<StageSpec>,
    pub terms: Vec<TermSpec>,
    /// Success condition (post block); `None` means "all stages done".
    pub success: Option<Value>,
    /// The step's whole reward on success, if given (`success 5 when ...`).
    pub success_value: Option<Value>,
    /// Static bounds of the reward; the normalized reward is
    /// `(r - lo) / (hi - lo)` clamped to [0, 1].
    pub bounds: (f64, f64),
}

/// How a check output is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputTy {
    Bool,
    Scalar(Dim),
    Vec3(Dim),
    /// Any other value: a flat list of numbers (quat, pose, box, points).
    Flat(&'static str),
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub ty: OutputTy,
    pub values: Vec<Value>,
}

/// One compiled failure, reward or check.
#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    pub kind: ProgramKind,
    pub scene: String,
    pub layout: Layout,
    pub pre: Vec<Stmt>,
    pub post: Vec<Stmt>,
    pub num_values: u32,
    /// For rewards.
    pub reward: Option<RewardSpec>,
    /// For checks (named outputs) and failures (one bool output, "failure").
    pub outputs: Vec<Output>,
}

impl Program {
    /// Names of the per-term values every step reports, in order: the stage
    /// floor, the current stage's shaping, one bonus per stage that has one,
    /// then each term and penalty.
    pub fn term_names(&self) -> Vec<String> {
        let Some(r) = &self.reward else { return Vec::new() };
        let mut names = vec!["stage".to_string(), "shape".to_string()];
        names.extend(r.stages.iter().filter(|s| s.bonus.is_some()).map(|s| format!("bonus.{}", s.name)));
        names.extend(r.terms.iter().map(|t| t.name.clone()));
        names
    }
}
