//! One quasi-static step of the world.
//!
//! This is a fast, deterministic stand-in for a rigid-body solver: bodies
//! move only when something moves them (the gripper, a drawer they sit in,
//! gravity), contacts are resolved by rules rather than forces, and every
//! rule is written to agree with the rwd builtins (`contain`, `is_holding`,
//! `verify_property`) so that the programs judge the world correctly.
//!
//! Order within a step (each a function below):
//! base and torso -> TCP (workspace, table, solids) -> gripper (grasp /
//! release) -> held bodies follow the hand (a held handle drives its joint,
//! or slips) -> finger contacts with free bodies (push, knock over, block) ->
//! free bodies settle (off-balance tipping, push-off from rims, falling to the
//! highest support below) -> an unheld lid swings to a rest -> velocities.

use crate::geom::{
    self, Vec3, aabb_half, add, axes, cross, dot, horizontal_norm, in_box, projected_half, quat_axis_angle, quat_conj,
    quat_mul, rotate, scale, sub, unrotate,
};
use crate::world::*;

/// Number of action components.
pub const ACTION_DIM: usize = 9;

/// One robot command. Every component of the raw action vector is in
/// [-1, 1] (values outside are clipped, NaN counts as 0) and scales the
/// matching maximum:
///
/// | index | meaning | unit at 1.0 |
/// |---|---|---|
/// | 0..3 | TCP velocity x, y, z (world frame) | `MAX_TCP_SPEED` m/s per axis |
/// | 3 | gripper yaw rate | `MAX_WRIST_RATE` rad/s |
/// | 4 | gripper pitch rate (about the finger axis) | `MAX_WRIST_RATE` rad/s |
/// | 5 | gripper: > 0.25 open / release, < -0.25 close / grasp | `OPENING_RATE` per s |
/// | 6 | base forward speed | `MAX_BASE_SPEED` m/s |
/// | 7 | base turn rate | `MAX_BASE_TURN` rad/s |
/// | 8 | torso lift speed | `MAX_TORSO_SPEED` m/s |
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Action(pub [f64; ACTION_DIM]);

impl Action {
    /// Clip to [-1, 1]; NaN becomes 0 (the documented clamp: a policy that
    /// emits NaN stops moving instead of corrupting the state).
    pub fn from_raw<T: Copy + Into<f64>>(raw: &[T]) -> Action {
        let mut a = [0.0; ACTION_DIM];
        for (o, &r) in a.iter_mut().zip(raw) {
            let v: f64 = r.into();
            *o = if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
        }
        Action(a)
    }

    fn tcp_vel(&self) -> Vec3 {
        scale([self.0[0], self.0[1], self.0[2]], MAX_TCP_SPEED)
    }
}

/// Advance one environment by one step of `DT`. A malformed state (not the
/// task's number of bodies, or holding a body that does not exist) is left
/// unchanged: `VecEnv::set_state` refuses such states, so only direct
/// callers can build one.
pub fn step(s: &mut EnvState, a: &Action) {
    if !well_formed(s) {
        return;
    }
    let n = s.bodies.len().min(MAX_BODIES);
    let mut prev = [[0.0; 3]; MAX_BODIES];
    for (p, b) in prev.iter_mut().zip(&s.bodies) {
        *p = b.pos;
    }
    let prev_tcp = s.robot.tcp;

    move_base(s, a);
    move_tcp(s, a);
    actuate_gripper(s, a.0[5]);
    // Held bodies (and a pulled drawer's contents) move with the hand before
    // the fingers are checked against the rest; if a contact stops the hand,
    // what it holds follows it again.
    carry_held(s);
    let moved_tcp = s.robot.tcp;
    finger_contacts(s, prev_tcp);
    if s.robot.tcp != moved_tcp {
        carry_held(s);
    }
    for i in 0..n {
        if s.bodies[i].is_movable() && s.robot.held != Some(i) {
            settle(s, i);
        }
    }
    relax_lids(s);

    for (b, p) in s.bodies.iter_mut().zip(&prev) {
        b.vel = scale(sub(b.pos, *p), 1.0 / DT);
    }
    s.robot.vel = scale(sub(s.robot.tcp, prev_tcp), 1.0 / DT);
    s.step = s.step.saturating_add(1);
    s.success = crate::tasks::success(s);
    if s.success || s.step >= s.task.horizon() {
        s.done = true;
    }
}

pub fn well_formed(s: &EnvState) -> bool {
    let n = s.task.body_names().len();
    s.bodies.len() == n && s.robot.held.is_none_or(|h| h < n)
}

fn move_base(s: &mut EnvState, a: &Action) {
    let r = &mut s.robot;
    r.torso = (r.torso + a.0[8] * MAX_TORSO_SPEED * DT).clamp(0.0, TORSO_MAX);
    let yaw = geom::wrap_angle(r.base[2] + a.0[7] * MAX_BASE_TURN * DT);
    let v = a.0[6] * MAX_BASE_SPEED * DT;
    let (x, y) = (r.base[0] + v * yaw.cos(), r.base[1] + v * yaw.sin());
    r.base[2] = yaw;
    // The base disc may not overlap the table (a slab on legs it cannot pass).
    let t = &s.bodies[0];
    let dx = (x - t.pos[0]).abs() - t.half[0];
    let dy = (y - t.pos[1]).abs() - t.half[1];
    let dist = (dx.max(0.0).powi(2) + dy.max(0.0).powi(2)).sqrt();
    if dist >= BASE_RADIUS && (dx > 0.0 || dy > 0.0) {
        r.base[0] = x;
        r.base[1] = y;
    }
}

/// Whether the point is inside a solid body (the TCP may not be).
fn in_solid(s: &EnvState, p: Vec3) -> bool {
    s.bodies.iter().any(|b| matches!(b.role, Role::Solid) && in_box(b.pos, b.rot, b.half, 0.0, p))
}

fn move_tcp(s: &mut EnvState, a: &Action) {
    let r = &mut s.robot;
    r.yaw = geom::wrap_angle(r.yaw + a.0[3] * MAX_WRIST_RATE * DT);
    r.pitch = (r.pitch + a.0[4] * MAX_WRIST_RATE * DT).clamp(-std::f64::consts::FRAC_PI_2, std::f64::consts::FRAC_PI_2);
    let mut target = add(r.tcp, scale(a.tcp_vel(), DT));

    // The arm's reach around the base.
    let (bx, by) = (r.base[0], r.base[1]);
    let (rx, ry) = (target[0] - bx, target[1] - by);
    let rad = (rx * rx + ry * ry).sqrt();
    if rad < 1e-9 {
        target[0] = bx + REACH_MIN * r.base[2].cos();
        target[1] = by + REACH_MIN * r.base[2].sin();
    } else if !(REACH_MIN..=REACH_MAX).contains(&rad) {
        let k = rad.clamp(REACH_MIN, REACH_MAX) / rad;
        target[0] = bx + rx * k;
        target[1] = by + ry * k;
    }
    target[2] = target[2].clamp(TCP_Z_MIN, TCP_Z_MAX_AT_TORSO_0 + r.torso);

    // Fingertips stay above the table top; a held body stays above whatever
    // is under it.
    let t = &s.bodies[0];
    if (target[0] - t.pos[0]).abs() <= t.half[0] && (target[1] - t.pos[1]).abs() <= t.half[1] {
        target[2] = target[2].max(TABLE_TOP + FINGER_TIP_BELOW);
    }
    if let Some(h) = s.robot.held.filter(|&h| s.bodies[h].is_movable()) {
        let grip = s.robot.rot();
        let pos = add(target, rotate(grip, s.robot.held_offset));
        let rot = quat_mul(grip, s.robot.held_rot);
        let half = aabb_half(rot, s.bodies[h].half);
        let support = support_height(s, h, pos, half);
        let bottom = pos[2] - half[2];
        if bottom < support {
            target[2] += support - bottom;
        }
    }

    // Solids block the TCP: each axis moves as far as it can stay out
    // (bisecting for the contact point), so the TCP slides along a face.
    let mut tcp = s.robot.tcp;
    for k in 0..3 {
        let mut trial = tcp;
        trial[k] = target[k];
        if !in_solid(s, trial) {
            tcp = trial;
            continue;
        }
        let (mut free, mut blocked) = (tcp[k], target[k]);
        for _ in 0..8 {
            let mid = 0.5 * (free + blocked);
            trial[k] = mid;
            if in_solid(s, trial) { blocked = mid } else { free = mid }
        }
        tcp[k] = free;
    }
    s.robot.tcp = tcp;
}

/// The pad axis: horizontal, perpendicular to the finger axis.
fn pad_axis(r: &Robot) -> Vec3 {
    [r.yaw.cos(), r.yaw.sin(), 0.0]
}

/// A free body between the fingers: its extent along the finger axis fits
/// inside the span, the TCP is over it across the pads, and the fingers
/// reach its side.
fn between_fingers(r: &Robot, b: &Body, span: f64) -> Option<f64> {
    let (fa, pa) = (r.finger_axis(), pad_axis(r));
    let d = sub(b.pos, r.tcp);
    let (da, dp) = (dot(d, fa), dot(d, pa));
    let (ea, ep) = (projected_half(b.rot, b.half, fa), projected_half(b.rot, b.half, pa));
    let vz = aabb_half(b.rot, b.half)[2];
    let top = b.pos[2] + vz;
    let bottom = b.pos[2] - vz;
    let fits = da.abs() + ea <= span / 2.0 + 1e-9;
    let over = dp.abs() <= ep;
    let reaches = top >= r.tcp[2] - 0.005 && bottom <= r.tcp[2] + FINGER_TOP_ABOVE;
    (fits && over && reaches).then_some(da)
}

fn actuate_gripper(s: &mut EnvState, cmd: f64) {
    let old_span = s.robot.span();
    if let Some(h) = s.robot.held {
        if cmd > GRIPPER_DEADBAND {
            s.robot.held = None;
            s.bodies[h].fall_speed = 0.0;
            s.robot.opening = (s.robot.opening + cmd * OPENING_RATE * DT).min(1.0);
        }
        return;
    }
    let new_opening = (s.robot.opening + cmd * OPENING_RATE * DT).clamp(0.0, 1.0);
    if cmd < -GRIPPER_DEADBAND {
        let new_span = new_opening * MAX_SPAN;
        // A handle (lid edge, drawer front) near the TCP.
        for i in 0..s.bodies.len() {
            let b = &s.bodies[i];
            let Some(handle) = handle_point(b) else { continue };
            if old_span >= HANDLE_WIDTH
                && geom::norm(sub(s.robot.tcp, handle)) <= HANDLE_REACH
                && in_box(b.pos, b.rot, b.half, 0.01, s.robot.tcp)
            {
                s.robot.held = Some(i);
                s.robot.opening = HANDLE_WIDTH / MAX_SPAN;
                return;
            }
        }
        // The nearest free body the closing fingers reach.
        let mut best: Option<(usize, f64, f64)> = None;
        for (i, b) in s.bodies.iter().enumerate() {
            if !b.is_movable() {
                continue;
            }
            let Some(da) = between_fingers(&s.robot, b, old_span) else { continue };
            let ea = projected_half(b.rot, b.half, s.robot.finger_axis());
            if new_span / 2.0 > da.abs() + ea {
                continue;
            }
            let dist = geom::norm(sub(b.pos, s.robot.tcp));
            if best.is_none_or(|(_, _, d)| dist < d) {
                best = Some((i, da, dist));
            }
        }
        if let Some((i, da, _)) = best {
            // Closing fingers centre the body between them.
            let fa = s.robot.finger_axis();
            let centred = sub(s.bodies[i].pos, scale(fa, da));
            let b = s.bodies[i];
            if in_box(centred, b.rot, b.half, 0.01, s.robot.tcp) {
                let grip = s.robot.rot();
                s.bodies[i].pos = centred;
                s.bodies[i].fall_speed = 0.0;
                s.robot.held = Some(i);
                s.robot.opening = 2.0 * projected_half(b.rot, b.half, fa) / MAX_SPAN;
                s.robot.held_offset = unrotate(grip, sub(centred, s.robot.tcp));
                s.robot.held_rot = quat_mul(quat_conj(grip), b.rot);
                return;
            }
        }
    }
    s.robot.opening = new_opening;
}

/// Height, extent along the body's z and along the pad axis, of a body the
/// fingers overlap; `None` if neither finger touches it.
fn finger_touch(r: &Robot, b: &Body) -> Option<Vec3> {
    let vz = aabb_half(b.rot, b.half)[2];
    if b.pos[2] + vz < r.tcp[2] - FINGER_TIP_BELOW || b.pos[2] - vz > r.tcp[2] + FINGER_TOP_ABOVE {
        return None;
    }
    let (fa, pa) = (r.finger_axis(), pad_axis(r));
    let d = sub(b.pos, r.tcp);
    let (da, dp) = (dot(d, fa), dot(d, pa));
    let (ea, ep) = (projected_half(b.rot, b.half, fa), projected_half(b.rot, b.half, pa));
    if dp.abs() >= ep + FINGER_HALF_PAD {
        return None;
    }
    for sign in [-1.0, 1.0] {
        let centre = sign * (r.span() / 2.0 + FINGER_HALF_THICK);
        if (da - centre).abs() < ea + FINGER_HALF_THICK - 1e-6 {
            // The touching finger's position in the world.
            return Some(add(r.tcp, scale(fa, centre)));
        }
    }
    None
}

/// Tall: its height clearly above its narrowest base width.
pub fn is_tall(b: &Body) -> bool {
    let h = aabb_half(b.rot, b.half);
    h[2] > 1.3 * h[0].min(h[1])
}

/// Tall along its own z axis (a can), whatever way it lies now.
pub fn is_elongated(b: &Body) -> bool {
    b.half[2] > 1.3 * b.half[0].min(b.half[1])
}

fn upright(b: &Body) -> bool {
    geom::tilt(b.rot) < 15f64.to_radians()
}

/// Tip a body over onto its side, toward the horizontal unit `dir`: it
/// pivots about its bottom edge on that side and then falls to its support.
pub fn topple(b: &mut Body, dir: Vec3) {
    let h = aabb_half(b.rot, b.half);
    let r = projected_half(b.rot, b.half, dir);
    let axis = cross(geom::Z_UP, dir);
    let n = geom::norm(axis);
    if n < 1e-9 {
        return;
    }
    let q = quat_axis_angle(scale(axis, 1.0 / n), std::f64::consts::FRAC_PI_2);
    let bottom = b.pos[2] - h[2];
    b.rot = geom::quat_normalize(quat_mul(q, b.rot));
    b.pos = [b.pos[0] + (r + h[2]) * dir[0], b.pos[1] + (r + h[2]) * dir[1], bottom + r];
    b.fall_speed = 0.0;
}

fn horizontal_unit(v: Vec3) -> Option<Vec3> {
    let n = horizontal_norm(v);
    (n > 1e-9).then(|| [v[0] / n, v[1] / n, 0.0])
}

fn finger_contacts(s: &mut EnvState, prev_tcp: Vec3) {
    let motion = sub(s.robot.tcp, prev_tcp);
    let hmove = horizontal_norm(motion);
    for i in 0..s.bodies.len() {
        if !s.bodies[i].is_movable() || s.robot.held == Some(i) {
            continue;
        }
        let Some(finger) = finger_touch(&s.robot, &s.bodies[i]) else { continue };
        let b = &mut s.bodies[i];
        let knockable = is_tall(b) && upright(b);
        if hmove > 0.002 && hmove >= 0.5 * motion[2].abs() {
            // Swept sideways into it: a tall body is knocked over in the
            // sweep direction, a squat one slides along with the finger.
            let dir = [motion[0] / hmove, motion[1] / hmove, 0.0];
            if knockable {
                topple(b, dir);
            } else {
                b.pos[0] += motion[0];
                b.pos[1] += motion[1];
            }
        } else if knockable {
            // Came down on its top edge: it tips away from the finger.
            let dir = horizontal_unit(sub(b.pos, finger)).unwrap_or(pad_axis(&s.robot));
            topple(b, dir);
        } else {
            // Came down on it: the fingers rest on its top.
            let top = b.pos[2] + aabb_half(b.rot, b.half)[2];
            s.robot.tcp[2] = s.robot.tcp[2].max(top + FINGER_TIP_BELOW);
        }
    }
}

/// The drawer handle stands this far out of the tray's front face.
pub const DRAWER_HANDLE_OUT: f64 = 0.005;

/// The point the fingers pinch on a lid (1 cm in from its front edge, as
/// the toolbox example aims) or a drawer (the middle of the tray's front face).
pub fn handle_point(b: &Body) -> Option<Vec3> {
    match b.role {
        Role::Lid { .. } => Some(add(b.pos, rotate(b.rot, [0.0, b.half[1] - 0.01, 0.0]))),
        Role::Drawer { .. } => Some(add(b.pos, rotate(b.rot, [b.half[0] + DRAWER_HANDLE_OUT, 0.0, 0.0]))),
        _ => None,
    }
}

/// Put a lid's box where its joint angle says.
pub fn place_lid(b: &mut Body) {
    let Role::Lid { hinge, hinge_axis, rot_closed, max } = b.role else { return };
    b.joint = b.joint.clamp(0.0, max);
    // Positive angles lift the front edge: turn about -hinge_axis x y_closed
    // ... which for the toolbox (hinge along +y, front toward -x) is +y.
    let q = quat_axis_angle(lid_turn_axis(hinge_axis, rot_closed), b.joint);
    b.rot = quat_mul(q, rot_closed);
    b.pos = add(hinge, rotate(b.rot, [0.0, b.half[1], b.half[2]]));
}

/// The axis about which a positive lid angle turns: the one that lifts the
/// front edge (the closed lid's y axis) toward its z axis.
fn lid_turn_axis(hinge_axis: Vec3, rot_closed: geom::Quat) -> Vec3 {
    let [_, y, z] = axes(rot_closed);
    if dot(cross(hinge_axis, y), z) >= 0.0 { hinge_axis } else { scale(hinge_axis, -1.0) }
}

fn carry_held(s: &mut EnvState) {
    let Some(h) = s.robot.held else { return };
    let tcp = s.robot.tcp;
    match s.bodies[h].role {
        Role::Movable => {
            let grip = s.robot.rot();
            let b = &mut s.bodies[h];
            b.pos = add(tcp, rotate(grip, s.robot.held_offset));
            b.rot = geom::quat_normalize(quat_mul(grip, s.robot.held_rot));
            b.fall_speed = 0.0;
        }
        Role::Lid { hinge, hinge_axis, rot_closed, max } => {
            let b = &mut s.bodies[h];
            let [_, y_c, z_c] = axes(rot_closed);
            let axis = lid_turn_axis(hinge_axis, rot_closed);
            let d = sub(tcp, hinge);
            // The handle sits `a` out along the lid and `c` above its plane.
            let (a, c) = (2.0 * b.half[1] - 0.01, b.half[2]);
            let angle = dot(d, z_c).atan2(dot(d, y_c)) - c.atan2(a);
            b.joint = angle.clamp(0.0, max);
            place_lid(b);
            let along = dot(d, axis).clamp(-b.half[0], b.half[0]);
            let lateral_hinge = dot(sub(b.pos, hinge), axis);
            let handle = add(handle_point(b).unwrap_or(b.pos), scale(axis, along - lateral_hinge));
            if geom::norm(sub(tcp, handle)) > HANDLE_SLIP {
                s.robot.held = None;
            }
        }
        Role::Drawer { closed, axis, max, .. } => {
            let old = s.bodies[h].joint;
            let b = s.bodies[h];
            let front_closed = add(closed, scale(axis, b.half[0] + DRAWER_HANDLE_OUT));
            let joint = dot(sub(tcp, front_closed), axis).clamp(0.0, max);
            let handle = add(front_closed, scale(axis, joint));
            // The handle is a vertical bar (+-3 cm): the fingers may slide up
            // and down it, not sideways off it.
            let y = axes(b.rot)[2];
            let e = sub(tcp, handle);
            let along = dot(e, y);
            let e = sub(e, scale(y, along.clamp(-0.03, 0.03)));
            if geom::norm(e) > HANDLE_SLIP {
                s.robot.held = None;
                return;
            }
            move_drawer(s, h, joint - old);
        }
        _ => s.robot.held = None,
    }
}

/// Slide a drawer by `delta` along its axis, carrying the free bodies in it.
pub fn move_drawer(s: &mut EnvState, drawer: usize, delta: f64) {
    let Role::Drawer { axis, closed, .. } = s.bodies[drawer].role else { return };
    if delta == 0.0 {
        return;
    }
    let tray = s.bodies[drawer];
    let shift = scale(axis, delta);
    for i in 0..s.bodies.len() {
        let b = s.bodies[i];
        if b.is_movable() && s.robot.held != Some(i) && in_box(tray.pos, tray.rot, tray.half, 0.0, b.pos) {
            s.bodies[i].pos = add(b.pos, shift);
        }
    }
    let d = &mut s.bodies[drawer];
    d.joint += delta;
    d.pos = add(closed, scale(axis, d.joint));
}

/// The highest support surface below a body at `pos` with world half extents
/// `half` (floor, table top, a container's floor or rim, a solid's top, a
/// shut lid), ignoring surfaces above its bottom.
pub fn support_height(s: &EnvState, me: usize, pos: Vec3, half: Vec3) -> f64 {
    let bottom = pos[2] - half[2];
    let mut best: f64 = 0.0;
    for (j, c) in s.bodies.iter().enumerate() {
        if j == me {
            continue;
        }
        let surface = match c.role {
            Role::Table => {
                let over = (pos[0] - c.pos[0]).abs() <= c.half[0] && (pos[1] - c.pos[1]).abs() <= c.half[1];
                over.then_some(c.pos[2] + c.half[2])
            }
            Role::Container { wall } | Role::Drawer { wall, .. } => {
                let l = unrotate(c.rot, sub(pos, c.pos));
                if l[0].abs() <= c.half[0] && l[1].abs() <= c.half[1] {
                    Some(c.pos[2] - c.half[2])
                } else if l[0].abs() <= c.half[0] + wall && l[1].abs() <= c.half[1] + wall {
                    Some(c.pos[2] + c.half[2])
                } else {
                    None
                }
            }
            Role::Solid => footprint_overlap(c, pos, half).then_some(c.pos[2] + c.half[2]),
            Role::Lid { .. } if c.joint < 5f64.to_radians() => {
                footprint_overlap(c, pos, half).then_some(c.pos[2] + c.half[2])
            }
            _ => None,
        };
        if let Some(h) = surface
            && h <= bottom + 1e-3
            && h > best
        {
            best = h;
        }
    }
    best
}

fn footprint_overlap(c: &Body, pos: Vec3, half: Vec3) -> bool {
    let l = unrotate(c.rot, sub(pos, c.pos));
    let [cx, cy, _] = axes(c.rot);
    let ox = half[0] * cx[0].abs() + half[1] * cx[1].abs();
    let oy = half[0] * cy[0].abs() + half[1] * cy[1].abs();
    l[0].abs() < c.half[0] + ox && l[1].abs() < c.half[1] + oy
}

fn in_any_drawer(s: &EnvState, p: Vec3) -> bool {
    s.bodies.iter().any(|d| matches!(d.role, Role::Drawer { .. }) && in_box(d.pos, d.rot, d.half, 0.0, p))
}

/// Let a free body come to rest: tip over if released off balance, slide or
/// tip off a rim it straddles, fall to the support below.
fn settle(s: &mut EnvState, i: usize) {
    let b = s.bodies[i];
    let tilt = geom::tilt(b.rot);
    // Released tilted: a tall body that is neither upright nor lying falls
    // the way it leans.
    if is_elongated(&b) && tilt > 15f64.to_radians() && tilt < 60f64.to_radians() {
        let z = axes(b.rot)[2];
        if let Some(dir) = horizontal_unit(z) {
            // Lay it flat: turn the remaining angle about the tipping axis.
            let axis = cross(geom::Z_UP, dir);
            let n = geom::norm(axis);
            if n > 1e-9 {
                let q = quat_axis_angle(scale(axis, 1.0 / n), std::f64::consts::FRAC_PI_2 - tilt);
                s.bodies[i].rot = geom::quat_normalize(quat_mul(q, b.rot));
            }
        }
    }

    // Straddling a rim or a solid's edge with the centre outside: pushed off
    // (tall upright bodies tip off instead).
    for j in 0..s.bodies.len() {
        if j == i {
            continue;
        }
        let c = s.bodies[j];
        let (wall, solid) = match c.role {
            Role::Container { wall } | Role::Drawer { wall, .. } => (wall, false),
            Role::Solid => (0.0, true),
            _ => continue,
        };
        let b = s.bodies[i];
        if solid && in_any_drawer(s, b.pos) {
            continue;
        }
        let half = aabb_half(b.rot, b.half);
        let (bottom, top) = (b.pos[2] - half[2], b.pos[2] + half[2]);
        let rim = c.pos[2] + c.half[2];
        let base = c.pos[2] - c.half[2] - wall;
        if bottom >= rim - 1e-3 || top <= base {
            continue;
        }
        let l = unrotate(c.rot, sub(b.pos, c.pos));
        let outside = [l[0].abs() > c.half[0], l[1].abs() > c.half[1]];
        if !solid && !outside[0] && !outside[1] {
            continue;
        }
        let [cx, cy, _] = axes(c.rot);
        let o = [projected_half(b.rot, b.half, cx), projected_half(b.rot, b.half, cy)];
        let pen = [c.half[0] + wall + o[0] - l[0].abs(), c.half[1] + wall + o[1] - l[1].abs()];
        if pen[0] <= 0.0 || pen[1] <= 0.0 {
            continue;
        }
        let k = match (solid || outside[0], solid || outside[1]) {
            (true, true) => usize::from(pen[1] < pen[0]),
            (true, false) => 0,
            _ => 1,
        };
        let sign = if l[k] >= 0.0 { 1.0 } else { -1.0 };
        let dir = scale(if k == 0 { cx } else { cy }, sign);
        let b = &mut s.bodies[i];
        if is_tall(b) && upright(b) {
            if let Some(d) = horizontal_unit(dir) {
                topple(b, d);
            }
        } else {
            b.pos = add(b.pos, scale(dir, pen[k] + 1e-4));
        }
    }

    // Fall to the highest support below.
    let b = s.bodies[i];
    let half = aabb_half(b.rot, b.half);
    let support = support_height(s, i, b.pos, half);
    let bottom = b.pos[2] - half[2];
    let b = &mut s.bodies[i];
    if bottom > support + 1e-6 {
        b.fall_speed -= GRAVITY * DT;
        b.pos[2] = (bottom + b.fall_speed * DT).max(support) + half[2];
        if b.pos[2] - half[2] <= support + 1e-9 {
            b.fall_speed = 0.0;
        }
    } else {
        b.pos[2] = support + half[2];
        b.fall_speed = 0.0;
    }
}

/// An unheld lid below its friction range falls shut; past vertical it
/// falls open against its stop; in between it stays.
fn relax_lids(s: &mut EnvState) {
    for i in 0..s.bodies.len() {
        if s.robot.held == Some(i) {
            continue;
        }
        let b = &mut s.bodies[i];
        let Role::Lid { max, .. } = b.role else { continue };
        if b.joint > 0.0 && b.joint < LID_HOLD_MIN {
            b.joint = (b.joint - 0.4).max(0.0);
        } else if b.joint > LID_HOLD_MAX && b.joint < max {
            b.joint = (b.joint + 0.3).min(max);
        } else {
            continue;
        }
        place_lid(b);
    }
}
