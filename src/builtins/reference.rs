//! The generated reference documentation: `docs/builtins.md` (builtins,
//! entity kinds, types, units, derived properties), `docs/diagnostics.md`
//! (every diagnostic code) and `docs/stdlib.md` (the stdlib modules).
//!
//! Everything here is read from the tables the compiler itself uses
//! ([`BUILTINS`], [`Kind::ALL`], [`Ty::NAMES`], [`DERIVED_PROPERTIES`],
//! [`Code::ALL`], [`crate::stdlib::MODULES`]), so the documents cannot drift
//! from the implementation: a test compares the files in `docs/` with the
//! generated text, and another compiles every builtin's `example`.
//!
//! The functions only build strings (the library does no IO). To regenerate
//! the files after changing a table:
//!
//! ```text
//! RWD_BLESS=1 cargo test -q --lib builtins::reference
//! ```

use super::{BUILTINS, Builtin, DERIVED_PROPERTIES, Imp, geom, render_sig};
use crate::diag::Code;
use crate::types::{Dim, Kind, StoredField, Ty, Unit};
use std::fmt::Write;

/// The command that rewrites the generated files in `docs/`.
pub const REGENERATE: &str = "RWD_BLESS=1 cargo test -q --lib builtins::reference";

/// The unit suffixes a number literal may carry, in the order they are documented.
pub const UNIT_NAMES: &[&str] = &["m", "cm", "mm", "rad", "deg", "s", "ms"];

fn header(out: &mut String, title: &str, from: &str) {
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(
        out,
        "<!-- Generated from {from} by src/builtins/reference.rs. Do not edit by hand: \
         change the source and run `{REGENERATE}`. -->\n"
    );
}

/// A number as the docs print it: shortest round-trip form.
fn num(x: f64) -> String {
    let s = format!("{x:?}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// Text for a markdown table cell: `|` must be escaped, even inside code spans.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `m`, `rad/s`, or `-` for a dimensionless value.
fn unit_or_dash(d: Dim) -> String {
    let s = d.unit_symbol();
    if s.is_empty() { "-".into() } else { s }
}

/// The SI unit of each slot of a value of this type.
fn slot_unit(ty: Ty) -> String {
    match ty {
        Ty::Scalar(d) | Ty::Vec3(d) => unit_or_dash(d),
        Ty::Points(_) | Ty::Trace(_) => "m".into(),
        Ty::Pose => "m (position)".into(),
        Ty::Box => "m (centre, half extents)".into(),
        _ => "-".into(),
    }
}

/// The range the host must keep a stored field in (as `--emit layout` states it).
fn field_range(f: &StoredField) -> String {
    match (f.range, f.ty) {
        (Some((lo, hi)), _) => format!("[{}, {}]", num(lo), num(hi)),
        (None, Ty::Bool) => "0 or 1".into(),
        (None, _) => "-".into(),
    }
}

/// The name a type is written with (`velocity`, not `vec3 of speed`).
fn type_name(ty: Ty) -> String {
    Ty::NAMES
        .iter()
        .find(|n| Ty::parse(n, None) == Some(ty))
        .map_or_else(|| ty.to_string(), |n| (*n).to_string())
}

fn width_text(ty: Ty, name: &str) -> String {
    match ty {
        Ty::Points(_) | Ty::Trace(_) => format!("3N (`{name}(N)`)"),
        Ty::Entity(_) => "0 (compile time)".into(),
        t => t.width().to_string(),
    }
}

/// A short gloss for a type name; every name in [`Ty::NAMES`] has one.
pub(crate) fn type_gloss(name: &str) -> &'static str {
    match name {
        "scalar" => "a plain (dimensionless) number",
        "length" => "a distance",
        "angle" => "an angle",
        "time" => "a duration",
        "speed" => "a linear speed",
        "angular_speed" => "an angular speed",
        "quantity" => "in a `fn` signature only: a scalar of the function's own dimension, fixed at each call",
        "bool" => "true or false (a slot holding 0 or 1)",
        "vec3" => "a position or displacement",
        "direction" => "a dimensionless vector (an axis such as `up`)",
        "velocity" => "a linear velocity",
        "quat" => "a rotation quaternion (w, x, y, z)",
        "pose" => "position then quaternion",
        "box" => "an oriented box: centre (3), quaternion (4), half extents (3)",
        "points" => "N points (3 slots each), e.g. from `sample`",
        "trace" => "N points along a predicted path, from `predict_trace`",
        "Gripper" | "Object" | "Drawer" | "Hinged" | "Site" => "an entity of this kind (parameters only)",
        _ => "",
    }
}

fn category(b: &Builtin) -> usize {
    match b.imp {
        Imp::Math1(_) | Imp::Math2(_) | Imp::Clamp => 0,
        Imp::Norm | Imp::Dot | Imp::Cross | Imp::MakeVec3 => 1,
        _ => 2,
    }
}

const CATEGORIES: &[&str] = &["Scalar math", "Vectors", "Geometry and scene predicates"];

/// The scene every builtin's `example` is checked in (as `check example { value = EXAMPLE }`).
pub const EXAMPLE_SCENE: &str = "scene docs {
    gripper: Gripper
    cube:    Object
    bowl:    Object
    toolbox: Object
    lid:     Hinged
    drawer:  Drawer
    can:     Object
    goal:    Site
}";

/// `docs/builtins.md`: every builtin, entity kind, type, unit and derived property.
pub fn markdown() -> String {
    let mut out = String::new();
    header(
        &mut out,
        "Builtin reference",
        "the compiler's tables (builtins, entity kinds, types, units, properties)",
    );
    out.push_str(
        "Every function, entity field, type name and unit the language knows. \
         See `docs/language.md` for the language itself.\n\n",
    );

    // ------------------------------------------------------------ notation
    out.push_str("## Signature notation\n\n");
    out.push_str(
        "- `scalar<Q>` / `vec3<Q>`: a value of any dimension; every `Q` in one signature is the same \
         dimension (the literal `0` fits any). `scalar<any>`: any dimension, independently.\n\
         - `scalar<sqrt Q>`: half of Q's exponents (`sqrt` of an area is a length).\n\
         - `length`, `angle`, `time`, `scalar` (dimensionless) ...: exactly that dimension. \
         A bare number is dimensionless; only the literal `0` also fits a dimensioned parameter.\n\
         - `vec3`: a vector of lengths (a position). An entity of any kind is accepted and means its `pos`.\n\
         - `direction`: a dimensionless vector.\n\
         - `pose`: an entity with an orientation (every kind but Site) is accepted and means its `pose`.\n\
         - `box`: an Object, Drawer or Hinged entity is accepted and means its `box`.\n\
         - `Gripper`, `Gripper|Object|...`, `entity`: an entity of one of these kinds (`entity`: any kind).\n\
         - `N`: an integer literal from 1 to 1024; it fixes a size at compile time (E0037).\n\
         - `\"name\"`: a string literal.\n\
         - Transcendental functions (`tanh`, `exp`, `sin`, ...) take the SI magnitude of their argument \
         whatever its dimension and return a plain number.\n\n",
    );

    // ---------------------------------------------------------- conventions
    out.push_str("## Geometric conventions\n\n");
    let _ = writeln!(
        out,
        "- Values are SI: metres, radians, seconds. The world frame is right-handed with **z up**.\n\
         - Quaternions are `(w, x, y, z)`, scalar first. A non-unit quaternion is normalised; one with a \
         non-finite component or a norm below {} is the identity.\n\
         - Boxes are **oriented** (centre, rotation, half extents along the box's own axes) and **closed**: a \
         point on a face is inside. Inside and overlap tests allow a slack of {} m.\n\
         - Geometric predicates are false on NaN input; no builtin panics on any input.\n\
         - `is_holding` grows the object's box by {} m; `above` allows {} m of interpenetration.\n",
        num(geom::QUAT_EPS),
        num(geom::GEOM_TOL),
        num(geom::HOLD_MARGIN),
        num(geom::ABOVE_TOL),
    );

    // ---------------------------------------------------------------- index
    out.push_str("## Index\n\n| builtin | signatures |\n|---|---|\n");
    for c in 0..CATEGORIES.len() {
        for b in BUILTINS.iter().filter(|b| category(b) == c) {
            let sigs: Vec<String> = b.sigs.iter().map(|s| format!("`{}`", cell(&render_sig(b.name, s)))).collect();
            let _ = writeln!(out, "| [`{}`](#{}) | {} |", b.name, b.name, sigs.join("<br>"));
        }
    }
    out.push('\n');

    // ------------------------------------------------------------- builtins
    let _ = writeln!(
        out,
        "Every example below is tested: it type-checks as a check output, `check example {{ value = EXAMPLE }}`, \
         in this scene:\n\n```rwd\n{EXAMPLE_SCENE}\n```\n"
    );
    for (c, title) in CATEGORIES.iter().enumerate() {
        let _ = writeln!(out, "## {title}\n");
        for b in BUILTINS.iter().filter(|b| category(b) == c) {
            let _ = writeln!(out, "### {}\n", b.name);
            out.push_str("```text\n");
            for s in b.sigs {
                let _ = writeln!(out, "{}", render_sig(b.name, s));
            }
            out.push_str("```\n\n");
            let _ = writeln!(out, "{}\n", b.doc);
            let _ = writeln!(out, "Example: `{}`\n", b.example);
        }
    }

    // ---------------------------------------------------- derived properties
    out.push_str("## Properties for `verify_property`\n\n");
    out.push_str(
        "`verify_property(e, \"name\")` is resolved at compile time. A bool property that the scene declares \
         for `e` (`props { toolbox.latched: bool }`) wins; otherwise these derived properties are known \
         (`open`/`closed` only for Drawer and Hinged, `upright`/`lying` for kinds with an orientation, \
         `static` for kinds with a velocity):\n\n| property | true when |\n|---|---|\n",
    );
    for (name, doc) in DERIVED_PROPERTIES {
        let _ = writeln!(out, "| `{name}` | {doc} |");
    }
    out.push('\n');

    // ------------------------------------------------------------- entities
    out.push_str("## Entity kinds\n\n");
    out.push_str(
        "A scene declares entities (`cube: Object`). *Stored* fields are read from the observation: only \
         those a program reads appear in its layout (`rwd compile --emit layout`), in the order listed here. \
         *Derived* fields are computed from stored ones and read nothing extra. Vector fields have \
         components: `cube.pos.z`.\n\n",
    );
    for kind in Kind::ALL {
        let _ = writeln!(out, "### {}\n", kind.name());
        let _ = writeln!(out, "{}.\n", capitalise(kind.doc()));
        let mut accepts = vec!["a position (`vec3`, its `pos`)"];
        if kind.has_rot() {
            accepts.push("a `pose`");
        }
        if kind.has_box() {
            accepts.push("a `box`");
        }
        let _ = write!(out, "Accepted where a function expects {}", join_and(&accepts));
        if matches!(kind, Kind::Drawer | Kind::Hinged) {
            out.push_str(", and where a `fn` or `stages` parameter is declared `Object`");
        }
        out.push_str(".\n\n");
        out.push_str("| stored field | type | width | unit | range | meaning |\n|---|---|---|---|---|---|\n");
        for f in kind.stored_fields() {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} | {} | {} |",
                f.name,
                type_name(f.ty),
                f.ty.width(),
                slot_unit(f.ty),
                field_range(f),
                f.doc
            );
        }
        out.push('\n');
        if !kind.derived_fields().is_empty() {
            out.push_str("| derived field | type | meaning |\n|---|---|---|\n");
            for f in kind.derived_fields() {
                let _ = writeln!(out, "| `{}` | `{}` | {} |", f.name, type_name(f.ty), f.doc);
            }
            out.push('\n');
        }
    }
    out.push_str(
        "A `pose` value has the fields `pos` and `rot`; a `box` value has `pos` (also `center`), `rot` and \
         `half`; vectors have `x`, `y`, `z`.\n\n",
    );

    // ---------------------------------------------------------------- types
    out.push_str("## Type names\n\n");
    out.push_str(
        "Written on `fn` parameters and return types, `stages` parameters and scene `props`. \
         Width is the number of f64 slots in the observation and the IR.\n\n\
         | type | meaning | width | SI unit |\n|---|---|---|---|\n",
    );
    for name in Ty::NAMES {
        let arg = matches!(*name, "points" | "trace").then_some(1);
        let Some(ty) = Ty::parse(name, arg) else { continue };
        let written = if arg.is_some() { format!("{name}(N)") } else { (*name).to_string() };
        let _ = writeln!(
            out,
            "| `{written}` | {} | {} | {} |",
            type_gloss(name),
            width_text(ty, name),
            slot_unit(ty)
        );
    }
    out.push('\n');

    // ---------------------------------------------------------------- units
    out.push_str("## Units\n\n");
    out.push_str(
        "A unit is glued to its number (`2cm`, `15deg`, `0.5s`; `2 cm` is an error). The value is converted \
         to SI when parsed; the type keeps only the dimension. Derived units are written as expressions: \
         `20cm / 1s` is a speed.\n\n| unit | dimension | in SI |\n|---|---|---|\n",
    );
    for name in UNIT_NAMES {
        let Some(u) = Unit::parse(name) else { continue };
        let si = match u.dim() {
            d if d == Dim::LENGTH => "m",
            d if d == Dim::ANGLE => "rad",
            _ => "s",
        };
        let factor = if *name == "deg" {
            "pi / 180 (0.017453292519943295)".to_string()
        } else {
            num(u.to_si())
        };
        let _ = writeln!(out, "| `{name}` | {} | 1 {name} = {factor} {si} |", u.dim());
    }
    out
}

/// `docs/diagnostics.md`: every code with its title and explanation.
pub fn diagnostics_markdown() -> String {
    let mut out = String::new();
    header(&mut out, "Diagnostics", "the diagnostic codes (src/diag/codes.rs)");
    out.push_str(
        "Every diagnostic has a stable code: `E` codes are errors (the program does not compile), `W` codes \
         are warnings. A code never changes meaning. `rwd explain CODE` prints the same text; \
         `rwd check --format json` gives each diagnostic as data (see `docs/cli.md`).\n\n\
         | code | severity | title |\n|---|---|---|\n",
    );
    for c in Code::ALL {
        let sev = if c.as_str().starts_with('W') { "warning" } else { "error" };
        let _ = writeln!(out, "| [{}](#{}) | {sev} | {} |", c.as_str(), c.as_str().to_lowercase(), c.title());
    }
    out.push('\n');
    for c in Code::ALL {
        let _ = writeln!(out, "## {}\n", c.as_str());
        let _ = writeln!(out, "**{}**\n", c.title());
        let _ = writeln!(out, "{}\n", c.explanation().trim_end());
    }
    out
}

/// `docs/stdlib.md`: the standard library modules, with their source.
pub fn stdlib_markdown() -> String {
    let mut out = String::new();
    header(&mut out, "Standard library", "stdlib/*.rwd");
    out.push_str(
        "The stdlib is written in rwd and embedded in the compiler. `use NAME` brings a module's `fn`s and \
         `stages` templates into a file (a module may `use` another). Modules:\n\n",
    );
    for (name, file, _) in crate::stdlib::MODULES {
        let _ = writeln!(out, "- [`{name}`](#{name}) (`{file}`)");
    }
    out.push('\n');
    for (name, file, text) in crate::stdlib::MODULES {
        let _ = writeln!(out, "## {name}\n\n`use {name}` ({file}):\n");
        let _ = writeln!(out, "```rwd\n{}\n```\n", text.trim_end());
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::render::{Style, render_human};

    #[test]
    fn every_builtin_example_compiles() {
        let mut failures = Vec::new();
        for b in BUILTINS {
            assert!(
                b.example.contains(&format!("{}(", b.name)),
                "the example of `{}` does not call it: {}",
                b.name,
                b.example
            );
            let src = format!("{EXAMPLE_SCENE}\n\ncheck example {{\n    value = {}\n}}\n", b.example);
            let c = crate::compile("example.rwd", &src);
            if c.has_errors() || c.programs.is_empty() {
                failures.push(format!(
                    "`{}`: {}\n{}",
                    b.name,
                    b.example,
                    render_human(&c.diagnostics, &c.sources, Style::Plain)
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "builtin examples that do not compile:\n\n{}",
            failures.join("\n")
        );
    }

    #[test]
    fn every_type_name_has_a_gloss() {
        for name in Ty::NAMES {
            assert!(!type_gloss(name).is_empty(), "add a gloss for type `{name}` in reference.rs");
        }
    }

    #[test]
    fn documented_units_are_the_grammar_units() {
        let grammar = include_str!("../../grammar/rwd.pest");
        let line = grammar
            .lines()
            .find(|l| l.trim_start().starts_with("unit "))
            .expect("the grammar has a `unit` rule");
        let mut in_grammar: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        let mut documented = UNIT_NAMES.to_vec();
        in_grammar.sort_unstable();
        documented.sort_unstable();
        assert_eq!(in_grammar, documented, "UNIT_NAMES in reference.rs must list the grammar's units");
        for u in UNIT_NAMES {
            assert!(Unit::parse(u).is_some(), "{u}");
        }
    }

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(markdown(), markdown());
        assert_eq!(diagnostics_markdown(), diagnostics_markdown());
        assert_eq!(stdlib_markdown(), stdlib_markdown());
    }

    /// The ```rwd blocks of a markdown document.
    fn rwd_blocks(doc: &str) -> Vec<&str> {
        doc.split("```rwd\n").skip(1).filter_map(|rest| rest.split("```").next()).collect()
    }

    #[test]
    fn every_rwd_block_in_the_hand_written_docs_compiles_cleanly() {
        let docs = [
            ("docs/language.md", include_str!("../../docs/language.md")),
            ("docs/cli.md", include_str!("../../docs/cli.md")),
        ];
        for (path, doc) in docs {
            let blocks = rwd_blocks(doc);
            assert!(!blocks.is_empty(), "{path} has no rwd blocks");
            for (i, block) in blocks.iter().enumerate() {
                let c = crate::compile("block.rwd", block);
                assert!(
                    c.diagnostics.is_empty() && !c.programs.is_empty(),
                    "rwd block {} of {path} does not compile cleanly:\n{block}\n{}",
                    i + 1,
                    render_human(&c.diagnostics, &c.sources, Style::Plain)
                );
            }
        }
    }

    /// The worked example of docs/language.md: its source is the file in
    /// docs/worked-example/, and its `eval --table` excerpt is what the
    /// interpreter computes on the recorded episode.
    #[test]
    fn worked_example_matches_the_interpreter() {
        let src = include_str!("../../docs/worked-example/upright_can.rwd");
        let episode = include_str!("../../docs/worked-example/episodes/stand_can_up.jsonl");
        let doc = include_str!("../../docs/language.md");
        assert!(
            doc.contains(src.trim_end()),
            "docs/language.md must show docs/worked-example/upright_can.rwd verbatim"
        );
        let c = crate::compile("upright_can.rwd", src);
        assert!(
            c.diagnostics.is_empty(),
            "{}",
            render_human(&c.diagnostics, &c.sources, Style::Plain)
        );
        let p = c.programs.iter().find(|p| p.name == "stand_can_up").expect("the reward");
        let spec = p.reward.as_ref().expect("a reward");
        let mut interp = crate::interp::Interpreter::new(p);
        let mut state = crate::interp::StageState::default();
        let table = doc
            .split("\n step stage")
            .nth(1)
            .expect("an eval --table excerpt")
            .split("```")
            .next()
            .unwrap_or("");
        let rows: Vec<&str> = table.lines().skip(1).filter(|l| !l.trim().is_empty()).collect();
        let observations: Vec<Vec<f64>> = episode
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|x| x.trim().parse().expect("a number"))
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), observations.len(), "one table row per observation");
        for (row, obs) in rows.iter().zip(&observations) {
            let r = interp.step(&mut state, obs).expect("a valid observation");
            let stage = spec.stages.get(r.stage as usize).map_or("done", |s| s.name.as_str());
            let cols: Vec<&str> = row.split_whitespace().collect();
            let want = [
                stage.to_string(),
                format!("{:.4}", r.reward),
                format!("{:.3}", r.normalized),
                format!("{:.3}", r.progress),
            ];
            assert_eq!(cols[1..5], want, "row `{row}`");
            assert_eq!(row.contains(" yes "), r.success, "row `{row}`");
        }
    }

    fn blessing() -> bool {
        std::env::var("RWD_BLESS").is_ok_and(|v| v == "1")
    }

    /// (path under the crate root, committed text, generated text).
    fn documents() -> [(&'static str, &'static str, String); 3] {
        [
            ("docs/builtins.md", include_str!("../../docs/builtins.md"), markdown()),
            (
                "docs/diagnostics.md",
                include_str!("../../docs/diagnostics.md"),
                diagnostics_markdown(),
            ),
            ("docs/stdlib.md", include_str!("../../docs/stdlib.md"), stdlib_markdown()),
        ]
    }

    #[test]
    fn generated_docs_are_up_to_date() {
        if blessing() {
            return; // `bless_generated_docs` rewrites them in this run
        }
        for (path, committed, generated) in documents() {
            if committed != generated {
                let line = committed
                    .lines()
                    .zip(generated.lines())
                    .position(|(a, b)| a != b)
                    .map_or_else(|| committed.lines().count().min(generated.lines().count()) + 1, |i| i + 1);
                panic!("{path} is out of date (first difference at line {line}): run `{REGENERATE}`");
            }
        }
    }

    /// With `RWD_BLESS=1`, writes the generated files into `docs/`.
    #[test]
    fn bless_generated_docs() {
        if !blessing() {
            return;
        }
        let root = env!("CARGO_MANIFEST_DIR");
        for (path, committed, generated) in documents() {
            if committed != generated {
                let full = format!("{root}/{path}");
                std::fs::write(&full, generated).unwrap_or_else(|e| panic!("cannot write {full}: {e}"));
            }
        }
    }
}
