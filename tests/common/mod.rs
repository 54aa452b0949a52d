//! Helpers shared by integration tests: compile a program that must succeed,
//! and fill an observation from named fields through the program's layout
//! (exactly what a host does).

#![allow(dead_code)]

use rwd::ir::Program;

/// Compiles `src` and returns its programs; panics with the rendered
/// diagnostics if it has errors.
pub fn compile_ok(src: &str) -> rwd::Compilation {
    let c = rwd::compile("test.rwd", src);
    assert!(
        !c.has_errors(),
        "expected no errors:\n{}",
        rwd::diag::render::render_human(&c.diagnostics, &c.sources, rwd::diag::render::Style::Plain)
    );
    c
}

pub fn program<'c>(c: &'c rwd::Compilation, name: &str) -> &'c Program {
    c.programs.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no program {name}"))
}

/// Builds an observation from `("entity.field", values)` pairs. Fields the
/// layout does not contain are ignored; fields the layout needs but that are
/// not given are a test bug.
pub fn observe(p: &Program, fields: &[(&str, &[f64])]) -> Vec<f64> {
    let mut obs = vec![f64::NAN; p.layout.width as usize];
    for f in &p.layout.fields {
        let name = field_name(f);
        let (_, values) = fields.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("test gives no value for {name}"));
        assert_eq!(values.len(), f.width as usize, "{name} has width {}", f.width);
        obs[f.offset as usize..(f.offset + f.width) as usize].copy_from_slice(values);
    }
    obs
}

/// `entity.field`, or `field` for a scene property: how tests name a slot.
fn field_name(f: &rwd::ir::layout::LayoutField) -> String {
    match &f.entity {
        Some(e) => format!("{e}.{}", f.field),
        None => f.field.clone(),
    }
}

/// The values of one named field in an observation row (the reverse of
/// [`observe`]).
pub fn read<'r>(p: &Program, row: &'r [f64], name: &str) -> &'r [f64] {
    let f = p.layout.fields.iter().find(|f| field_name(f) == name).unwrap_or_else(|| panic!("no field {name} in the layout"));
    &row[f.offset as usize..(f.offset + f.width) as usize]
}

/// A check's report as the flat output row the JIT writes (bools as 0/1).
pub fn flatten(report: &[(String, rwd::interp::OutputValue)]) -> Vec<f64> {
    use rwd::interp::OutputValue;
    report
        .iter()
        .flat_map(|(_, v)| match v {
            OutputValue::Bool(b) => vec![f64::from(u8::from(*b))],
            OutputValue::Number(x) => vec![*x],
            OutputValue::List(xs) => xs.clone(),
        })
        .collect()
}

/// A small deterministic generator (xorshift64*), so tests need no rand crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform(0.0, 1.0) < p
    }
}

/// Runs the `rwd` binary from the repository root: (exit code, stdout, stderr).
pub fn rwd(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rwd"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("rwd runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A per-process temporary directory for one test file's outputs.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rwd-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `text` to `name` in the test's temporary directory.
pub fn temp(name: &str, text: &str) -> String {
    let path = temp_dir("test").join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.display().to_string()
}
