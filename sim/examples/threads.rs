//! Env-steps/s of the sim alone for a batch size and thread count:
//! `cargo run --release -p rwd-sim --example threads -- <n_envs> <threads>`

use std::time::Instant;

use rwd_sim::{ACTION_DIM, Task, TaskConfig, VecEnv};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|v| v.parse().ok()).collect();
    let (n, t) = (args.first().copied().unwrap_or(1024), args.get(1).copied().unwrap_or(1));
    let mut venv = VecEnv::new(TaskConfig::new(Task::SortVegetables), n, 1);
    venv.set_threads(t);
    let actions: Vec<f32> = (0..n * ACTION_DIM).map(|i| [0.3, -0.2, -0.1, 0.1, 0.0, -1.0, 0.0, 0.0, 0.1][i % ACTION_DIM]).collect();
    let start = Instant::now();
    let mut steps = 0;
    while start.elapsed().as_secs_f64() < 1.5 {
        for _ in 0..50 {
            venv.step(&actions).unwrap();
        }
        steps += 50 * n;
        venv.reset_all(steps as u64);
    }
    println!("{n} envs, {t} threads: {:.0} env-steps/s", steps as f64 / start.elapsed().as_secs_f64());
}
