//! Typing calls: builtins (overloads, dimension patterns, coercions) and
//! user functions (arity, parameter types, the `quantity` dimension).

use super::expr::{fmt_number, is_bare_number, is_zero_literal};
use super::hir::*;
use super::{Checker, Scope};
use crate::builtins::{self, BuiltinId, D, DERIVED_PROPERTIES, Imp, P, R, Sig};
use crate::diag::{Code, Diagnostic, suggest};
use crate::source::Span;
use crate::syntax::ast;
use crate::types::{Dim, Kind, Ty};

/// Why an argument does not fit a parameter.
enum Mismatch {
    Type(String),
    Unit { want: Dim },
    MissingUnit { want: Dim },
    Count(String),
    /// The result's dimension has an exponent outside the i8 range.
    DimRange,
}

impl<'a> Checker<'a> {
    pub fn call(&mut self, callee: &ast::Name, args: &[ast::Expr], span: Span, scope: &mut Scope) -> TExpr {
        let targs: Vec<TExpr> = args.iter().map(|a| self.expr(a, scope)).collect();
        if let Some(id) = builtins::lookup(&callee.text) {
            return self.builtin_call(id, callee, targs, span, scope);
        }
        if let Some(func) = self.lookup_fn(&callee.text) {
            return self.fn_call(func, callee, targs, span);
        }
        if self.is_unchecked_fn(&callee.text) {
            return TExpr::error(span); // recursive: already reported at its definition
        }
        let mut diag = Diagnostic::error(Code::UnknownFunction, callee.span, format!("unknown function `{}`", callee.text)).label("not a builtin or `fn`");
        let candidates: Vec<String> = builtins::names().map(String::from).chain(self.fn_names().map(String::from)).collect();
        if let Some(module) = crate::stdlib::module_defining(&callee.text) {
            // The exact name is a stdlib function: the missing `use` is the
            // one fix, inserted at the top of the file.
            let top = Span::new(callee.span.file, 0, 0);
            diag = diag
                .with_help(format!("`{}` is in the stdlib: add `use {module}` at the top of the file", callee.text))
                .with_suggestion(top, format!("use {module}\n"), true);
        } else if let Some(&(_, rwd_name)) = FUNCTION_SYNONYMS.iter().find(|(other, _)| *other == callee.text) {
            diag = diag
                .with_help(format!("rwd calls it `{rwd_name}` (same arguments, same order)"))
                .with_suggestion(callee.span, rwd_name, true);
        } else if let Some(best) = suggest::closest(&callee.text, candidates.iter().map(String::as_str)) {
            diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(callee.span, best, false);
        }
        self.error(diag);
        TExpr::error(span)
    }

    fn builtin_call(&mut self, id: BuiltinId, callee: &ast::Name, mut args: Vec<TExpr>, span: Span, scope: &Scope) -> TExpr {
        let b = builtins::get(id);
        if args.iter().any(|a| a.ty.is_error()) {
            return TExpr::error(span);
        }
        let same_arity: Vec<(usize, &Sig)> = b.sigs.iter().enumerate().filter(|(_, s)| s.params.len() == args.len()).collect();
        if same_arity.is_empty() {
            let want: Vec<String> = b.sigs.iter().map(|s| s.params.len().to_string()).collect();
            self.error(
                Diagnostic::error(Code::Arity, span, format!("`{}` takes {} argument(s), but {} were given", b.name, want.join(" or "), args.len()))
                    .label("wrong number of arguments")
                    .with_help(format!("signature: {}\nexample: {}", sigs_text(b.name, b.sigs), b.example)),
            );
            return TExpr::error(span);
        }
        // Try each signature; keep the first that fits, else report.
        let mut first_failure = None;
        for &(i, sig) in &same_arity {
            match match_sig(sig, &args) {
                Ok((ret, count)) => {
                    coerce_args(sig, &mut args);
                    if let Imp::VerifyProperty = b.imp {
                        return self.verify_property(args, span, scope);
                    }
                    return TExpr { kind: TKind::Builtin { id, sig: i, args, count }, ty: ret, span };
                }
                Err(e) => {
                    if first_failure.is_none() {
                        first_failure = Some(e);
                    }
                }
            }
        }
        let Some((arg_index, mismatch)) = first_failure else { return TExpr::error(span) };
        if same_arity.len() > 1 {
            let tys: Vec<String> = args.iter().map(|a| a.ty.to_string()).collect();
            self.error(
                Diagnostic::error(Code::NoOverload, span, format!("no signature of `{}` takes ({})", b.name, tys.join(", ")))
                    .label("no matching signature")
                    .with_help(format!("signatures:\n{}", sigs_text(b.name, b.sigs))),
            );
            return TExpr::error(span);
        }
        let arg = &args[arg_index];
        let sig_help = format!("signature: {}", sigs_text(b.name, b.sigs));
        self.report_mismatch(arg, mismatch, &format!("argument {} of `{}`", arg_index + 1, callee.text), &sig_help);
        TExpr::error(span)
    }

    fn report_mismatch(&mut self, arg: &TExpr, mismatch: Mismatch, what: &str, sig_help: &str) {
        let diag = match mismatch {
            Mismatch::Type(want) => Diagnostic::error(Code::TypeMismatch, arg.span, format!("{what} must be {want}, but this is {}", arg.ty))
                .label(format!("this is {}", arg.ty))
                .with_help(sig_help.to_string()),
            Mismatch::Unit { want } => {
                let got = match arg.ty {
                    Ty::Scalar(d) | Ty::Vec3(d) => d,
                    _ => Dim::NONE,
                };
                Diagnostic::error(Code::UnitMismatch, arg.span, format!("{what} must be {}, but this is {}", want.with_article(), got.with_article()))
                    .label(format!("{got}"))
                    .with_help(sig_help.to_string())
            }
            Mismatch::MissingUnit { want } => {
                self.missing_unit(arg, want, what);
                return;
            }
            Mismatch::Count(msg) => Diagnostic::error(Code::NotConstant, arg.span, format!("{what} {msg}")).label("needs an integer literal 1..=1024"),
            Mismatch::DimRange => {
                self.dim_out_of_range(arg.span);
                return;
            }
        };
        self.error(diag);
    }

    /// `verify_property(e, "name")` becomes a scene property read or a derived property.
    fn verify_property(&mut self, args: Vec<TExpr>, span: Span, scope: &Scope) -> TExpr {
        let mut it = args.into_iter();
        let (Some(entity), Some(name)) = (it.next(), it.next()) else { return TExpr::error(span) };
        let TKind::Str(prop) = &name.kind else {
            self.error(Diagnostic::error(Code::NotConstant, name.span, "the property name must be a string literal").label("here"));
            return TExpr::error(span);
        };
        // A bool property the scene declares for this entity wins.
        if let (TKind::Entity(e), Some(s)) = (&entity.kind, scope.scene) {
            let scene = &self.scenes[s];
            if let Some(i) = scene.props.iter().position(|p| p.owner == Some(*e) && p.name.text == *prop && p.ty == Ty::Bool) {
                return TExpr { kind: TKind::Prop(i), ty: Ty::Bool, span };
            }
        }
        let kind = match entity.ty {
            Ty::Entity(k) => k,
            _ => return TExpr::error(span),
        };
        let applicable = |p: &str| match p {
            "open" | "closed" => matches!(kind, Kind::Drawer | Kind::Hinged),
            "upright" | "lying" => kind.has_rot(),
            "static" => kind != Kind::Site,
            _ => false,
        };
        if let Some((known, _)) = DERIVED_PROPERTIES.iter().find(|(p, _)| *p == prop.as_str() && applicable(p)) {
            return TExpr { kind: TKind::Property { entity: Box::new(entity), name: known }, ty: Ty::Bool, span };
        }
        let mut names: Vec<String> = DERIVED_PROPERTIES.iter().map(|(p, _)| *p).filter(|p| applicable(p)).map(String::from).collect();
        if let (TKind::Entity(e), Some(s)) = (&entity.kind, scope.scene) {
            names.extend(self.scenes[s].props.iter().filter(|p| p.owner == Some(*e) && p.ty == Ty::Bool).map(|p| p.name.text.clone()));
        }
        let help = if names.is_empty() {
            format!("a {} has no properties to verify", kind.name())
        } else {
            format!("known here: {}", names.join(", "))
        };
        let mut diag = Diagnostic::error(Code::UnknownProperty, name.span, format!("{} has no property \"{prop}\"", kind.name()))
            .label("unknown property")
            .with_help(help);
        if let Some(best) = suggest::closest(prop, names.iter().map(String::as_str)) {
            diag = diag.with_suggestion(name.span, format!("\"{best}\""), false);
        }
        self.error(diag);
        TExpr::error(span)
    }

    fn fn_call(&mut self, func: usize, callee: &ast::Name, args: Vec<TExpr>, span: Span) -> TExpr {
        let def = &self.fns[func];
        let params: Vec<(String, Ty)> = def.params.iter().map(|(n, t)| (n.text.clone(), *t)).collect();
        let ret = def.ret;
        let def_span = def.name.span;
        if params.len() != args.len() {
            self.error(
                Diagnostic::error(Code::Arity, span, format!("`{}` takes {} argument(s), but {} were given", callee.text, params.len(), args.len()))
                    .label("wrong number of arguments")
                    .with_secondary(def_span, "defined here"),
            );
            return TExpr::error(span);
        }
        if args.iter().any(|a| a.ty.is_error()) || ret.is_error() {
            return TExpr::error(span);
        }
        // Bind the `quantity` dimension from the first argument that fixes it.
        let mut var: Option<Dim> = None;
        for ((_, pty), arg) in params.iter().zip(&args) {
            if let (Some(pd), Some(ad)) = (param_dim(*pty), param_dim(arg.ty))
                && pd.var.abs() == 1
                && !is_zero_literal(arg)
                && var.is_none()
            {
                let base = Dim { var: 0, ..pd };
                let solved = if pd.var == 1 { ad.checked_div(base) } else { base.checked_div(ad) };
                let Some(solved) = solved else {
                    self.dim_out_of_range(arg.span);
                    return TExpr::error(span);
                };
                var = Some(solved);
            }
        }
        let var = var.unwrap_or(Dim::NONE);
        let mut ok = true;
        let mut args = args;
        for (i, ((pname, pty), arg)) in params.iter().zip(args.iter_mut()).enumerate() {
            // A parameter of an unknown type (E0014 at the definition) takes anything.
            if pty.is_error() {
                continue;
            }
            let Some(want) = pty.substitute(var) else {
                self.dim_out_of_range(arg.span);
                ok = false;
                continue;
            };
            let what = format!("argument {} (`{pname}`) of `{}`", i + 1, callee.text);
            if fits_value(want, arg) {
                coerce_to(want, arg);
                continue;
            }
            ok = false;
            match (want, arg.ty) {
                (Ty::Scalar(wd), Ty::Scalar(_)) | (Ty::Vec3(wd), Ty::Vec3(_)) if is_bare_number(arg) => self.missing_unit(arg, wd, &what),
                (Ty::Scalar(wd), Ty::Scalar(ad)) | (Ty::Vec3(wd), Ty::Vec3(ad)) => {
                    self.error(
                        Diagnostic::error(Code::UnitMismatch, arg.span, format!("{what} must be {}, but this is {}", wd.with_article(), ad.with_article()))
                            .label(format!("{ad}"))
                            .with_secondary(def_span, "defined here"),
                    );
                }
                _ => {
                    self.error(
                        Diagnostic::error(Code::TypeMismatch, arg.span, format!("{what} must be {want}, but this is {}", arg.ty))
                            .label(format!("this is {}", arg.ty))
                            .with_secondary(def_span, "defined here"),
                    );
                }
            }
        }
        if !ok {
            return TExpr::error(span);
        }
        let Some(ty) = ret.substitute(var) else {
            self.dim_out_of_range(span);
            return TExpr::error(span);
        };
        TExpr { kind: TKind::Call { func, args }, ty, span }
    }

    /// Checks an `include TEMPLATE(args)`: arity and parameter types.
    pub fn template_args(&mut self, template: &ast::StagesDecl, include: &ast::IncludeDecl, args: &mut [TExpr]) -> Option<Vec<Ty>> {
        if template.params.len() != args.len() {
            self.error(
                Diagnostic::error(Code::Arity, include.span, format!("`{}` takes {} argument(s), but {} were given", template.name.text, template.params.len(), args.len()))
                    .label("wrong number of arguments")
                    .with_secondary(template.name.span, "defined here"),
            );
            return None;
        }
        let mut tys = Vec::new();
        let mut ok = true;
        // The parameter types were resolved (and reported) once, where the template is defined.
        let declared = self.template_params.get(&template.name.text).cloned().unwrap_or_default();
        for (i, (p, arg)) in template.params.iter().zip(args.iter_mut()).enumerate() {
            let want = declared.get(i).copied().unwrap_or(Ty::Error);
            if arg.ty.is_error() || want.is_error() {
                ok = false;
                continue;
            }
            if !fits_value(want, arg) {
                self.error(
                    Diagnostic::error(Code::TypeMismatch, arg.span, format!("parameter `{}` of `{}` is {want}, but this is {}", p.name.text, template.name.text, arg.ty))
                        .label(format!("this is {}", arg.ty)),
                );
                ok = false;
                continue;
            }
            coerce_to(want, arg);
            tys.push(want);
        }
        ok.then_some(tys)
    }
}

fn param_dim(ty: Ty) -> Option<Dim> {
    match ty {
        Ty::Scalar(d) | Ty::Vec3(d) => Some(d),
        _ => None,
    }
}

/// Whether a value fits a declared type (user functions and templates),
/// allowing entity coercions and subkinds (a Drawer is an Object).
fn fits_value(want: Ty, arg: &TExpr) -> bool {
    match (want, arg.ty) {
        (w, a) if w == a => true,
        (Ty::Scalar(_), Ty::Scalar(_)) => is_zero_literal(arg),
        (Ty::Entity(Kind::Object), Ty::Entity(Kind::Drawer | Kind::Hinged)) => true,
        (Ty::Box, Ty::Entity(k)) => k.has_box(),
        (Ty::Pose, Ty::Entity(k)) => k.has_rot(),
        (Ty::Vec3(d), Ty::Entity(_)) => d == Dim::LENGTH,
        _ => false,
    }
}

/// Makes an entity-to-value coercion explicit as a field read.
fn coerce_to(want: Ty, arg: &mut TExpr) {
    let field = match (want, arg.ty) {
        (Ty::Box, Ty::Entity(_)) => "box",
        (Ty::Pose, Ty::Entity(_)) => "pose",
        (Ty::Vec3(_), Ty::Entity(_)) => "pos",
        _ => return,
    };
    let span = arg.span;
    let entity = std::mem::replace(arg, TExpr::error(span));
    *arg = TExpr { kind: TKind::EntityField { entity: Box::new(entity), field }, ty: want, span };
}

fn coerce_args(sig: &Sig, args: &mut [TExpr]) {
    for (p, arg) in sig.params.iter().zip(args.iter_mut()) {
        let want = match p {
            P::Box => Ty::Box,
            P::Pose => Ty::Pose,
            P::Vec3(D::Exact(d)) => Ty::Vec3(*d),
            _ => continue,
        };
        if matches!(arg.ty, Ty::Entity(_)) {
            coerce_to(want, arg);
        }
    }
}

/// Matches arguments against a signature: the result type and the `Count`
/// argument's value, or the first mismatching argument.
fn match_sig(sig: &Sig, args: &[TExpr]) -> Result<(Ty, Option<u32>), (usize, Mismatch)> {
    let mut same: Option<Dim> = None;
    let mut count = None;
    let mut vec_dims = Vec::new();
    for (i, (p, arg)) in sig.params.iter().zip(args).enumerate() {
        let err = |m: Mismatch| Err((i, m));
        let ty = arg.ty;
        let check_dim = |d: D, got: Dim, same: &mut Option<Dim>| -> Result<(), Mismatch> {
            match d {
                D::Any => Ok(()),
                D::Exact(want) if want == got || is_zero_literal(arg) => Ok(()),
                D::Exact(want) if is_bare_number(arg) => Err(Mismatch::MissingUnit { want }),
                D::Exact(want) => Err(Mismatch::Unit { want }),
                D::Same => {
                    if is_zero_literal(arg) {
                        return Ok(());
                    }
                    match *same {
                        None => {
                            *same = Some(got);
                            Ok(())
                        }
                        Some(s) if s == got => Ok(()),
                        Some(s) if is_bare_number(arg) => Err(Mismatch::MissingUnit { want: s }),
                        Some(s) => Err(Mismatch::Unit { want: s }),
                    }
                }
            }
        };
        match (p, ty) {
            (P::Scalar(d), Ty::Scalar(got)) => {
                if let Err(m) = check_dim(*d, got, &mut same) {
                    return err(m);
                }
            }
            (P::Vec3(d), Ty::Vec3(got)) => {
                if let Err(m) = check_dim(*d, got, &mut same) {
                    return err(m);
                }
                vec_dims.push(got);
            }
            (P::Vec3(D::Exact(Dim::LENGTH)), Ty::Entity(_)) => {}
            (P::Bool, Ty::Bool) | (P::Quat, Ty::Quat) | (P::Pose, Ty::Pose) | (P::Box, Ty::Box) | (P::Str, Ty::Str) => {}
            (P::Points, Ty::Points(_)) | (P::Trace, Ty::Trace(_)) => {}
            (P::Box, Ty::Entity(k)) if k.has_box() => {}
            (P::Pose, Ty::Entity(k)) if k.has_rot() => {}
            (P::Entity(kinds, _), Ty::Entity(k)) if kinds.contains(&k) => {}
            (P::Count, Ty::Scalar(_)) => match arg.kind {
                TKind::Number(_) if arg.ty != Ty::Scalar(Dim::NONE) => {
                    return err(Mismatch::Count("is a count, and a count takes no unit: write a whole number from 1 to 1024".into()));
                }
                TKind::Number(v) if v.fract() == 0.0 && (1.0..=1024.0).contains(&v) => count = Some(v as u32),
                TKind::Number(v) => return err(Mismatch::Count(format!("must be a whole number from 1 to 1024, not {}", fmt_number(v)))),
                _ => return err(Mismatch::Count("must be an integer literal (it fixes a size at compile time)".into())),
            },
            (p, _) => return err(Mismatch::Type(param_words(*p))),
        }
    }
    let ret = match sig.ret {
        R::Scalar(d) => Ty::Scalar(d),
        R::ScalarSame => Ty::Scalar(same.unwrap_or(Dim::NONE)),
        R::ScalarSqrt => match same.unwrap_or(Dim::NONE).sqrt() {
            Some(d) => Ty::Scalar(d),
            None => return Err((0, Mismatch::Type("a quantity whose dimension has a square root (e.g. an area)".into()))),
        },
        R::ScalarProduct => Ty::Scalar(product(&vec_dims).ok_or((0, Mismatch::DimRange))?),
        R::Vec3(d) => Ty::Vec3(d),
        R::Vec3Same => Ty::Vec3(same.unwrap_or(Dim::NONE)),
        R::Vec3Product => Ty::Vec3(product(&vec_dims).ok_or((0, Mismatch::DimRange))?),
        R::Bool => Ty::Bool,
        R::Box => Ty::Box,
        R::Points => Ty::Points(count.unwrap_or(1)),
        R::Trace => Ty::Trace(count.unwrap_or(1)),
    };
    Ok((ret, count))
}

/// The dimension of a product of vectors (`dot`, `cross`); `None` out of range.
fn product(dims: &[Dim]) -> Option<Dim> {
    dims.iter().try_fold(Dim::NONE, |a, d| a.checked_mul(*d))
}

fn param_words(p: P) -> String {
    match p {
        P::Scalar(_) => "a number".into(),
        P::Bool => "a bool".into(),
        P::Vec3(D::Exact(Dim::LENGTH)) => "a position (vec3 or entity)".into(),
        P::Vec3(_) => "a vector".into(),
        P::Quat => "a quaternion".into(),
        P::Pose => "a pose (or an entity)".into(),
        P::Box => "a box (or an Object, Drawer or Hinged entity)".into(),
        P::Points => "points (from sample, or a points(N) property)".into(),
        P::Trace => "a trace (from predict_trace)".into(),
        P::Entity(kinds, _) => format!("an entity of kind {}", kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(" or ")),
        P::Str => "a string literal".into(),
        P::Count => "an integer literal".into(),
    }
}

fn sigs_text(name: &str, sigs: &[Sig]) -> String {
    sigs.iter().map(|s| builtins::render_sig(name, s)).collect::<Vec<_>>().join("\n")
}

/// NumPy / Python names of builtins, with rwd's: the same function with the
/// same arguments in the same order, so the replacement is certain.
const FUNCTION_SYNONYMS: &[(&str, &str)] = &[
    ("clip", "clamp"),
    ("log", "ln"),
    ("power", "pow"),
    ("fabs", "abs"),
    ("absolute", "abs"),
    ("minimum", "min"),
    ("maximum", "max"),
    ("arctan2", "atan2"),
    ("arcsin", "asin"),
    ("arccos", "acos"),
    ("arctan", "atan"),
];
