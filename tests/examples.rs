//! Every shipped example compiles cleanly (no errors, no warnings), and
//! every recorded episode runs to its intended end: reward episodes visit
//! every stage and finish in success; the JIT agrees with the interpreter
//! on every step.

mod common;

use rwd::interp::{Interpreter, StageState};
use rwd::jit::{BatchState, FLAG_SUCCESS, JitProgram, RewardBatch};
use std::path::Path;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");

fn examples() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(DIR)
        .expect("examples dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rwd"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("readable")))
        .collect();
    out.sort();
    out
}

fn episode(program: &str) -> Option<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(Path::new(DIR).join("episodes").join(format!("{program}.jsonl"))).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Vec<f64>>(l).expect("episode lines are arrays of numbers"))
            .collect(),
    )
}

#[test]
fn examples_compile_without_warnings() {
    let all = examples();
    assert!(all.len() >= 5, "the five required examples");
    for (path, src) in &all {
        let c = rwd::compile(path, src);
        assert!(
            c.diagnostics.is_empty(),
            "{path}:\n{}",
            rwd::diag::render::render_human(&c.diagnostics, &c.sources, rwd::diag::render::Style::Plain)
        );
    }
}

#[test]
fn reward_episodes_visit_every_stage_and_succeed_in_both_back_ends() {
    let mut rewards = 0;
    for (path, src) in examples() {
        let c = common::compile_ok(&src);
        for p in c.programs.iter().filter(|p| p.reward.is_some()) {
            let steps = episode(&p.name).unwrap_or_else(|| panic!("{path}: reward {} has no episode", p.name));
            let spec = p.reward.as_ref().expect("reward");
            let mut interp = Interpreter::new(p);
            let mut state = StageState::default();
            let jit = JitProgram::compile(p).expect("JIT");
            let mut jstate = BatchState::new(1);
            let mut out = RewardBatch::new(1, jit.term_count());
            let mut visited = vec![false; spec.stages.len() + 1];
            let mut succeeded = false;
            for (t, obs) in steps.iter().enumerate() {
                let r = interp.step(&mut state, obs).expect("episode matches the layout");
                assert!(r.valid, "{}: step {t} invalid: {:?}", p.name, r.error);
                jit.eval_reward(obs, &mut jstate, &mut out).expect("shapes");
                assert_eq!(out.reward[0].to_bits(), r.reward.to_bits(), "{} step {t}", p.name);
                assert_eq!(jstate.stage[0], r.stage, "{} step {t}", p.name);
                assert_eq!(out.flags[0] & FLAG_SUCCESS != 0, r.success, "{} step {t}", p.name);
                visited[r.stage as usize] = true;
                succeeded |= r.success;
            }
            if !spec.stages.is_empty() {
                assert!(visited.iter().all(|v| *v), "{}: stages visited {visited:?}", p.name);
            }
            assert!(succeeded, "{}: the episode never succeeds", p.name);
            rewards += 1;
        }
    }
    assert!(rewards >= 4, "pick_cube and the three recovery rewards");
}

#[test]
fn check_episodes_run_in_both_back_ends() {
    for (_, src) in examples() {
        let c = common::compile_ok(&src);
        for p in c.programs.iter().filter(|p| p.reward.is_none()) {
            let Some(steps) = episode(&p.name) else { continue };
            let jit = JitProgram::compile(p).expect("JIT");
            let mut interp = Interpreter::new(p);
            for obs in &steps {
                let report = interp.check(obs).expect("valid observation");
                let mut flat = vec![0.0; jit.output_width()];
                let mut valid = [0u8];
                jit.eval_check(obs, &mut flat, &mut valid).expect("shapes");
                assert_eq!(rwd::interp::report(p, &flat), report, "{}", p.name);
            }
        }
    }
}

#[test]
fn readme_programs_compile() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let blocks: Vec<&str> = readme.split("```rwd\n").skip(1).filter_map(|b| b.split("```").next()).collect();
    assert!(!blocks.is_empty(), "the README shows a program");
    for b in blocks {
        let c = rwd::compile("README.md", b);
        assert!(c.diagnostics.is_empty(), "{}", rwd::diag::render::render_human(&c.diagnostics, &c.sources, rwd::diag::render::Style::Plain));
    }
}
