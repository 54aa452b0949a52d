//! Physics invariants of the kinematic world.

mod common;

use common::*;
use rwd_sim::geom::{self, sub};
use rwd_sim::physics::{self, ACTION_DIM, Action};
use rwd_sim::rng::Rng;
use rwd_sim::tasks::*;
use rwd_sim::world::{EnvState, Role, TABLE_TOP};
use rwd_sim::{BasePolicy, PolicyNoise, TaskConfig, VecEnv};

/// No free body is ever below the table top while over it, nor below a
/// container's floor while inside it.
fn assert_supported(s: &EnvState) {
    let table = &s.bodies[0];
    for (i, b) in s.bodies.iter().enumerate() {
        if !b.is_movable() || s.robot.held == Some(i) {
            continue;
        }
        let bot = bottom(s, i);
        let over_table = (b.pos[0] - table.pos[0]).abs() <= table.half[0] && (b.pos[1] - table.pos[1]).abs() <= table.half[1];
        if over_table {
            assert!(bot >= TABLE_TOP - 1e-9, "step {}: body {i} bottom {bot} below the table top", s.step);
        }
        for c in &s.bodies {
            if let Role::Container { .. } | Role::Drawer { .. } = c.role {
                let l = geom::unrotate(c.rot, sub(b.pos, c.pos));
                let inside = l[0].abs() <= c.half[0] && l[1].abs() <= c.half[1];
                if inside && bot < c.pos[2] + c.half[2] {
                    assert!(bot >= c.pos[2] - c.half[2] - 1e-9, "step {}: body {i} through a container floor", s.step);
                }
            }
        }
    }
}

#[test]
fn bodies_never_fall_through_table_or_floors_under_random_and_policy_actions() {
    let mut rng = Rng::new(99);
    for task in Task::ALL {
        // Random flailing, biased downward, with grasps and releases.
        for seed in 0..6u64 {
            let mut s = initial_state(task, rwd_sim::Variant::Nominal, seed);
            for _ in 0..150 {
                let mut a = [0.0; ACTION_DIM];
                for v in a.iter_mut() {
                    *v = rng.range(-1.0, 1.0);
                }
                a[2] -= 0.3;
                physics::step(&mut s, &Action(a));
                assert_supported(&s);
            }
        }
        // The base policy, which grasps, carries and drops things.
        let mut venv = VecEnv::new(TaskConfig::new(task), 16, 3);
        let mut policy = BasePolicy::new(&venv, PolicyNoise::default());
        let mut actions = vec![0f32; 16 * ACTION_DIM];
        for _ in 0..task.horizon() {
            policy.act(&venv, &mut actions).unwrap();
            venv.step(&actions).unwrap();
            venv.envs().iter().for_each(assert_supported);
        }
    }
}

#[test]
fn held_object_moves_with_the_gripper() {
    let mut s = fresh(Task::SortVegetables);
    grasp(&mut s, SORT_BROCCOLI);
    let offset = sub(s.bodies[SORT_BROCCOLI].pos, s.robot.tcp);
    let z0 = s.bodies[SORT_BROCCOLI].pos[2];
    run(&mut s, action(&[(1, 1.0), (2, 1.0), (5, -0.1)]), 5);
    assert_eq!(s.robot.held, Some(SORT_BROCCOLI));
    let now = sub(s.bodies[SORT_BROCCOLI].pos, s.robot.tcp);
    assert!(geom::norm(sub(now, offset)) < 1e-12);
    // 5 steps of 0.025 m up.
    assert!((s.bodies[SORT_BROCCOLI].pos[2] - z0 - 0.125).abs() < 1e-9);
    assert!(is_holding(&s, SORT_BROCCOLI));
    assert!(s.bodies[SORT_BROCCOLI].vel[2] > 0.24);
}

#[test]
fn released_object_lands_on_the_support_below() {
    // Over the green bowl: lands on its floor, inside.
    let mut s = fresh(Task::SortVegetables);
    grasp(&mut s, SORT_BROCCOLI);
    let bowl = s.bodies[SORT_GREEN_BOWL];
    s.robot.tcp = [bowl.pos[0], bowl.pos[1], 1.0];
    run(&mut s, action(&[(5, -0.1)]), 1);
    run(&mut s, action(&[(5, 1.0)]), 6);
    assert_eq!(s.robot.held, None);
    assert!((bottom(&s, SORT_BROCCOLI) - (bowl.pos[2] - bowl.half[2])).abs() < 1e-9);
    assert!(contains(&s, SORT_GREEN_BOWL, SORT_BROCCOLI));
    // Over bare table: lands on the table top.
    let mut s = fresh(Task::SortVegetables);
    grasp(&mut s, SORT_CARROT);
    run(&mut s, action(&[(2, 1.0), (5, -0.1)]), 6);
    assert!(bottom(&s, SORT_CARROT) > TABLE_TOP + 0.1);
    run(&mut s, action(&[(5, 1.0)]), 6);
    assert!(on_table(&s, SORT_CARROT));
    assert!(!contains(&s, SORT_GREEN_BOWL, SORT_CARROT) && !contains(&s, SORT_ORANGE_BOWL, SORT_CARROT));
}

#[test]
fn released_tall_object_off_balance_topples() {
    let mut s = fresh(Task::PickTrash);
    grasp(&mut s, TRASH_CAN);
    run(&mut s, action(&[(2, 1.0), (5, -0.1)]), 4);
    // Pitch the wrist about the finger axis by 0.6 rad (34 deg), then let go.
    run(&mut s, action(&[(4, 1.0), (5, -0.1)]), 3);
    assert!((tilt_deg(&s, TRASH_CAN) - 34.4).abs() < 0.5, "tilt {}", tilt_deg(&s, TRASH_CAN));
    run(&mut s, action(&[(5, 1.0)]), 8);
    assert!(is_lying(&s, TRASH_CAN), "tilt {}", tilt_deg(&s, TRASH_CAN));
    assert!(on_table(&s, TRASH_CAN));

    // Released upright straddling the bin's rim: tips off it, outward.
    let mut s = fresh(Task::PickTrash);
    grasp(&mut s, TRASH_CAN);
    let bin = s.bodies[TRASH_BIN];
    let rim_x = bin.pos[0] - bin.half[0] - 0.012; // just outside the inside, on the wall
    s.robot.tcp = [rim_x, bin.pos[1], 1.1];
    run(&mut s, action(&[(5, -0.1)]), 1);
    run(&mut s, action(&[(5, 1.0)]), 8);
    assert!(is_lying(&s, TRASH_CAN));
    assert!(!contains(&s, TRASH_BIN, TRASH_CAN));
    assert!(s.bodies[TRASH_CAN].pos[0] < bin.pos[0] - bin.half[0], "tipped outward");
}

#[test]
fn gripper_sweeping_into_a_standing_can_knocks_it_over_in_the_sweep_direction() {
    let mut s = fresh(Task::PickTrash);
    let can = s.bodies[TRASH_CAN];
    // Fingers closed, at the can's mid height, 10 cm in -x of it.
    s.robot.opening = 0.0;
    s.robot.tcp = [can.pos[0] - 0.1, can.pos[1], can.pos[2]];
    run(&mut s, action(&[(0, 1.0)]), 5);
    assert!(is_lying(&s, TRASH_CAN));
    assert!(s.bodies[TRASH_CAN].pos[0] > can.pos[0] + 0.05, "fell toward +x");
    assert!((s.bodies[TRASH_CAN].pos[1] - can.pos[1]).abs() < 1e-9);
    assert!(on_table(&s, TRASH_CAN));
    // A squat body is pushed along instead.
    let mut s = fresh(Task::Drawer);
    let cube = s.bodies[DRAWER_CUBE];
    s.robot.opening = 0.0;
    s.robot.tcp = [cube.pos[0] - 0.1, cube.pos[1], cube.pos[2]];
    run(&mut s, action(&[(0, 1.0)]), 6);
    assert!(!is_lying(&s, DRAWER_CUBE));
    assert!(s.bodies[DRAWER_CUBE].pos[0] > cube.pos[0] + 0.02);
}

#[test]
fn drawer_follows_the_held_handle_and_carries_its_contents() {
    let mut s = fresh(Task::Drawer);
    let handle = rwd_sim::physics::handle_point(&s.bodies[DRAWER_LOWER]).unwrap();
    s.robot.tcp = handle;
    s.robot.yaw = 0.0;
    run(&mut s, action(&[(5, -1.0)]), 2);
    assert_eq!(s.robot.held, Some(DRAWER_LOWER));
    let Role::Drawer { axis, .. } = s.bodies[DRAWER_LOWER].role else { panic!() };
    // Pull 6 steps straight along the axis at 0.025 m/step.
    let a = action(&[(0, axis[0]), (1, axis[1]), (5, -0.1)]);
    run(&mut s, a, 6);
    let j = s.bodies[DRAWER_LOWER].joint;
    assert!((j - 0.15).abs() < 0.01, "joint {j}");
    assert!(is_open(&s, DRAWER_LOWER));
    // Drop the cube into the open part, then push the drawer half shut.
    let mut s2 = s.clone();
    s2.robot.held = None;
    let tray = s2.bodies[DRAWER_LOWER];
    let front = geom::add(tray.pos, geom::scale(axis, tray.half[0] - 0.05));
    s2.bodies[DRAWER_CUBE].pos = [front[0], front[1], tray.pos[2] - tray.half[2] + 0.025];
    assert!(contains(&s2, DRAWER_LOWER, DRAWER_CUBE));
    let cube0 = s2.bodies[DRAWER_CUBE].pos;
    s2.robot.tcp = rwd_sim::physics::handle_point(&tray).unwrap();
    run(&mut s2, action(&[(5, -1.0)]), 2);
    assert_eq!(s2.robot.held, Some(DRAWER_LOWER));
    run(&mut s2, action(&[(0, -axis[0]), (1, -axis[1]), (5, -0.1)]), 2);
    let moved = sub(s2.bodies[DRAWER_CUBE].pos, cube0);
    let dj = s2.bodies[DRAWER_LOWER].joint - tray.joint;
    assert!((geom::dot(moved, axis) - dj).abs() < 1e-9 && (dj + 0.05).abs() < 0.002, "cube moved {moved:?}, joint by {dj}");
    assert!(contains(&s2, DRAWER_LOWER, DRAWER_CUBE));
    // Pulling sideways makes the handle slip out.
    let mut s3 = s.clone();
    let tcp0 = s3.robot.tcp;
    run(&mut s3, action(&[(1, 1.0), (5, -0.1)]), 2);
    assert_eq!(s3.robot.held, None, "tcp {:?} -> {:?}", tcp0, s3.robot.tcp);
}

#[test]
fn lid_rests_where_friction_holds_it_and_falls_outside_that_range() {
    let mut s = fresh(Task::OrganizeToolbox);
    assert!((s.bodies[TOOLBOX_LID].joint.to_degrees() - 100.0).abs() < 1e-9);
    assert!(is_open(&s, TOOLBOX_LID));
    for (start, end) in [(50.0, 50.0), (15.0, 0.0), (95.0, 100.0)] {
        let mut t = s.clone();
        t.bodies[TOOLBOX_LID].joint = f64::to_radians(start);
        rwd_sim::physics::place_lid(&mut t.bodies[TOOLBOX_LID]);
        run(&mut t, action(&[]), 3);
        assert!((t.bodies[TOOLBOX_LID].joint.to_degrees() - end).abs() < 1e-9, "{start} -> {}", t.bodies[TOOLBOX_LID].joint.to_degrees());
    }
    // Closed: its box covers the toolbox, y axis pointing hinge -> front (-x).
    let mut t = s.clone();
    t.bodies[TOOLBOX_LID].joint = 0.0;
    rwd_sim::physics::place_lid(&mut t.bodies[TOOLBOX_LID]);
    let lid = t.bodies[TOOLBOX_LID];
    let tb = t.bodies[TOOLBOX_BOX];
    assert!((lid.pos[0] - tb.pos[0]).abs() < 0.011 && (lid.pos[1] - tb.pos[1]).abs() < 1e-9);
    assert!(geom::axes(lid.rot)[1][0] < -0.999);
    assert!(is_closed(&t, TOOLBOX_LID));
    // Grasp the edge of the open lid and swing it down about the hinge.
    let handle = rwd_sim::physics::handle_point(&s.bodies[TOOLBOX_LID]).unwrap();
    s.robot.tcp = handle;
    run(&mut s, action(&[(5, -1.0)]), 2);
    assert_eq!(s.robot.held, Some(TOOLBOX_LID));
    let Role::Lid { hinge, .. } = s.bodies[TOOLBOX_LID].role else { panic!() };
    let radius = geom::norm(sub(handle, hinge));
    for k in 1..=10 {
        let th = f64::to_radians(100.0 - 10.0 * k as f64);
        let target = geom::add(hinge, [-radius * th.cos(), 0.0, radius * th.sin()]);
        s.robot.tcp = target;
        run(&mut s, action(&[(5, -0.1)]), 1);
        assert_eq!(s.robot.held, Some(TOOLBOX_LID), "slipped at step {k}");
    }
    assert!(s.bodies[TOOLBOX_LID].joint.to_degrees() < 3.0);
}

#[test]
fn nan_actions_stop_the_robot_and_bad_lengths_are_errors() {
    let mut venv = VecEnv::new(TaskConfig::new(Task::PickTrash), 2, 5);
    let before = venv.state(0).unwrap();
    let mut actions = vec![f32::NAN; 2 * ACTION_DIM];
    actions[ACTION_DIM..].fill(1e9); // clipped to 1
    venv.step(&actions).unwrap();
    let after = venv.state(0).unwrap();
    assert_eq!(after.robot.tcp, before.robot.tcp);
    assert_eq!(after.step, 1);
    let moved = venv.state(1).unwrap().robot.tcp[2] - before.robot.tcp[2];
    assert!(moved > 0.0 && moved <= 0.025 + 1e-12);
    let err = venv.step(&actions[..5]).unwrap_err();
    assert_eq!(err, rwd_sim::SimError::ActionLength { expected: 18, got: 5 });
    assert!(err.to_string().contains("expected 18"));
}

#[test]
fn arm_reach_and_base_motion() {
    use rwd_sim::world::{REACH_MAX, TCP_Z_MIN};
    // Driving the TCP far forward stops at the arm's reach from the base.
    let mut s = fresh(Task::PickTrash);
    run(&mut s, action(&[(0, 1.0)]), 60);
    let r = (s.robot.tcp[0].powi(2) + s.robot.tcp[1].powi(2)).sqrt();
    assert!((r - REACH_MAX).abs() < 1e-9, "reach {r}");
    // Down onto the table: the fingertips stop on its top.
    run(&mut s, action(&[(2, -1.0)]), 40);
    assert!((s.robot.tcp[2] - (TABLE_TOP + 0.01)).abs() < 1e-9);
    assert!(s.robot.tcp[2] > TCP_Z_MIN);
    // The base backs away from the table; driving forward it stops short of it.
    let mut s = fresh(Task::PickTrash);
    run(&mut s, action(&[(6, -1.0)]), 5);
    assert!((s.robot.base[0] + 0.15).abs() < 1e-9);
    run(&mut s, action(&[(6, 1.0)]), 20);
    let table_edge = s.bodies[0].pos[0] - s.bodies[0].half[0];
    assert!(s.robot.base[0] + rwd_sim::world::BASE_RADIUS <= table_edge + 1e-9);
    assert!(s.robot.base[0] > -0.01, "it did drive back up to the table");
    // Turning the base and lifting the torso.
    run(&mut s, action(&[(7, 1.0), (8, 1.0)]), 10);
    assert!((s.robot.base[2] - 0.6).abs() < 1e-9);
    assert!((s.robot.torso - 0.3).abs() < 1e-9);
}

#[test]
fn a_malformed_state_is_left_alone_not_a_panic() {
    let mut s = fresh(Task::Drawer);
    s.bodies.truncate(2);
    let before = s.clone();
    run(&mut s, action(&[(0, 1.0)]), 3);
    assert_eq!(s, before);
    assert!(!success(&s));
    let mut ps = rwd_sim::PolicyState::new(Task::Drawer, s.seed, rwd_sim::PolicyNoise::default());
    assert_eq!(rwd_sim::policy::act(&mut ps, &s, rwd_sim::PolicyNoise::default()), [0.0; ACTION_DIM]);
}

#[test]
fn random_and_extreme_actions_keep_every_variant_finite() {
    let mut rng = Rng::new(5);
    let variants = [rwd_sim::Variant::Nominal, rwd_sim::Variant::SubstitutedObjects, rwd_sim::Variant::TallCan, rwd_sim::Variant::TapeRoll];
    for task in Task::ALL {
        for variant in variants {
            let mut venv = VecEnv::new(TaskConfig { task, variant }, 4, 1);
            let mut actions = vec![0f32; 4 * ACTION_DIM];
            for t in 0..120 {
                for (i, a) in actions.iter_mut().enumerate() {
                    *a = match (t + i) % 17 {
                        0 => f32::NAN,
                        1 => f32::INFINITY,
                        2 => -1e30,
                        _ => rng.range(-1.5, 1.5) as f32,
                    };
                }
                venv.step(&actions).unwrap();
                for s in venv.envs() {
                    assert_supported(s);
                    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
                    assert!(finite(&s.robot.tcp) && finite(&s.robot.vel) && s.robot.opening.is_finite());
                    for b in &s.bodies {
                        assert!(finite(&b.pos) && finite(&b.rot) && finite(&b.vel) && b.joint.is_finite(), "{task:?} {variant:?}");
                        let n = b.rot.iter().map(|x| x * x).sum::<f64>();
                        assert!((n - 1.0).abs() < 1e-9, "unit quaternion");
                    }
                }
            }
        }
    }
}
