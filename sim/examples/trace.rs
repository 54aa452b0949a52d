//! Print one episode of the base policy step by step (debugging aid).
//! `cargo run -p rwd-sim --example trace -- <task 0..3> <env index> [variant 0..3]`

use rwd_sim::{ACTION_DIM, BasePolicy, PolicyNoise, Task, TaskConfig, Variant, VecEnv};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|v| v.parse().ok()).collect();
    let task = Task::ALL[args.first().copied().unwrap_or(0).min(3)];
    let idx = args.get(1).copied().unwrap_or(0);
    let variant = [Variant::Nominal, Variant::SubstitutedObjects, Variant::TallCan, Variant::TapeRoll][args.get(2).copied().unwrap_or(0).min(3)];
    let n = idx + 1;
    let mut venv = VecEnv::new(TaskConfig { task, variant }, n, 1);
    let mut policy = BasePolicy::new(&venv, PolicyNoise::default());
    let mut actions = vec![0f32; n * ACTION_DIM];
    for _ in 0..task.horizon() {
        policy.act(&venv, &mut actions).unwrap();
        let ps = policy.state(idx).unwrap();
        let e = venv.env(idx).unwrap();
        let a = &actions[idx * ACTION_DIM..(idx + 1) * ACTION_DIM];
        let bodies: Vec<String> = e.bodies.iter().skip(1).map(|b| format!("({:.3},{:.3},{:.3} j{:.3})", b.pos[0], b.pos[1], b.pos[2], b.joint)).collect();
        println!(
            "{:3} job{} {:?} t{} tcp({:.3},{:.3},{:.3}) open{:.2} held{:?} a[{:.2},{:.2},{:.2} g{:.2}] {}",
            e.step, ps.job, ps.phase, ps.timer, e.robot.tcp[0], e.robot.tcp[1], e.robot.tcp[2], e.robot.opening, e.robot.held, a[0], a[1], a[2], a[5], bodies.join(" ")
        );
        venv.step(&actions).unwrap();
    }
    println!("success {}", venv.success(idx));
}
