//! Snapshots of the generated Cranelift IR for every example program
//! (`rwd compile FILE --emit clif`). Host addresses print as names, so the
//! text is stable across runs.

use rwd::jit::JitProgram;

#[test]
fn examples_clif() {
    insta::glob!("../examples", "*.rwd", |path| {
        let src = std::fs::read_to_string(path).expect("readable example");
        let c = rwd::compile("example.rwd", &src);
        assert!(!c.has_errors(), "{} does not compile", path.display());
        let mut text = String::new();
        for p in &c.programs {
            let jit = JitProgram::compile(p).expect("JIT compiles every example");
            text.push_str(&format!("; {} {}\n{}\n", p.kind.keyword(), p.name, jit.clif()));
        }
        insta::assert_snapshot!(text);
    });
}
