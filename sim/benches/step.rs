//! Env-steps per second of the simulator, with and without the scripted
//! policy acting, at 1, 64 and 1024 environments. Target: >= 250,000
//! env-steps/s at 1024 environments on a 2-core machine (goal 1,000,000).
//!
//! Run: `cargo bench -p rwd-sim` (`RWD_SIM_BENCH_MS` sets the time per
//! measurement, default 1500 ms). The 1024-env rows run once on one thread
//! (the `VecEnv` default below 8192 envs) and once forced onto every core.

use std::time::{Duration, Instant};

use rwd_sim::{ACTION_DIM, BasePolicy, PolicyNoise, Task, TaskConfig, VecEnv};

const TARGET: f64 = 250_000.0;

/// Steps per second for `n` environments of `task`, over at least `budget`.
fn measure(task: Task, n: usize, threads: usize, with_policy: bool, budget: Duration) -> f64 {
    let mut venv = VecEnv::new(TaskConfig::new(task), n, 42);
    venv.set_threads(threads);
    if threads > 1 {
        venv.set_min_envs_per_thread(1);
    }
    let mut policy = BasePolicy::new(&venv, PolicyNoise::default());
    let mut actions = vec![0f32; n * ACTION_DIM];
    // Zero actions leave the world still; a fixed non-zero sweep keeps the
    // physics busy when the policy is off.
    for (i, a) in actions.iter_mut().enumerate() {
        *a = [0.3, -0.2, -0.1, 0.1, 0.0, -1.0, 0.0, 0.0, 0.1][i % ACTION_DIM];
    }
    let horizon = venv.horizon();
    let start = Instant::now();
    let mut steps = 0u64;
    while start.elapsed() < budget {
        for _ in 0..horizon {
            if with_policy {
                policy.act(&venv, &mut actions).expect("buffer sized for the batch");
            }
            venv.step(&actions).expect("buffer sized for the batch");
            steps += n as u64;
        }
        venv.reset_all(steps);
    }
    steps as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("RWD_SIM_BENCH_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(1500),
    );
    println!("rwd-sim step throughput (env-steps/s), {} threads available", std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{:<18} {:>6} {:>8} {:>14} {:>14}", "task", "envs", "threads", "sim only", "sim + policy");
    let mut at_1024 = Vec::new();
    for task in Task::ALL {
        for (n, t) in [(1, 1), (64, 1), (1024, 1), (1024, threads)] {
            if n == 1024 && t == 1 && threads == 1 {
                continue;
            }
            let sim = measure(task, n, t, false, budget);
            let both = measure(task, n, t, true, budget);
            println!("{:<18} {:>6} {:>8} {:>14.0} {:>14.0}", format!("{task:?}"), n, t, sim, both);
            if n == 1024 && t == 1 {
                // The default configuration at this size.
                at_1024.push((task, sim, both));
            }
        }
    }
    println!();
    for (task, sim, both) in at_1024 {
        println!(
            "{task:?} at 1024 envs (default, 1 thread): sim {:.2}x, sim + policy {:.2}x the 250k target",
            sim / TARGET,
            both / TARGET
        );
    }
}
