//! Typed tree -> IR: inlining, scalarisation, layout, reward-machine spec.
//!
//! Functions and template arguments are inlined (the checker guarantees no
//! recursion and a bounded call depth); a budget on the number of
//! instructions stops programs that would blow up under inlining. Pure
//! instructions are hash-consed, so a distance used by a shape and by a gate
//! is computed once.

use super::layout::{Layout, LayoutField};
use super::range::{Interval, ranges};
use super::*;
use crate::builtins::{self, Imp, P};
use crate::check::hir::{self, Body, Checked, LocalId, TExpr, TKind};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{BinOp, UnOp};
use crate::types::{Dim, Kind, Ty};
use rustc_hash::FxHashMap as HashMap;

/// Most instructions one program may lower to.
pub const MAX_INSTRUCTIONS: usize = 200_000;
/// Most expression nodes lowering may visit (inlining repeats function
/// bodies, so this bounds the work, not just the output).
pub const MAX_WORK: usize = 2_000_000;

/// Lowers every program of a checked file.
pub fn lower(checked: &Checked) -> (Vec<Program>, Vec<Diagnostic>) {
    let mut programs = Vec::new();
    let mut diags = Vec::new();
    for p in &checked.programs {
        match Lowerer::new(checked, p).program(p) {
            Ok((prog, mut d)) => {
                diags.append(&mut d);
                programs.push(prog);
            }
            Err(d) => diags.push(d),
        }
    }
    (programs, diags)
}

/// A lowered value: flat slots, or a compile-time entity / string.
#[derive(Debug, Clone)]
enum LVal {
    Flat(Vec<Value>),
    Entity(usize),
    Str,
}

/// What an observation slot holds before the layout assigns offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum FieldKey {
    /// Scene entity index, stored field index within its kind.
    Entity(usize, usize),
    Prop(usize),
}

/// What makes two instructions the same computation (hash-consing).
#[derive(Hash, PartialEq, Eq)]
enum CseKey {
    Const(u64),
    Load(FieldKey, u32),
    Op { tag: u32, operands: [u32; 3] },
    Call { func: usize, args: Vec<u32>, outputs: u32 },
}

fn bin_tag(op: Bin) -> u32 {
    match op {
        Bin::Add => 0,
        Bin::Sub => 1,
        Bin::Mul => 2,
        Bin::Div => 3,
        Bin::Math(m) => 10 + m as u32,
    }
}

fn cse_key(inst: &Inst) -> Option<CseKey> {
    let op = |tag: u32, a: &[Value]| {
        let mut operands = [u32::MAX; 3];
        for (o, v) in operands.iter_mut().zip(a) {
            *o = v.0;
        }
        Some(CseKey::Op { tag, operands })
    };
    match inst {
        Inst::Const(c) => Some(CseKey::Const(c.to_bits())),
        Inst::Load(_) => None,
        Inst::Neg(a) => op(1, &[*a]),
        Inst::Not(a) => op(2, &[*a]),
        Inst::And(a, b) => op(3, &[*a, *b]),
        Inst::Or(a, b) => op(4, &[*a, *b]),
        Inst::Select(c, a, b) => op(5, &[*c, *a, *b]),
        Inst::StageDone(i) => Some(CseKey::Op { tag: 6, operands: [*i, 0, 0] }),
        Inst::Unary(m, a) => op(100 + *m as u32, &[*a]),
        Inst::Binary(b, x, y) => op(200 + bin_tag(*b), &[*x, *y]),
        Inst::Compare(c, x, y) => op(300 + *c as u32, &[*x, *y]),
        Inst::Call { func, args, outputs, .. } => {
            Some(CseKey::Call { func: *func as usize, args: args.iter().map(|v| v.0).collect(), outputs: *outputs })
        }
    }
}

pub(super) struct Lowerer<'a> {
    checked: &'a Checked,
    scene: &'a hir::Scene,
    pre: Vec<Stmt>,
    post: Vec<Stmt>,
    in_post: bool,
    next: u32,
    cse: HashMap<CseKey, Value>,
    /// Loads waiting for their offset: (is_post, stmt index, field, component).
    loads: Vec<(bool, usize, FieldKey, u32)>,
    /// Let and parameter bindings of the current frame.
    frame: HashMap<LocalId, LVal>,
    /// The typed value of each program-level let (to see gate margins through lets).
    let_exprs: HashMap<LocalId, &'a TExpr>,
    overflow: Option<Span>,
    /// Expression nodes visited so far (see [`MAX_WORK`]).
    work: usize,
    /// Inlined calls by function and argument values: `f(x) + f(x)` inlines once.
    call_cache: HashMap<(usize, Vec<i64>), LVal>,
    /// The value of each constant emitted so far (see [`Self::fold`]).
    constants: HashMap<Value, f64>,
}

impl<'a> Lowerer<'a> {
    fn new(checked: &'a Checked, p: &hir::Program) -> Lowerer<'a> {
        Lowerer {
            checked,
            scene: &checked.scenes[p.scene],
            pre: Vec::new(),
            post: Vec::new(),
            in_post: false,
            next: 0,
            cse: HashMap::default(),
            loads: Vec::new(),
            frame: HashMap::default(),
            let_exprs: HashMap::default(),
            overflow: None,
            work: 0,
            call_cache: HashMap::default(),
            constants: HashMap::default(),
        }
    }

    // ------------------------------------------------------------ emission

    fn block(&mut self) -> &mut Vec<Stmt> {
        if self.in_post { &mut self.post } else { &mut self.pre }
    }

    fn fresh(&mut self, n: u32) -> Value {
        let v = Value(self.next);
        self.next += n;
        v
    }

    pub(super) fn emit(&mut self, inst: Inst) -> Value {
        if let Some(c) = self.fold(&inst) {
            return self.konst(c);
        }
        let key = cse_key(&inst);
        if let Some(k) = &key
            && let Some(v) = self.cse.get(k) {
                return *v;
            }
        let outputs = if let Inst::Call { outputs, .. } = &inst { *outputs } else { 1 };
        let dest = self.fresh(outputs.max(1));
        if let Inst::Const(c) = inst {
            self.constants.insert(dest, c);
        }
        if self.pre.len() + self.post.len() >= MAX_INSTRUCTIONS {
            self.overflow.get_or_insert(Span::default());
        } else {
            self.block().push(Stmt { dest, inst });
        }
        if let Some(k) = key {
            // Values defined in the post block must not be reused by the pre block;
            // post is emitted last, so its entries never meet pre code.
            self.cse.insert(k, dest);
        }
        dest
    }

    /// Arithmetic on constants, done now: unit conversions (`0.2rad / 1s`)
    /// and constant parts of library formulas would otherwise be computed
    /// at every step by every back end. Folded with the interpreter's own
    /// operations, so the constant has exactly the bits a step would
    /// compute. Comparisons, selects and native calls are left alone.
    fn fold(&self, inst: &Inst) -> Option<f64> {
        let c = |v: &Value| self.constants.get(v).copied();
        match inst {
            Inst::Neg(x) => Some(-c(x)?),
            Inst::Unary(op, x) => Some(crate::interp::math1(*op, c(x)?)),
            Inst::Binary(op, x, y) => Some(crate::interp::math2(*op, c(x)?, c(y)?)),
            _ => None,
        }
    }

    pub(super) fn konst(&mut self, c: f64) -> Value {
        self.emit(Inst::Const(c))
    }

    fn load(&mut self, key: FieldKey, comp: u32) -> Value {
        let ck = CseKey::Load(key, comp);
        if let Some(v) = self.cse.get(&ck) {
            return *v;
        }
        // Loads always go to the pre block so both blocks can share them.
        let dest = self.fresh(1);
        self.pre.push(Stmt { dest, inst: Inst::Load(u32::MAX) });
        self.loads.push((false, self.pre.len() - 1, key, comp));
        self.cse.insert(ck, dest);
        dest
    }

    pub(super) fn bin(&mut self, op: Bin, a: Value, b: Value) -> Value {
        self.emit(Inst::Binary(op, a, b))
    }

    pub(super) fn min(&mut self, a: Value, b: Value) -> Value {
        self.bin(Bin::Math(builtins::Math2::Min), a, b)
    }

    pub(super) fn max(&mut self, a: Value, b: Value) -> Value {
        self.bin(Bin::Math(builtins::Math2::Max), a, b)
    }

    fn clamp01(&mut self, v: Value) -> Value {
        let (zero, one) = (self.konst(0.0), self.konst(1.0));
        let lo = self.max(v, zero);
        self.min(lo, one)
    }

    // ------------------------------------------------------------ programs

    fn program(mut self, p: &'a hir::Program) -> Result<(Program, Vec<Diagnostic>), Diagnostic> {
        let mut diags = Vec::new();
        for l in &p.lets {
            self.let_exprs.insert(l.local, &l.value);
            let v = self.expr(&l.value);
            self.frame.insert(l.local, v);
        }
        let mut outputs = Vec::new();
        let mut reward = None;
        match &p.body {
            Body::Failure(cond) => {
                let v = self.flat(cond);
                outputs.push(Output { name: "failure".into(), ty: OutputTy::Bool, values: v });
            }
            Body::Check(outs) => {
                for (name, e) in outs {
                    let values = self.flat(e);
                    outputs.push(Output { name: name.text.clone(), ty: output_ty(e.ty), values });
                }
            }
            Body::Reward(r) => reward = Some(self.reward(r, &mut diags)),
        }
        if let Some(span) = self.overflow {
            let span = if span == Span::default() { p.name.span } else { span };
            return Err(Diagnostic::error(Code::Limit, span, format!("`{}` lowers to more than {MAX_INSTRUCTIONS} instructions", p.name.text))
                .label("too large after inlining functions")
                .with_help("functions that call each other twice per level grow exponentially; use `let` to share results"));
        }
        let layout = self.assign_layout();
        let mut program = Program {
            name: p.name.text.clone(),
            kind: p.kind,
            scene: self.scene.name.text.clone(),
            layout,
            pre: self.pre,
            post: self.post,
            num_values: self.next,
            reward,
            outputs,
        };
        if let Some(r) = &p.body.reward() {
            finish_reward(&mut program, r, &mut diags);
        }
        super::sqrt_compare::compare_radicands(&mut program);
        super::opt::sink_into_post(&mut program);
        super::opt::compact(&mut program);
        super::opt::shrink_layout(&mut program);
        Ok((program, diags))
    }

    fn reward(&mut self, r: &'a hir::Reward, diags: &mut Vec<Diagnostic>) -> RewardSpec {
        let mut stages = Vec::new();
        for s in &r.stages {
            let gate = self.scalar(&s.done);
            let mut raw_shape = None;
            let (shape, shape_source) = match &s.shape {
                Some(e) => {
                    let v = self.scalar(e);
                    raw_shape = Some(v);
                    (self.clamp01(v), ShapeSource::Explicit)
                }
                None => match self.margin(&s.done) {
                    Some(m) => {
                        // shape = 1 - tanh(max(0, -margin)): 1 exactly when the gate's margin is met.
                        let zero = self.konst(0.0);
                        let neg = self.emit(Inst::Neg(m));
                        let gap = self.max(neg, zero);
                        let t = self.emit(Inst::Unary(builtins::Math1::Tanh, gap));
                        let one = self.konst(1.0);
                        (self.bin(Bin::Sub, one, t), ShapeSource::GateMargin)
                    }
                    None => {
                        if s.bonus.is_none() {
                            diags.push(
                                Diagnostic::warning(Code::NoShaping, s.name.span, format!("stage `{}` pays nothing until it is done", s.name.text))
                                    .label("no `shape`, and the gate has no margin")
                                    .with_help("add `shape ...` (e.g. `shape reach(distance(gripper, cube), 5)`) or a `bonus`"),
                            );
                        }
                        (self.konst(0.0), ShapeSource::None)
                    }
                },
            };
            let bonus = s.bonus.as_ref().map(|b| self.scalar(b));
            let hold = s.hold.as_ref().map(|(h, t)| (self.scalar(h), *t));
            stages.push(StageSpec { name: s.name.text.clone(), shape, raw_shape, shape_source, gate, steps: s.steps, bonus, hold });
        }
        self.in_post = true;
        let mut terms = Vec::new();
        for t in &r.terms {
            let mut v = self.scalar(&t.value);
            if let Some(w) = &t.when {
                let w = self.scalar(w);
                let zero = self.konst(0.0);
                v = self.emit(Inst::Select(w, v, zero));
            }
            let kind = match t.kind {
                hir::TermKind::Term => TermKind::Term,
                hir::TermKind::Penalty => TermKind::Penalty,
            };
            terms.push(TermSpec { name: t.name.clone(), kind, value: v, range: (0.0, 0.0) });
        }
        let success = r.success.as_ref().map(|s| self.scalar(&s.when));
        let success_value = r.success.as_ref().and_then(|s| s.value.as_ref()).map(|v| self.scalar(v));
        self.in_post = false;
        RewardSpec { failure: r.failure.clone(), stages, terms, success, success_value, bounds: (0.0, 0.0) }
    }

    /// A gate's robustness margin, normalised by a per-dimension scale so that
    /// margins of different units combine: positive when satisfied.
    fn margin(&mut self, gate: &'a TExpr) -> Option<Value> {
        match &gate.kind {
            TKind::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), a, b) if matches!(a.ty, Ty::Scalar(_)) => {
                let (x, y) = (self.scalar(a), self.scalar(b));
                let raw = if matches!(op, BinOp::Lt | BinOp::Le) { self.bin(Bin::Sub, y, x) } else { self.bin(Bin::Sub, x, y) };
                let dim = match (a.ty, b.ty) {
                    (Ty::Scalar(d), _) if !crate::check::is_zero_literal(a) => d,
                    (_, Ty::Scalar(d)) => d,
                    _ => Dim::NONE,
                };
                let scale = self.konst(margin_scale(dim));
                Some(self.bin(Bin::Div, raw, scale))
            }
            TKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let (ma, mb) = (self.margin(a), self.margin(b));
                if ma.is_none() && mb.is_none() {
                    return None;
                }
                let ma = ma.unwrap_or_else(|| self.atom_margin(a));
                let mb = mb.unwrap_or_else(|| self.atom_margin(b));
                Some(if *op == BinOp::And { self.min(ma, mb) } else { self.max(ma, mb) })
            }
            TKind::Unary(UnOp::Not, inner) => {
                let m = self.margin(inner)?;
                Some(self.emit(Inst::Neg(m)))
            }
            TKind::Local(id) => {
                let e = self.let_exprs.get(id).copied()?;
                self.margin(e)
            }
            _ => None,
        }
    }

    /// A bool with no margin: +inf when true, -inf when false.
    fn atom_margin(&mut self, e: &'a TExpr) -> Value {
        let v = self.scalar(e);
        let (pos, neg) = (self.konst(f64::INFINITY), self.konst(f64::NEG_INFINITY));
        self.emit(Inst::Select(v, pos, neg))
    }

    /// Offsets for every loaded field, in canonical order; patches the loads.
    fn assign_layout(&mut self) -> Layout {
        let mut keys: Vec<FieldKey> = self.loads.iter().map(|(_, _, k, _)| *k).collect();
        keys.sort();
        keys.dedup();
        let mut offsets = HashMap::default();
        let mut fields = Vec::new();
        let mut offset = 0u32;
        for key in keys {
            let (entity, field, ty, range) = match key {
                FieldKey::Entity(e, f) => {
                    let ent = &self.scene.entities[e];
                    let sf = &ent.kind.stored_fields()[f];
                    (Some(ent.name.text.clone()), sf.name.to_string(), sf.ty, sf.range)
                }
                FieldKey::Prop(p) => {
                    let prop = &self.scene.props[p];
                    let entity = prop.owner.map(|o| self.scene.entities[o].name.text.clone());
                    (entity, prop.name.text.clone(), prop.ty, None)
                }
            };
            let range = if ty == Ty::Bool { Some([0.0, 1.0]) } else { range.map(|(lo, hi)| [lo, hi]) };
            let width = ty.width();
            let unit = match ty {
                Ty::Scalar(d) | Ty::Vec3(d) => d.unit_symbol(),
                Ty::Points(_) | Ty::Trace(_) => "m".into(),
                _ => String::new(),
            };
            offsets.insert(key, offset);
            fields.push(LayoutField { entity, field, offset, width, ty: ty.to_string(), unit, range });
            offset += width;
        }
        for (_, index, key, comp) in &self.loads {
            self.pre[*index].inst = Inst::Load(offsets[key] + comp);
        }
        Layout { scene: self.scene.name.text.clone(), width: offset, fields }
    }

    // --------------------------------------------------------- expressions

    fn scalar(&mut self, e: &'a TExpr) -> Value {
        match self.expr(e) {
            LVal::Flat(v) if !v.is_empty() => v[0],
            _ => self.konst(f64::NAN),
        }
    }

    fn flat(&mut self, e: &'a TExpr) -> Vec<Value> {
        match self.expr(e) {
            LVal::Flat(v) => v,
            _ => Vec::new(),
        }
    }

    fn expr(&mut self, e: &'a TExpr) -> LVal {
        self.work += 1;
        if self.work > MAX_WORK {
            self.overflow.get_or_insert(e.span);
        }
        if self.overflow.is_some() {
            return LVal::Flat(vec![Value(0); e.ty.width() as usize]);
        }
        let one = |v: Value| LVal::Flat(vec![v]);
        match &e.kind {
            TKind::Number(v) => one(self.konst(*v)),
            TKind::Bool(b) => one(self.konst(if *b { 1.0 } else { 0.0 })),
            TKind::Str(_) => LVal::Str,
            TKind::Entity(i) => LVal::Entity(*i),
            TKind::Local(id) => self.frame.get(id).cloned().unwrap_or(LVal::Flat(Vec::new())),
            TKind::Prop(p) => {
                let w = self.scene.props[*p].ty.width();
                LVal::Flat((0..w).map(|c| self.load(FieldKey::Prop(*p), c)).collect())
            }
            TKind::EntityField { entity, field } => {
                let LVal::Entity(ent) = self.expr(entity) else { return LVal::Flat(Vec::new()) };
                LVal::Flat(self.entity_field(ent, field))
            }
            TKind::Property { entity, name } => {
                let LVal::Entity(ent) = self.expr(entity) else { return LVal::Flat(Vec::new()) };
                one(self.derived_property(ent, name))
            }
            TKind::Component(v, c) => {
                let v = self.flat(v);
                one(v.get(*c as usize).copied().unwrap_or(Value(0)))
            }
            TKind::Slice { value, start } => {
                let v = self.flat(value);
                let w = e.ty.width() as usize;
                LVal::Flat(v.iter().skip(*start as usize).take(w).copied().collect())
            }
            TKind::Done(i) => one(self.emit(Inst::StageDone(*i))),
            TKind::Unary(op, x) => {
                let xs = self.flat(x);
                LVal::Flat(xs.into_iter().map(|v| if *op == UnOp::Neg { self.emit(Inst::Neg(v)) } else { self.emit(Inst::Not(v)) }).collect())
            }
            TKind::Binary(op, a, b) => self.binary(*op, a, b),
            TKind::If(c, t, f) => {
                let c = self.scalar(c);
                let (t, f) = (self.flat(t), self.flat(f));
                LVal::Flat(t.into_iter().zip(f).map(|(a, b)| self.emit(Inst::Select(c, a, b))).collect())
            }
            TKind::Call { func, args } => {
                let def = &self.checked.fns[*func];
                let vals: Vec<LVal> = args.iter().map(|a| self.expr(a)).collect();
                let key: Option<Vec<i64>> = vals
                    .iter()
                    .map(|v| match v {
                        LVal::Flat(xs) => Some(xs.iter().map(|x| i64::from(x.0)).chain(std::iter::once(-1)).collect::<Vec<_>>()),
                        LVal::Entity(i) => Some(vec![-2 - *i as i64]),
                        LVal::Str => None,
                    })
                    .collect::<Option<Vec<Vec<i64>>>>()
                    .map(|parts| parts.concat());
                if let Some(hit) = key.as_ref().and_then(|k| self.call_cache.get(&(*func, k.clone()))) {
                    return hit.clone();
                }
                let saved = std::mem::take(&mut self.frame);
                let saved_lets = std::mem::take(&mut self.let_exprs);
                for (i, v) in vals.into_iter().enumerate() {
                    self.frame.insert(LocalId(i as u32), v);
                }
                let out = self.expr(&def.body);
                self.frame = saved;
                self.let_exprs = saved_lets;
                if let Some(k) = key {
                    self.call_cache.insert((*func, k), out.clone());
                }
                out
            }
            TKind::Builtin { id, sig, args, .. } => self.builtin(*id, *sig, args, e.ty),
            TKind::Error => LVal::Flat(vec![self.konst(f64::NAN); e.ty.width().max(1) as usize]),
        }
    }

    fn binary(&mut self, op: BinOp, a: &'a TExpr, b: &'a TExpr) -> LVal {
        let (xs, ys) = (self.flat(a), self.flat(b));
        let zip = |this: &mut Self, f: &dyn Fn(Value, Value) -> Inst| -> Vec<Value> {
            if xs.len() == ys.len() {
                xs.iter().zip(&ys).map(|(x, y)| this.emit(f(*x, *y))).collect()
            } else if xs.len() == 1 {
                ys.iter().map(|y| this.emit(f(xs[0], *y))).collect()
            } else {
                xs.iter().map(|x| this.emit(f(*x, ys[0]))).collect()
            }
        };
        let out = match op {
            BinOp::Add => zip(self, &|x, y| Inst::Binary(Bin::Add, x, y)),
            BinOp::Sub => zip(self, &|x, y| Inst::Binary(Bin::Sub, x, y)),
            BinOp::Mul => zip(self, &|x, y| Inst::Binary(Bin::Mul, x, y)),
            BinOp::Div => zip(self, &|x, y| Inst::Binary(Bin::Div, x, y)),
            BinOp::And | BinOp::WordAnd => zip(self, &|x, y| Inst::And(x, y)),
            BinOp::Or | BinOp::WordOr => zip(self, &|x, y| Inst::Or(x, y)),
            BinOp::Lt => zip(self, &|x, y| Inst::Compare(Cmp::Lt, x, y)),
            BinOp::Le => zip(self, &|x, y| Inst::Compare(Cmp::Le, x, y)),
            BinOp::Gt => zip(self, &|x, y| Inst::Compare(Cmp::Gt, x, y)),
            BinOp::Ge => zip(self, &|x, y| Inst::Compare(Cmp::Ge, x, y)),
            BinOp::Eq | BinOp::Ne => {
                let cmp = if op == BinOp::Eq { Cmp::Eq } else { Cmp::Ne };
                let parts = zip(self, &|x, y| Inst::Compare(cmp, x, y));
                let mut acc = parts[0];
                for p in &parts[1..] {
                    acc = if op == BinOp::Eq { self.emit(Inst::And(acc, *p)) } else { self.emit(Inst::Or(acc, *p)) };
                }
                vec![acc]
            }
        };
        LVal::Flat(out)
    }

    fn entity_field(&mut self, ent: usize, field: &str) -> Vec<Value> {
        let kind = self.scene.entities[ent].kind;
        let stored = |this: &mut Self, name: &str| -> Vec<Value> {
            match kind.stored_fields().iter().position(|f| f.name == name) {
                Some(i) => (0..kind.stored_fields()[i].ty.width()).map(|c| this.load(FieldKey::Entity(ent, i), c)).collect(),
                None => Vec::new(),
            }
        };
        match field {
            "up" => {
                let rot = stored(self, "rot");
                self.up_axis(&rot)
            }
            "pose" => [stored(self, "pos"), stored(self, "rot")].concat(),
            "box" => [stored(self, "pos"), stored(self, "rot"), stored(self, "half")].concat(),
            "size" => {
                let two = self.konst(2.0);
                stored(self, "half").into_iter().map(|h| self.bin(Bin::Mul, two, h)).collect()
            }
            "speed" => {
                let vel = stored(self, "vel");
                vec![self.norm(&vel)]
            }
            name => stored(self, name),
        }
    }

    fn norm(&mut self, v: &[Value]) -> Value {
        let mut acc = None;
        for x in v {
            let sq = self.bin(Bin::Mul, *x, *x);
            acc = Some(match acc {
                None => sq,
                Some(a) => self.bin(Bin::Add, a, sq),
            });
        }
        let sum = acc.unwrap_or_else(|| self.konst(0.0));
        self.emit(Inst::Unary(builtins::Math1::Sqrt, sum))
    }

    fn derived_property(&mut self, ent: usize, name: &str) -> Value {
        let kind = self.scene.entities[ent].kind;
        let cmp = |this: &mut Self, c: Cmp, v: Value, k: f64| {
            let k = this.konst(k);
            this.emit(Inst::Compare(c, v, k))
        };
        match name {
            "upright" | "lying" => {
                let up = self.entity_field(ent, "up");
                let z = up.get(2).copied().unwrap_or(Value(0));
                if name == "upright" { cmp(self, Cmp::Gt, z, 15f64.to_radians().cos()) } else { cmp(self, Cmp::Lt, z, 60f64.to_radians().cos()) }
            }
            "static" => {
                let s = self.entity_field(ent, "speed")[0];
                cmp(self, Cmp::Lt, s, 0.01)
            }
            "open" | "closed" => {
                let j = self.entity_field(ent, "joint").first().copied().unwrap_or(Value(0));
                let (open, closed) = if kind == Kind::Drawer { (0.05, 0.01) } else { (20f64.to_radians(), 5f64.to_radians()) };
                if name == "open" { cmp(self, Cmp::Gt, j, open) } else { cmp(self, Cmp::Lt, j, closed) }
            }
            _ => self.konst(f64::NAN),
        }
    }

    fn native(&mut self, name: &'static str, func: NativeFn, args: Vec<Value>, outputs: u32) -> Vec<Value> {
        let first = self.emit(Inst::Call { name, func, args, outputs });
        (0..outputs).map(|i| Value(first.0 + i)).collect()
    }

    fn builtin(&mut self, id: builtins::BuiltinId, sig: usize, args: &'a [TExpr], ty: Ty) -> LVal {
        let b = builtins::get(id);
        let mut flat_args: Vec<Vec<Value>> = Vec::new();
        let mut native_args: Vec<Value> = Vec::new();
        for (p, a) in b.sigs[sig].params.iter().zip(args) {
            match (p, self.expr(a)) {
                (P::Entity(_, fields), LVal::Entity(ent)) => {
                    for f in *fields {
                        native_args.extend(self.entity_field(ent, f));
                    }
                }
                (P::Count | P::Str, _) => {}
                (_, LVal::Flat(v)) => {
                    native_args.extend(&v);
                    flat_args.push(v);
                }
                (_, LVal::Entity(ent)) => flat_args.push(self.entity_field(ent, "box")),
                (_, LVal::Str) => {}
            }
        }
        let s = |i: usize| flat_args.get(i).and_then(|v| v.first().copied()).unwrap_or(Value(0));
        let one = |v: Value| LVal::Flat(vec![v]);
        match b.imp {
            Imp::Math1(op) => {
                let x = s(0);
                one(self.emit(Inst::Unary(op, x)))
            }
            Imp::Math2(op) => {
                let (x, y) = (s(0), s(1));
                one(self.bin(Bin::Math(op), x, y))
            }
            Imp::Clamp => {
                let (x, lo, hi) = (s(0), s(1), s(2));
                let m = self.max(x, lo);
                one(self.min(m, hi))
            }
            Imp::Norm => {
                let v = flat_args[0].clone();
                one(self.norm(&v))
            }
            Imp::Distance => {
                let (a, b) = (flat_args[0].clone(), flat_args[1].clone());
                let d: Vec<Value> = a.iter().zip(&b).map(|(x, y)| self.bin(Bin::Sub, *x, *y)).collect();
                one(self.norm(&d))
            }
            Imp::Contain => {
                let (b, p) = (flat_args[0].clone(), flat_args[1].clone());
                one(self.point_in_box(&b, [p[0], p[1], p[2]], 0.0))
            }
            Imp::IsHolding => {
                // Native-style flattening: [tcp(3), grasp, box(10)].
                let a = native_args.clone();
                let inside = self.point_in_box(&a[4..14], [a[0], a[1], a[2]], super::geometry::HOLD_MARGIN);
                one(self.emit(Inst::And(a[3], inside)))
            }
            Imp::SpatialRelation => {
                let (a, pose) = (flat_args[0].clone(), flat_args[1].clone());
                let r = self.rotation(&pose[3..7]);
                let d = [self.bin(Bin::Sub, a[0], pose[0]), self.bin(Bin::Sub, a[1], pose[1]), self.bin(Bin::Sub, a[2], pose[2])];
                LVal::Flat(self.rotate_by(&r, d, true).to_vec())
            }
            Imp::Rotate => {
                let (q, v) = (flat_args[0].clone(), flat_args[1].clone());
                let r = self.rotation(&q);
                LVal::Flat(self.rotate_by(&r, [v[0], v[1], v[2]], false).to_vec())
            }
            Imp::Dot => {
                let (u, v) = (flat_args[0].clone(), flat_args[1].clone());
                let products: Vec<Value> = u.iter().zip(&v).map(|(a, b)| self.bin(Bin::Mul, *a, *b)).collect();
                let first = self.bin(Bin::Add, products[0], products[1]);
                one(self.bin(Bin::Add, first, products[2]))
            }
            Imp::Cross => {
                let (u, v) = (flat_args[0].clone(), flat_args[1].clone());
                let mut out = Vec::new();
                for (i, j) in [(1, 2), (2, 0), (0, 1)] {
                    let a = self.bin(Bin::Mul, u[i], v[j]);
                    let b = self.bin(Bin::Mul, u[j], v[i]);
                    out.push(self.bin(Bin::Sub, a, b));
                }
                LVal::Flat(out)
            }
            Imp::MakeVec3 => LVal::Flat(vec![s(0), s(1), s(2)]),
            Imp::GetBox => match self.expr(&args[0]) {
                LVal::Entity(ent) => LVal::Flat(self.entity_field(ent, "box")),
                other => other,
            },
            Imp::Native(funcs) => {
                let func = funcs.get(sig).copied().unwrap_or(funcs[0]);
                LVal::Flat(self.native(b.name, func, native_args, ty.width()))
            }
            Imp::VerifyProperty => one(self.konst(f64::NAN)),
        }
    }
}

/// The per-dimension scale that turns a gate margin into a dimensionless
/// number: 20 cm, 0.5 rad, 1 s, 20 cm/s, else 1. With it, a gate
/// `distance(a, b) < 2cm` shapes like ManiSkill's `1 - tanh(5 d)` beyond 2 cm.
pub fn margin_scale(dim: Dim) -> f64 {
    match dim {
        Dim::LENGTH => 0.2,
        Dim::ANGLE => 0.5,
        Dim::TIME => 1.0,
        Dim::SPEED => 0.2,
        _ => 1.0,
    }
}

fn output_ty(ty: Ty) -> OutputTy {
    match ty {
        Ty::Bool => OutputTy::Bool,
        Ty::Scalar(d) => OutputTy::Scalar(d),
        Ty::Vec3(d) => OutputTy::Vec3(d),
        Ty::Quat => OutputTy::Flat("quat"),
        Ty::Pose => OutputTy::Flat("pose"),
        Ty::Box => OutputTy::Flat("box"),
        Ty::Points(_) => OutputTy::Flat("points"),
        Ty::Trace(_) => OutputTy::Flat("trace"),
        _ => OutputTy::Flat("value"),
    }
}

impl hir::Body {
    fn reward(&self) -> Option<&hir::Reward> {
        match self {
            hir::Body::Reward(r) => Some(r),
            _ => None,
        }
    }
}

/// Computes term ranges and the reward's bounds (E0046 if unbounded,
/// W0001/W0002 for shapes and penalties that may leave their range).
fn finish_reward(program: &mut Program, r: &hir::Reward, diags: &mut Vec<Diagnostic>) {
    let layout = &program.layout;
    let slot_range = |offset: u32| match layout.field_at(offset) {
        Some((f, _)) => f.range.map_or(Interval::ALL, |[lo, hi]| Interval::new(lo, hi)),
        None => Interval::ALL,
    };
    let iv = ranges(program, &slot_range);
    let Some(spec) = program.reward.as_mut() else { return };
    for (stage, hs) in spec.stages.iter().zip(&r.stages) {
        // The code clamps explicit shapes; warn if the unclamped value may leave [0, 1].
        if let (Some(raw), Some(e)) = (stage.raw_shape, &hs.shape) {
            let i = iv[raw.0 as usize];
            if i.lo < -1e-12 || i.hi > 1.0 + 1e-12 {
                diags.push(
                    Diagnostic::warning(Code::ShapeRange, e.span, format!("this shape ranges over [{}, {}] and is clamped to [0, 1]", fmt_bound(i.lo), fmt_bound(i.hi)))
                        .label("may leave [0, 1]")
                        .with_help("use a bounded form: `reach(d, k)`, `tolerance(...)`, `clamp(x, 0, 1)`"),
                );
            }
        }
    }
    let mut lo = 0.0;
    let mut hi = spec.stages.len() as f64;
    let mut unbounded: Vec<Span> = Vec::new();
    let bonus_range: Vec<Option<Interval>> = spec.stages.iter().map(|s| s.bonus.map(|b| iv[b.0 as usize])).collect();
    for (range, hs) in bonus_range.iter().zip(&r.stages) {
        if let Some(i) = range {
            lo += i.lo.min(0.0);
            hi += i.hi.max(0.0);
            if !i.is_finite() {
                unbounded.push(hs.bonus.as_ref().map_or(hs.name.span, |e| e.span));
            }
        }
    }
    // A regression takes back the bonuses between its target and the stage
    // it leaves (at most one regression per step).
    let takeback = spec
        .stages
        .iter()
        .enumerate()
        .filter_map(|(s, st)| st.hold.map(|(_, t)| (t as usize..s).filter_map(|j| bonus_range[j]).map(|i| i.hi.max(0.0)).sum::<f64>()))
        .fold(0.0, f64::max);
    lo -= takeback;
    for (t, ht) in spec.terms.iter_mut().zip(&r.terms) {
        let i = iv[t.value.0 as usize];
        t.range = (i.lo, i.hi);
        lo += i.lo.min(0.0);
        hi += i.hi.max(0.0);
        if !i.is_finite() {
            unbounded.push(ht.value.span);
        }
        if t.kind == TermKind::Penalty && i.hi > 0.0 {
            diags.push(
                Diagnostic::warning(Code::PositivePenalty, ht.value.span, format!("penalty `{}` can be positive (up to {})", t.name, fmt_bound(i.hi)))
                    .label("adds to the reward")
                    .with_help("penalties are added as written: use a negative value such as `-0.5`"),
            );
        }
    }
    if let Some(v) = spec.success_value {
        let i = iv[v.0 as usize];
        lo = f64::min(lo, i.lo);
        hi = f64::max(hi, i.hi);
        if !i.is_finite() {
            let span = r.success.as_ref().and_then(|s| s.value.as_ref()).map_or(Span::default(), |e| e.span);
            unbounded.push(span);
        }
    }
    for span in unbounded {
        diags.push(
            Diagnostic::error(Code::Unbounded, span, format!("reward `{}` is unbounded: this value has no finite range", program.name))
                .label("range is infinite")
                .with_help("bound it: `clamp(x, lo, hi)`, `reach(d, k)` or `1 - tanh(k * d)`"),
        );
    }
    spec.bounds = (lo, hi);
}

fn fmt_bound(x: f64) -> String {
    if x.is_infinite() { if x > 0.0 { "inf".into() } else { "-inf".into() } } else { format!("{:.3}", x).trim_end_matches('0').trim_end_matches('.').to_string() }
}
