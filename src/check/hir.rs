//! The typed tree the checker produces and the lowering consumes.
//!
//! Names are resolved (entities, properties, locals, functions, stages are
//! indices), every expression has a [`Ty`], units are gone (values are SI),
//! and implicit coercions (an entity where a box is expected) are explicit.

use crate::builtins::BuiltinId;
use crate::source::Span;
use crate::syntax::ast::{BinOp, Name, UnOp};
use crate::types::{Kind, Ty};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalId(pub u32);

#[derive(Debug, Clone)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TKind {
    Number(f64),
    Bool(bool),
    Str(String),
    /// A scene entity, by index.
    Entity(usize),
    /// A stored or derived field of an entity-typed expression.
    EntityField { entity: Box<TExpr>, field: &'static str },
    /// A scene property, by index.
    Prop(usize),
    /// A derived property of an entity (`verify_property(e, "upright")`).
    Property { entity: Box<TExpr>, name: &'static str },
    /// `.x`, `.y`, `.z` of a vector.
    Component(Box<TExpr>, u8),
    /// `.pos`, `.rot`, `.half` of a pose or box value: the slot range taken.
    Slice { value: Box<TExpr>, start: u8 },
    Local(LocalId),
    Builtin { id: BuiltinId, sig: usize, args: Vec<TExpr>, count: Option<u32> },
    Call { func: usize, args: Vec<TExpr> },
    /// `done(STAGE)`: the stage index.
    Done(u32),
    Unary(UnOp, Box<TExpr>),
    Binary(BinOp, Box<TExpr>, Box<TExpr>),
    If(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    Error,
}

impl TExpr {
    pub fn error(span: Span) -> TExpr {
        TExpr { kind: TKind::Error, ty: Ty::Error, span }
    }
}

#[derive(Debug, Clone)]
pub struct Scene {
    pub name: Name,
    pub entities: Vec<Entity>,
    pub props: Vec<Prop>,
}

#[derive(Debug, Clone)]
pub struct Entity {
    pub name: Name,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub owner: Option<usize>,
    pub name: Name,
    pub ty: Ty,
}

impl Prop {
    /// `toolbox.open` or `arm_speed`.
    pub fn qualified_name(&self, scene: &Scene) -> String {
        match self.owner {
            Some(e) => format!("{}.{}", scene.entities[e].name.text, self.name.text),
            None => self.name.text.clone(),
        }
    }
}

/// A user or stdlib function: params are locals `0..params.len()`.
#[derive(Debug, Clone)]
pub struct FnDef {
    pub name: Name,
    pub params: Vec<(Name, Ty)>,
    pub ret: Ty,
    pub body: TExpr,
}

#[derive(Debug, Clone)]
pub struct Let {
    pub local: LocalId,
    pub name: Name,
    pub value: TExpr,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: Name,
    pub shape: Option<TExpr>,
    pub done: TExpr,
    pub steps: u32,
    pub bonus: Option<TExpr>,
    /// Hold condition and the index of the stage to fall back to.
    pub hold: Option<(TExpr, u32)>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    Term,
    Penalty,
}

#[derive(Debug, Clone)]
pub struct Term {
    pub name: String,
    pub kind: TermKind,
    pub value: TExpr,
    pub when: Option<TExpr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Success {
    pub value: Option<TExpr>,
    pub when: TExpr,
}

#[derive(Debug, Clone)]
pub struct Reward {
    pub failure: Option<String>,
    pub stages: Vec<Stage>,
    pub terms: Vec<Term>,
    pub success: Option<Success>,
}

#[derive(Debug, Clone)]
pub enum Body {
    Failure(TExpr),
    Check(Vec<(Name, TExpr)>),
    Reward(Reward),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgramKind {
    Failure,
    Reward,
    Check,
}

impl ProgramKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ProgramKind::Failure => "failure",
            ProgramKind::Reward => "reward",
            ProgramKind::Check => "check",
        }
    }
}

/// A failure, reward or check: something that runs on observations.
#[derive(Debug, Clone)]
pub struct Program {
    pub name: Name,
    pub kind: ProgramKind,
    pub scene: usize,
    pub lets: Vec<Let>,
    pub body: Body,
}

/// Everything the checker learned about one compilation.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub scenes: Vec<Scene>,
    pub fns: Vec<FnDef>,
    pub programs: Vec<Program>,
}
