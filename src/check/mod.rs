//! Name resolution and type checking: AST -> [`hir::Checked`].
//!
//! The checker never stops at the first error: every problem is pushed as a
//! diagnostic and the offending expression gets type `Error`, which unifies
//! with everything so one mistake yields one diagnostic. Items are checked in
//! an order that needs no recursion over the call graph: functions in
//! dependency order (cycles are reported, E0050), then scenes, then programs.

mod calls;
mod expr;
pub use expr::is_zero_literal;
pub mod hir;
mod program;

use crate::diag::{Code, Diagnostic, suggest};
use crate::source::Span;
use crate::syntax::ast::{self, Item};
use crate::types::{Dim, Kind, Ty};
use hir::*;
use std::collections::HashMap;

/// The deepest chain of function calls accepted (inlining is recursive).
pub const MAX_CALL_DEPTH: usize = 64;

/// A module's items: the user's file or a stdlib module.
pub struct Module<'a> {
    pub items: &'a [Item],
}

/// Checks the user's items together with the items of the stdlib modules
/// they `use` (`modules` holds those, already parsed).
pub fn check(user: &[Item], modules: &[Module<'_>]) -> (Checked, Vec<Diagnostic>) {
    let mut cx = Checker::default();
    let all_items: Vec<&Item> = modules.iter().flat_map(|m| m.items.iter()).chain(user.iter()).collect();
    cx.collect_globals(&all_items);
    cx.check_fns();
    let mut templates: Vec<&ast::StagesDecl> = cx.templates.values().copied().collect();
    templates.sort_by_key(|t| (t.name.span.file.0, t.name.span.start));
    for t in templates {
        cx.check_template(t);
    }
    for item in user {
        if let Item::Scene(scene) = item {
            cx.check_scene(scene);
        }
    }
    // Failures first: rewards name them (`reward r for f`) wherever they stand.
    for item in user {
        if let Item::Failure(f) = item {
            cx.check_failure(f);
        }
    }
    for item in user {
        match item {
            Item::Reward(r) => cx.check_reward(r),
            Item::Check(c) => cx.check_check(c),
            _ => {}
        }
    }
    // Stdlib modules may only define functions and templates.
    for module in modules {
        for item in module.items {
            if !matches!(item, Item::Fn(_) | Item::Stages(_) | Item::Use(_)) {
                cx.diags.push(Diagnostic::error(Code::TypeMismatch, item.name().span, "a module may only define `fn` and `stages`"));
            }
        }
    }
    let checked = Checked { scenes: cx.scenes, fns: cx.fns, programs: cx.programs };
    (checked, cx.diags)
}

#[derive(Default)]
pub(crate) struct Checker<'a> {
    pub diags: Vec<Diagnostic>,
    pub scenes: Vec<Scene>,
    pub fns: Vec<FnDef>,
    pub programs: Vec<Program>,
    /// Function name -> index into `fns` (filled in dependency order) or the AST.
    fn_index: HashMap<String, usize>,
    fn_asts: Vec<&'a ast::FnDecl>,
    pub templates: HashMap<String, &'a ast::StagesDecl>,
    failures: HashMap<String, (usize, &'a ast::FailureDecl)>,
    /// Top-level names already declared, for E0020.
    globals: HashMap<String, Span>,
}

/// Per-expression context: which names are visible and what is allowed.
#[derive(Clone)]
pub(crate) struct Scope {
    /// The scene the program reads, if any (functions have none).
    pub scene: Option<usize>,
    pub locals: Vec<(String, LocalId, Ty)>,
    pub next_local: u32,
    /// Stage names of the reward being checked, for `done(S)`.
    pub stages: Vec<String>,
    /// Whether `done(S)` may appear here.
    pub allow_done: bool,
}

impl Scope {
    pub fn new(scene: Option<usize>) -> Scope {
        Scope { scene, locals: Vec::new(), next_local: 0, stages: Vec::new(), allow_done: false }
    }

    pub fn bind(&mut self, name: &str, ty: Ty) -> LocalId {
        let id = LocalId(self.next_local);
        self.next_local += 1;
        self.locals.push((name.to_string(), id, ty));
        id
    }

    pub fn lookup(&self, name: &str) -> Option<(LocalId, Ty)> {
        self.locals.iter().rev().find(|(n, _, _)| n == name).map(|(_, id, ty)| (*id, *ty))
    }
}

impl<'a> Checker<'a> {
    pub fn error(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
    }

    fn declare_global(&mut self, name: &ast::Name, what: &str) -> bool {
        if let Some(prev) = self.globals.get(&name.text) {
            let prev = *prev;
            self.error(
                Diagnostic::error(Code::Duplicate, name.span, format!("`{}` is declared twice", name.text))
                    .label(format!("second {what} named `{}`", name.text))
                    .with_secondary(prev, "first declared here"),
            );
            return false;
        }
        self.globals.insert(name.text.clone(), name.span);
        true
    }

    fn collect_globals(&mut self, items: &[&'a Item]) {
        for item in items {
            match item {
                Item::Use(_) => {}
                Item::Fn(f) => {
                    if crate::builtins::lookup(&f.name.text).is_some() {
                        self.error(
                            Diagnostic::error(Code::Duplicate, f.name.span, format!("`{}` is a builtin", f.name.text))
                                .label("this name is taken by a builtin")
                                .with_help("choose another name"),
                        );
                    } else if self.declare_global(&f.name, "function") {
                        self.fn_asts.push(f);
                    }
                }
                Item::Stages(s) => {
                    if self.declare_global(&s.name, "stage template") {
                        self.templates.insert(s.name.text.clone(), s);
                    }
                }
                Item::Scene(s) => {
                    self.declare_global(&s.name, "scene");
                }
                Item::Failure(f) => {
                    if self.declare_global(&f.name, "failure") {
                        self.failures.insert(f.name.text.clone(), (usize::MAX, f));
                    }
                }
                Item::Reward(r) => {
                    self.declare_global(&r.name, "reward");
                }
                Item::Check(c) => {
                    self.declare_global(&c.name, "check");
                }
            }
        }
    }

    /// Checks functions callees-first. The call graph comes from the AST;
    /// cycles get E0050 and their members are left out.
    fn check_fns(&mut self) {
        let names: HashMap<&str, usize> = self.fn_asts.iter().enumerate().map(|(i, f)| (f.name.text.as_str(), i)).collect();
        let edges: Vec<Vec<usize>> = self
            .fn_asts
            .iter()
            .map(|f| {
                let mut callees = Vec::new();
                expr::visit_calls(&f.body, &mut |name: &str| {
                    if let Some(&j) = names.get(name) {
                        if !callees.contains(&j) {
                            callees.push(j);
                        }
                    }
                });
                callees
            })
            .collect();
        let (order, cyclic) = topo_order(&edges);
        for &i in &cyclic {
            let f = self.fn_asts[i];
            let callee = edges[i].iter().copied().find(|j| cyclic.contains(j)).map(|j| self.fn_asts[j]);
            let mut diag = Diagnostic::error(Code::Recursion, f.name.span, format!("`{}` is recursive", f.name.text))
                .label("this function calls itself through the call chain")
                .with_help("rwd programs are total: rewrite without recursion");
            if let Some(c) = callee {
                diag = diag.with_secondary(c.name.span, format!("`{}` is part of the cycle", c.name.text));
            }
            self.error(diag);
        }
        // Longest call chain, in dependency order (callees come first).
        let mut depth = vec![0usize; self.fn_asts.len()];
        for &i in &order {
            depth[i] = 1 + edges[i].iter().map(|&j| depth[j]).max().unwrap_or(0);
            if depth[i] > MAX_CALL_DEPTH {
                let f = self.fn_asts[i];
                self.error(Diagnostic::error(Code::Limit, f.name.span, format!("function calls nested deeper than {MAX_CALL_DEPTH}")).label("here"));
                continue;
            }
            self.check_fn(self.fn_asts[i]);
        }
    }

    fn check_fn(&mut self, f: &'a ast::FnDecl) {
        let mut scope = Scope::new(None);
        let mut params = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for p in &f.params {
            if let Some(prev) = seen.insert(&p.name.text, p.name.span) {
                self.error(
                    Diagnostic::error(Code::Duplicate, p.name.span, format!("parameter `{}` is declared twice", p.name.text))
                        .with_secondary(prev, "first declared here"),
                );
            }
            let ty = self.resolve_type(&p.ty);
            scope.bind(&p.name.text, ty);
            params.push((p.name.clone(), ty));
        }
        let body = self.expr(&f.body, &mut scope);
        let mut ret = body.ty;
        if let Some(declared) = &f.ret {
            let want = self.resolve_type(declared);
            if !want.is_error() && !body.ty.is_error() && want != body.ty {
                self.error(
                    Diagnostic::error(Code::TypeMismatch, f.body.span, format!("`{}` is declared to return {want}, but its body is {}", f.name.text, body.ty))
                        .label(format!("this is {}", body.ty))
                        .with_secondary(declared.span, "declared here"),
                );
            }
            ret = want;
        }
        if matches!(ret, Ty::Entity(_) | Ty::Str) {
            self.error(Diagnostic::error(Code::EntityValue, f.body.span, format!("a function cannot return {ret}")).label("here"));
        }
        self.fn_index.insert(f.name.text.clone(), self.fns.len());
        self.fns.push(FnDef { name: f.name.clone(), params, ret, body });
    }

    pub fn lookup_fn(&self, name: &str) -> Option<usize> {
        self.fn_index.get(name).copied()
    }

    /// Whether `name` is a function that exists but failed to check (recursive).
    pub fn is_unchecked_fn(&self, name: &str) -> bool {
        self.fn_asts.iter().any(|f| f.name.text == name) && !self.fn_index.contains_key(name)
    }

    pub fn fn_names(&self) -> impl Iterator<Item = &str> {
        self.fn_asts.iter().map(|f| f.name.text.as_str())
    }

    pub fn resolve_type(&mut self, t: &ast::TypeExpr) -> Ty {
        if let Some((n, span)) = t.arg {
            if !(1..=1024).contains(&n) {
                self.error(Diagnostic::error(Code::NotConstant, span, "sizes must be between 1 and 1024").label("here"));
                return Ty::Error;
            }
        }
        match Ty::parse(&t.name.text, t.arg.map(|(n, _)| n)) {
            Some(ty) => ty,
            None => {
                let mut diag = Diagnostic::error(Code::UnknownType, t.name.span, format!("unknown type `{}`", t.name.text)).label("not a type");
                if let Some(best) = suggest::closest(&t.name.text, Ty::NAMES.iter().copied()) {
                    diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(t.name.span, best, false);
                }
                self.error(diag);
                Ty::Error
            }
        }
    }

    fn check_scene(&mut self, s: &ast::SceneDecl) {
        let mut entities: Vec<Entity> = Vec::new();
        for e in &s.entities {
            if let Some(prev) = entities.iter().find(|p| p.name.text == e.name.text) {
                let prev = prev.name.span;
                self.error(
                    Diagnostic::error(Code::Duplicate, e.name.span, format!("entity `{}` is declared twice", e.name.text))
                        .with_secondary(prev, "first declared here"),
                );
                continue;
            }
            let Some(kind) = Kind::parse(&e.kind.text) else {
                let mut diag = Diagnostic::error(Code::UnknownKind, e.kind.span, format!("unknown entity kind `{}`", e.kind.text))
                    .label("not an entity kind")
                    .with_help("entity kinds: Gripper, Object, Drawer, Hinged, Site");
                if let Some(best) = suggest::closest(&e.kind.text, Kind::ALL.iter().map(|k| k.name())) {
                    diag = diag.with_suggestion(e.kind.span, best, false).with_help(format!("did you mean `{best}`?"));
                }
                self.error(diag);
                continue;
            };
            entities.push(Entity { name: e.name.clone(), kind });
        }
        let mut props: Vec<Prop> = Vec::new();
        for p in &s.props {
            let owner = match &p.owner {
                None => None,
                Some(o) => match entities.iter().position(|e| e.name.text == o.text) {
                    Some(i) => Some(i),
                    None => {
                        self.error(Diagnostic::error(Code::UnknownName, o.span, format!("scene `{}` has no entity `{}`", s.name.text, o.text)).label("not an entity of this scene"));
                        continue;
                    }
                },
            };
            if props.iter().any(|q| q.owner == owner && q.name.text == p.name.text) {
                self.error(Diagnostic::error(Code::Duplicate, p.name.span, format!("property `{}` is declared twice", p.name.text)).label("again"));
                continue;
            }
            if let Some(i) = owner {
                let kind = entities[i].kind;
                if kind.stored_fields().iter().any(|f| f.name == p.name.text) || kind.derived_fields().iter().any(|f| f.name == p.name.text) {
                    self.error(Diagnostic::error(Code::Duplicate, p.name.span, format!("{} already has a field `{}`", kind.name(), p.name.text)).label("shadows a field"));
                    continue;
                }
            }
            let ty = self.resolve_type(&p.ty);
            if matches!(ty, Ty::Entity(_)) {
                self.error(Diagnostic::error(Code::TypeMismatch, p.ty.span, "a property cannot be an entity; declare it as a scene entity").label("here"));
                continue;
            }
            if !ty.is_error() {
                props.push(Prop { owner, name: p.name.clone(), ty });
            }
        }
        self.scenes.push(Scene { name: s.name.clone(), entities, props });
    }

    /// The scene a program reads: named, or the file's only scene.
    fn program_scene(&mut self, named: Option<&ast::Name>, program: &ast::Name) -> Option<usize> {
        match named {
            Some(n) => {
                let found = self.scenes.iter().position(|s| s.name.text == n.text);
                if found.is_none() {
                    let mut diag = Diagnostic::error(Code::UnknownScene, n.span, format!("unknown scene `{}`", n.text)).label("no scene with this name");
                    if let Some(best) = suggest::closest(&n.text, self.scenes.iter().map(|s| s.name.text.as_str())) {
                        diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(n.span, best, false);
                    }
                    self.error(diag);
                }
                found
            }
            None if self.scenes.len() == 1 => Some(0),
            None => {
                let msg = if self.scenes.is_empty() { "this file declares no scene" } else { "this file declares several scenes" };
                self.error(
                    Diagnostic::error(Code::SceneNeeded, program.span, format!("which scene does `{}` read? {msg}", program.text))
                        .label("add `on SCENE`")
                        .with_help("declare `scene NAME { ... }` and write `on NAME` after the program's name"),
                );
                None
            }
        }
    }

    fn check_failure(&mut self, f: &'a ast::FailureDecl) {
        let Some(scene) = self.program_scene(f.scene.as_ref(), &f.name) else { return };
        if let Some(entry) = self.failures.get_mut(&f.name.text) {
            entry.0 = scene;
        }
        let mut scope = Scope::new(Some(scene));
        let cond = self.expr(&f.cond, &mut scope);
        self.expect_bool(&cond, "a failure definition");
        self.programs.push(Program { name: f.name.clone(), kind: ProgramKind::Failure, scene, lets: Vec::new(), body: Body::Failure(cond) });
    }

    fn check_check(&mut self, c: &'a ast::CheckDecl) {
        let Some(scene) = self.program_scene(c.scene.as_ref(), &c.name) else { return };
        let mut scope = Scope::new(Some(scene));
        let mut lets = Vec::new();
        let mut outputs: Vec<(ast::Name, TExpr)> = Vec::new();
        for item in &c.items {
            match item {
                ast::CheckItem::Let(l) => lets.push(self.check_let(l, &mut scope)),
                ast::CheckItem::Output { name, value } => {
                    let value = self.expr(value, &mut scope);
                    if let Some((prev, _)) = outputs.iter().find(|(n, _)| n.text == name.text) {
                        let prev = prev.span;
                        self.error(Diagnostic::error(Code::Duplicate, name.span, format!("output `{}` is declared twice", name.text)).with_secondary(prev, "first declared here"));
                        continue;
                    }
                    if matches!(value.ty, Ty::Entity(_) | Ty::Str) {
                        self.error(
                            Diagnostic::error(Code::EntityValue, value.span, format!("a check output cannot be {}", value.ty))
                                .label("not a value")
                                .with_help("report a field (`cube.pos`) or a fact about it (`get_box(cube)`)"),
                        );
                        continue;
                    }
                    outputs.push((name.clone(), value));
                }
            }
        }
        self.warn_unused_lets(&lets, &outputs.iter().map(|(_, e)| e).collect::<Vec<_>>());
        self.programs.push(Program { name: c.name.clone(), kind: ProgramKind::Check, scene, lets, body: Body::Check(outputs) });
    }

    pub fn check_let(&mut self, l: &ast::LetDecl, scope: &mut Scope) -> Let {
        let value = self.expr(&l.value, scope);
        if let Some((prev, _, _)) = scope.locals.iter().find(|(n, _, _)| *n == l.name.text) {
            let _ = prev;
            self.error(Diagnostic::error(Code::Duplicate, l.name.span, format!("`{}` is already bound", l.name.text)).label("second binding"));
        }
        let local = scope.bind(&l.name.text, value.ty);
        Let { local, name: l.name.clone(), value }
    }

    /// W0003 for lets no later expression reads.
    pub fn warn_unused_lets(&mut self, lets: &[Let], roots: &[&TExpr]) {
        let mut used = std::collections::HashSet::new();
        for root in roots {
            expr::collect_locals(root, &mut used);
        }
        for l in lets {
            expr::collect_locals(&l.value, &mut used);
        }
        for l in lets {
            if !used.contains(&l.local) && !l.name.text.starts_with('_') {
                self.diags.push(
                    Diagnostic::warning(Code::UnusedLet, l.name.span, format!("`{}` is never used", l.name.text))
                        .label("unused")
                        .with_help("remove it, or start its name with `_`"),
                );
            }
        }
    }

    pub fn expect_bool(&mut self, e: &TExpr, what: &str) {
        if e.ty != Ty::Bool && !e.ty.is_error() {
            self.error(
                Diagnostic::error(Code::NotBool, e.span, format!("{what} must be a bool, but this is {}", e.ty))
                    .label(format!("this is {}", e.ty))
                    .with_help("compare it: `x < 2cm`, `x > 0`"),
            );
        }
    }

    pub fn expect_number(&mut self, e: &TExpr, what: &str) {
        if e.ty.is_error() || e.ty == Ty::Scalar(Dim::NONE) {
            return;
        }
        let diag = match e.ty {
            Ty::Scalar(d) => Diagnostic::error(Code::UnitMismatch, e.span, format!("{what} must be a plain number, but this is {}", d.with_article()))
                .label(format!("{d} ({})", d.unit_symbol()))
                .with_help("divide by a reference: `x / 10cm`, or use a shaping function: `reach(x, 5)`"),
            other => Diagnostic::error(Code::TypeMismatch, e.span, format!("{what} must be a number, but this is {other}")).label(format!("this is {other}")),
        };
        self.error(diag);
    }
}

/// Dependency order of a graph given as callee lists (callees before
/// callers), iteratively so hostile input cannot overflow the stack; and the
/// nodes on cycles (left out of the order).
fn topo_order(edges: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    // Kahn's algorithm on the reversed graph: a node is ready when all its callees are done.
    let n = edges.len();
    let mut remaining: Vec<usize> = edges.iter().map(|e| e.len()).collect();
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, callees) in edges.iter().enumerate() {
        for &j in callees {
            callers[j].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
    ready.reverse();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop() {
        order.push(i);
        for &c in &callers[i] {
            remaining[c] -= 1;
            if remaining[c] == 0 {
                ready.push(c);
            }
        }
    }
    let stuck: Vec<usize> = (0..n).filter(|&i| remaining[i] > 0).collect();
    // Only nodes that are really on a cycle (not just callers of one) get E0050.
    let on_cycle: Vec<usize> = stuck.iter().copied().filter(|&i| reaches(edges, i, i, &stuck)).collect();
    (order, on_cycle)
}

/// Whether `to` is reachable from `from`'s callees within `allowed` nodes.
fn reaches(edges: &[Vec<usize>], from: usize, to: usize, allowed: &[usize]) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut stack: Vec<usize> = edges[from].clone();
    while let Some(i) = stack.pop() {
        if i == to {
            return true;
        }
        if !seen[i] && allowed.contains(&i) {
            seen[i] = true;
            stack.extend(edges[i].iter().copied());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::topo_order;

    #[test]
    fn topo_order_puts_callees_first_and_finds_cycles() {
        // 0 -> 1 -> 2, 3 <-> 4, 5 -> 3 (a caller of a cycle, not on it)
        let edges = vec![vec![1], vec![2], vec![], vec![4], vec![3], vec![3]];
        let (order, cyclic) = topo_order(&edges);
        assert_eq!(order, vec![2, 1, 0]);
        assert_eq!(cyclic, vec![3, 4]);
    }
}
