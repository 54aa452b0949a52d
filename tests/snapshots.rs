//! Data-driven snapshots: every program in tests/programs/ (successes and
//! errors alike) is compiled; the snapshot shows the source above its
//! diagnostics and, when it compiles, its IR. Review with `cargo insta review`.

use rwd::diag::render::{Style, render_human, render_json};

fn render(src: &str, name: &str) -> String {
    let c = rwd::compile(name, src);
    let mut out = format!("----- SOURCE\n{src}");
    if !src.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("----- DIAGNOSTICS\n");
    out.push_str(&render_human(&c.diagnostics, &c.sources, Style::Plain));
    if !c.has_errors() {
        out.push_str("----- IR\n");
        for p in &c.programs {
            out.push_str(&rwd::ir::print::print(p));
        }
    }
    out
}

#[test]
fn programs() {
    insta::glob!("programs/*.rwd", |path| {
        let src = std::fs::read_to_string(path).expect("test input is readable");
        let name = format!("tests/programs/{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("input.rwd"));
        insta::assert_snapshot!(render(&src, &name));
    });
}

/// The JSON form a model repairs from: one snapshot per error program.
#[test]
fn programs_json() {
    insta::glob!("programs/err_*.rwd", |path| {
        let src = std::fs::read_to_string(path).expect("test input is readable");
        let name = format!("tests/programs/{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("input.rwd"));
        let c = rwd::compile(&name, &src);
        assert!(c.has_errors(), "{name} is named err_* but compiles");
        insta::assert_snapshot!(render_json(&c.diagnostics, &c.sources));
    });
}

/// Files named ok_* must compile without errors; err_* must not.
#[test]
fn program_names_match_outcomes() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs")).expect("programs dir") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if !name.ends_with(".rwd") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("readable");
        let c = rwd::compile(&name, &src);
        if name.starts_with("ok_") {
            assert!(!c.has_errors(), "{name} should compile:\n{}", render_human(&c.diagnostics, &c.sources, Style::Plain));
        } else if name.starts_with("err_") {
            assert!(c.has_errors(), "{name} should not compile");
        } else {
            panic!("{name}: test programs are named ok_* or err_*");
        }
    }
}
