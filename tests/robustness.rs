//! Robustness of the whole pipeline on hostile and broken input.
//!
//! - `rwd::compile` answers every input with diagnostics or programs: no
//!   panic, no hang, no stack overflow (random text, token soup, mutated real
//!   programs, and pathologically deep or large input run on a thread with
//!   the default 2 MiB stack).
//! - Every diagnostic's span lies inside its file, on char boundaries.
//! - The test corpus in tests/programs/ shows every diagnostic code.
//! - `rwd fmt` preserves meaning (same IR) and is idempotent on every ok_ program.
//!
//! The "pinned bugs" section holds regression tests for compiler bugs this
//! suite found (each was an ignored test until its bug was fixed).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rwd::diag::Code;
use rwd::diag::render::{Style, render_human, render_json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

// ------------------------------------------------------------------ harness

/// The default stack of a spawned thread; the compiler must live with it.
const STACK: usize = 2 << 20;
/// Longest any single compilation may take in these tests (debug build).
const TIMEOUT: Duration = Duration::from_secs(20);

/// What a compilation produced, computed on the compiling thread.
#[derive(Debug, Clone)]
struct Outcome {
    codes: Vec<&'static str>,
    messages: Vec<String>,
    has_errors: bool,
    /// Spans (primary, labels, suggestions) outside their file or off a char
    /// boundary, and texts that show the checker's internal `{error}` type.
    bad_spans: Vec<String>,
    /// The IR of every program, if it compiled.
    ir: String,
    elapsed: Duration,
}

impl Outcome {
    fn has(&self, code: &str) -> bool {
        self.codes.contains(&code)
    }
}

/// Compiles, renders the diagnostics both ways and checks every span.
fn compile_and_inspect(name: &str, src: &str) -> Outcome {
    let start = Instant::now();
    let c = rwd::compile(name, src);
    let elapsed = start.elapsed();
    // Rendering is part of what a user sees: it must not panic either. (The
    // first 200 reports only: miette's cost grows with the file per report.)
    let shown = &c.diagnostics[..c.diagnostics.len().min(200)];
    let _ = render_human(shown, &c.sources, Style::Plain);
    let _ = render_json(shown, &c.sources);
    let files: Vec<(rwd::source::FileId, String)> = c.sources.files().map(|(id, f)| (id, f.text.clone())).collect();
    let mut bad_spans = Vec::new();
    for d in &c.diagnostics {
        let mut spans = vec![("primary", d.primary.span)];
        spans.extend(d.secondary.iter().map(|l| ("label", l.span)));
        spans.extend(d.suggestion.iter().map(|s| ("suggestion", s.span)));
        for (what, span) in spans {
            let Some((_, text)) = files.iter().find(|(id, _)| *id == span.file) else {
                bad_spans.push(format!("{} {what} span in unknown file {:?}", d.code.as_str(), span.file));
                continue;
            };
            let (s, e) = (span.start as usize, span.end as usize);
            if !(s <= e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)) {
                bad_spans.push(format!("{} {what} span {s}..{e} in a file of {} bytes: {}", d.code.as_str(), text.len(), d.message));
            }
        }
        let texts = std::iter::once(&d.message)
            .chain(std::iter::once(&d.primary.message))
            .chain(d.secondary.iter().map(|l| &l.message))
            .chain(d.help.iter());
        for t in texts {
            if t.contains("{error}") {
                bad_spans.push(format!("{} shows the internal error type: {t}", d.code.as_str()));
            }
        }
    }
    let ir = if c.has_errors() { String::new() } else { c.programs.iter().map(rwd::ir::print::print).collect() };
    Outcome {
        codes: c.diagnostics.iter().map(|d| d.code.as_str()).collect(),
        messages: c.diagnostics.iter().map(|d| format!("{} {}", d.code.as_str(), d.message)).collect(),
        has_errors: c.has_errors(),
        bad_spans,
        ir,
        elapsed,
    }
}

/// Runs `f` on a fresh thread with the default 2 MiB stack. A panic is
/// returned as `Err` (a stack overflow aborts the whole test binary, which
/// is the point: it must not happen); no answer within [`TIMEOUT`] is `Err`.
fn on_small_stack<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(format!("rwd: {what}"))
        .stack_size(STACK)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| format!("{what}: cannot spawn a thread: {e}"))?;
    match rx.recv_timeout(TIMEOUT) {
        Ok(v) => {
            let _ = handle.join();
            Ok(v)
        }
        // The thread keeps running; the test fails anyway.
        Err(RecvTimeoutError::Timeout) => Err(format!("{what}: no answer within {TIMEOUT:?} (hang or exponential work)")),
        Err(RecvTimeoutError::Disconnected) => {
            let payload = handle.join().err();
            let msg = payload
                .as_ref()
                .and_then(|p| p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())))
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("{what}: the compiler panicked: {msg}"))
        }
    }
}

/// Compiles `src` on a small stack and requires an answer with sound spans.
fn compile_small_stack(what: &str, src: String) -> Outcome {
    let name = format!("{what}.rwd");
    let out = on_small_stack(what, move || compile_and_inspect(&name, &src)).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.bad_spans.is_empty(), "{what}: bad spans: {:#?}", out.bad_spans);
    out
}

/// The same check for proptest: failures become test-case errors (with shrinking).
fn prop_compile(src: &str) -> Result<Outcome, TestCaseError> {
    let owned = src.to_string();
    let out = on_small_stack("proptest input", move || compile_and_inspect("input.rwd", &owned)).map_err(TestCaseError::fail)?;
    if !out.bad_spans.is_empty() {
        return Err(TestCaseError::fail(format!("bad spans: {:?}", out.bad_spans)));
    }
    Ok(out)
}

fn manifest_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every test program, sorted: (file name, text).
fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(manifest_path("tests/programs"))
        .expect("tests/programs exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rwd"))
        .map(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let text = std::fs::read_to_string(&p).expect("readable test program");
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// Real programs to mutate: the shipped example and every ok_ program.
fn seeds() -> Vec<String> {
    let mut seeds = vec![std::fs::read_to_string(manifest_path("examples/pick_cube.rwd")).expect("examples/pick_cube.rwd")];
    seeds.extend(corpus().into_iter().filter(|(n, _)| n.starts_with("ok_")).map(|(_, t)| t));
    seeds
}

fn proptest_config(cases: u32) -> Config {
    // No regression files: this suite may only write tests/robustness.rs.
    Config { cases, failure_persistence: None, max_shrink_iters: 2_000, ..Config::default() }
}

// ------------------------------------------------------------ corpus checks

/// The union of codes shown by tests/programs/ is exactly `Code::ALL`, and
/// every error code is shown by an err_ program (a new code needs a test).
#[test]
fn corpus_covers_every_diagnostic_code() {
    let mut seen: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in corpus() {
        assert!(name.starts_with("ok_") || name.starts_with("err_"), "{name}: test programs are named ok_* or err_*");
        let c = rwd::compile(&format!("tests/programs/{name}"), &text);
        for d in &c.diagnostics {
            seen.entry(d.code.as_str()).or_default().insert(name.clone());
        }
    }
    let all: BTreeSet<&'static str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let shown: BTreeSet<&'static str> = seen.keys().copied().collect();
    let missing: Vec<&str> = all.difference(&shown).copied().collect();
    let unknown: Vec<&str> = shown.difference(&all).copied().collect();
    assert!(missing.is_empty(), "no test program shows: {missing:?}");
    assert!(unknown.is_empty(), "codes outside Code::ALL: {unknown:?}");
    assert_eq!(shown, all);
    for code in Code::ALL.iter().map(|c| c.as_str()).filter(|c| c.starts_with('E')) {
        let files = &seen[code];
        assert!(files.iter().any(|f| f.starts_with("err_")), "{code} is shown only by {files:?}; add an err_ program");
    }
}

/// Spans of the corpus cover tokens, not the blanks around them (the corpus
/// avoids the forms pinned by `spans_end_at_their_last_token`).
#[test]
fn corpus_spans_cover_no_surrounding_blanks() {
    for (name, text) in corpus() {
        let c = rwd::compile(&format!("tests/programs/{name}"), &text);
        for d in &c.diagnostics {
            for span in std::iter::once(d.primary.span).chain(d.secondary.iter().map(|l| l.span)) {
                let t = c.sources.get(span.file).slice(span);
                assert!(!t.is_empty() || span.is_empty(), "{name}: {} span off char boundaries", d.code.as_str());
                assert_eq!(t, t.trim(), "{name}: {} span has blanks around it", d.code.as_str());
            }
        }
    }
}

#[test]
fn corpus_spans_are_in_bounds_and_on_char_boundaries() {
    for (name, text) in corpus() {
        let out = compile_small_stack(&name, text);
        assert!(out.bad_spans.is_empty(), "{name}: {:?}", out.bad_spans);
    }
    for (name, text) in seeds().into_iter().enumerate() {
        let out = compile_small_stack(&format!("seed {name}"), text);
        assert!(out.bad_spans.is_empty());
    }
}

// ----------------------------------------------------------------- formatter

/// `rwd fmt` only moves whitespace: every ok_ program formats to a program
/// with the same IR, and formatting the output again changes nothing.
#[test]
fn fmt_preserves_meaning_and_is_idempotent_on_ok_programs() {
    let mut checked = 0;
    let mut inputs: Vec<(String, String)> = corpus().into_iter().filter(|(n, _)| n.starts_with("ok_")).collect();
    inputs.push(("examples/pick_cube.rwd".into(), seeds().swap_remove(0)));
    for (name, text) in inputs {
        let before = compile_and_inspect(&name, &text);
        assert!(!before.has_errors, "{name} should compile: {:?}", before.messages);
        let formatted = rwd::fmt::format_source(&text).unwrap_or_else(|e| panic!("{name}: fmt failed: {e:?}"));
        let after = compile_and_inspect(&name, &formatted);
        assert!(!after.has_errors, "{name}: the formatted program does not compile: {:?}\n{formatted}", after.messages);
        assert_eq!(before.ir, after.ir, "{name}: formatting changed the IR\n{formatted}");
        let again = rwd::fmt::format_source(&formatted).unwrap_or_else(|e| panic!("{name}: fmt of fmt failed: {e:?}"));
        assert_eq!(formatted, again, "{name}: fmt is not idempotent");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} ok_ programs");
}

// ---------------------------------------------------------------- proptests

/// Arbitrary ASCII text (control characters included).
#[test]
fn arbitrary_ascii_text_never_panics() {
    let mut runner = TestRunner::new(proptest_config(256));
    runner
        .run(&prop::collection::vec(0u8..128, 0..400), |bytes| {
            let src = String::from_utf8(bytes).expect("ASCII");
            prop_compile(&src)?;
            Ok(())
        })
        .unwrap();
}

/// Arbitrary bytes (read as a file would be, lossily) and arbitrary Unicode.
#[test]
fn arbitrary_bytes_and_unicode_never_panic() {
    let mut runner = TestRunner::new(proptest_config(256));
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..400), |bytes| {
            prop_compile(&String::from_utf8_lossy(&bytes))?;
            Ok(())
        })
        .unwrap();
    let mut runner = TestRunner::new(proptest_config(256));
    runner
        .run(&any::<String>(), |s| {
            prop_compile(&s)?;
            Ok(())
        })
        .unwrap();
}

/// Keywords, names, numbers with units, operators and brackets of the language.
const TOKENS: &[&str] = &[
    "scene", "failure", "reward", "stages", "stage", "shape", "done", "bonus", "hold", "else", "penalty", "when",
    "success", "fn", "check", "on", "use", "let", "if", "then", "true", "false", "for", "props", "term", "include",
    "and", "or", "not", "steps", "True", "gripper", "cube", "goal", "lid", "drawer", "s", "r", "x", "pos", "vel",
    "z", "up", "box", "joint", "opening", "Gripper", "Object", "Site", "Hinged", "Drawer", "length", "angle",
    "scalar", "quantity", "vec3", "points", "trace", "bool", "shaping", "distance", "is_holding", "reach", "clamp",
    "sample", "predict_trace", "verify_property", "check_collision", "tanh", "min", "vec3", "norm", "pick_up",
    "0", "1", "2", "8", "1024", "5000", "2cm", "5mm", "0.5m", "15deg", "1rad", "0.1s", "10ms", "1e3", "1e999",
    "2.5", "\"upright\"", "\"x\"", "+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "=",
    "->", ":", ",", ".", ";", "{", "}", "(", ")", "[", "]", "// note\n", "/* c */", "\n",
];

/// Token soup: up to 200 tokens of the language, glued or spaced at random.
#[test]
fn token_soup_never_panics() {
    let token = prop::sample::select(TOKENS);
    let sep = prop::sample::select(&[" ", "", "\n", "  "][..]);
    let mut runner = TestRunner::new(proptest_config(512));
    runner
        .run(&prop::collection::vec((token, sep), 0..200), |parts| {
            let src: String = parts.iter().flat_map(|(t, s)| [*t, *s]).collect();
            prop_compile(&src)?;
            // The formatter takes any text too: no panic, and idempotent when it succeeds.
            if let Ok(once) = rwd::fmt::format_source(&src) {
                let twice = rwd::fmt::format_source(&once).map_err(|e| TestCaseError::fail(format!("fmt of fmt failed: {e:?}")))?;
                prop_assert_eq!(once, twice);
            }
            Ok(())
        })
        .unwrap();
}

/// An edit of a byte range: delete it, duplicate it, or swap it with another.
#[derive(Debug, Clone)]
enum Edit {
    Delete(u32, u32),
    Duplicate(u32, u32),
    Swap(u32, u32, u32),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let len = 0u32..64;
    prop_oneof![
        (any::<u32>(), len.clone()).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<u32>(), len.clone()).prop_map(|(a, n)| Edit::Duplicate(a, n)),
        (any::<u32>(), any::<u32>(), len).prop_map(|(a, b, n)| Edit::Swap(a, b, n)),
    ]
}

fn apply(text: &mut Vec<u8>, edit: &Edit) {
    if text.is_empty() {
        return;
    }
    let at = |x: u32, len: usize| x as usize % len;
    match *edit {
        Edit::Delete(a, n) => {
            let s = at(a, text.len());
            let e = (s + n as usize).min(text.len());
            text.drain(s..e);
        }
        Edit::Duplicate(a, n) => {
            let s = at(a, text.len());
            let e = (s + n as usize).min(text.len());
            let copy: Vec<u8> = text[s..e].to_vec();
            text.splice(e..e, copy);
        }
        Edit::Swap(a, b, n) => {
            let (a, b) = (at(a, text.len()), at(b, text.len()));
            let (first, second) = (a.min(b), a.max(b));
            let n = (n as usize).min(second - first).min(text.len() - second);
            let left: Vec<u8> = text[first..first + n].to_vec();
            let right: Vec<u8> = text[second..second + n].to_vec();
            text.splice(second..second + n, left);
            text.splice(first..first + n, right);
        }
    }
}

/// Real programs with random byte ranges deleted, duplicated or swapped.
#[test]
fn mutated_real_programs_never_panic() {
    let seeds = seeds();
    assert!(seeds.len() > 10);
    let mut runner = TestRunner::new(proptest_config(512));
    runner
        .run(&(0..seeds.len(), prop::collection::vec(edit_strategy(), 1..5)), |(i, edits)| {
            let mut bytes = seeds[i].clone().into_bytes();
            for e in &edits {
                apply(&mut bytes, e);
            }
            prop_compile(&String::from_utf8_lossy(&bytes))?;
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------- deep and large input

const SCENE: &str = "scene s {\n    gripper: Gripper\n    cube: Object\n}\n\n";

fn check_program(expr: &str) -> String {
    format!("{SCENE}check c {{\n    v = {expr}\n}}\n")
}

/// Compiles on a 2 MiB stack and expects `code` among the diagnostics, promptly.
fn expect_code(what: &str, src: String, code: &str) -> Outcome {
    let out = compile_small_stack(what, src);
    eprintln!("{what}: compiled in {:?}", out.elapsed);
    assert!(out.has(code), "{what}: expected {code}, got {:?}", out.messages.iter().take(5).collect::<Vec<_>>());
    assert!(out.elapsed < Duration::from_secs(10), "{what}: took {:?}", out.elapsed);
    out
}

#[test]
fn deep_parentheses() {
    let n = 100_000;
    expect_code("100 000 nested parens", check_program(&format!("{}cube.pos.z{}", "(".repeat(n), ")".repeat(n))), "E0002");
    // Unclosed, and braces instead of parens.
    expect_code("100 000 open parens", check_program(&"(".repeat(n)), "E0002");
    expect_code("100 000 open braces", "{".repeat(n), "E0002");
}

#[test]
fn long_prefix_runs() {
    let n = 100_000;
    expect_code("100 000 `!`", check_program(&format!("{}gripper.grasp", "!".repeat(n))), "E0002");
    expect_code("100 000 `-`", check_program(&format!("{}cube.pos.z", "-".repeat(n))), "E0002");
    expect_code("50 000 `not`", check_program(&format!("{}gripper.grasp", "not ".repeat(50_000))), "E0002");
}

#[test]
fn huge_flat_sum() {
    // 100 000 terms: a linear front end takes about a second in a debug
    // build; anything quadratic takes hours, so the 10 s guard keeps its
    // power with room for a loaded 2-core CI machine.
    let terms = vec!["1"; 100_000].join("+");
    expect_code("100 000-term sum", check_program(&terms), "E0002");
    let terms = vec!["gripper.grasp"; 10_000].join(" && ");
    expect_code("10 000-term conjunction", check_program(&terms), "E0002");
}

#[test]
fn long_field_chain() {
    expect_code("100 000 `.x`", check_program(&format!("cube.pos{}", ".x".repeat(100_000))), "E0002");
}

#[test]
fn deep_if_chains() {
    let n = 10_000;
    let else_chain = format!("{}0", "if gripper.grasp then 1 else ".repeat(n));
    expect_code("10 000 else-if links", check_program(&else_chain), "E0002");
    let then_chain = format!("{}1{}", "if gripper.grasp then ".repeat(n), " else 0".repeat(n));
    expect_code("10 000 nested thens", check_program(&then_chain), "E0002");
    let cond_chain = format!("{}gripper.grasp{}", "if ".repeat(n), " then true else false".repeat(n));
    expect_code("10 000 nested conditions", check_program(&cond_chain), "E0002");
}

#[test]
fn two_mib_file() {
    let mut src = check_program("cube.pos.z");
    src.push_str("// ");
    while src.len() < 2 << 20 {
        src.push_str("padding padding padding padding\n// ");
    }
    expect_code("2 MiB file", src, "E0002");
}

#[test]
fn rendering_a_label_past_column_65535_does_not_panic() {
    expect_code("2 MiB of one line", "x".repeat(2 << 20), "E0002");
    expect_code("`@` at column 70 001", format!("{}@", " ".repeat(70_000)), "E0001");
}

/// Within the limits, a large program compiles promptly.
#[test]
fn large_flat_program_compiles() {
    let mut src = String::from(SCENE);
    src.push_str("check c {\n    let v0 = cube.pos.z\n");
    for i in 1..5_000 {
        src.push_str(&format!("    let v{i} = v{} + 1cm\n", i - 1));
    }
    src.push_str("    out = v4999 > 1m\n}\n");
    let out = compile_small_stack("5 000 chained lets", src);
    assert!(!out.has_errors, "{:?}", out.messages.iter().take(5).collect::<Vec<_>>());
    assert!(out.elapsed < Duration::from_secs(10), "took {:?}", out.elapsed);
}

fn chained_functions(n: usize, body: impl Fn(usize) -> String) -> String {
    let mut src = String::new();
    for i in 0..n {
        let b = if i + 1 == n { "x".to_string() } else { body(i + 1) };
        src.push_str(&format!("fn f{i}(x: length) -> length = {b}\n"));
    }
    src.push_str(SCENE);
    src.push_str("check c {\n    v = f0(cube.pos.z)\n}\n");
    src
}

#[test]
fn five_thousand_chained_functions() {
    let src = chained_functions(5_000, |next| format!("f{next}(x) + 1cm"));
    let out = expect_code("5 000 chained functions", src, "E0002");
    assert!(out.codes.iter().all(|c| *c == "E0002"), "{:?}", out.messages.iter().take(5).collect::<Vec<_>>());
}

/// f0 -> f1 -> ... -> f(n-1) -> f0.
fn function_cycle(n: usize) -> String {
    let src = chained_functions(n, |next| format!("f{next}(x) + 1cm"));
    src.replace(&format!("fn f{}(x: length) -> length = x\n", n - 1), &format!("fn f{}(x: length) -> length = f0(x)\n", n - 1))
}

#[test]
fn two_hundred_functions_in_a_cycle() {
    let out = expect_code("200-function cycle", function_cycle(200), "E0050");
    assert_eq!(out.codes.iter().filter(|c| **c == "E0050").count(), 200);
}

#[test]
fn five_thousand_functions_in_a_cycle() {
    expect_code("5 000-function cycle", function_cycle(5_000), "E0050");
}

/// Exponential inlining within reach of the instruction budget: E0002, promptly.
#[test]
fn doubling_functions_hit_the_instruction_budget() {
    let src = chained_functions(18, |next| format!("f{next}(x + 1cm) + f{next}(x * 2)"));
    expect_code("18 doubling functions", src, "E0002");
}

/// 40 functions that each call the next twice: 2^40 inlined copies unless the
/// lowering shares or stops them. Either way the answer comes at once.
#[test]
fn forty_doubling_functions_return_promptly() {
    // Same argument: the copies are identical, so sharing them is enough.
    let same = chained_functions(40, |next| format!("f{next}(x) + f{next}(x)"));
    let out = compile_small_stack("40 doubling functions (same argument)", same);
    eprintln!("40 doubling functions (same argument): {:?}, {:?}", out.elapsed, out.messages);
    assert!(out.elapsed < Duration::from_secs(10), "took {:?}", out.elapsed);
    assert!(!out.has_errors || out.codes == vec!["E0002"], "{:?}", out.messages);
    // Different arguments: 2^39 distinct values, over any budget.
    let different = chained_functions(40, |next| format!("f{next}(x + 1cm) + f{next}(x * 2)"));
    expect_code("40 doubling functions", different, "E0002");
}

// ------------------------------------------------------------- pinned bugs
//
// Each test states the right behaviour for a bug this suite once found.

fn compile_codes(src: &str) -> Outcome {
    compile_and_inspect("bug.rwd", src)
}

#[test]
fn syntax_error_on_non_ascii_token_does_not_panic() {
    for src in ["scene s { 1€€€€€€€€€€€€ }", "scene s { é€€€€€€€€€€€€ }", "failure f = 1 ééééééééééééé€€€€"] {
        let src = src.to_string();
        let out = compile_small_stack("non-ASCII token", src);
        assert!(out.has("E0001"));
    }
}

/// `stages` is a keyword, and also the name of a stdlib module.
#[test]
fn use_stages_imports_the_templates() {
    let src = format!(
        "use stages\n\n{SCENE}reward r {{\n    include pick_up(gripper, cube)\n    success when done(grasp)\n}}\n"
    );
    let out = compile_codes(&src);
    assert!(!out.has_errors, "{:?}", out.messages);
}

#[test]
fn spans_end_at_their_last_token() {
    let src = format!(
        "fn flag(o: Object) -> bool = o.pos.z\n\n{SCENE}reward r {{\n    stage grasp {{\n        shape 1 - tanh(distance(gripper, cube) / 1cm)\n        shape cube.up.z\n        done is_holding(gripper, cube)\n    }}\n    success when is_holding(gripper, cube)\n    success 2 when cube.pos.z > 10cm\n}}\n"
    );
    let c = rwd::compile("bug.rwd", &src);
    let mut checked = 0;
    for d in &c.diagnostics {
        for span in std::iter::once(d.primary.span).chain(d.secondary.iter().map(|l| l.span)) {
            let text = c.sources.get(span.file).slice(span);
            assert_eq!(text, text.trim_end(), "{} span ends in whitespace: {text:?}", d.code.as_str());
            checked += 1;
        }
    }
    assert!(checked >= 5);
}

#[test]
fn syntax_errors_name_the_missing_punctuation() {
    let cases = [
        ("scene s {\n    cube: Object\n\ncheck c {\n    z = cube.pos.z\n}\n".to_string(), "`}`"),
        (format!("{SCENE}check c {{\n    d = distance(gripper, cube\n}}\n"), "`)`"),
        (format!("{SCENE}reward r {{\n    stage reach\n        done gripper.grasp\n    }}\n}}\n"), "`{`"),
        (format!("{SCENE}check c {{\n    let h: length = cube.pos.z\n    z = h\n}}\n"), "`=`"),
    ];
    for (src, want) in cases {
        let c = rwd::compile("bug.rwd", &src);
        let d = c.diagnostics.iter().find(|d| d.code == Code::Syntax).expect("a syntax error");
        assert!(d.message.contains(want), "message should name {want}: {}\n{src}", d.message);
        // Never "expected `stage` ..., found `stage`".
        if let Some((expected, found)) = d.message.split_once(", found ") {
            assert!(!expected.contains(found), "the parser expected what it found: {}", d.message);
        }
    }
}

#[test]
fn truncated_item_names_the_next_token() {
    let src = format!("{SCENE}failure dropped = !gripper.grasp &&\n\ncheck c {{\n    z = cube.pos.z\n}}\n");
    let c = rwd::compile("bug.rwd", &src);
    let d = c.diagnostics.iter().find(|d| d.code == Code::Syntax).expect("a syntax error");
    assert!(!d.message.contains("end of input"), "{}", d.message);
}

#[test]
fn return_gets_its_help() {
    let src = "fn double(x: length) -> length = return 2 * x\n";
    let c = rwd::compile("bug.rwd", src);
    let d = c.diagnostics.iter().find(|d| d.code == Code::Syntax).expect("a syntax error");
    assert!(d.help.as_deref().unwrap_or_default().contains("single expressions"), "{} / {:?}", d.message, d.help);
}

#[test]
fn let_used_in_a_bad_call_is_not_unused() {
    let src = "scene s {\n    cube: Object\n    bowl: Object\n}\n\ncheck c {\n    let k = 8\n    hit = check_collision(sample(bowl, k), cube)\n}\n";
    let out = compile_codes(src);
    assert!(out.has("E0037"), "{:?}", out.messages);
    assert!(!out.has("W0003"), "{:?}", out.messages);
}

#[test]
fn count_with_a_unit_is_reported_as_written() {
    let src = format!("{SCENE}check c {{\n    t = predict_trace(gripper, 10cm, 0.1s)\n}}\n");
    let out = compile_codes(&src);
    let msg = out.messages.iter().find(|m| m.starts_with("E0037")).cloned().unwrap_or_default();
    assert!(!msg.contains("0.1"), "{msg}");
}

#[test]
fn unknown_property_of_a_site_has_useful_help() {
    let src = "scene s {\n    goal: Site\n}\n\ncheck c {\n    u = verify_property(goal, \"upright\")\n}\n";
    let c = rwd::compile("bug.rwd", src);
    let d = c.diagnostics.iter().find(|d| d.code == Code::UnknownProperty).expect("E0038");
    let help = d.help.clone().unwrap_or_default();
    assert!(!help.trim_end().ends_with(':'), "{help:?}");
}

#[test]
fn multiplying_by_a_bool_gets_the_bool_help() {
    let src = format!("{SCENE}check c {{\n    v = 2 * is_holding(gripper, cube)\n}}\n");
    let c = rwd::compile("bug.rwd", &src);
    let d = c.diagnostics.iter().find(|d| d.code == Code::TypeMismatch).expect("E0030");
    let help = d.help.clone().unwrap_or_default();
    assert!(!help.contains("dot("), "{help}");
}

#[test]
fn unknown_template_is_reported_once() {
    let src = format!("{SCENE}reward r {{\n    include pick_upp(gripper, cube)\n}}\n");
    let out = compile_codes(&src);
    assert_eq!(out.codes, vec!["E0019"], "{:?}", out.messages);
}

#[test]
fn duplicate_scene_is_reported_once() {
    let src = "scene s {\n    cube: Object\n}\n\nscene s {\n    cube: Object\n}\n\ncheck c {\n    z = cube.pos.z\n}\n";
    let out = compile_codes(src);
    assert_eq!(out.codes, vec!["E0020"], "{:?}", out.messages);
}

#[test]
fn including_a_template_twice_reports_the_duplicate_stages() {
    let src = format!(
        "{SCENE}stages grab(g: Gripper, o: Object) {{\n    stage reach {{\n        shape 1 - tanh(5 * distance(g, o))\n        done distance(g, o) < 2cm\n    }}\n}}\n\nreward r {{\n    include grab(gripper, cube)\n    include grab(gripper, cube)\n    success when done(reach)\n}}\n"
    );
    let out = compile_codes(&src);
    assert!(out.has("E0020"), "{:?}", out.messages);
}

#[test]
fn failure_with_unknown_scene_is_not_unknown() {
    let src = format!("{SCENE}failure dropped on sene = !gripper.grasp\n\nreward r for dropped {{\n    term t = 1 when gripper.grasp\n}}\n");
    let out = compile_codes(&src);
    assert_eq!(out.codes, vec!["E0015"], "{:?}", out.messages);
}

#[test]
fn call_of_a_function_with_an_unknown_parameter_type_is_quiet() {
    let src = format!("fn f(x: lenght) -> length = x\n\n{SCENE}check c {{\n    v = f(1cm)\n}}\n");
    let out = compile_codes(&src);
    assert_eq!(out.codes, vec!["E0014"], "{:?}", out.messages);
    assert!(out.messages.iter().all(|m| !m.contains("{error}")), "{:?}", out.messages);
}

#[test]
fn unknown_template_parameter_type_is_reported_once() {
    let src = format!(
        "{SCENE}stages grab(g: Griper, o: Object) {{\n    stage reach {{\n        shape 1 - tanh(5 * distance(g, o))\n        done distance(g, o) < 2cm\n    }}\n}}\n\nreward r {{\n    include grab(gripper, cube)\n}}\n"
    );
    let out = compile_codes(&src);
    assert_eq!(out.codes, vec!["E0014"], "{:?}", out.messages);
}

#[test]
fn huge_step_count_is_reported_once() {
    // The number is well-formed, only out of range: the range error, once,
    // without a number that was never written.
    let src = format!("{SCENE}reward r {{\n    stage a {{\n        done gripper.grasp for 99999999999999999999999 steps\n        bonus 1\n    }}\n}}\n");
    let out = compile_codes(&src);
    assert_eq!(out.codes, vec!["E0047"], "{:?}", out.messages);
    assert!(out.messages[0].contains("too large"), "{:?}", out.messages);
    let src = "scene s {\n    cube: Object\n    props {\n        cloud: points(99999999999999999999999)\n    }\n}\n\ncheck c {\n    hit = check_collision(cloud, cube)\n}\n";
    let out = compile_codes(src);
    assert_eq!(out.codes, vec!["E0037"], "{:?}", out.messages);
    assert!(out.messages[0].contains("too large"), "{:?}", out.messages);
}

#[test]
fn dimension_exponents_do_not_saturate() {
    // Exponents are i8: length^130 is out of range, which is E0031 (not a
    // silently saturated dimension that makes the quotient dimensionless).
    let num = vec!["cube.pos.z"; 130].join(" * ");
    let den = vec!["cube.pos.z"; 129].join(" * ");
    for rhs in ["1m", "1"] {
        let out = compile_codes(&check_program(&format!("({num}) / ({den}) < {rhs}")));
        // Once for each product that leaves the range (both do), nothing else.
        assert_eq!(out.codes, vec!["E0031", "E0031"], "< {rhs}: {:?}", out.messages);
        assert!(out.messages.iter().all(|m| m.contains("dimension exponent out of range")), "{:?}", out.messages);
    }
    // Within range, the exponents are exact.
    let num = vec!["cube.pos.z"; 127].join(" * ");
    let den = vec!["cube.pos.z"; 126].join(" * ");
    let ok = compile_codes(&check_program(&format!("({num}) / ({den}) < 1m")));
    assert!(!ok.has_errors, "a length compared with 1m: {:?}", ok.messages);
    let bad = compile_codes(&check_program(&format!("({num}) / ({den}) < 1")));
    assert!(bad.has("E0034"), "a length compared with a plain 1: {:?}", bad.messages);
    // Down to -128 and back: 1 / z^128 is in range, its inverse is not.
    let den = vec!["cube.pos.z"; 128].join(" * ");
    let out = compile_codes(&check_program(&format!("1 / (1 / ({den}))")));
    assert_eq!(out.codes, vec!["E0031"], "{:?}", out.messages);
}

// ------------------------------------------------- more reported problems
//
// Found by the test and docs engineers after the pinned bugs above.

/// The first diagnostic with `code`, or a panic naming what was reported.
fn first(c: &rwd::Compilation, code: &str) -> rwd::diag::Diagnostic {
    c.diagnostics
        .iter()
        .find(|d| d.code.as_str() == code)
        .cloned()
        .unwrap_or_else(|| panic!("no {code}: {:?}", c.diagnostics.iter().map(|d| format!("{} {}", d.code.as_str(), d.message)).collect::<Vec<_>>()))
}

#[test]
fn if_branches_mix_in_the_plural() {
    let c = rwd::compile("bug.rwd", &check_program("if gripper.grasp then 1cm else 1s"));
    let d = first(&c, "E0031");
    assert_eq!(d.message, "the branches of `if` mix a length with a time");
    let c = rwd::compile("bug.rwd", &check_program("1cm + 1s"));
    assert_eq!(first(&c, "E0031").message, "`+` mixes a length with a time");
}

#[test]
fn missing_unit_help_lists_units_of_the_wanted_dimension() {
    for (expr, fix, others) in [
        ("cube.pos.z > 0.1", "0.1m", "cm, mm"),
        ("gripper.up.z > 0.5 && 15deg < 0.5", "0.5rad", "deg"),
        ("predict_trace(gripper, 10, 0.1)", "0.1s", "ms"),
    ] {
        let c = rwd::compile("bug.rwd", &check_program(expr));
        let d = first(&c, "E0034");
        let help = d.help.clone().unwrap_or_default();
        assert_eq!(help, format!("write `{fix}` (or the unit you meant: {others})"), "{expr}");
        assert_eq!(d.suggestion.map(|s| s.replacement).as_deref(), Some(fix), "{expr}");
    }
}

#[test]
fn negative_bare_number_gets_a_suggested_unit() {
    let c = rwd::compile("bug.rwd", &check_program("cube.pos.z > -1.5"));
    let d = first(&c, "E0034");
    let s = d.suggestion.expect("a suggestion");
    assert_eq!(s.replacement, "-1.5m");
    assert_eq!(c.sources.get(s.span.file).slice(s.span), "-1.5");
}

/// E0031's labels sit under the operands they describe and do not overlap
/// (overlapping labels are all drawn at the end of the expression).
#[test]
fn unit_mismatch_labels_each_operand() {
    let c = rwd::compile("bug.rwd", &check_program("distance(gripper, cube) < 15deg"));
    let d = first(&c, "E0031");
    let text = |span| c.sources.get(d.primary.span.file).slice(span).to_string();
    assert_eq!(text(d.primary.span), "15deg");
    assert_eq!(d.primary.message, "angle (rad)");
    assert_eq!(d.secondary.len(), 1);
    assert_eq!(text(d.secondary[0].span), "distance(gripper, cube)");
    assert_eq!(d.secondary[0].message, "length (m)");
    let shown = render_human(&c.diagnostics, &c.sources, Style::Plain);
    let under = shown.lines().find(|l| l.contains('┬')).unwrap_or_default();
    assert_eq!(under.matches('┬').count(), 2, "one pointer under each operand:\n{shown}");
}

#[test]
fn too_deep_call_chain_is_reported_once() {
    let src = chained_functions(100, |next| format!("f{next}(x) + 1cm"));
    let out = compile_codes(&src);
    assert_eq!(out.codes, vec!["E0002"], "{:?}", out.messages);
    // Two independent chains: one report each.
    let other: String = (0..100)
        .map(|i| if i == 99 { "fn g99(x: length) -> length = x\n".to_string() } else { format!("fn g{i}(x: length) -> length = g{}(x) + 1cm\n", i + 1) })
        .collect();
    let out = compile_codes(&format!("{other}{src}"));
    assert_eq!(out.codes, vec!["E0002", "E0002"], "{:?}", out.messages);
}

#[test]
fn huge_count_is_printed_compactly() {
    let src = "scene s {\n    cube: Object\n    bowl: Object\n}\n\ncheck c {\n    hit = check_collision(sample(bowl, 1e308), cube)\n}\n";
    let c = rwd::compile("bug.rwd", src);
    let d = first(&c, "E0037");
    assert!(d.message.ends_with("not 1e308"), "{}", d.message);
}

#[test]
fn zero_fits_any_scalar_return_type() {
    let src = format!("fn none() -> length = 0\nfn still(x: quantity) -> quantity = 0\n\n{SCENE}check c {{\n    v = none() < 1cm\n    w = still(2deg) < 1deg\n}}\n");
    let out = compile_codes(&src);
    assert!(!out.has_errors, "{:?}", out.messages);
    // Only the literal 0, and only for scalars.
    let out = compile_codes("fn one() -> length = 1\n");
    assert!(out.has("E0030"), "{:?}", out.messages);
    let out = compile_codes("fn origin() -> vec3 = 0\n");
    assert!(out.has("E0030"), "{:?}", out.messages);
}

#[test]
fn messages_print_vector_types_as_written() {
    let src = format!("fn push(v: velocity) -> velocity = v\n\n{SCENE}check c {{\n    v = push(true)\n}}\n");
    let c = rwd::compile("bug.rwd", &src);
    assert!(first(&c, "E0030").message.contains("must be velocity"), "{}", first(&c, "E0030").message);
    let c = rwd::compile("bug.rwd", &check_program("cube.vel + true"));
    assert!(first(&c, "E0030").message.contains("velocity and bool"), "{}", first(&c, "E0030").message);
}

#[test]
fn explanations_match_the_language() {
    let unknown_type = Code::UnknownType.explanation();
    for name in ["direction", "velocity", "quantity", "points(N)"] {
        assert!(unknown_type.contains(name), "E0014 does not list {name}");
    }
    let unknown_name = Code::UnknownName.explanation();
    assert!(!unknown_name.contains("None") && !unknown_name.contains("constant"), "{unknown_name}");
}

#[test]
fn names_do_not_silently_hide_scene_names() {
    // A scene-level property named like an entity.
    let src = "scene s {\n    cube: Object\n    props {\n        cube: length\n    }\n}\n\ncheck c {\n    z = cube.pos.z\n}\n";
    let out = compile_codes(src);
    assert_eq!(out.codes, vec!["E0020"], "{:?}", out.messages);
    // A let named like an entity or a scene-level property.
    for name in ["cube", "limit"] {
        let src = format!("scene s {{\n    cube: Object\n    props {{\n        limit: length\n    }}\n}}\n\ncheck c {{\n    let {name} = 2cm\n    z = {name}\n}}\n");
        let out = compile_codes(&src);
        assert_eq!(out.codes, vec!["E0020"], "{name}: {:?}", out.messages);
    }
    // A property of an entity may share a name with another entity: it is reached as `e.name`.
    let src = "scene s {\n    cube: Object\n    bowl: Object\n    props {\n        bowl.cube: bool\n    }\n}\n\ncheck c {\n    z = bowl.cube\n}\n";
    let out = compile_codes(src);
    assert!(!out.has_errors, "{:?}", out.messages);
}

#[test]
fn property_with_a_bad_type_is_reported_once() {
    let src = "scene s {\n    cube: Object\n    props {\n        cloud: points(2000)\n        g: Gripper\n    }\n}\n\ncheck c {\n    a = check_collision(cloud, cube)\n    b = check_collision(cloud, cube)\n    h = g\n}\n";
    let out = compile_codes(src);
    assert_eq!(out.codes, vec!["E0037", "E0030"], "{:?}", out.messages);
}

#[test]
fn template_repeating_a_stage_name_is_reported_at_the_template() {
    let src = format!("{SCENE}stages twice(g: Gripper) {{\n    stage a {{\n        done g.grasp\n    }}\n    stage a {{\n        done g.grasp\n    }}\n}}\n\nreward r {{\n    include twice(gripper)\n}}\n\nreward q {{\n    include twice(gripper)\n}}\n");
    let out = compile_codes(&src);
    assert_eq!(out.codes, vec!["E0020"], "{:?}", out.messages);
}

#[test]
fn wide_lines_render_without_the_snippet() {
    let src = format!("{}@", " ".repeat(70_000));
    let c = rwd::compile("wide.rwd", &src);
    let shown = render_human(&c.diagnostics, &c.sources, Style::Plain);
    assert!(shown.starts_with("E0001: expected "), "{}", &shown[..shown.len().min(200)]);
    assert!(shown.contains("  --> wide.rwd:1:70001\n"), "{}", &shown[..shown.len().min(300)]);
}
