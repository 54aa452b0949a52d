//! Each task's success test on constructed states: the success state
//! passes, near misses fail.

mod common;

use common::*;
use rwd_sim::geom;
use rwd_sim::physics;
use rwd_sim::tasks::*;
use rwd_sim::world::EnvState;

/// Put a free body at rest on a container's floor at (dx, dy) from its centre.
fn put_in(s: &mut EnvState, obj: usize, container: usize, dx: f64, dy: f64) {
    let c = s.bodies[container];
    let hz = geom::aabb_half(s.bodies[obj].rot, s.bodies[obj].half)[2];
    s.bodies[obj].pos = geom::add(c.pos, geom::rotate(c.rot, [dx, dy, -c.half[2] + hz]));
}

fn settled(mut s: EnvState) -> EnvState {
    run(&mut s, action(&[]), 3);
    s
}

#[test]
fn sort_vegetables() {
    let mut s = fresh(Task::SortVegetables);
    assert!(!success(&s));
    put_in(&mut s, SORT_BROCCOLI, SORT_GREEN_BOWL, 0.02, -0.01);
    put_in(&mut s, SORT_CARROT, SORT_ORANGE_BOWL, 0.0, 0.0);
    let s = settled(s);
    assert!(success(&s) && s.success && s.done);
    // Broccoli centre 1 cm outside the bowl's inside: it slides off the
    // rim onto the table beside the bowl (the misplaced-broccoli state).
    let mut miss = fresh(Task::SortVegetables);
    put_in(&mut miss, SORT_CARROT, SORT_ORANGE_BOWL, 0.0, 0.0);
    let g = miss.bodies[SORT_GREEN_BOWL];
    put_in(&mut miss, SORT_BROCCOLI, SORT_GREEN_BOWL, g.half[0] + 0.01, 0.0);
    let miss = settled(miss);
    assert!(!success(&miss));
    assert!(on_table(&miss, SORT_BROCCOLI));
    assert_eq!(failure_mode(&miss), Some("misplaced_broccoli"));
    // Swapped bowls fail.
    let mut swapped = fresh(Task::SortVegetables);
    put_in(&mut swapped, SORT_BROCCOLI, SORT_ORANGE_BOWL, 0.0, 0.0);
    put_in(&mut swapped, SORT_CARROT, SORT_GREEN_BOWL, 0.0, 0.0);
    assert!(!success(&settled(swapped)));
    // Still held over the bowl: not a success.
    let mut held = s.clone();
    grasp(&mut held, SORT_BROCCOLI);
    assert!(!success(&held));
}

#[test]
fn pick_trash() {
    let mut s = fresh(Task::PickTrash);
    put_in(&mut s, TRASH_CAN, TRASH_BIN, 0.03, 0.03);
    let s = settled(s);
    assert!(s.success);
    assert!(is_upright(&s, TRASH_CAN));
    // In the bin but lying on its side: not a success.
    let mut lying = fresh(Task::PickTrash);
    physics::topple(&mut lying.bodies[TRASH_CAN], [1.0, 0.0, 0.0]);
    put_in(&mut lying, TRASH_CAN, TRASH_BIN, 0.0, 0.0);
    let lying = settled(lying);
    assert!(contains(&lying, TRASH_BIN, TRASH_CAN) && is_lying(&lying, TRASH_CAN));
    assert!(!lying.success);
    // Upright next to the bin: not a success.
    let mut beside = fresh(Task::PickTrash);
    let bin = beside.bodies[TRASH_BIN];
    beside.bodies[TRASH_CAN].pos[0] = bin.pos[0] - bin.half[0] - 0.06;
    beside.bodies[TRASH_CAN].pos[1] = bin.pos[1];
    assert!(!settled(beside).success);
    // Knocked over on the table: the fallen-can failure.
    let mut fallen = fresh(Task::PickTrash);
    physics::topple(&mut fallen.bodies[TRASH_CAN], [-1.0, 0.0, 0.0]);
    let fallen = settled(fallen);
    assert_eq!(failure_mode(&fallen), Some("fallen_can"));
}

#[test]
fn organize_toolbox() {
    let mut s = fresh(Task::OrganizeToolbox);
    put_in(&mut s, TOOLBOX_CABLE, TOOLBOX_BOX, 0.0, 0.02);
    // Lid at 15 deg, released: below the friction range, it falls shut.
    s.bodies[TOOLBOX_LID].joint = 15f64.to_radians();
    physics::place_lid(&mut s.bodies[TOOLBOX_LID]);
    assert!(!success(&s));
    let s = settled(s);
    assert!(is_closed(&s, TOOLBOX_LID) && s.success);
    // Lid left open at 30 deg: the unclosed-lid failure.
    let mut open = s.clone();
    open.bodies[TOOLBOX_LID].joint = 30f64.to_radians();
    physics::place_lid(&mut open.bodies[TOOLBOX_LID]);
    let open = settled(open);
    assert!(!open.success);
    assert_eq!(failure_mode(&open), Some("unclosed_lid"));
    // Lid shut with the cable outside: not a success.
    let mut outside = fresh(Task::OrganizeToolbox);
    outside.bodies[TOOLBOX_LID].joint = 0.0;
    physics::place_lid(&mut outside.bodies[TOOLBOX_LID]);
    assert!(!settled(outside).success);
}

#[test]
fn drawer() {
    let mut s = fresh(Task::Drawer);
    physics::move_drawer(&mut s, DRAWER_LOWER, 0.15);
    assert!((s.bodies[DRAWER_LOWER].joint - 0.15).abs() < 1e-12);
    let tray = s.bodies[DRAWER_LOWER];
    put_in(&mut s, DRAWER_CUBE, DRAWER_LOWER, tray.half[0] - 0.06, 0.0);
    let s = settled(s);
    assert!(s.success);
    // The cube just in front of the tray (outside its box): not a success.
    let mut front = fresh(Task::Drawer);
    physics::move_drawer(&mut front, DRAWER_LOWER, 0.04);
    let tray = front.bodies[DRAWER_LOWER];
    put_in(&mut front, DRAWER_CUBE, DRAWER_LOWER, tray.half[0] + 0.04, 0.0);
    let front = settled(front);
    assert!(!front.success);
    assert!(on_table(&front, DRAWER_CUBE));
    assert_eq!(failure_mode(&front), Some("drawer_not_open_enough"));
    // In the upper drawer: not a success.
    let mut upper = fresh(Task::Drawer);
    physics::move_drawer(&mut upper, DRAWER_UPPER, 0.15);
    let tray = upper.bodies[DRAWER_UPPER];
    put_in(&mut upper, DRAWER_CUBE, DRAWER_UPPER, tray.half[0] - 0.06, 0.0);
    assert!(!settled(upper).success);
}

#[test]
fn scene_entities_match_the_examples() {
    let names = |t: Task| t.entities().iter().map(|e| e.name).collect::<Vec<_>>();
    assert_eq!(names(Task::SortVegetables), ["gripper", "table", "broccoli", "carrot", "green_bowl", "orange_bowl"]);
    assert_eq!(names(Task::PickTrash), ["gripper", "can", "bin"]);
    assert_eq!(names(Task::OrganizeToolbox), ["gripper", "lid", "cable", "toolbox"]);
    assert_eq!(names(Task::Drawer), ["gripper", "cube", "lower_drawer", "upper_drawer", "cabinet"]);
    assert_eq!(Task::from_scene("toolbox_bench"), Some(Task::OrganizeToolbox));
    // Fresh episodes start in no success state, objects resting.
    for task in Task::ALL {
        for seed in 0..20 {
            let s = initial_state(task, rwd_sim::Variant::Nominal, seed);
            assert!(!s.success, "{task:?} seed {seed}");
            let mut t = s.clone();
            run(&mut t, action(&[]), 2);
            for (a, b) in s.bodies.iter().zip(&t.bodies) {
                assert!(geom::norm(geom::sub(a.pos, b.pos)) < 1e-9, "{task:?} seed {seed}: a body moved at rest");
            }
        }
    }
}
