//! The PickCube port (examples/pick_cube.rwd) against ManiSkill's dense
//! reward written directly in Rust, on random states that visit every branch.

mod common;

use common::{Rng, compile_ok, observe, program};
use rwd::builtins::geom::{Obb, is_holding, quat_from_wxyz};
use rwd::interp::{Interpreter, StageState};

struct State {
    tcp: [f64; 3],
    grasp: bool,
    cube: [f64; 3],
    cube_rot: [f64; 4],
    half: [f64; 3],
    goal: [f64; 3],
    arm_speed: f64,
    arm_speed_max: f64,
}

fn norm3(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// ManiSkill PickCube-v1 `compute_dense_reward` and its normalisation by 5.
fn maniskill(s: &State) -> (f64, f64, bool) {
    let tcp_to_obj = norm3(s.tcp, s.cube);
    let mut reward = 1.0 - (5.0 * tcp_to_obj).tanh();
    let obb = Obb::new(s.cube.into(), quat_from_wxyz(s.cube_rot[0], s.cube_rot[1], s.cube_rot[2], s.cube_rot[3]), s.half.into());
    let is_grasped = if is_holding(&s.tcp.into(), s.grasp, &obb) { 1.0 } else { 0.0 };
    reward += is_grasped;
    let obj_to_goal = norm3(s.goal, s.cube);
    reward += (1.0 - (5.0 * obj_to_goal).tanh()) * is_grasped;
    let is_obj_placed = obj_to_goal <= 0.025;
    let is_robot_static = s.arm_speed_max <= 0.2;
    reward += (1.0 - (5.0 * s.arm_speed).tanh()) * if is_obj_placed { 1.0 } else { 0.0 };
    let success = is_obj_placed && is_robot_static;
    if success {
        reward = 5.0;
    }
    (reward, reward / 5.0, success)
}

fn random_state(rng: &mut Rng) -> State {
    let cube = [rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1), 0.02];
    let half = [0.02, 0.02, 0.02];
    // Often near the cube (to grasp), sometimes far.
    let tcp = if rng.chance(0.5) {
        [cube[0] + rng.uniform(-0.03, 0.03), cube[1] + rng.uniform(-0.03, 0.03), cube[2] + rng.uniform(-0.03, 0.03)]
    } else {
        [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(0.0, 0.4)]
    };
    // Often at the goal (placed), sometimes not.
    let goal = if rng.chance(0.4) {
        [cube[0] + rng.uniform(-0.02, 0.02), cube[1] + rng.uniform(-0.015, 0.015), cube[2] + rng.uniform(-0.01, 0.01)]
    } else {
        [rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1), rng.uniform(0.0, 0.3)]
    };
    let yaw: f64 = rng.uniform(-std::f64::consts::PI, std::f64::consts::PI);
    let arm_speed = if rng.chance(0.5) { rng.uniform(0.0, 0.3) } else { rng.uniform(0.0, 3.0) };
    State {
        tcp,
        grasp: rng.chance(0.6),
        cube,
        cube_rot: [(yaw / 2.0).cos(), 0.0, 0.0, (yaw / 2.0).sin()],
        half,
        goal,
        arm_speed,
        arm_speed_max: arm_speed * rng.uniform(0.4, 1.0),
    }
}

#[test]
fn port_matches_maniskill_formula_on_random_states() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pick_cube.rwd")).expect("example exists");
    let c = compile_ok(&src);
    let p = program(&c, "pick_cube");
    assert_eq!(p.reward.as_ref().map(|r| r.bounds), Some((0.0, 5.0)), "bounds are derived, not written");
    let mut interp = Interpreter::new(p);
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut grasped, mut placed_only, mut successes) = (0, 0, 0);
    for i in 0..5000 {
        let s = random_state(&mut rng);
        let obs = observe(p, &[
            ("gripper.pos", &s.tcp),
            ("gripper.grasp", &[if s.grasp { 1.0 } else { 0.0 }]),
            ("cube.pos", &s.cube),
            ("cube.rot", &s.cube_rot),
            ("cube.half", &s.half),
            ("goal.pos", &s.goal),
            ("arm_speed", &[s.arm_speed]),
            ("arm_speed_max", &[s.arm_speed_max]),
        ]);
        let (want, want_norm, want_success) = maniskill(&s);
        // The reward is stateless (no stages), so one fresh state per sample.
        let got = interp.step(&mut StageState::default(), &obs).expect("valid observation");
        assert!((got.reward - want).abs() < 1e-12, "sample {i}: rwd {} vs ManiSkill {want}", got.reward);
        assert!((got.normalized - want_norm).abs() < 1e-12, "sample {i}: normalized {} vs {want_norm}", got.normalized);
        assert_eq!(got.success, want_success, "sample {i}");
        grasped += usize::from(got.terms[3] > 0.0);
        placed_only += usize::from(got.terms[5] > 0.0 && got.terms[3] == 0.0);
        successes += usize::from(want_success);
    }
    // The sampler must exercise every branch of the formula.
    assert!(grasped > 200, "grasped in {grasped} samples");
    assert!(placed_only > 50, "placed but not grasped in {placed_only} samples");
    assert!(successes > 100, "success in {successes} samples");
}
