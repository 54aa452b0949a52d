//! Env-steps per second of the simulator, with and without the scripted
//! policy acting, at 1, 64 and 1024 environments. Target: >= 250,000
//! env-steps/s at 1024 environments on a 2-core machine (goal 1,000,000).
//!
//! Run: `cargo bench -p rwd-sim`.

use std::time::{Duration, Instant};

use rwd_sim::{ACTION_DIM, BasePolicy, PolicyNoise, Task, TaskConfig, VecEnv};

const TARGET: f64 = 250_000.0;

/// Steps per second for `n` environments of `task`, over at least `budget`.
fn measure(task: Task, n: usize, with_policy: bool, budget: Duration) -> f64 {
    let mut venv = VecEnv::new(TaskConfig::new(task), n, 42);
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
    println!("{:<18} {:>6} {:>16} {:>16}", "task", "envs", "sim only", "sim + policy");
    let mut at_1024 = Vec::new();
    for task in Task::ALL {
        for n in [1, 64, 1024] {
            let sim = measure(task, n, false, budget);
            let both = measure(task, n, true, budget);
            println!("{:<18} {:>6} {:>16.0} {:>16.0}", format!("{task:?}"), n, sim, both);
            if n == 1024 {
                at_1024.push((task, sim, both));
            }
        }
    }
    println!();
    for (task, sim, both) in at_1024 {
        println!(
            "{task:?} at 1024 envs: sim {:.2}x, sim + policy {:.2}x the 250k target",
            sim / TARGET,
            both / TARGET
        );
    }
}
