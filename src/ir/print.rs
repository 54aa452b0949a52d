//! The IR as text (`rwd compile --emit ir`), stable for snapshots.

use super::*;
use std::fmt::Write;

fn v(x: &Value) -> String {
    format!("v{}", x.0)
}

fn num(c: f64) -> String {
    if c.is_infinite() {
        return if c > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{c:?}")
}

fn inst(i: &Inst, layout: &layout::Layout) -> String {
    match i {
        Inst::Const(c) => format!("const {}", num(*c)),
        Inst::Load(o) => format!("load {o}  ; {}", layout.slot_name(*o)),
        Inst::Neg(a) => format!("neg {}", v(a)),
        Inst::Unary(op, a) => format!("{} {}", format!("{op:?}").to_lowercase(), v(a)),
        Inst::Binary(op, a, b) => {
            let name = match op {
                Bin::Math(m) => format!("{m:?}").to_lowercase(),
                other => format!("{other:?}").to_lowercase(),
            };
            format!("{name} {}, {}", v(a), v(b))
        }
        Inst::Compare(c, a, b) => format!("cmp.{} {}, {}", format!("{c:?}").to_lowercase(), v(a), v(b)),
        Inst::Not(a) => format!("not {}", v(a)),
        Inst::And(a, b) => format!("and {}, {}", v(a), v(b)),
        Inst::Or(a, b) => format!("or {}, {}", v(a), v(b)),
        Inst::Select(c, a, b) => format!("select {}, {}, {}", v(c), v(a), v(b)),
        Inst::Call { name, args, .. } => format!("call {name}({})", args.iter().map(v).collect::<Vec<_>>().join(", ")),
        Inst::StageDone(s) => format!("stage_done {s}"),
    }
}

fn dests(s: &Stmt) -> String {
    match &s.inst {
        Inst::Call { outputs, .. } if *outputs > 1 => format!("v{}..v{}", s.dest.0, s.dest.0 + outputs - 1),
        _ => v(&s.dest),
    }
}

/// Renders a program: header, layout, blocks, and the reward machine or outputs.
pub fn print(p: &Program) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {} on {} (observation width {})", p.kind.keyword(), p.name, p.scene, p.layout.width);
    for f in &p.layout.fields {
        let owner = f.entity.as_deref().map_or(String::new(), |e| format!("{e}."));
        let _ = writeln!(out, "  obs[{}..{}] {owner}{}: {}", f.offset, f.offset + f.width, f.field, f.ty);
    }
    for (name, block) in [("pre", &p.pre), ("post", &p.post)] {
        if block.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{name}:");
        for s in block {
            let _ = writeln!(out, "  {} = {}", dests(s), inst(&s.inst, &p.layout));
        }
    }
    if let Some(r) = &p.reward {
        if let Some(f) = &r.failure {
            let _ = writeln!(out, "recovers from: {f}");
        }
        for (i, s) in r.stages.iter().enumerate() {
            let mut line = format!("stage {i} {}: gate {}", s.name, v(&s.gate));
            if s.steps > 1 {
                let _ = write!(line, " for {} steps", s.steps);
            }
            let source = match s.shape_source {
                ShapeSource::Explicit => "shape",
                ShapeSource::GateMargin => "shape from gate margin",
                ShapeSource::None => "no shape",
            };
            let _ = write!(line, ", {source} {}", v(&s.shape));
            if let Some(b) = &s.bonus {
                let _ = write!(line, ", bonus {}", v(b));
            }
            if let Some((h, t)) = &s.hold {
                let _ = write!(line, ", hold {} else stage {t}", v(h));
            }
            let _ = writeln!(out, "  {line}");
        }
        for t in &r.terms {
            let _ = writeln!(out, "  {} {}: {} in [{}, {}]", format!("{:?}", t.kind).to_lowercase(), t.name, v(&t.value), num(t.range.0), num(t.range.1));
        }
        match (&r.success, &r.success_value) {
            (Some(s), Some(val)) => drop(writeln!(out, "  success {} pays {}", v(s), v(val))),
            (Some(s), None) => drop(writeln!(out, "  success {}", v(s))),
            (None, _) => drop(writeln!(out, "  success when all stages are done")),
        }
        let _ = writeln!(out, "  bounds [{}, {}]", num(r.bounds.0), num(r.bounds.1));
    }
    for o in &p.outputs {
        let _ = writeln!(out, "  output {}: {}", o.name, o.values.iter().map(v).collect::<Vec<_>>().join(", "));
    }
    out
}
