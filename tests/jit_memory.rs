//! Compiled code is freed with its program. RSS is per process, so these
//! tests have a test binary of their own (other tests allocating on other
//! threads would move the numbers), and they take turns.

mod common;

use common::compile_ok;
use rwd::jit::CompiledReward;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Resident set size in pages, from /proc (Linux).
fn rss_pages() -> Option<u64> {
    std::fs::read_to_string("/proc/self/statm").ok()?.split_whitespace().nth(1)?.parse().ok()
}

/// Resident pages before and after `count` runs of `work`, measured after
/// `warm_up` runs (allocator pools, first touches); `None` without /proc.
fn rss_around(warm_up: usize, count: usize, mut work: impl FnMut()) -> Option<(u64, u64)> {
    (0..warm_up).for_each(|_| work());
    let before = rss_pages()?;
    (0..count).for_each(|_| work());
    Some((before, rss_pages().unwrap_or(before)))
}

/// A small reward keeps thousands of compilations quick in a debug build.
const SMALL_REWARD: &str = "scene s { g: Gripper  props { x: length } }\nreward r { stage a { done x < 1cm } }\n";

#[test]
fn compiling_many_programs_does_not_grow_memory_without_bound() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let c = compile_ok(SMALL_REWARD);
    let Some((before, after)) = rss_around(500, 10_000, || drop(CompiledReward::compile(&c.programs[0]).expect("compiles"))) else { return };
    // Each compiled function maps at least one 4 KiB page of code: leaking
    // them would add 10 000+ pages. Allow allocator noise of 2 000 pages (8 MiB).
    assert!(after < before + 2_000, "RSS grew from {before} to {after} pages over 10 000 compilations");
}

#[test]
fn programs_that_tiered_up_free_both_their_codes() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let c = compile_ok(SMALL_REWARD);
    let p = &c.programs[0];
    let n = rwd::jit::HOT_ENV_STEPS as usize;
    let obs = vec![0.5; n * p.layout.width as usize];
    let hot = || {
        let jit = CompiledReward::compile(p).expect("compiles");
        let (mut state, mut out) = jit.batch(n);
        jit.eval_batch(&obs, &mut state, &mut out).expect("shapes");
        assert!(jit.program().is_optimized());
    };
    let Some((before, after)) = rss_around(200, 2_000, hot) else { return };
    // Two code modules per program, each at least a page: a leak of either
    // adds 2 000+ pages.
    assert!(after < before + 1_000, "RSS grew from {before} to {after} pages over 2 000 tiered-up programs");
}
