//! Dead-code elimination and renumbering.
//!
//! Lowering emits code for every `let` and coercion; what no output, gate,
//! shape, bonus, hold, term or success reads is removed, and the surviving
//! values are renumbered densely in program order (stable IR snapshots, and
//! the smallest value array for the back ends).

use super::*;

fn map_inst(inst: &mut Inst, f: &dyn Fn(Value) -> Value) {
    match inst {
        Inst::Const(_) | Inst::Load(_) | Inst::StageDone(_) => {}
        Inst::Neg(a) | Inst::Unary(_, a) | Inst::Not(a) => *a = f(*a),
        Inst::Binary(_, a, b) | Inst::Compare(_, a, b) | Inst::And(a, b) | Inst::Or(a, b) => {
            *a = f(*a);
            *b = f(*b);
        }
        Inst::Select(c, a, b) => {
            *c = f(*c);
            *a = f(*a);
            *b = f(*b);
        }
        Inst::Call { args, .. } => args.iter_mut().for_each(|a| *a = f(*a)),
    }
}

fn width(s: &Stmt) -> u32 {
    match &s.inst {
        Inst::Call { outputs, .. } => *outputs,
        _ => 1,
    }
}

/// Every value the program's results read directly.
fn roots(p: &Program) -> Vec<Value> {
    let mut r: Vec<Value> = p.outputs.iter().flat_map(|o| o.values.iter().copied()).collect();
    if let Some(spec) = &p.reward {
        for s in &spec.stages {
            r.extend(s.reads());
        }
        r.extend(spec.terms.iter().map(|t| t.value));
        r.extend(spec.success);
        r.extend(spec.success_value);
    }
    r
}

/// Removes dead statements and renumbers values densely.
pub fn compact(p: &mut Program) {
    let n = p.num_values as usize;
    // Which statement defines each value.
    let mut def: Vec<Option<(bool, usize)>> = vec![None; n];
    for (post, block) in [(false, &p.pre), (true, &p.post)] {
        for (i, s) in block.iter().enumerate() {
            for k in 0..width(s) {
                def[(s.dest.0 + k) as usize] = Some((post, i));
            }
        }
    }
    let mut live_pre = vec![false; p.pre.len()];
    let mut live_post = vec![false; p.post.len()];
    let mut stack = roots(p);
    while let Some(v) = stack.pop() {
        let Some((post, i)) = def.get(v.0 as usize).copied().flatten() else { continue };
        let live = if post { &mut live_post[i] } else { &mut live_pre[i] };
        if *live {
            continue;
        }
        *live = true;
        let block = if post { &p.post } else { &p.pre };
        stack.extend(block[i].inst.operands());
    }
    // Renumber in program order.
    let mut map = vec![u32::MAX; n];
    let mut next = 0u32;
    let mut keep = |block: &[Stmt], live: &[bool]| -> Vec<Stmt> {
        let mut out = Vec::new();
        for (s, l) in block.iter().zip(live) {
            if !*l {
                continue;
            }
            for k in 0..width(s) {
                map[(s.dest.0 + k) as usize] = next + k;
            }
            out.push(Stmt { dest: Value(next), inst: s.inst.clone() });
            next += width(s);
        }
        out
    };
    let mut pre = keep(&p.pre, &live_pre);
    let mut post = keep(&p.post, &live_post);
    let f = |v: Value| Value(map[v.0 as usize]);
    for s in pre.iter_mut().chain(post.iter_mut()) {
        map_inst(&mut s.inst, &f);
    }
    p.pre = pre;
    p.post = post;
    p.num_values = next;
    for o in &mut p.outputs {
        o.values.iter_mut().for_each(|v| *v = f(*v));
    }
    if let Some(spec) = &mut p.reward {
        for s in &mut spec.stages {
            s.shape = f(s.shape);
            s.gate = f(s.gate);
            s.bonus = s.bonus.map(f);
            s.hold = s.hold.map(|(h, t)| (f(h), t));
            // The unclamped shape served the range warning; it need not survive.
            s.raw_shape = s.raw_shape.and_then(|r| (map[r.0 as usize] != u32::MAX).then(|| f(r)));
        }
        for t in &mut spec.terms {
            t.value = f(t.value);
        }
        spec.success = spec.success.map(f);
        spec.success_value = spec.success_value.map(f);
    }
}

/// Drops layout fields that no surviving `Load` reads (a field read only by
/// dead code) and packs the rest, so the layout names exactly what the
/// program reads.
pub fn shrink_layout(p: &mut Program) {
    let mut used = vec![false; p.layout.fields.len()];
    for s in p.pre.iter().chain(&p.post) {
        if let Inst::Load(o) = s.inst
            && let Some(i) = p.layout.fields.iter().position(|f| o >= f.offset && o < f.offset + f.width) {
                used[i] = true;
            }
    }
    let mut new_offsets = Vec::with_capacity(used.len());
    let mut next = 0;
    for (f, u) in p.layout.fields.iter().zip(&used) {
        new_offsets.push(next);
        if *u {
            next += f.width;
        }
    }
    let old: Vec<(u32, u32)> = p.layout.fields.iter().map(|f| (f.offset, f.width)).collect();
    for s in p.pre.iter_mut().chain(p.post.iter_mut()) {
        if let Inst::Load(o) = &mut s.inst
            && let Some(i) = old.iter().position(|(off, w)| *o >= *off && *o < off + w) {
                *o = new_offsets[i] + (*o - old[i].0);
            }
    }
    let mut fields = Vec::new();
    for ((mut f, u), off) in p.layout.fields.drain(..).zip(used).zip(new_offsets) {
        if u {
            f.offset = off;
            fields.push(f);
        }
    }
    p.layout.fields = fields;
    p.layout.width = next;
}

/// Moves the `pre` statements the stage machine does not read to the start
/// of `post`, in order. `pre` is what must be known before the machine
/// steps (its gates, holds, shapes and bonuses); anything else computed
/// there would be computed on every step, while in `post` the back ends
/// can sink it under a gated term's `when` (`jit/sink.rs`): ManiSkill's
/// `place` term, gated on the grasp, computes its distance only for the
/// environments that hold the cube. Statements are pure, so where they
/// run changes no result. Programs without a reward have no machine and
/// are left as they are.
pub fn sink_into_post(p: &mut Program) {
    let Some(spec) = &p.reward else { return };
    let n = p.num_values as usize;
    let mut def: Vec<Option<usize>> = vec![None; n];
    for (i, s) in p.pre.iter().enumerate() {
        for k in 0..width(s) {
            if let Some(d) = def.get_mut((s.dest.0 + k) as usize) {
                *d = Some(i);
            }
        }
    }
    let mut machine = vec![false; p.pre.len()];
    let mut stack: Vec<Value> = spec.stages.iter().flat_map(|s| s.reads()).collect();
    while let Some(v) = stack.pop() {
        let Some(i) = def.get(v.0 as usize).copied().flatten() else { continue };
        if !machine[i] {
            machine[i] = true;
            stack.extend(p.pre[i].inst.operands());
        }
    }
    let (keep, moved): (Vec<_>, Vec<_>) = std::mem::take(&mut p.pre).into_iter().zip(machine).partition(|(_, m)| *m);
    p.pre = keep.into_iter().map(|(s, _)| s).collect();
    let post = std::mem::take(&mut p.post);
    p.post = moved.into_iter().map(|(s, _)| s).chain(post).collect();
}
