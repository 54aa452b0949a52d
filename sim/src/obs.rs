//! The fixed-size observation a policy network reads (f32).
//!
//! Layout (`POLICY_OBS_DIM` = 65), the same for every task so one network
//! can serve all four:
//!
//! | slots | meaning |
//! |---|---|
//! | 0..3 | TCP position, world, m |
//! | 3, 4 | sin, cos of gripper yaw |
//! | 5 | gripper pitch, rad |
//! | 6 | opening, 0 closed .. 1 open |
//! | 7 | grasp flag, 0/1 |
//! | 8, 9 | base x, y, m |
//! | 10, 11 | sin, cos of base yaw |
//! | 12 | torso lift, m |
//! | 13..16 | TCP velocity, m/s |
//! | 16..20 | task one-hot (sort, trash, toolbox, drawer) |
//! | 20 | episode progress, step / horizon |
//! | 21..65 | 4 body slots of 11: position relative to the TCP (3), orientation quaternion w,x,y,z (4), half extents (3), joint (1, m or rad; 0 for rigid bodies) |
//!
//! Body slots hold the task's bodies after the table, in `Task::body_names`
//! order; unused slots are zero.

use crate::geom::sub;
use crate::world::EnvState;

pub const POLICY_OBS_DIM: usize = 65;
pub const PROPRIO_DIM: usize = 16;
pub const BODY_SLOTS: usize = 4;
pub const BODY_SLOT_DIM: usize = 11;
/// The episode clock, step / horizon.
pub const CLOCK_SLOT: usize = 20;
const BODY_START: usize = 21;

/// Write one environment's policy observation; `out` must be
/// `POLICY_OBS_DIM` long (shorter buffers are filled as far as they go).
pub fn policy_obs(s: &EnvState, out: &mut [f32]) {
    let mut v = [0.0f64; POLICY_OBS_DIM];
    let r = &s.robot;
    v[0..3].copy_from_slice(&r.tcp);
    v[3] = r.yaw.sin();
    v[4] = r.yaw.cos();
    v[5] = r.pitch;
    v[6] = r.opening;
    v[7] = f64::from(u8::from(r.grasp()));
    v[8] = r.base[0];
    v[9] = r.base[1];
    v[10] = r.base[2].sin();
    v[11] = r.base[2].cos();
    v[12] = r.torso;
    v[13..16].copy_from_slice(&r.vel);
    v[16 + s.task.index()] = 1.0;
    v[CLOCK_SLOT] = f64::from(s.step) / f64::from(s.task.horizon());
    for (k, b) in s.bodies.iter().skip(1).take(BODY_SLOTS).enumerate() {
        let o = BODY_START + k * BODY_SLOT_DIM;
        v[o..o + 3].copy_from_slice(&sub(b.pos, r.tcp));
        v[o + 3..o + 7].copy_from_slice(&b.rot);
        v[o + 7..o + 10].copy_from_slice(&b.half);
        v[o + 10] = b.joint;
    }
    for (o, x) in out.iter_mut().zip(v) {
        *o = x as f32;
    }
}
