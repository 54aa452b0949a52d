//! Where the base policy's failures leave the world (distribution summary).
//! `cargo run --release -p rwd-sim --example failstats`

use rwd_sim::tasks::*;
use rwd_sim::{ACTION_DIM, BasePolicy, PolicyNoise, TaskConfig, VecEnv, geom};

fn summary(name: &str, mut v: Vec<f64>) {
    if v.is_empty() {
        return;
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
    println!("{name}: n {} min {:.3} p25 {:.3} median {:.3} p75 {:.3} max {:.3}", v.len(), v[0], q(0.25), q(0.5), q(0.75), v[v.len() - 1]);
}

fn main() {
    let n = 400;
    for task in Task::ALL {
        let mut venv = VecEnv::new(TaskConfig::new(task), n, 1);
        let mut policy = BasePolicy::new(&venv, PolicyNoise::default());
        let mut actions = vec![0f32; n * ACTION_DIM];
        let mut first_success = vec![None; n];
        for t in 0..task.horizon() {
            policy.act(&venv, &mut actions).unwrap();
            venv.step(&actions).unwrap();
            for (i, e) in venv.envs().iter().enumerate() {
                if e.success && first_success[i].is_none() {
                    first_success[i] = Some(t as f64 + 1.0);
                }
            }
        }
        summary(&format!("{task:?} steps to success"), first_success.iter().flatten().copied().collect());
        let failed: Vec<_> = venv.envs().iter().filter(|e| !e.success).collect();
        match task {
            Task::SortVegetables => summary("broccoli to green bowl (m)", failed.iter().map(|e| geom::norm(geom::sub(e.bodies[SORT_BROCCOLI].pos, e.bodies[SORT_GREEN_BOWL].pos))).collect()),
            Task::PickTrash => summary("fallen can to bin (m)", failed.iter().map(|e| geom::norm(geom::sub(e.bodies[TRASH_CAN].pos, e.bodies[TRASH_BIN].pos))).collect()),
            Task::OrganizeToolbox => summary("lid left open (deg)", failed.iter().map(|e| e.bodies[TOOLBOX_LID].joint.to_degrees()).collect()),
            Task::Drawer => summary("drawer joint (m)", failed.iter().map(|e| e.bodies[DRAWER_LOWER].joint).collect()),
        }
    }
}
