//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rwd_sim::physics::{self, ACTION_DIM, Action};
use rwd_sim::tasks::{Task, Variant, initial_state};
use rwd_sim::world::{EnvState, TABLE_TOP};
use rwd_sim::geom;

pub fn fresh(task: Task) -> EnvState {
    initial_state(task, Variant::Nominal, 7)
}

/// An action with the given components (index, value) set, the rest 0.
pub fn action(parts: &[(usize, f64)]) -> Action {
    let mut a = [0.0; ACTION_DIM];
    for &(i, v) in parts {
        a[i] = v;
    }
    Action(a)
}

pub fn run(s: &mut EnvState, a: Action, steps: usize) {
    for _ in 0..steps {
        physics::step(s, &a);
    }
}

/// Put the open gripper's TCP at `body`'s centre and close it until held.
pub fn grasp(s: &mut EnvState, body: usize) {
    s.robot.tcp = s.bodies[body].pos;
    s.robot.opening = 1.0;
    run(s, action(&[(5, -1.0)]), 4);
    assert_eq!(s.robot.held, Some(body), "grasp of body {body} failed");
}

pub fn bottom(s: &EnvState, body: usize) -> f64 {
    let b = &s.bodies[body];
    b.pos[2] - geom::aabb_half(b.rot, b.half)[2]
}

pub fn tilt_deg(s: &EnvState, body: usize) -> f64 {
    geom::tilt(s.bodies[body].rot).to_degrees()
}

pub fn on_table(s: &EnvState, body: usize) -> bool {
    (bottom(s, body) - TABLE_TOP).abs() < 1e-6
}
