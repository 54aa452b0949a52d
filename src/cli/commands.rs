//! `check`, `compile`, `eval`, `explain`, `fmt`.

use super::args::Args;
use super::files::{parse_observation, read, write_atomic};
use super::{CliError, CliResult};
use rwd::check::hir::ProgramKind;
use rwd::diag::render::{Style, render_human, render_json};
use rwd::diag::Code;
use super::engine::Engine;
use rwd::interp::{OutputValue, StepResult};
use rwd::Compilation;
use serde_json::{Map, Value, json};
use std::io::IsTerminal;

const ALL_KINDS: &[ProgramKind] = &[ProgramKind::Reward, ProgramKind::Check, ProgramKind::Failure];

/// Colours for human diagnostics on stderr: only on a terminal, never with `--no-color`.
fn style(args: &Args) -> Style {
    if std::io::stderr().is_terminal() && !args.has("--no-color") { Style::Color } else { Style::Plain }
}

/// Compiles a file and prints its diagnostics to stderr; fails on errors.
pub(super) fn compile_file(path: &str, args: &Args) -> Result<Compilation, CliError> {
    let text = read(path)?;
    let c = rwd::compile(path, &text);
    if !c.diagnostics.is_empty() {
        eprint!("{}", render_human(&c.diagnostics, &c.sources, style(args)));
    }
    if c.has_errors() {
        let n = c.diagnostics.iter().filter(|d| d.is_error()).count();
        return Err(CliError::Failed(format!("`{path}` has {n} error(s)")));
    }
    Ok(c)
}

pub fn check(args: &Args) -> CliResult {
    let path = args.one("FILE")?;
    let text = read(path)?;
    let c = rwd::compile(path, &text);
    match args.value("--format").unwrap_or("human") {
        "json" => println!("{}", render_json(&c.diagnostics, &c.sources)),
        "human" => {
            eprint!("{}", render_human(&c.diagnostics, &c.sources, style(args)));
            if !c.has_errors() {
                let names: Vec<String> = c.programs.iter().map(|p| format!("{} {}", p.kind.keyword(), p.name)).collect();
                println!("{path}: ok ({})", if names.is_empty() { "no programs".to_string() } else { names.join(", ") });
            }
        }
        other => return Err(CliError::Usage(format!("unknown format `{other}` (human or json)"))),
    }
    Ok(if c.has_errors() { 1 } else { 0 })
}


pub fn compile(args: &Args) -> CliResult {
    let path = args.one("FILE")?;
    let emit = args.value("--emit").ok_or_else(|| CliError::Usage("`compile` needs `--emit ir`, `--emit layout` or `--emit clif`".into()))?;
    let c = compile_file(path, args)?;
    let chosen: Vec<&rwd::ir::Program> = match args.value("--program") {
        Some(name) => vec![c.select(Some(name), ALL_KINDS).map_err(CliError::Failed)?],
        None => c.programs.iter().collect(),
    };
    match emit {
        "ir" => {
            let texts: Vec<String> = chosen.iter().map(|p| rwd::ir::print::print(p)).collect();
            print!("{}", texts.join("\n"));
        }
        "layout" => {
            let layouts: Vec<Value> = chosen.iter().map(|p| layout_json(p)).collect();
            let out = if layouts.len() == 1 { layouts[0].clone() } else { Value::Array(layouts) };
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        "clif" => {
            for p in &chosen {
                let jit = rwd::jit::JitProgram::compile(p).map_err(|e| CliError::Failed(e.to_string()))?;
                print!("; {} {}\n{}", p.kind.keyword(), p.name, jit.clif());
            }
        }
        other => return Err(CliError::Usage(format!("unknown --emit `{other}` (ir, layout or clif)"))),
    }
    Ok(0)
}

pub fn layout_json(p: &rwd::ir::Program) -> Value {
    json!({
        "program": p.name,
        "kind": p.kind,
        "scene": p.layout.scene,
        "width": p.layout.width,
        "fields": p.layout.fields,
    })
}

/// The current stage's name; "done" once all are complete, null for a
/// reward that has no stages.
pub fn stage_name(p: &rwd::ir::Program, stage: u32) -> Value {
    match p.reward.as_ref() {
        Some(r) if r.stages.is_empty() => Value::Null,
        Some(r) => json!(r.stages.get(stage as usize).map_or("done", |s| s.name.as_str())),
        None => Value::Null,
    }
}

/// One step's result as JSON, terms by name.
pub fn step_json(p: &rwd::ir::Program, step: usize, r: &StepResult) -> Value {
    let mut terms = Map::new();
    for (name, v) in p.term_names().into_iter().zip(&r.terms) {
        terms.insert(name, json!(v));
    }
    let stage_name = stage_name(p, r.stage);
    let mut obj = json!({
        "step": step,
        "reward": r.reward,
        "normalized": r.normalized,
        "stage": r.stage,
        "stage_name": stage_name,
        "success": r.success,
        "progress": r.progress,
        "regressed": r.regressed,
        "valid": r.valid,
        "terms": terms,
    });
    if let Some(e) = &r.error {
        obj["error"] = json!(e);
    }
    obj
}

pub fn eval(args: &Args) -> CliResult {
    let path = args.one("FILE")?;
    let obs_path = args.value("--obs").ok_or_else(|| CliError::Usage("`eval` needs `--obs OBS.jsonl`".into()))?;
    let c = compile_file(path, args)?;
    let name = args.value("--reward").or(args.value("--program"));
    let program = c.select(name, ALL_KINDS).map_err(CliError::Failed)?;
    let obs_text = read(obs_path)?;
    let mut engine = Engine::new(program, args.value("--backend").unwrap_or("jit")).map_err(CliError::Failed)?;
    let table = args.has("--table");
    if table {
        print_table_header(program);
    }
    let mut step = 0usize;
    for (lineno, line) in obs_text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |msg: String| CliError::Failed(format!("{obs_path}:{}: {msg}", lineno + 1));
        let obs = parse_observation(line).map_err(at)?;
        let out = if program.kind == ProgramKind::Reward {
            let r = engine.step(&obs).map_err(|e| at(e.to_string()))?;
            if table {
                print_table_row(program, step, &r);
                step += 1;
                continue;
            }
            step_json(program, step, &r)
        } else {
            let report = engine.check(&obs).map_err(|e| at(e.to_string()))?;
            check_json(step, &report)
        };
        println!("{}", serde_json::to_string(&out).unwrap_or_default());
        step += 1;
    }
    Ok(0)
}

/// One step of a check or failure: the step index, and the outputs by name
/// under `outputs` (so an output may be named `step`).
pub fn check_json(step: usize, report: &[(String, OutputValue)]) -> Value {
    let outputs: Map<String, Value> = report.iter().map(|(k, v)| (k.clone(), output_json(v))).collect();
    json!({ "step": step, "outputs": outputs })
}

/// An output value: a bool, a number, or an array of numbers. A number JSON
/// cannot write is the string `"NaN"`, `"inf"` or `"-inf"`, alone or in an
/// array (the spellings `eval --obs` reads back).
pub fn output_json(v: &OutputValue) -> Value {
    match v {
        OutputValue::Bool(b) => json!(b),
        OutputValue::Number(x) => number_json(*x),
        OutputValue::List(xs) => Value::Array(xs.iter().map(|x| number_json(*x)).collect()),
    }
}

fn number_json(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("NaN")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn print_table_header(p: &rwd::ir::Program) {
    let names = p.term_names();
    let mut line = format!("{:>5} {:<12} {:>8} {:>6} {:>8} {:>7}", "step", "stage", "reward", "norm", "progress", "success");
    for n in &names[1..] {
        line.push_str(&format!(" {:>10}", truncate(n, 10)));
    }
    println!("{line}");
}

fn print_table_row(p: &rwd::ir::Program, step: usize, r: &StepResult) {
    let stage = match stage_name(p, r.stage) {
        Value::String(s) => s,
        _ => "-".to_string(),
    };
    let mut line = format!(
        "{:>5} {:<12} {:>8.4} {:>6.3} {:>8.3} {:>7}",
        step,
        truncate(&stage, 12),
        r.reward,
        r.normalized,
        r.progress,
        if r.success { "yes" } else if !r.valid { "INVALID" } else { "" }
    );
    for v in &r.terms[1..] {
        line.push_str(&format!(" {:>10.4}", v));
    }
    println!("{line}");
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(std::iter::once('~')).collect() }
}

pub fn explain(args: &Args) -> CliResult {
    let text = args.one("CODE")?;
    match Code::parse(text) {
        Some(code) => {
            println!("{}: {}\n\n{}", code.as_str(), code.title(), code.explanation());
            Ok(0)
        }
        None => {
            let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            Err(CliError::Failed(format!("unknown code `{text}`; the codes are: {}", all.join(", "))))
        }
    }
}

pub fn fmt(args: &Args) -> CliResult {
    let path = args.one("FILE")?;
    let text = read(path)?;
    let formatted = rwd::fmt::format_source(&text).map_err(|e| {
        let file = rwd::source::SourceFile::new(path, text.as_str());
        let (line, col) = file.line_col(e.start);
        CliError::Failed(format!("{path}:{line}:{col}: cannot format: {}", e.message))
    })?;
    if args.has("--check") {
        if formatted != text {
            eprintln!("{path}: not formatted (run `rwd fmt --write {path}`)");
            return Ok(1);
        }
        return Ok(0);
    }
    if args.has("--write") {
        if formatted != text {
            write_atomic(path, &formatted)?;
        }
        return Ok(0);
    }
    if args.has("--color") {
        print!("{}", rwd::syntax::lexer::highlight_ansi(&formatted));
    } else {
        print!("{formatted}");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_outputs_are_nested_so_any_name_is_allowed() {
        let report = vec![("step".to_string(), OutputValue::Number(2.5)), ("ok".to_string(), OutputValue::Bool(true))];
        let v = check_json(7, &report);
        assert_eq!(serde_json::to_string(&v).unwrap_or_default(), r#"{"step":7,"outputs":{"step":2.5,"ok":true}}"#);
    }

    #[test]
    fn no_color_renders_plain() {
        let args = Args::parse("check", &["--no-color".to_string()], &["--no-color"]).unwrap_or_default();
        assert!(args.has("--no-color"));
        assert_eq!(style(&args), Style::Plain);
    }

    #[test]
    fn non_finite_numbers_are_strings_alone_and_in_arrays() {
        for (x, s) in [(f64::NAN, "NaN"), (f64::INFINITY, "inf"), (f64::NEG_INFINITY, "-inf")] {
            assert_eq!(output_json(&OutputValue::Number(x)), json!(s));
            assert_eq!(output_json(&OutputValue::List(vec![1.0, x, 0.5])), json!([1.0, s, 0.5]));
        }
        assert_eq!(output_json(&OutputValue::Number(-0.25)), json!(-0.25));
    }
}
