//! The untyped syntax tree, straight from the parser. Every node has a span.

use crate::source::Span;
use crate::types::Unit;

#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Use(UseDecl),
    Scene(SceneDecl),
    Failure(FailureDecl),
    Reward(RewardDecl),
    Check(CheckDecl),
    Fn(FnDecl),
    Stages(StagesDecl),
}

impl Item {
    /// The declared name (for `use`, the module name).
    pub fn name(&self) -> &Name {
        match self {
            Item::Use(u) => &u.module,
            Item::Scene(s) => &s.name,
            Item::Failure(f) => &f.name,
            Item::Reward(r) => &r.name,
            Item::Check(c) => &c.name,
            Item::Fn(f) => &f.name,
            Item::Stages(s) => &s.name,
        }
    }
}

#[derive(Debug, Clone)]
pub struct UseDecl {
    pub module: Name,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct SceneDecl {
    pub name: Name,
    pub entities: Vec<EntityDecl>,
    pub props: Vec<PropDecl>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct EntityDecl {
    pub name: Name,
    pub kind: Name,
}

#[derive(Debug, Clone)]
pub struct PropDecl {
    /// `toolbox.open: bool` has owner `toolbox`.
    pub owner: Option<Name>,
    pub name: Name,
    pub ty: TypeExpr,
}

/// `length`, `points(8)`, `Gripper`.
#[derive(Debug, Clone)]
pub struct TypeExpr {
    pub name: Name,
    pub arg: Option<(u64, Span)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FailureDecl {
    pub name: Name,
    pub scene: Option<Name>,
    pub cond: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum RewardTarget {
    Failure(Name),
    Scene(Name),
}

#[derive(Debug, Clone)]
pub struct RewardDecl {
    pub name: Name,
    pub target: Option<RewardTarget>,
    pub items: Vec<RewardItem>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum RewardItem {
    Let(LetDecl),
    Stage(StageDecl),
    Include(IncludeDecl),
    Term(TermDecl),
    Penalty(PenaltyDecl),
    Success(SuccessDecl),
}

#[derive(Debug, Clone)]
pub struct LetDecl {
    pub name: Name,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub struct StageDecl {
    pub name: Name,
    pub clauses: Vec<StageClause>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StageClause {
    Shape { value: Expr, span: Span },
    Done { cond: Expr, steps: Option<(u64, Span)>, span: Span },
    Bonus { value: Expr, span: Span },
    Hold { cond: Expr, target: Name, span: Span },
}

impl StageClause {
    pub fn span(&self) -> Span {
        match self {
            StageClause::Shape { span, .. }
            | StageClause::Done { span, .. }
            | StageClause::Bonus { span, .. }
            | StageClause::Hold { span, .. } => *span,
        }
    }

    pub fn keyword(&self) -> &'static str {
        match self {
            StageClause::Shape { .. } => "shape",
            StageClause::Done { .. } => "done",
            StageClause::Bonus { .. } => "bonus",
            StageClause::Hold { .. } => "hold",
        }
    }
}

#[derive(Debug, Clone)]
pub struct IncludeDecl {
    pub template: Name,
    pub args: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct TermDecl {
    pub name: Name,
    pub value: Expr,
    pub when: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct PenaltyDecl {
    pub name: Option<Name>,
    pub value: Expr,
    pub when: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct SuccessDecl {
    /// `success 5 when ...`: the step's reward on success.
    pub value: Option<Expr>,
    pub when: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CheckDecl {
    pub name: Name,
    pub scene: Option<Name>,
    pub items: Vec<CheckItem>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum CheckItem {
    Let(LetDecl),
    Output { name: Name, value: Expr },
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: Name,
    pub ty: TypeExpr,
}

#[derive(Debug, Clone)]
pub struct FnDecl {
    pub name: Name,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct StagesDecl {
    pub name: Name,
    pub params: Vec<Param>,
    pub stages: Vec<StageDecl>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    /// A number in SI units (the unit already applied), with the unit as written.
    Number { value: f64, unit: Option<Unit> },
    Bool(bool),
    Str(String),
    Name(String),
    Field { base: Box<Expr>, field: Name },
    Call { callee: Name, args: Vec<Expr> },
    Done(Name),
    Unary { op: UnOp, op_span: Span, operand: Box<Expr> },
    Binary { op: BinOp, op_span: Span, lhs: Box<Expr>, rhs: Box<Expr> },
    If { cond: Box<Expr>, then: Box<Expr>, otherwise: Box<Expr> },
    /// Stands in for a subtree the parser refused (too deep); already reported.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    /// `not`: parsed only to be reported (E0003).
    WordNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    /// `and` / `or`: parsed only to be reported (E0003).
    WordAnd,
    WordOr,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::WordAnd => "and",
            BinOp::WordOr => "or",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }
}
