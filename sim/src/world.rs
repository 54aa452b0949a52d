//! The simulator's state: the robot, the bodies, and the constants that fix
//! the world's geometry.
//!
//! Everything an episode needs to continue lives in [`EnvState`], so saving
//! and restoring it (`VecEnv::state` / `VecEnv::set_state`) reproduces the
//! future exactly. Geometry that differs per body (a drawer's slide axis, a
//! lid's hinge) is stored in the body's [`Role`], not in code.

use serde::{Deserialize, Serialize};

use crate::geom::{Quat, Vec3};
use crate::tasks::{Task, Variant};

/// Control period: one `step` is 0.1 s (10 Hz), as the examples count it.
pub const DT: f64 = 0.1;
/// Gravity, m/s^2.
pub const GRAVITY: f64 = 9.81;
/// Height of the table top above the floor.
pub const TABLE_TOP: f64 = 0.75;
/// Most bodies a task has (table included); fixed so a step needs no heap.
pub const MAX_BODIES: usize = 6;

/// Finger span when fully open (opening = 1), m.
pub const MAX_SPAN: f64 = 0.12;
/// Half thickness of a finger (along the finger axis).
pub const FINGER_HALF_THICK: f64 = 0.008;
/// Half width of a finger pad (across the finger axis, horizontally).
pub const FINGER_HALF_PAD: f64 = 0.012;
/// The fingertips reach this far below the tool-centre point ...
pub const FINGER_TIP_BELOW: f64 = 0.01;
/// ... and the fingers extend this far above it, up to the palm.
pub const FINGER_TOP_ABOVE: f64 = 0.05;

/// Most linear TCP speed a command can ask for, m/s.
pub const MAX_TCP_SPEED: f64 = 0.25;
/// Most gripper yaw / pitch rate, rad/s.
pub const MAX_WRIST_RATE: f64 = 2.0;
/// Opening change per second at full gripper command (full stroke in 0.4 s).
pub const OPENING_RATE: f64 = 2.5;
/// Most base speed, m/s, and base turn rate, rad/s.
pub const MAX_BASE_SPEED: f64 = 0.3;
pub const MAX_BASE_TURN: f64 = 0.6;
/// Torso lift range and speed.
pub const TORSO_MAX: f64 = 0.4;
pub const MAX_TORSO_SPEED: f64 = 0.1;
/// The arm's reach around the base centre: horizontal radius range, and the
/// TCP height range (the top grows with the torso lift).
pub const REACH_MIN: f64 = 0.25;
pub const REACH_MAX: f64 = 1.15;
pub const TCP_Z_MIN: f64 = 0.35;
pub const TCP_Z_MAX_AT_TORSO_0: f64 = 1.0;
/// The base is a disc of this radius; it may not overlap the table.
pub const BASE_RADIUS: f64 = 0.3;

/// A gripper command above this opens (and releases what it holds); below
/// its negative it closes (and grasps what is between the fingers).
pub const GRIPPER_DEADBAND: f64 = 0.25;
/// A held lid or drawer slips out of the fingers when the TCP strays this
/// far from where the handle can be.
pub const HANDLE_SLIP: f64 = 0.015;
/// Fingers close on a handle when the TCP is this close to it.
pub const HANDLE_REACH: f64 = 0.02;
/// Width of a lid edge or drawer handle between the fingers.
pub const HANDLE_WIDTH: f64 = 0.02;
/// A hinged lid's friction holds it anywhere between these angles; below
/// the first its weight shuts it, past the second it falls open.
pub const LID_HOLD_MIN: f64 = 25.0 * std::f64::consts::PI / 180.0;
pub const LID_HOLD_MAX: f64 = std::f64::consts::FRAC_PI_2;

/// What a body does physically. The box (`pos`, `rot`, `half`) means what
/// the rwd scene conventions say: for a container it is the inside, rim to
/// bottom; for a drawer the tray; for a lid the lid slab.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Role {
    /// The table-top slab: supports what is over it.
    Table,
    /// A free body: can be grasped, pushed, knocked over, and falls.
    Movable,
    /// Static open-topped container (bowl, bin, toolbox): what is over its
    /// inside rests on its floor; `wall` is the wall thickness.
    Container { wall: f64 },
    /// Static solid block (a cabinet body): supports on top, blocks the TCP.
    Solid,
    /// A sliding tray: `closed` is the tray centre at joint 0, `axis` the
    /// unit pull direction, `max` the longest pull (m). Also a container.
    Drawer { closed: Vec3, axis: Vec3, max: f64, wall: f64 },
    /// A lid on a hinge along `hinge_axis` through `hinge`; `rot_closed` is
    /// its orientation at joint 0; it opens by turning about the hinge so its
    /// front edge rises; `max` is the open stop (rad).
    Lid { hinge: Vec3, hinge_axis: Vec3, rot_closed: Quat, max: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub role: Role,
    pub pos: Vec3,
    pub rot: Quat,
    pub half: Vec3,
    /// Linear velocity over the last step, m/s.
    pub vel: Vec3,
    pub mass: f64,
    /// Drawer: pulled-out length (m); lid: hinge angle (rad); else 0.
    pub joint: f64,
    /// Vertical speed while falling (m/s, negative down); 0 at rest.
    pub fall_speed: f64,
}

impl Body {
    pub fn new(role: Role, pos: Vec3, rot: Quat, half: Vec3, mass: f64) -> Body {
        Body { role, pos, rot, half, vel: [0.0; 3], mass, joint: 0.0, fall_speed: 0.0 }
    }

    pub fn is_movable(&self) -> bool {
        matches!(self.role, Role::Movable)
    }
}

/// The robot: a mobile base, a torso lift, an end effector with position,
/// yaw and pitch (about the finger axis), and a parallel gripper.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Robot {
    /// Base pose on the floor: x, y, yaw.
    pub base: [f64; 3],
    pub torso: f64,
    /// Tool-centre point, world frame.
    pub tcp: Vec3,
    pub yaw: f64,
    pub pitch: f64,
    /// 0 closed .. 1 open (span = opening * MAX_SPAN).
    pub opening: f64,
    /// TCP velocity over the last step.
    pub vel: Vec3,
    /// Index of the held body.
    pub held: Option<usize>,
    /// A held free body's pose in the gripper frame, fixed at the grasp.
    pub held_offset: Vec3,
    pub held_rot: Quat,
}

impl Robot {
    /// Both fingers are in contact: exactly when something is held.
    pub fn grasp(&self) -> bool {
        self.held.is_some()
    }

    pub fn rot(&self) -> Quat {
        crate::geom::quat_mul(crate::geom::quat_yaw(self.yaw), crate::geom::quat_axis_angle([0.0, 1.0, 0.0], self.pitch))
    }

    /// Horizontal unit vector from one fingertip to the other.
    pub fn finger_axis(&self) -> Vec3 {
        [-self.yaw.sin(), self.yaw.cos(), 0.0]
    }

    pub fn span(&self) -> f64 {
        self.opening * MAX_SPAN
    }
}

/// The full state of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvState {
    pub task: Task,
    pub variant: Variant,
    /// The seed this episode was reset with.
    pub seed: u64,
    /// Steps taken since the reset.
    pub step: u32,
    pub robot: Robot,
    /// Bodies in the task's order (`Task::body_names`); index 0 is the table.
    pub bodies: Vec<Body>,
    /// The task's success test on the current state.
    pub success: bool,
    /// Success reached or the horizon passed; stays set until a reset.
    pub done: bool,
}
