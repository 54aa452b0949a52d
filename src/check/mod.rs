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
    check_with_text(user, modules, &[])
}

/// [`check`], with the source text of each file (indexed by `FileId`) so
/// that suggested replacements can quote the operands they rewrite.
pub fn check_with_text(user: &[Item], modules: &[Module<'_>], texts: &[&str]) -> (Checked, Vec<Diagnostic>) {
    let mut cx = Checker { texts: texts.iter().map(|t| t.to_string()).collect(), ..Checker::default() };
    let all_items: Vec<&Item> = modules.iter().flat_map(|m| m.items.iter()).chain(user.iter()).collect();
    cx.collect_globals(&all_items);
    cx.check_fns();
    let mut templates: Vec<&ast::StagesDecl> = cx.templates.values().copied().collect();
    templates.sort_by_key(|t| (t.name.span.file.0, t.name.span.start));
    for t in templates {
        cx.check_template(t);
    }
    // A second scene with a taken name is reported (E0020) and left out, so
    // it does not make programs without `on` ambiguous.
    let mut scene_names = std::collections::HashSet::new();
    for item in user {
        if let Item::Scene(scene) = item
            && scene_names.insert(scene.name.text.as_str())
        {
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
    /// Each template's parameter types, resolved once by `check_template`.
    pub template_params: HashMap<String, Vec<Ty>>,
    failures: HashMap<String, (usize, &'a ast::FailureDecl)>,
    /// Top-level names already declared, for E0020.
    globals: HashMap<String, Span>,
    /// Source text per file, when known: replacements quote operands.
    texts: Vec<String>,
}

impl Checker<'_> {
    /// The source text under `span`, if the file's text was given.
    pub fn source_text(&self, span: Span) -> Option<&str> {
        self.texts.get(span.file.0 as usize)?.get(span.start as usize..span.end as usize)
    }
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
    /// An `include` failed, so `stages` lacks its stages: an unknown stage
    /// name is then most likely one of those and is not reported again.
    pub stages_incomplete: bool,
}

impl Scope {
    pub fn new(scene: Option<usize>) -> Scope {
        Scope { scene, locals: Vec::new(), next_local: 0, stages: Vec::new(), allow_done: false, stages_incomplete: false }
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

    /// Whether an error was reported after the first `before` diagnostics.
    pub fn errors_since(&self, before: usize) -> bool {
        self.diags.get(before..).is_some_and(|new| new.iter().any(Diagnostic::is_error))
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
                    if let Some(&j) = names.get(name)
                        && !callees.contains(&j) {
                            callees.push(j);
                        }
                });
                callees
            })
            .collect();
        let (order, cyclic) = topo_order(&edges);
        let mut is_cyclic = vec![false; edges.len()];
        for &i in &cyclic {
            is_cyclic[i] = true;
        }
        for &i in &cyclic {
            let f = self.fn_asts[i];
            let callee = edges[i].iter().copied().find(|&j| is_cyclic[j]).map(|j| self.fn_asts[j]);
            let mut diag = Diagnostic::error(Code::Recursion, f.name.span, format!("`{}` is recursive", f.name.text))
                .label("this function calls itself through the call chain")
                .with_help("rwd programs are total: rewrite without recursion");
            if let Some(c) = callee {
                diag = diag.with_secondary(c.name.span, format!("`{}` is part of the cycle", c.name.text));
            }
            self.error(diag);
        }
        // Longest call chain, in dependency order (callees come first). A chain
        // too deep is reported once, at the function that crosses the limit;
        // its callers are left out quietly.
        let mut depth = vec![0usize; self.fn_asts.len()];
        let mut too_deep = vec![false; self.fn_asts.len()];
        for &i in &order {
            if edges[i].iter().any(|&j| too_deep[j]) {
                too_deep[i] = true;
                continue;
            }
            depth[i] = 1 + edges[i].iter().map(|&j| depth[j]).max().unwrap_or(0);
            if depth[i] > MAX_CALL_DEPTH {
                too_deep[i] = true;
                let f = self.fn_asts[i];
                self.error(
                    Diagnostic::error(Code::Limit, f.name.span, format!("function calls nested deeper than {MAX_CALL_DEPTH}"))
                        .label(format!("this call chain is {} functions deep", depth[i]))
                        .with_help("call fewer functions in a chain: inline some of them"),
                );
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
        let mut body = self.expr(&f.body, &mut scope);
        let mut ret = body.ty;
        if let Some(declared) = &f.ret {
            let want = self.resolve_type(declared);
            // The literal 0 fits any scalar, as everywhere else.
            if matches!(want, Ty::Scalar(_)) && expr::is_zero_literal(&body) {
                body.ty = want;
            }
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
        if let Some((n, span)) = t.arg
            && !(1..=1024).contains(&n)
        {
            // u64::MAX: the parser's value for a number too large for u64.
            let message = if n == u64::MAX { "this size is too large: sizes must be between 1 and 1024" } else { "sizes must be between 1 and 1024" };
            self.error(Diagnostic::error(Code::NotConstant, span, message).label("here"));
            return Ty::Error;
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
            if let (None, Some(e)) = (owner, entities.iter().find(|e| e.name.text == p.name.text)) {
                self.error(
                    Diagnostic::error(Code::Duplicate, p.name.span, format!("property `{}` has the name of an entity of this scene", p.name.text))
                        .label("a second thing named like this")
                        .with_secondary(e.name.span, "the entity")
                        .with_help("rename the property, or attach it to an entity: `entity.name: type`"),
                );
                continue;
            }
            if let Some(i) = owner {
                let kind = entities[i].kind;
                if kind.stored_fields().iter().any(|f| f.name == p.name.text) || kind.derived_fields().iter().any(|f| f.name == p.name.text) {
                    self.error(Diagnostic::error(Code::Duplicate, p.name.span, format!("{} already has a field `{}`", kind.name(), p.name.text)).label("shadows a field"));
                    continue;
                }
            }
            let mut ty = self.resolve_type(&p.ty);
            if matches!(ty, Ty::Entity(_)) {
                self.error(Diagnostic::error(Code::TypeMismatch, p.ty.span, "a property cannot be an entity; declare it as a scene entity").label("here"));
                ty = Ty::Error;
            }
            // A property whose type is wrong (reported) still exists, with type
            // Error, so its uses are not reported as unknown names.
            props.push(Prop { owner, name: p.name.clone(), ty });
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
        let diags_before = self.diags.len();
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
        // An erroneous expression drops what it read, so a let may look unused.
        if !self.errors_since(diags_before) {
            self.warn_unused_lets(&lets, &outputs.iter().map(|(_, e)| e).collect::<Vec<_>>());
        }
        self.programs.push(Program { name: c.name.clone(), kind: ProgramKind::Check, scene, lets, body: Body::Check(outputs) });
    }

    pub fn check_let(&mut self, l: &ast::LetDecl, scope: &mut Scope) -> Let {
        let value = self.expr(&l.value, scope);
        if scope.locals.iter().any(|(n, _, _)| *n == l.name.text) {
            self.error(Diagnostic::error(Code::Duplicate, l.name.span, format!("`{}` is already bound", l.name.text)).label("second binding"));
        } else if let Some(s) = scope.scene {
            // A let would silently hide a scene name (lets are looked up first).
            let scene = &self.scenes[s];
            let taken = match scene.entities.iter().find(|e| e.name.text == l.name.text) {
                Some(e) => Some(("an entity", e.name.span)),
                None => scene.props.iter().find(|p| p.owner.is_none() && p.name.text == l.name.text).map(|p| ("a property", p.name.span)),
            };
            if let Some((what, at)) = taken {
                let scene_name = scene.name.text.clone();
                self.error(
                    Diagnostic::error(Code::Duplicate, l.name.span, format!("`{}` is {what} of scene `{scene_name}`", l.name.text))
                        .label("this `let` would hide it")
                        .with_secondary(at, format!("{what} named `{}`", l.name.text))
                        .with_help("choose another name for the `let`"),
                );
            }
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
/// nodes on cycles (left out of the order, as are the nodes that call them).
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
    // Only nodes that are really on a cycle (not just callers of one) get E0050.
    let on_cycle = if order.len() == n { Vec::new() } else { nodes_on_cycles(edges) };
    (order, on_cycle)
}

/// The nodes on a cycle, in increasing order: the members of strongly
/// connected components of more than one node, and nodes that call
/// themselves. Tarjan's algorithm with an explicit stack: linear time, no
/// recursion.
fn nodes_on_cycles(edges: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut component_stack: Vec<usize> = Vec::new();
    let mut cyclic = vec![false; n];
    let mut next_index = 0;
    // The depth-first path: (node, index of its next callee to visit).
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        path.push((root, 0));
        while let Some((v, i)) = path.pop() {
            if i == 0 && index[v] == UNSEEN {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                on_stack[v] = true;
                component_stack.push(v);
            }
            if let Some(&w) = edges[v].get(i) {
                path.push((v, i + 1));
                if index[w] == UNSEEN {
                    path.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            // Every callee of `v` is done: pass its low link to its parent on the path.
            if let Some(&(parent, _)) = path.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                // `v` is the root of a component: everything above it on the stack.
                let mut members = Vec::new();
                while let Some(w) = component_stack.pop() {
                    on_stack[w] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                if members.len() > 1 || edges[v].contains(&v) {
                    for m in members {
                        cyclic[m] = true;
                    }
                }
            }
        }
    }
    (0..n).filter(|&i| cyclic[i]).collect()
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

    #[test]
    fn cycles_are_found_in_linear_time_without_recursion() {
        // A self-loop; two cycles joined by a bridge (0 <-> 1 -> 2 <-> 3); a caller of a cycle (4).
        let edges = vec![vec![1], vec![0, 2], vec![3], vec![2], vec![0], vec![5]];
        assert_eq!(topo_order(&edges).1, vec![0, 1, 2, 3, 5]);
        // One cycle through 200 000 nodes: a recursive search would overflow the stack.
        let n = 200_000;
        let ring: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        let (order, cyclic) = topo_order(&ring);
        assert!(order.is_empty());
        assert_eq!(cyclic.len(), n);
        // A long chain hanging off a cycle: only the cycle's nodes.
        let mut chain: Vec<Vec<usize>> = (0..n).map(|i| vec![i + 1]).collect();
        chain.push(vec![n - 1]);
        assert_eq!(topo_order(&chain).1, vec![n - 1, n]);
    }
}
