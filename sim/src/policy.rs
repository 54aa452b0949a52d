//! The scripted base policy: a stand-in for a fine-tuned VLA.
//!
//! One small state machine per environment (approach, grasp, lift, carry,
//! place, release; swing a lid shut; pull a drawer), acting only through the
//! action interface. It fails the way a VLA does because of its own
//! imperfections, drawn per episode from the environment's seed:
//!
//! - sort vegetables: the green bowl is occluded by the arm while the
//!   broccoli is carried, so its position estimate is poor; the broccoli is
//!   released beside the bowl (misplaced broccoli).
//! - pick trash: the can's position estimate is off by a few cm; a finger
//!   lands on the can's rim while descending and knocks it over (fallen can).
//! - organize toolbox: the hinge is hidden behind the open lid; the swing is
//!   planned about a misplaced hinge, the lid edge slips out of the fingers
//!   part-way and the friction hinge keeps it open (unclosed lid).
//! - drawer: the cabinet's heading estimate is a few degrees off; pulling at
//!   an angle, the handle slips out early and the drawer is left nearly shut;
//!   the cube is then put down in front of it (drawer not open enough).
//!
//! Nothing is teleported: the world's rules turn these errors into failures.

use serde::{Deserialize, Serialize};

use crate::geom::{self, Vec3, add, axes, rotate, scale, sub};
use crate::physics::{ACTION_DIM, handle_point};
use crate::rng::Rng;
use crate::tasks::*;
use crate::world::*;

/// What the policy is doing within its current job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Hover,
    Descend,
    Close,
    Lift,
    Carry,
    Lower,
    Release,
    Retreat,
    /// Lid: sweep the held edge along the planned arc.
    Sweep,
    /// Drawer: pull the held handle along the planned direction.
    Pull,
    /// Drawer: back away from the handle.
    Back,
    /// Finished (or gave up): hold still.
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Job {
    PickPlace { obj: usize, dest: usize },
    CloseLid,
    PullDrawer,
}

/// Per-environment policy state, serialisable alongside `EnvState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyState {
    /// The episode seed this state was drawn for.
    pub seed: u64,
    pub rng: Rng,
    pub job: u8,
    pub phase: Phase,
    pub timer: u16,
    pub retries: u8,
    /// Perception error of the object being picked (x, y), m.
    pub obj_err: [f64; 2],
    /// Perception error of each placing target (first and second job), m.
    pub dest_err: [[f64; 2]; 2],
    /// Toolbox: hinge position error (along x, along z), m.
    pub hinge_err: [f64; 2],
    /// Drawer: heading error of the cabinet, rad.
    pub yaw_err: f64,
    /// Lid angle or drawer stroke the policy is commanding now.
    pub progress: f64,
    /// Latched grasp target (x, y, z) and yaw.
    pub target: Vec3,
    pub target_yaw: f64,
}

/// How noisy the policy's perception is, per task (standard deviations).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolicyNoise {
    /// Scales every error below; 0 gives an oracle that sees the true state.
    pub scale: f64,
}

impl Default for PolicyNoise {
    fn default() -> Self {
        PolicyNoise { scale: 1.0 }
    }
}

const POLICY_SALT: u64 = 0x00BA_5E70_11C7_0000;
const SAFE_Z: f64 = 1.12;
const TORSO_TARGET: f64 = 0.3;
/// Drawer stroke the policy plans, m.
const PLANNED_PULL: f64 = 0.16;

fn sigma(task: Task) -> (f64, [f64; 2], f64, f64) {
    // (object, [first target, second target], hinge, heading in rad)
    match task {
        Task::SortVegetables => (0.006, [0.02, 0.075], 0.0, 0.0),
        Task::PickTrash => (0.037, [0.015, 0.0], 0.0, 0.0),
        Task::OrganizeToolbox => (0.006, [0.015, 0.0], 0.02, 0.0),
        Task::Drawer => (0.008, [0.0, 0.006], 0.0, 15f64.to_radians()),
    }
}

fn jobs(task: Task) -> [Option<Job>; 2] {
    match task {
        Task::SortVegetables => [
            Some(Job::PickPlace { obj: SORT_CARROT, dest: SORT_ORANGE_BOWL }),
            Some(Job::PickPlace { obj: SORT_BROCCOLI, dest: SORT_GREEN_BOWL }),
        ],
        Task::PickTrash => [Some(Job::PickPlace { obj: TRASH_CAN, dest: TRASH_BIN }), None],
        Task::OrganizeToolbox => [Some(Job::PickPlace { obj: TOOLBOX_CABLE, dest: TOOLBOX_BOX }), Some(Job::CloseLid)],
        Task::Drawer => [Some(Job::PullDrawer), Some(Job::PickPlace { obj: DRAWER_CUBE, dest: DRAWER_LOWER })],
    }
}

fn gauss2(rng: &mut Rng, s: f64) -> [f64; 2] {
    [rng.normal() * s, rng.normal() * s]
}

impl PolicyState {
    pub fn new(task: Task, seed: u64, noise: PolicyNoise) -> PolicyState {
        let mut rng = Rng::new(seed ^ POLICY_SALT);
        let (so, sd, sh, sy) = sigma(task);
        let k = noise.scale;
        let obj_err = gauss2(&mut rng, so * k);
        let dest_err = [gauss2(&mut rng, sd[0] * k), gauss2(&mut rng, sd[1] * k)];
        let hinge_err = gauss2(&mut rng, sh * k);
        let yaw_err = rng.normal() * sy * k;
        PolicyState {
            seed,
            rng,
            job: 0,
            phase: Phase::Hover,
            timer: 0,
            retries: 0,
            obj_err,
            dest_err,
            hinge_err,
            yaw_err,
            progress: 0.0,
            target: [0.0; 3],
            target_yaw: 0.0,
        }
    }

    /// The controller prompted again in the middle of an episode (a VLA
    /// given its instruction anew in a failure state): it takes up the
    /// first of its task's jobs whose goal `s` does not meet yet, from the
    /// top, with perception errors drawn afresh for `draw`. Done jobs are
    /// not redone; a job it has no skill for (a can lying down) leaves it
    /// idle, as in the original episode.
    pub fn resume(s: &EnvState, draw: u64, noise: PolicyNoise) -> PolicyState {
        let mut ps = PolicyState::new(s.task, draw, noise);
        // `act` re-draws a state whose seed is not its episode's.
        ps.seed = s.seed;
        let jobs = jobs(s.task);
        let pending = jobs.iter().position(|job| job.is_some_and(|job| !job_done(s, job)));
        // Past the last job when every goal is met: nothing left to do.
        ps.job = pending.unwrap_or(jobs.len()) as u8;
        ps
    }

    fn set(&mut self, phase: Phase) {
        self.phase = phase;
        self.timer = 0;
    }

    fn next_job(&mut self) {
        self.job = self.job.saturating_add(1);
        self.retries = 0;
        self.set(Phase::Hover);
    }

    /// A failed grasp: look again (a new perception draw) and retry, at most twice.
    fn retry(&mut self, task: Task, noise: PolicyNoise) {
        if self.retries >= 2 {
            self.set(Phase::Idle);
            return;
        }
        self.retries += 1;
        let (so, ..) = sigma(task);
        self.obj_err = gauss2(&mut self.rng, so * noise.scale);
        self.set(Phase::Retreat);
        self.progress = -1.0; // retreat then redo this job
    }
}

/// Drawer stroke a resumed controller accepts as pulled open, m.
const OPEN_ENOUGH: f64 = 0.1;

fn job_done(s: &EnvState, job: Job) -> bool {
    match job {
        Job::PickPlace { obj, dest } => contains(s, dest, obj) && !is_holding(s, obj),
        Job::CloseLid => is_closed(s, TOOLBOX_LID),
        Job::PullDrawer => s.bodies.get(DRAWER_LOWER).is_some_and(|d| d.joint >= OPEN_ENOUGH),
    }
}

/// A command being assembled: normalised action components.
struct Cmd([f64; ACTION_DIM]);

impl Cmd {
    fn new(r: &Robot) -> Cmd {
        let mut a = [0.0; ACTION_DIM];
        a[8] = ((TORSO_TARGET - r.torso) / (MAX_TORSO_SPEED * DT)).clamp(-1.0, 1.0);
        Cmd(a)
    }

    /// Move the TCP toward `target` at full speed, slowing into it; true when there.
    fn goto(&mut self, r: &Robot, target: Vec3) -> bool {
        let d = sub(target, r.tcp);
        let dist = geom::norm(d);
        let step = MAX_TCP_SPEED * DT;
        let k = if dist > step { step / dist } else { 1.0 };
        for (o, v) in self.0[..3].iter_mut().zip(d) {
            *o = (v * k / step).clamp(-1.0, 1.0);
        }
        dist < 0.006
    }

    /// Turn the gripper toward `yaw` (the fingers are symmetric: mod pi).
    fn turn(&mut self, r: &Robot, yaw: f64) -> bool {
        let mut e = geom::wrap_angle(yaw - r.yaw);
        if e > std::f64::consts::FRAC_PI_2 {
            e -= std::f64::consts::PI;
        } else if e < -std::f64::consts::FRAC_PI_2 {
            e += std::f64::consts::PI;
        }
        self.0[3] = (e / (MAX_WRIST_RATE * DT)).clamp(-1.0, 1.0);
        self.0[4] = (-r.pitch / (MAX_WRIST_RATE * DT)).clamp(-1.0, 1.0);
        e.abs() < 0.05
    }

    fn grip(&mut self, v: f64) {
        self.0[5] = v;
    }
}

fn yaw_of(b: &Body) -> f64 {
    let x = axes(b.rot)[0];
    x[1].atan2(x[0])
}

/// Where the policy puts an object in (or on) `dest`: xy it aims at and the
/// TCP height it releases from.
fn place_target(s: &EnvState, ps: &PolicyState, dest: usize, obj: usize) -> Vec3 {
    let d = &s.bodies[dest];
    let o = &s.bodies[obj];
    let err = ps.dest_err[usize::from(ps.job.min(1))];
    let oh = geom::aabb_half(o.rot, o.half)[2];
    match d.role {
        Role::Drawer { closed, axis, .. } => {
            // The middle of the opening the policy believes it pulled.
            let pull = drawer_axis_estimate(axis, ps.yaw_err);
            let front = add(closed, scale(axis, d.half[0]));
            let p = add(front, scale(pull, PLANNED_PULL / 2.0));
            [p[0] + err[0], p[1] + err[1], closed[2] - d.half[2] + oh + 0.02]
        }
        _ => {
            let floor = d.pos[2] - d.half[2];
            let z = if s.task == Task::PickTrash { d.pos[2] + d.half[2] + oh + 0.08 } else { floor + oh + 0.03 };
            [d.pos[0] + err[0], d.pos[1] + err[1], z]
        }
    }
}

/// The arm has stopped short of its target (resting on something, blocked).
fn stalled(r: &Robot, ps: &PolicyState) -> bool {
    ps.timer > 3 && geom::norm(r.vel) < 0.01
}

fn drawer_axis_estimate(axis: Vec3, yaw_err: f64) -> Vec3 {
    rotate(geom::quat_yaw(yaw_err), axis)
}

/// One step of the base policy for one environment.
pub fn act(ps: &mut PolicyState, s: &EnvState, noise: PolicyNoise) -> [f64; ACTION_DIM] {
    if ps.seed != s.seed || s.step == 0 && (ps.job, ps.phase, ps.timer) != (0, Phase::Hover, 0) {
        *ps = PolicyState::new(s.task, s.seed, noise);
    }
    let r = &s.robot;
    let mut c = Cmd::new(r);
    if !crate::physics::well_formed(s) {
        return [0.0; ACTION_DIM];
    }
    ps.timer = ps.timer.saturating_add(1);
    let job = jobs(s.task).get(usize::from(ps.job)).copied().flatten();
    match job {
        None => {
            c.grip(1.0);
            c.goto(r, [0.5, 0.0, SAFE_Z]);
            ps.phase = Phase::Idle;
        }
        Some(_) if ps.phase == Phase::Idle => {
            c.grip(if r.grasp() { 0.0 } else { 1.0 });
        }
        Some(Job::PickPlace { obj, dest }) => pick_place(ps, s, &mut c, obj, dest, noise),
        Some(Job::CloseLid) => close_lid(ps, s, &mut c, noise),
        Some(Job::PullDrawer) => pull_drawer(ps, s, &mut c, noise),
    }
    c.0
}

fn pick_place(ps: &mut PolicyState, s: &EnvState, c: &mut Cmd, obj: usize, dest: usize, noise: PolicyNoise) {
    let r = &s.robot;
    let o = &s.bodies[obj];
    let seen = [o.pos[0] + ps.obj_err[0], o.pos[1] + ps.obj_err[1]];
    let grasp_z = o.pos[2].max(TABLE_TOP + FINGER_TIP_BELOW + 0.004);
    // A can that was standing and now lies: the VLA has no skill for it.
    let knocked = crate::physics::is_elongated(o) && geom::tilt(o.rot) > 1.0;
    match ps.phase {
        Phase::Hover => {
            if knocked {
                ps.set(Phase::Idle);
                return;
            }
            c.grip(1.0);
            ps.target_yaw = yaw_of(o);
            let turned = c.turn(r, ps.target_yaw);
            let hover = [seen[0], seen[1], SAFE_Z];
            if r.tcp[2] < SAFE_Z - 0.03 && geom::horizontal_norm(sub(hover, r.tcp)) > 0.03 {
                c.goto(r, [r.tcp[0], r.tcp[1], SAFE_Z]);
            } else if c.goto(r, hover) && turned {
                ps.target = [seen[0], seen[1], grasp_z];
                ps.set(Phase::Descend);
            }
        }
        Phase::Descend => {
            c.grip(1.0);
            c.turn(r, ps.target_yaw);
            let there = c.goto(r, ps.target);
            // Stopped short (resting on something): close anyway.
            let stuck = stalled(r, ps);
            if knocked {
                ps.set(Phase::Idle);
            } else if there || stuck {
                ps.set(Phase::Close);
            }
        }
        Phase::Close => {
            c.grip(-1.0);
            c.turn(r, ps.target_yaw);
            if r.held == Some(obj) {
                ps.set(Phase::Lift);
            } else if ps.timer > 5 {
                ps.retry(s.task, noise);
            }
        }
        Phase::Lift => {
            c.turn(r, ps.target_yaw);
            if r.held != Some(obj) {
                ps.retry(s.task, noise);
            } else if c.goto(r, [r.tcp[0], r.tcp[1], SAFE_Z]) {
                ps.set(Phase::Carry);
            }
        }
        Phase::Carry | Phase::Lower => {
            c.turn(r, ps.target_yaw);
            let t = place_target(s, ps, dest, obj);
            if r.held != Some(obj) {
                ps.retry(s.task, noise);
            } else if ps.phase == Phase::Carry {
                if c.goto(r, [t[0], t[1], SAFE_Z]) {
                    ps.set(Phase::Lower);
                }
            } else if c.goto(r, t) || stalled(r, ps) {
                ps.set(Phase::Release);
            }
        }
        Phase::Release => {
            c.grip(1.0);
            if ps.timer >= 2 {
                ps.progress = 0.0;
                ps.set(Phase::Retreat);
            }
        }
        Phase::Retreat => retreat(c, r, ps),
        _ => ps.set(Phase::Idle),
    }
}

fn close_lid(ps: &mut PolicyState, s: &EnvState, c: &mut Cmd, noise: PolicyNoise) {
    let r = &s.robot;
    let lid = &s.bodies[TOOLBOX_LID];
    let Role::Lid { hinge, hinge_axis, rot_closed, max } = lid.role else {
        ps.set(Phase::Idle);
        return;
    };
    let handle = handle_point(lid).unwrap_or(lid.pos);
    // Fingers across the lid's thickness.
    let yaw = { let z = axes(lid.rot)[2]; z[1].atan2(z[0]) + std::f64::consts::FRAC_PI_2 };
    match ps.phase {
        Phase::Hover => {
            c.grip(1.0);
            let turned = c.turn(r, yaw);
            let above = add(handle, [0.0, 0.0, 0.08]);
            if c.goto(r, above) && turned {
                ps.target = handle;
                ps.set(Phase::Descend);
            }
        }
        Phase::Descend => {
            c.grip(1.0);
            c.turn(r, yaw);
            if c.goto(r, ps.target) || stalled(r, ps) {
                ps.set(Phase::Close);
            }
        }
        Phase::Close => {
            c.grip(-1.0);
            if r.held == Some(TOOLBOX_LID) {
                ps.progress = lid.joint;
                ps.set(Phase::Sweep);
            } else if ps.timer > 5 {
                ps.retry(s.task, noise);
            }
        }
        Phase::Sweep => {
            // Swing the edge about the hinge as the policy sees it.
            ps.progress = (ps.progress - 0.12).max(-0.03);
            let seen_hinge = add(hinge, [ps.hinge_err[0], 0.0, ps.hinge_err[1]]);
            let mut closed_lid = *lid;
            closed_lid.role = Role::Lid { hinge: seen_hinge, hinge_axis, rot_closed, max };
            closed_lid.joint = ps.progress.max(0.0);
            crate::physics::place_lid(&mut closed_lid);
            let mut t = handle_point(&closed_lid).unwrap_or(handle);
            if ps.progress < 0.0 {
                t[2] -= 0.01; // press it home
            }
            c.grip(-0.5);
            let there = c.goto(r, t);
            if ps.progress <= -0.03 && (there || ps.timer > 25) {
                ps.set(Phase::Release);
            }
        }
        Phase::Release => {
            c.grip(1.0);
            if ps.timer >= 2 {
                ps.set(Phase::Retreat);
            }
        }
        Phase::Retreat => {
            c.grip(1.0);
            if c.goto(r, [r.tcp[0] - 0.1, r.tcp[1], SAFE_Z]) || ps.timer > 10 {
                ps.next_job();
            }
        }
        _ => ps.set(Phase::Idle),
    }
}

fn pull_drawer(ps: &mut PolicyState, s: &EnvState, c: &mut Cmd, noise: PolicyNoise) {
    let r = &s.robot;
    let d = &s.bodies[DRAWER_LOWER];
    let Role::Drawer { closed, axis, .. } = d.role else {
        ps.set(Phase::Idle);
        return;
    };
    let pull = drawer_axis_estimate(axis, ps.yaw_err);
    let handle0 = add(closed, scale(axis, d.half[0] + crate::physics::DRAWER_HANDLE_OUT));
    // Where the policy sees the handle: off by its perception error across
    // the tray (y) and vertically.
    let [_, ty, tz] = axes(d.rot);
    let handle0 = add(handle0, add(scale(ty, ps.obj_err[0]), scale(tz, ps.obj_err[1])));
    // Fingers across the handle bar: along the tray's y axis as the policy sees it.
    let yaw = pull[1].atan2(pull[0]);
    match ps.phase {
        Phase::Hover => {
            c.grip(1.0);
            let turned = c.turn(r, yaw);
            let front = add(handle0, scale(pull, 0.08));
            if c.goto(r, front) && turned {
                ps.set(Phase::Descend);
            }
        }
        Phase::Descend => {
            c.grip(1.0);
            c.turn(r, yaw);
            if c.goto(r, handle0) || stalled(r, ps) {
                ps.set(Phase::Close);
            }
        }
        Phase::Close => {
            c.grip(-1.0);
            if r.held == Some(DRAWER_LOWER) {
                ps.progress = 0.0;
                ps.set(Phase::Pull);
            } else if ps.timer > 5 {
                ps.retry(s.task, noise);
            }
        }
        Phase::Pull => {
            c.grip(-0.5);
            c.turn(r, yaw);
            ps.progress = (ps.progress + 0.02).min(PLANNED_PULL);
            let there = c.goto(r, add(handle0, scale(pull, ps.progress)));
            if ps.progress >= PLANNED_PULL && (there || ps.timer > 20) {
                ps.set(Phase::Release);
            }
        }
        Phase::Release => {
            c.grip(1.0);
            if ps.timer >= 2 {
                ps.set(Phase::Back);
            }
        }
        Phase::Back => {
            c.grip(1.0);
            let t = add(handle0, scale(pull, PLANNED_PULL + 0.06));
            if c.goto(r, [t[0], t[1], r.tcp[2]]) || ps.timer > 8 {
                ps.progress = 0.0;
                ps.set(Phase::Retreat);
            }
        }
        Phase::Retreat => retreat(c, r, ps),
        _ => ps.set(Phase::Idle),
    }
}

/// Back up to the safe height with the gripper open; then either hover for
/// another try (a job marks that with negative progress) or take the next job.
fn retreat(c: &mut Cmd, r: &Robot, ps: &mut PolicyState) {
    c.grip(1.0);
    if c.goto(r, [r.tcp[0], r.tcp[1], SAFE_Z]) || ps.timer > 10 {
        if ps.progress < 0.0 {
            ps.progress = 0.0;
            ps.set(Phase::Hover);
        } else {
            ps.next_job();
        }
    }
}
