//! Compiled code is freed with its program. RSS is per process, so these
//! tests have a test binary of their own (other tests allocating on other
//! threads would move the numbers), and they take turns.

mod common;

use common::compile_ok;
use rwd::jit::{BatchState, JitProgram, RewardBatch};
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Resident set size in pages, from /proc (Linux).
fn rss_pages() -> Option<u64> {
    std::fs::read_to_string("/proc/self/statm").ok()?.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn compiling_many_programs_does_not_grow_memory_without_bound() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // A small reward keeps 10 000 compilations quick in a debug build.
    let src = "scene s { g: Gripper  props { x: length } }\nreward r { stage a { done x < 1cm } }\n";
    let c = compile_ok(src);
    let p = &c.programs[0];
    let compile_n = |n: usize| {
        for _ in 0..n {
            let jit = JitProgram::compile(p).expect("compiles");
            drop(jit);
        }
    };
    compile_n(500); // warm up allocator pools
    let Some(before) = rss_pages() else { return };
    compile_n(10_000);
    let after = rss_pages().unwrap_or(before);
    // Each compiled function maps at least one 4 KiB page of code: leaking
    // them would add 10 000+ pages. Allow allocator noise of 2 000 pages (8 MiB).
    assert!(after < before + 2_000, "RSS grew from {before} to {after} pages over 10 000 compilations");
}

#[test]
fn programs_that_tiered_up_free_both_their_codes() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let src = "scene s { g: Gripper  props { x: length } }\nreward r { stage a { done x < 1cm } }\n";
    let c = compile_ok(src);
    let p = &c.programs[0];
    let n = rwd::jit::HOT_ENV_STEPS as usize;
    let obs = vec![0.5; n * p.layout.width as usize];
    let terms = p.term_names().len();
    let (mut state, mut out) = (BatchState::new(n), RewardBatch::new(n, terms));
    let mut compile_hot = |count: usize| {
        for _ in 0..count {
            let jit = JitProgram::compile(p).expect("compiles");
            jit.eval_reward(&obs, &mut state, &mut out).expect("shapes");
            assert!(jit.is_optimized());
        }
    };
    compile_hot(200);
    let Some(before) = rss_pages() else { return };
    compile_hot(2_000);
    let after = rss_pages().unwrap_or(before);
    // Two code modules per program, each at least a page: a leak of either
    // adds 2 000+ pages.
    assert!(after < before + 1_000, "RSS grew from {before} to {after} pages over 2 000 tiered-up programs");
}
