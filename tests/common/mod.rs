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
        let name = match &f.entity {
            Some(e) => format!("{e}.{}", f.field),
            None => f.field.clone(),
        };
        let (_, values) = fields.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("test gives no value for {name}"));
        assert_eq!(values.len(), f.width as usize, "{name} has width {}", f.width);
        obs[f.offset as usize..(f.offset + f.width) as usize].copy_from_slice(values);
    }
    obs
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
