//! Checking rewards: stages (and included templates), terms, penalties,
//! success; and the reward-machine rules (E0040-E0047).

use super::expr::const_value;
use super::hir::*;
use super::{Checker, Scope};
use crate::diag::{Code, Diagnostic, suggest};
use crate::source::Span;
use crate::syntax::ast::{self, RewardItem, StageClause};


/// Diagnostics about stage names, which inside a template depend on the reward it is included in.
fn is_stage_reference(d: &Diagnostic) -> bool {
    matches!(d.code, Code::UnknownStage | Code::HoldTarget)
}

/// The most steps a `for N steps` may ask for.
pub const MAX_HOLD_STEPS: u64 = 1_000_000;

impl<'a> Checker<'a> {
    pub fn check_reward(&mut self, r: &'a ast::RewardDecl) {
        let (scene, failure) = match &r.target {
            Some(ast::RewardTarget::Failure(f)) => match self.failures_lookup(f) {
                Some(scene) => (Some(scene), Some(f.text.clone())),
                None => return,
            },
            Some(ast::RewardTarget::Scene(s)) => (self.program_scene(Some(s), &r.name), None),
            None => (self.program_scene(None, &r.name), None),
        };
        let Some(scene) = scene else { return };
        let diags_before = self.diags.len();
        let mut scope = Scope::new(Some(scene));

        // Stage names come first: `hold ... else S` and `done(S)` may name any of them.
        // For a template's stages: the range of `lets` holding its arguments.
        let mut stage_asts: Vec<(&ast::StageDecl, Option<(usize, usize)>)> = Vec::new();
        // Where each stage comes from: its name, or the `include` that brought it.
        let mut origins: Vec<Span> = Vec::new();
        // An `include` that failed (reported) may be why the reward looks empty.
        let mut include_failed = false;
        let mut lets = Vec::new();
        for item in &r.items {
            match item {
                RewardItem::Stage(s) => {
                    stage_asts.push((s, None));
                    origins.push(s.name.span);
                }
                RewardItem::Include(inc) => match self.templates.get(&inc.template.text).copied() {
                    Some(t) => {
                        let mut args: Vec<TExpr> = inc.args.iter().map(|a| self.expr(a, &mut scope)).collect();
                        if let Some(tys) = self.template_args(t, inc, &mut args) {
                            // Template parameters become hidden lets of this reward.
                            let first = lets.len();
                            for ((p, arg), ty) in t.params.iter().zip(args).zip(tys) {
                                let local = scope.bind(&format!("{}.{}", t.name.text, p.name.text), ty);
                                lets.push(Let { local, name: p.name.clone(), value: arg });
                            }
                            for s in &t.stages {
                                stage_asts.push((s, Some((first, t.params.len()))));
                                origins.push(inc.span);
                            }
                        } else {
                            include_failed = true;
                        }
                    }
                    None => {
                        include_failed = true;
                        let mut diag = Diagnostic::error(Code::UnknownTemplate, inc.template.span, format!("unknown stage template `{}`", inc.template.text))
                            .label("no `stages` template with this name");
                        let names: Vec<&str> = self.templates.keys().map(String::as_str).collect();
                        if let Some(module) = crate::stdlib::module_defining(&inc.template.text) {
                            // The exact name is a stdlib template: the missing `use` is the fix.
                            let top = Span::new(inc.template.span.file, 0, 0);
                            diag = diag.with_help(format!("add `use {module}`")).with_suggestion(top, format!("use {module}\n"), true);
                        } else if let Some(best) = suggest::closest(&inc.template.text, names) {
                            diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(inc.template.span, best, false);
                        }
                        self.error(diag);
                    }
                },
                _ => {}
            }
        }
        let mut stage_names: Vec<String> = Vec::new();
        for (i, (s, template)) in stage_asts.iter().enumerate() {
            // Two stages of one include: the template repeats the name, which
            // is reported once where the template is defined.
            if let Some(j) = stage_names.iter().position(|n| *n == s.name.text).filter(|&j| origins[j] != origins[i]) {
                let label = match template {
                    None => "second stage with this name".to_string(),
                    Some(_) => format!("includes a second stage named `{}`", s.name.text),
                };
                let first = if stage_asts[j].1.is_some() { "first included here" } else { "first declared here" };
                self.error(
                    Diagnostic::error(Code::Duplicate, origins[i], format!("stage `{}` is declared twice", s.name.text))
                        .label(label)
                        .with_secondary(origins[j], first),
                );
            }
            stage_names.push(s.name.text.clone());
        }
        scope.stages = stage_names.clone();
        scope.stages_incomplete = include_failed;

        // Lets, in order (they may not read stage state).
        for item in &r.items {
            if let RewardItem::Let(l) = item {
                lets.push(self.check_let(l, &mut scope));
            }
        }

        let mut stages = Vec::new();
        for (index, (s, template_base)) in stage_asts.iter().enumerate() {
            let stage = match template_base {
                None => self.check_stage(s, index, &mut scope),
                Some((first, count)) => {
                    // Inside a template, its parameters are visible under their own names.
                    // A template sees only its parameters and the reward's stage names.
                    let mut inner = scope.clone();
                    inner.scene = None;
                    inner.locals = lets[*first..*first + *count].iter().map(|l| (l.name.text.clone(), l.local, l.value.ty)).collect();
                    // Its body was checked where it is defined; only what depends on
                    // this reward (the stage names it refers to) is reported here.
                    let before = self.diags.len();
                    let stage = self.check_stage(s, index, &mut inner);
                    let mut kept: Vec<Diagnostic> = self.diags.drain(before..).filter(is_stage_reference).collect();
                    self.diags.append(&mut kept);
                    stage
                }
            };
            stages.push(stage);
        }
        self.check_stage_rules(&stages);

        let mut terms: Vec<Term> = Vec::new();
        let mut success = None;
        let mut post_scope = scope.clone();
        post_scope.allow_done = true;
        let mut penalty_count = 0;
        for item in &r.items {
            match item {
                RewardItem::Term(t) => {
                    let value = self.expr(&t.value, &mut post_scope);
                    self.expect_number(&value, "a term");
                    let when = t.when.as_ref().map(|w| self.expr(w, &mut post_scope));
                    if let Some(w) = &when {
                        self.expect_bool(w, "a `when` condition");
                    }
                    self.push_term(&mut terms, &stages, Term { name: t.name.text.clone(), kind: TermKind::Term, value, when, span: t.name.span });
                }
                RewardItem::Penalty(p) => {
                    let value = self.expr(&p.value, &mut post_scope);
                    self.expect_number(&value, "a penalty");
                    let when = self.expr(&p.when, &mut post_scope);
                    self.expect_bool(&when, "a `when` condition");
                    penalty_count += 1;
                    let (name, span) = match &p.name {
                        Some(n) => (n.text.clone(), n.span),
                        None => (format!("penalty_{penalty_count}"), p.span),
                    };
                    self.push_term(&mut terms, &stages, Term { name, kind: TermKind::Penalty, value, when: Some(when), span });
                }
                RewardItem::Success(s) => {
                    let value = s.value.as_ref().map(|v| self.expr(v, &mut post_scope));
                    if let Some(v) = &value {
                        self.expect_number(v, "a success reward");
                    }
                    let when = self.expr(&s.when, &mut post_scope);
                    self.expect_bool(&when, "a success condition");
                    if success.is_some() {
                        self.error(Diagnostic::error(Code::Duplicate, s.span, "a reward has one `success` clause").label("second `success`").with_help("combine conditions with `||`"));
                    }
                    success = Some(Success { value, when });
                }
                _ => {}
            }
        }
        if stages.is_empty() && terms.is_empty() && !include_failed {
            self.error(
                Diagnostic::error(Code::EmptyReward, r.name.span, format!("reward `{}` has no stage and no term", r.name.text))
                    .label("pays nothing")
                    .with_help("add `stage NAME { shape ... done ... }` or `term NAME = ...`"),
            );
        }
        let mut roots: Vec<&TExpr> = Vec::new();
        for s in &stages {
            roots.extend(s.shape.iter().chain(std::iter::once(&s.done)).chain(s.bonus.iter()).chain(s.hold.iter().map(|(h, _)| h)));
        }
        for t in &terms {
            roots.push(&t.value);
            roots.extend(t.when.iter());
        }
        if let Some(s) = &success {
            roots.push(&s.when);
            roots.extend(s.value.iter());
        }
        let user_lets: Vec<Let> = lets.iter().filter(|l| !l.name.text.is_empty() && r.items.iter().any(|i| matches!(i, RewardItem::Let(x) if x.name.span == l.name.span))).cloned().collect();
        // An erroneous expression drops what it read, so a let may look unused.
        if !self.errors_since(diags_before) {
            self.warn_unused_lets(&user_lets, &roots);
        }
        self.programs.push(Program {
            name: r.name.clone(),
            kind: ProgramKind::Reward,
            scene,
            lets,
            body: Body::Reward(Reward { failure, stages, terms, success }),
        });
    }

    /// Checks a `stages` template once where it is defined, with its
    /// parameters' declared types. Stage references (`hold ... else S`) may
    /// name stages of other templates, so they are checked at each include.
    pub fn check_template(&mut self, t: &'a ast::StagesDecl) {
        let mut scope = Scope::new(None);
        let mut tys = Vec::new();
        for p in &t.params {
            let ty = self.resolve_type(&p.ty);
            scope.bind(&p.name.text, ty);
            tys.push(ty);
        }
        self.template_params.insert(t.name.text.clone(), tys);
        scope.stages = t.stages.iter().map(|s| s.name.text.clone()).collect();
        for (i, s) in t.stages.iter().enumerate() {
            if let Some(prev) = t.stages[..i].iter().find(|p| p.name.text == s.name.text) {
                self.error(
                    Diagnostic::error(Code::Duplicate, s.name.span, format!("stage `{}` is declared twice", s.name.text))
                        .label("second stage with this name")
                        .with_secondary(prev.name.span, "first declared here"),
                );
            }
        }
        let before = self.diags.len();
        let stages: Vec<Stage> = t.stages.iter().enumerate().map(|(i, s)| self.check_stage(s, i, &mut scope)).collect();
        let mut kept: Vec<Diagnostic> = self.diags.drain(before..).filter(|d| !is_stage_reference(d)).collect();
        self.diags.append(&mut kept);
        self.check_stage_rules(&stages);
    }

    fn push_term(&mut self, terms: &mut Vec<Term>, stages: &[Stage], term: Term) {
        if terms.iter().any(|t| t.name == term.name) || stages.iter().any(|s| s.name.text == term.name) {
            self.error(Diagnostic::error(Code::Duplicate, term.span, format!("`{}` names another term or stage of this reward", term.name)).label("duplicate"));
            return;
        }
        terms.push(term);
    }

    /// The scene of the failure a reward is `for`; `None` (reported) if there
    /// is no such failure, `None` (quietly) if its scene is unknown.
    fn failures_lookup(&mut self, f: &ast::Name) -> Option<usize> {
        if let Some((scene, _)) = self.failures.get(&f.text) {
            // usize::MAX: its `on SCENE` failed, which is reported at the failure.
            return (*scene != usize::MAX).then_some(*scene);
        }
        let found = self.programs.iter().find(|p| p.kind == ProgramKind::Failure && p.name.text == f.text).map(|p| p.scene);
        if found.is_none() {
            let mut names: Vec<String> = self.failures.keys().cloned().collect();
            names.sort();
            let mut diag = Diagnostic::error(Code::UnknownFailure, f.span, format!("unknown failure `{}`", f.text)).label("no failure with this name");
            if let Some(best) = suggest::closest(&f.text, names.iter().map(String::as_str)) {
                diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(f.span, best, false);
            }
            self.error(diag);
        }
        found
    }

    fn check_stage(&mut self, s: &ast::StageDecl, index: usize, scope: &mut Scope) -> Stage {
        let mut shape = None;
        let mut done: Option<(TExpr, u32)> = None;
        let mut bonus = None;
        let mut hold = None;
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for clause in &s.clauses {
            if let Some((_, prev)) = seen.iter().find(|(k, _)| *k == clause.keyword()) {
                self.error(
                    Diagnostic::error(Code::StageClause, clause.span(), format!("stage `{}` has two `{}` clauses", s.name.text, clause.keyword()))
                        .label("second clause")
                        .with_secondary(*prev, "first here"),
                );
                continue;
            }
            seen.push((clause.keyword(), clause.span()));
            match clause {
                StageClause::Shape { value, .. } => {
                    let v = self.expr(value, scope);
                    self.expect_number(&v, "a shape");
                    shape = Some(v);
                }
                StageClause::Bonus { value, .. } => {
                    let v = self.expr(value, scope);
                    self.expect_number(&v, "a bonus");
                    bonus = Some(v);
                }
                StageClause::Done { cond, steps, .. } => {
                    let c = self.expr(cond, scope);
                    self.expect_bool(&c, "a `done` gate");
                    let n = match steps {
                        None => 1,
                        Some((n, span)) if (1..=MAX_HOLD_STEPS).contains(n) => {
                            let _ = span;
                            *n as u32
                        }
                        Some((n, span)) => {
                            // u64::MAX: the parser's value for a number too large for u64.
                            let message = if *n == u64::MAX { "this step count is too large".to_string() } else { format!("`for {n} steps` is out of range") };
                            self.error(Diagnostic::error(Code::StepCount, *span, message).label(format!("must be 1..={MAX_HOLD_STEPS}")));
                            1
                        }
                    };
                    done = Some((c, n));
                }
                StageClause::Hold { cond, target, .. } => {
                    let c = self.expr(cond, scope);
                    self.expect_bool(&c, "a `hold` condition");
                    match scope.stages.iter().position(|n| *n == target.text) {
                        Some(t) if t < index => hold = Some((c, t as u32)),
                        Some(_) => {
                            let mut diag = Diagnostic::error(Code::HoldTarget, target.span, format!("`hold ... else {}` must name an earlier stage", target.text))
                                .label(if target.text == s.name.text { "this is the stage itself" } else { "this stage comes later" })
                                .with_help("a failed hold sends the reward machine back to a stage before this one");
                            // The stage just before is the usual target (re-grasp after a drop); a guess.
                            if let Some(previous) = index.checked_sub(1).and_then(|i| scope.stages.get(i)) {
                                diag = diag.with_suggestion(target.span, previous.clone(), false);
                            }
                            self.error(diag);
                        }
                        None if scope.stages_incomplete => {} // a stage of the failed include
                        None => {
                            let earlier: Vec<&str> = scope.stages[..index.min(scope.stages.len())].iter().map(String::as_str).collect();
                            let mut diag = Diagnostic::error(Code::UnknownStage, target.span, format!("no stage named `{}`", target.text)).label("unknown stage");
                            if let Some(best) = suggest::closest(&target.text, earlier.iter().copied()) {
                                diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(target.span, best, false);
                            }
                            self.error(diag);
                        }
                    }
                }
            }
        }
        let (done, steps) = match done {
            Some(d) => d,
            None => {
                self.error(
                    Diagnostic::error(Code::StageClause, s.name.span, format!("stage `{}` has no `done` gate", s.name.text))
                        .label("when does this stage end?")
                        .with_help("add `done CONDITION`"),
                );
                (TExpr::error(s.name.span), 1)
            }
        };
        Stage { name: s.name.clone(), shape, done, steps, bonus, hold, span: s.span }
    }

    /// E0041/E0042: constant gates and the stages they cut off.
    fn check_stage_rules(&mut self, stages: &[Stage]) {
        let mut blocked_by: Option<&Stage> = None;
        for stage in stages {
            if let Some(blocker) = blocked_by {
                self.error(
                    Diagnostic::error(Code::UnreachableStage, stage.name.span, format!("stage `{}` can never be reached", stage.name.text))
                        .label("unreachable")
                        .with_secondary(blocker.done.span, format!("stage `{}` never completes", blocker.name.text)),
                );
                continue;
            }
            if let Some(v) = const_value(&stage.done) {
                let always = v != 0.0;
                self.error(
                    Diagnostic::error(Code::ConstantGate, stage.done.span, format!("the `done` gate of stage `{}` is always {always}", stage.name.text))
                        .label(if always { "completes without the robot doing anything" } else { "never completes" })
                        .with_help("gate on the scene: `distance(gripper, cube) < 2cm`, `is_holding(gripper, cube)`"),
                );
                if !always {
                    blocked_by = Some(stage);
                }
            }
        }
    }
}
