//! Base-policy success and failure-mode rates per task and variant.
//! `cargo run --release -p rwd-sim --example rates -- [episodes]`

use std::collections::BTreeMap;

use rwd_sim::{ACTION_DIM, BasePolicy, PolicyNoise, Task, TaskConfig, Variant, VecEnv, tasks::failure_mode};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(200);
    for variant in [Variant::Nominal, Variant::SubstitutedObjects, Variant::TallCan, Variant::TapeRoll] {
        for task in Task::ALL {
            let mut venv = VecEnv::new(TaskConfig { task, variant }, n, 1);
            let mut policy = BasePolicy::new(&venv, PolicyNoise::default());
            let mut actions = vec![0f32; n * ACTION_DIM];
            for _ in 0..task.horizon() {
                policy.act(&venv, &mut actions).unwrap();
                venv.step(&actions).unwrap();
            }
            let mut modes: BTreeMap<&str, usize> = BTreeMap::new();
            let mut succ = 0;
            for e in venv.envs() {
                if e.success {
                    succ += 1;
                } else {
                    *modes.entry(failure_mode(e).unwrap_or("?")).or_default() += 1;
                }
            }
            println!("{variant:?} {task:?}: success {:.3}, failures {modes:?}", succ as f64 / n as f64);
        }
    }
}
