//! Typing expressions: names, fields, operators, `if`, `done(S)`.

use super::hir::*;
use super::{Checker, Scope};
use crate::diag::{Code, Diagnostic, suggest};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};
use crate::types::{Dim, Ty};
use std::collections::HashSet;

impl<'a> Checker<'a> {
    pub fn expr(&mut self, e: &ast::Expr, scope: &mut Scope) -> TExpr {
        let span = e.span;
        let (kind, ty) = match &e.kind {
            ExprKind::Error => return TExpr::error(span),
            ExprKind::Number { value, unit } => (TKind::Number(*value), Ty::Scalar(unit.map_or(Dim::NONE, |u| u.dim()))),
            ExprKind::Bool(b) => (TKind::Bool(*b), Ty::Bool),
            ExprKind::Str(s) => (TKind::Str(s.clone()), Ty::Str),
            ExprKind::Name(name) => return self.name(name, span, scope),
            ExprKind::Field { base, field } => {
                let base = self.expr(base, scope);
                return self.field(base, field, scope);
            }
            ExprKind::Call { callee, args } => return self.call(callee, args, span, scope),
            ExprKind::Done(stage) => return self.done(stage, span, scope),
            ExprKind::Unary { op, op_span, operand } => {
                let operand = self.expr(operand, scope);
                return self.unary(*op, *op_span, operand, span);
            }
            ExprKind::Binary { op, op_span, lhs, rhs } => {
                let lhs = self.expr(lhs, scope);
                let rhs = self.expr(rhs, scope);
                return self.binary(*op, *op_span, lhs, rhs, span);
            }
            ExprKind::If { cond, then, otherwise } => {
                let cond = self.expr(cond, scope);
                self.expect_bool(&cond, "an `if` condition");
                let then = self.expr(then, scope);
                let otherwise = self.expr(otherwise, scope);
                let ty = self.same_type(&then, &otherwise, "the branches of `if`");
                (TKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)), ty)
            }
        };
        TExpr { kind, ty, span }
    }

    fn name(&mut self, name: &str, span: Span, scope: &Scope) -> TExpr {
        if let Some((id, ty)) = scope.lookup(name) {
            return TExpr { kind: TKind::Local(id), ty, span };
        }
        if let Some(s) = scope.scene {
            let scene = &self.scenes[s];
            if let Some(i) = scene.entities.iter().position(|e| e.name.text == name) {
                return TExpr { kind: TKind::Entity(i), ty: Ty::Entity(scene.entities[i].kind), span };
            }
            if let Some(i) = scene.props.iter().position(|p| p.owner.is_none() && p.name.text == name) {
                return TExpr { kind: TKind::Prop(i), ty: scene.props[i].ty, span };
            }
        }
        let mut diag = Diagnostic::error(Code::UnknownName, span, format!("unknown name `{name}`")).label("not defined here");
        let python = match name {
            "True" => Some("true"),
            "False" => Some("false"),
            _ => None,
        };
        if let Some(fix) = python {
            diag = diag.with_help(format!("booleans are written `{fix}`")).with_suggestion(span, fix, true);
        } else {
            let mut candidates: Vec<&str> = scope.locals.iter().map(|(n, _, _)| n.as_str()).collect();
            if let Some(s) = scope.scene {
                let scene = &self.scenes[s];
                candidates.extend(scene.entities.iter().map(|e| e.name.text.as_str()));
                candidates.extend(scene.props.iter().filter(|p| p.owner.is_none()).map(|p| p.name.text.as_str()));
            }
            if let Some(best) = suggest::closest(name, candidates.iter().copied()) {
                diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(span, best, false);
            } else if let Some(s) = scope.scene {
                let names: Vec<&str> = self.scenes[s].entities.iter().map(|e| e.name.text.as_str()).collect();
                diag = diag.with_help(format!("scene `{}` has the entities: {}", self.scenes[s].name.text, names.join(", ")));
            }
        }
        self.error(diag);
        TExpr::error(span)
    }

    fn field(&mut self, base: TExpr, field: &ast::Name, scope: &Scope) -> TExpr {
        let span = base.span.to(field.span);
        let f = field.text.as_str();
        let component = |c: u8, d: Dim, base: TExpr| TExpr { kind: TKind::Component(Box::new(base), c), ty: Ty::Scalar(d), span };
        let slice = |start: u8, ty: Ty, base: TExpr| TExpr { kind: TKind::Slice { value: Box::new(base), start }, ty, span };
        let candidates: Vec<&'static str>;
        match base.ty {
            Ty::Error => return TExpr::error(span),
            Ty::Vec3(d) => match f {
                "x" => return component(0, d, base),
                "y" => return component(1, d, base),
                "z" => return component(2, d, base),
                _ => candidates = vec!["x", "y", "z"],
            },
            Ty::Pose | Ty::Box => match f {
                "pos" | "center" => return slice(0, Ty::Vec3(Dim::LENGTH), base),
                "rot" => return slice(3, Ty::Quat, base),
                "half" if base.ty == Ty::Box => return slice(7, Ty::Vec3(Dim::LENGTH), base),
                _ => candidates = if base.ty == Ty::Box { vec!["pos", "rot", "half"] } else { vec!["pos", "rot"] },
            },
            Ty::Entity(kind) => {
                if let Some(sf) = kind.stored_fields().iter().find(|sf| sf.name == f) {
                    return TExpr { kind: TKind::EntityField { entity: Box::new(base), field: sf.name }, ty: sf.ty, span };
                }
                if let Some(df) = kind.derived_fields().iter().find(|df| df.name == f) {
                    return TExpr { kind: TKind::EntityField { entity: Box::new(base), field: df.name }, ty: df.ty, span };
                }
                // A property the scene attaches to this entity (`toolbox.open`).
                if let (TKind::Entity(e), Some(s)) = (&base.kind, scope.scene) {
                    let scene = &self.scenes[s];
                    if let Some(i) = scene.props.iter().position(|p| p.owner == Some(*e) && p.name.text == f) {
                        return TExpr { kind: TKind::Prop(i), ty: scene.props[i].ty, span };
                    }
                }
                candidates = kind.stored_fields().iter().map(|x| x.name).chain(kind.derived_fields().iter().map(|x| x.name)).collect();
            }
            other => {
                self.error(Diagnostic::error(Code::UnknownField, field.span, format!("{other} has no fields")).label(format!("`.{f}` on {other}")));
                return TExpr::error(span);
            }
        }
        let mut diag = Diagnostic::error(Code::UnknownField, field.span, format!("{} has no field `{f}`", base.ty)).label("unknown field");
        let owned_props: Vec<String> = match (&base.kind, scope.scene) {
            (TKind::Entity(e), Some(s)) => self.scenes[s].props.iter().filter(|p| p.owner == Some(*e)).map(|p| p.name.text.clone()).collect(),
            _ => Vec::new(),
        };
        let all: Vec<&str> = candidates.iter().copied().chain(owned_props.iter().map(String::as_str)).collect();
        if let Some(&(_, short)) = FIELD_SYNONYMS.iter().find(|(long, short)| *long == f && all.contains(short)) {
            diag = diag.with_help(format!("the field is called `{short}`")).with_suggestion(field.span, short, true);
        } else if let Some(best) = suggest::closest(f, all.iter().copied()) {
            diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(field.span, best, false);
        } else {
            diag = diag.with_help(format!("{} has: {}", base.ty, all.join(", ")));
        }
        self.error(diag);
        TExpr::error(span)
    }

    fn done(&mut self, stage: &ast::Name, span: Span, scope: &Scope) -> TExpr {
        if !scope.allow_done {
            self.error(
                Diagnostic::error(Code::DoneOutsidePost, span, "`done(...)` cannot be used here")
                    .label("stage state is being decided here")
                    .with_help("`done(STAGE)` may appear in `success`, `term` and `penalty`"),
            );
            return TExpr::error(span);
        }
        if scope.stages_incomplete && !scope.stages.contains(&stage.text) {
            return TExpr::error(span); // a stage of an include that failed (already reported)
        }
        match scope.stages.iter().position(|s| *s == stage.text) {
            Some(i) => TExpr { kind: TKind::Done(i as u32), ty: Ty::Bool, span },
            None => {
                let mut diag = Diagnostic::error(Code::UnknownStage, stage.span, format!("no stage named `{}`", stage.text)).label("unknown stage");
                if let Some(best) = suggest::closest(&stage.text, scope.stages.iter().map(String::as_str)) {
                    diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(stage.span, best, false);
                }
                self.error(diag);
                TExpr::error(span)
            }
        }
    }

    fn unary(&mut self, op: UnOp, op_span: Span, operand: TExpr, span: Span) -> TExpr {
        let ty = match (op, operand.ty) {
            (_, Ty::Error) => Ty::Error,
            (UnOp::Neg, t @ (Ty::Scalar(_) | Ty::Vec3(_))) => t,
            (UnOp::Not, Ty::Bool) => Ty::Bool,
            (UnOp::WordNot, _) => {
                self.error(
                    Diagnostic::error(Code::WordOperator, op_span, "`not` is not an rwd operator")
                        .label("write `!`")
                        .with_suggestion(op_span, "!", true),
                );
                Ty::Bool
            }
            (op, t) => {
                let sym = if op == UnOp::Neg { "-" } else { "!" };
                self.error(Diagnostic::error(Code::TypeMismatch, span, format!("cannot apply `{sym}` to {t}")).label(format!("this is {t}")));
                Ty::Error
            }
        };
        let op = if op == UnOp::WordNot { UnOp::Not } else { op };
        TExpr { kind: TKind::Unary(op, Box::new(operand)), ty, span }
    }

    fn binary(&mut self, op: BinOp, op_span: Span, lhs: TExpr, rhs: TExpr, span: Span) -> TExpr {
        let op = match op {
            BinOp::WordAnd | BinOp::WordOr => {
                let fix = if op == BinOp::WordAnd { "&&" } else { "||" };
                self.error(
                    Diagnostic::error(Code::WordOperator, op_span, format!("`{}` is not an rwd operator", op.symbol()))
                        .label(format!("write `{fix}`"))
                        .with_suggestion(op_span, fix, true),
                );
                if op == BinOp::WordAnd { BinOp::And } else { BinOp::Or }
            }
            op => op,
        };
        let ty = if lhs.ty.is_error() || rhs.ty.is_error() { Ty::Error } else { self.binary_type(op, op_span, &lhs, &rhs) };
        TExpr { kind: TKind::Binary(op, Box::new(lhs), Box::new(rhs)), ty, span }
    }

    fn binary_type(&mut self, op: BinOp, op_span: Span, lhs: &TExpr, rhs: &TExpr) -> Ty {
        let sym = op.symbol();
        match op {
            BinOp::And | BinOp::Or | BinOp::WordAnd | BinOp::WordOr => {
                for side in [lhs, rhs] {
                    if side.ty != Ty::Bool {
                        self.error(
                            Diagnostic::error(Code::TypeMismatch, side.span, format!("`{sym}` needs bools, but this is {}", side.ty))
                                .label(format!("this is {}", side.ty))
                                .with_secondary(op_span, "operator"),
                        );
                    }
                }
                Ty::Bool
            }
            BinOp::Eq | BinOp::Ne => match (lhs.ty, rhs.ty) {
                (Ty::Bool, Ty::Bool) => Ty::Bool,
                (Ty::Scalar(_), Ty::Scalar(_)) | (Ty::Vec3(_), Ty::Vec3(_)) => {
                    let fix = if op == BinOp::Eq { "abs(a - b) < tolerance" } else { "abs(a - b) > tolerance" };
                    let mut diag = Diagnostic::error(Code::FloatEquality, op_span, format!("`{sym}` compares real numbers exactly"))
                        .label("measured values are almost never exactly equal")
                        .with_help(format!("compare with a tolerance: `{fix}`"));
                    if let Some(text) = self.tolerance_comparison(op, lhs, rhs) {
                        // The tolerance is a guess: the model or person picks it.
                        diag = diag.with_suggestion(lhs.span.to(rhs.span), text, false);
                    }
                    self.error(diag);
                    Ty::Bool
                }
                (l, r) => {
                    self.error(Diagnostic::error(Code::TypeMismatch, op_span, format!("cannot compare {l} with {r} using `{sym}`")).label("here"));
                    Ty::Bool
                }
            },
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                match (lhs.ty, rhs.ty) {
                    (Ty::Scalar(_), Ty::Scalar(_)) => {
                        self.same_dim(lhs, rhs, &format!("`{sym}`"));
                    }
                    (l, r) => {
                        let bad = if matches!(l, Ty::Scalar(_)) { rhs } else { lhs };
                        let hint = if matches!(bad.ty, Ty::Vec3(_)) { "compare a component (`.z`) or a length (`norm(v)`)" } else { "comparisons need numbers" };
                        self.error(
                            Diagnostic::error(Code::TypeMismatch, bad.span, format!("cannot order {l} and {r} with `{sym}`"))
                                .label(format!("this is {}", bad.ty))
                                .with_help(hint),
                        );
                    }
                }
                Ty::Bool
            }
            BinOp::Add | BinOp::Sub => match (lhs.ty, rhs.ty) {
                (Ty::Scalar(_), Ty::Scalar(_)) => Ty::Scalar(self.same_dim(lhs, rhs, &format!("`{sym}`"))),
                (Ty::Vec3(_), Ty::Vec3(_)) => Ty::Vec3(self.same_dim(lhs, rhs, &format!("`{sym}`"))),
                (l, r) => {
                    let help = if l == Ty::Bool || r == Ty::Bool { "a bool is not a number: use `if c then 1 else 0`" } else { "both sides must be numbers, or both vectors" };
                    self.error(Diagnostic::error(Code::TypeMismatch, op_span, format!("cannot apply `{sym}` to {l} and {r}")).label("here").with_help(help));
                    Ty::Error
                }
            },
            BinOp::Mul => match (lhs.ty, rhs.ty) {
                (Ty::Scalar(a), Ty::Scalar(b)) => self.dim_in_range(a.checked_mul(b), op_span).map_or(Ty::Error, Ty::Scalar),
                (Ty::Scalar(a), Ty::Vec3(b)) | (Ty::Vec3(b), Ty::Scalar(a)) => self.dim_in_range(a.checked_mul(b), op_span).map_or(Ty::Error, Ty::Vec3),
                (l, r) => {
                    let mut diag = Diagnostic::error(Code::TypeMismatch, op_span, format!("cannot multiply {l} by {r}")).label("here");
                    if let Some(help) = product_help(l, r, "use `dot(a, b)` or `cross(a, b)` for two vectors") {
                        diag = diag.with_help(help);
                    }
                    self.error(diag);
                    Ty::Error
                }
            },
            BinOp::Div => match (lhs.ty, rhs.ty) {
                (Ty::Scalar(a), Ty::Scalar(b)) => self.dim_in_range(a.checked_div(b), op_span).map_or(Ty::Error, Ty::Scalar),
                (Ty::Vec3(a), Ty::Scalar(b)) => self.dim_in_range(a.checked_div(b), op_span).map_or(Ty::Error, Ty::Vec3),
                (l, r) => {
                    let mut diag = Diagnostic::error(Code::TypeMismatch, op_span, format!("cannot divide {l} by {r}")).label("here");
                    if let Some(help) = product_help(l, r, "a vector can be divided only by a number; compare lengths with `norm(v)`") {
                        diag = diag.with_help(help);
                    }
                    self.error(diag);
                    Ty::Error
                }
            },
        }
    }

    /// A product's or quotient's dimension, or E0031 at `span` if an exponent
    /// left the i8 range (`None`).
    pub fn dim_in_range(&mut self, dim: Option<Dim>, span: Span) -> Option<Dim> {
        if dim.is_none() {
            self.dim_out_of_range(span);
        }
        dim
    }

    /// E0031 for a dimension whose exponent is out of range (beyond ±127).
    pub fn dim_out_of_range(&mut self, span: Span) {
        self.error(
            Diagnostic::error(Code::UnitMismatch, span, "dimension exponent out of range")
                .label("the dimension of this value would have an exponent beyond ±127")
                .with_help("a real quantity has small exponents (m, m^2, m/s): check the expression"),
        );
    }

    /// The common dimension of two operands that must agree; reports E0031 or
    /// E0034 (bare number against a quantity) otherwise. `what` names the
    /// operator (`` `+` ``) or, in the plural, the operands (`the branches of `if``).
    pub fn same_dim(&mut self, lhs: &TExpr, rhs: &TExpr, what: &str) -> Dim {
        let (Some(a), Some(b)) = (dim_of(lhs.ty), dim_of(rhs.ty)) else { return Dim::NONE };
        if a == b || is_zero_literal(rhs) {
            return a;
        }
        if is_zero_literal(lhs) {
            return b;
        }
        let (bare, other) = if is_bare_number(rhs) && b.is_none() {
            (Some(rhs), a)
        } else if is_bare_number(lhs) && a.is_none() {
            (Some(lhs), b)
        } else {
            (None, a)
        };
        if let Some(bare) = bare {
            self.missing_unit(bare, other, what);
            return other;
        }
        // The primary label is on the right operand (where the mismatch shows),
        // the left one is secondary: labels that do not overlap are drawn
        // under their own operands.
        let verb = if what.starts_with("the ") { "mix" } else { "mixes" };
        self.error(
            Diagnostic::error(Code::UnitMismatch, rhs.span, format!("{what} {verb} {} with {}", a.with_article(), b.with_article()))
                .label(format!("{b} ({})", or_none(b)))
                .with_secondary(lhs.span, format!("{a} ({})", or_none(a))),
        );
        a
    }

    /// `a == b` rewritten with a tolerance of the operands' dimension:
    /// `abs(a - b) < 1mm`, `distance(a, b) < 1mm` for positions, or
    /// `abs(a) < 1mm` against the literal 0. `None` when the operands'
    /// text is unknown or the dimension has no natural tolerance.
    fn tolerance_comparison(&self, op: BinOp, lhs: &TExpr, rhs: &TExpr) -> Option<String> {
        let (a, b) = (self.source_text(lhs.span)?, self.source_text(rhs.span)?);
        let (dim, vector) = match (lhs.ty, rhs.ty) {
            (Ty::Scalar(d), _) if !is_zero_literal_t(lhs) => (d, false),
            (_, Ty::Scalar(d)) => (d, false),
            (Ty::Vec3(d), _) => (d, true),
            _ => return None,
        };
        let tol = match dim {
            Dim::LENGTH => "1mm",
            Dim::ANGLE => "1deg",
            Dim::TIME => "1ms",
            Dim::NONE => "0.001",
            _ => return None,
        };
        let cmp = if op == BinOp::Eq { "<" } else { ">" };
        let measure = match (vector, is_zero_literal_t(lhs), is_zero_literal_t(rhs)) {
            (true, _, _) if dim == Dim::LENGTH => format!("distance({a}, {b})"),
            (true, _, _) => format!("norm({a} - {b})"),
            (false, _, true) => format!("abs({a})"),
            (false, true, _) => format!("abs({b})"),
            (false, false, false) => format!("abs({a} - {b})"),
        };
        Some(format!("{measure} {cmp} {tol}"))
    }

    /// E0034 with a suggested unit for a bare number that needs one.
    pub fn missing_unit(&mut self, bare: &TExpr, want: Dim, what: &str) {
        // The SI unit, and the other units of the same dimension.
        let units = match want {
            Dim::LENGTH => Some(("m", "cm, mm")),
            Dim::ANGLE => Some(("rad", "deg")),
            Dim::TIME => Some(("s", "ms")),
            _ => None,
        };
        let mut diag = Diagnostic::error(Code::MissingUnit, bare.span, format!("{what}: this number has no unit, but it must be {}", want.with_article()))
            .label(format!("needs a unit of {want}"));
        // A literal, possibly negated: `0.02`, `-1.5`.
        let literal = match &bare.kind {
            TKind::Number(v) => Some(("", *v)),
            TKind::Unary(UnOp::Neg, inner) => match inner.kind {
                TKind::Number(v) => Some(("-", v)),
                _ => None,
            },
            _ => None,
        };
        if let (Some((si, others)), Some((sign, v))) = (units, literal) {
            let (unit, certain) = likely_unit(want, v).unwrap_or((si, false));
            let text = format!("{sign}{}{unit}", fmt_number(v));
            let others = if unit == si { others.to_string() } else { format!("{si}, {others}") };
            let help = format!("write `{text}` (or the unit you meant: {others})");
            diag = diag.with_help(help).with_suggestion(bare.span, text, certain);
        } else {
            diag = diag.with_help(format!("give it the dimension {want} ({})", want.unit_symbol()));
        }
        self.error(diag);
    }

    /// The common type of two values that must agree (`if` branches).
    fn same_type(&mut self, a: &TExpr, b: &TExpr, what: &str) -> Ty {
        match (a.ty, b.ty) {
            (Ty::Error, _) | (_, Ty::Error) => Ty::Error,
            (Ty::Scalar(_), Ty::Scalar(_)) => Ty::Scalar(self.same_dim(a, b, what)),
            (Ty::Vec3(_), Ty::Vec3(_)) => Ty::Vec3(self.same_dim(a, b, what)),
            (x, y) if x == y && !matches!(x, Ty::Entity(_) | Ty::Str) => x,
            (x, y) if x == y => {
                self.error(Diagnostic::error(Code::EntityValue, a.span.to(b.span), format!("{what} cannot choose between entities")).label("choose between values instead, e.g. `if c then cube.pos else lid.pos`"));
                Ty::Error
            }
            (x, y) => {
                self.error(
                    Diagnostic::error(Code::TypeMismatch, b.span, format!("{what} have different types: {x} and {y}"))
                        .label(format!("{y}"))
                        .with_secondary(a.span, format!("{x}")),
                );
                Ty::Error
            }
        }
    }
}

/// Help for `*` or `/` on operands that are not numbers (or a vector on the
/// wrong side): a bool is not a number; `vectors` is the advice for two vectors.
fn product_help(l: Ty, r: Ty, vectors: &'static str) -> Option<&'static str> {
    if l == Ty::Bool || r == Ty::Bool {
        Some("a bool is not a number: use `if c then 1 else 0`")
    } else if matches!((l, r), (Ty::Vec3(_), Ty::Vec3(_))) {
        Some(vectors)
    } else {
        None
    }
}

fn dim_of(ty: Ty) -> Option<Dim> {
    match ty {
        Ty::Scalar(d) | Ty::Vec3(d) => Some(d),
        _ => None,
    }
}

fn or_none(d: Dim) -> String {
    let s = d.unit_symbol();
    if s.is_empty() { "no unit".into() } else { s }
}

/// `0` without a unit fits any dimension.
pub fn is_zero_literal(e: &TExpr) -> bool {
    matches!(e.kind, TKind::Number(v) if v == 0.0) && matches!(e.ty, Ty::Scalar(d) if d.is_none())
}

/// A number literal written without a unit (possibly negated).
pub fn is_bare_number(e: &TExpr) -> bool {
    match &e.kind {
        TKind::Number(_) => e.ty == Ty::Scalar(Dim::NONE),
        TKind::Unary(UnOp::Neg, inner) => is_bare_number(inner),
        _ => false,
    }
}

/// Short text that parses back to the same f64: plain digits for everyday
/// magnitudes (`0.02`, `1500`), an exponent for huge and tiny ones (`1e308`,
/// `1.5e-7`) instead of hundreds of digits.
pub fn fmt_number(v: f64) -> String {
    let a = v.abs();
    if v.is_finite() && (a == 0.0 || (1e-5..1e16).contains(&a)) { format!("{v}") } else { format!("{v:?}") }
}

/// Calls `f` with the callee name of every call in an AST expression.
pub fn visit_calls(e: &ast::Expr, f: &mut dyn FnMut(&str)) {
    match &e.kind {
        ExprKind::Call { callee, args } => {
            f(&callee.text);
            for a in args {
                visit_calls(a, f);
            }
        }
        ExprKind::Field { base, .. } => visit_calls(base, f),
        ExprKind::Unary { operand, .. } => visit_calls(operand, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            visit_calls(lhs, f);
            visit_calls(rhs, f);
        }
        ExprKind::If { cond, then, otherwise } => {
            visit_calls(cond, f);
            visit_calls(then, f);
            visit_calls(otherwise, f);
        }
        _ => {}
    }
}

/// Every local a typed expression reads.
pub fn collect_locals(e: &TExpr, out: &mut HashSet<LocalId>) {
    match &e.kind {
        TKind::Local(id) => {
            out.insert(*id);
        }
        TKind::EntityField { entity: inner, .. }
        | TKind::Property { entity: inner, .. }
        | TKind::Component(inner, _)
        | TKind::Slice { value: inner, .. }
        | TKind::Unary(_, inner) => collect_locals(inner, out),
        TKind::Builtin { args, .. } | TKind::Call { args, .. } => args.iter().for_each(|a| collect_locals(a, out)),
        TKind::Binary(_, a, b) => {
            collect_locals(a, out);
            collect_locals(b, out);
        }
        TKind::If(a, b, c) => {
            collect_locals(a, out);
            collect_locals(b, out);
            collect_locals(c, out);
        }
        TKind::Number(_) | TKind::Bool(_) | TKind::Str(_) | TKind::Entity(_) | TKind::Prop(_) | TKind::Done(_) | TKind::Error => {}
    }
}

/// The value of an expression that reads nothing (literals and operators on
/// them), for E0042 constant gates. Booleans are 0/1.
pub fn const_value(e: &TExpr) -> Option<f64> {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    Some(match &e.kind {
        TKind::Number(v) => *v,
        TKind::Bool(v) => b(*v),
        TKind::Unary(UnOp::Neg, x) => -const_value(x)?,
        TKind::Unary(_, x) => b(const_value(x)? == 0.0),
        TKind::Binary(op, l, r) => {
            let (x, y) = (const_value(l)?, const_value(r)?);
            match op {
                BinOp::And | BinOp::WordAnd => b(x != 0.0 && y != 0.0),
                BinOp::Or | BinOp::WordOr => b(x != 0.0 || y != 0.0),
                BinOp::Eq => b(x == y),
                BinOp::Ne => b(x != y),
                BinOp::Lt => b(x < y),
                BinOp::Le => b(x <= y),
                BinOp::Gt => b(x > y),
                BinOp::Ge => b(x >= y),
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
            }
        }
        TKind::If(c, t, f) => {
            if const_value(c)? != 0.0 {
                const_value(t)?
            } else {
                const_value(f)?
            }
        }
        _ => return None,
    })
}

/// The unit a bare literal of this dimension most likely meant, and whether
/// that is beyond doubt. A fraction below 1 compared with a length is metres
/// (0.02 cm or mm is no tabletop distance); a whole number of 5 or more
/// compared with an angle is degrees (5 rad is almost a full turn); a
/// fraction up to 2 pi compared with an angle is radians; a fraction below
/// 10 compared with a time is seconds. A whole length from 1 to 100 is most
/// likely centimetres, but 1 m is possible: a guess.
fn likely_unit(want: Dim, v: f64) -> Option<(&'static str, bool)> {
    let whole = v.fract() == 0.0;
    match want {
        Dim::LENGTH if !whole && v < 1.0 => Some(("m", true)),
        Dim::LENGTH if whole && (1.0..=100.0).contains(&v) => Some(("cm", false)),
        Dim::ANGLE if whole && (5.0..=360.0).contains(&v) => Some(("deg", true)),
        Dim::ANGLE if !whole && v <= std::f64::consts::TAU => Some(("rad", true)),
        Dim::TIME if !whole && v < 10.0 => Some(("s", true)),
        Dim::TIME if whole && v >= 20.0 => Some(("ms", false)),
        _ => None,
    }
}

/// The unsigned literal `0` (which fits any dimension).
fn is_zero_literal_t(e: &TExpr) -> bool {
    matches!(e.kind, TKind::Number(v) if v == 0.0)
}

/// Field names models write for the ones rwd has: the same field under its
/// long name, so the replacement is certain (when the value has that field).
const FIELD_SYNONYMS: &[(&str, &str)] = &[
    ("position", "pos"),
    ("location", "pos"),
    ("orientation", "rot"),
    ("rotation", "rot"),
    ("quaternion", "rot"),
    ("quat", "rot"),
    ("velocity", "vel"),
    ("linear_velocity", "vel"),
    ("half_extents", "half"),
    ("half_size", "half"),
];
