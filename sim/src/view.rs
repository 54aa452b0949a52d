//! What a renderer needs to draw a state: every body's box and the gripper.

use serde::Serialize;

use crate::geom::{Quat, Vec3};
use crate::world::{EnvState, MAX_SPAN, Role};

/// What kind of thing a body is, for choosing how to draw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BodyKind {
    Table,
    Object,
    /// Open-topped; the box is the inside.
    Container,
    Solid,
    Drawer,
    Lid,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BodyView {
    pub name: &'static str,
    pub kind: BodyKind,
    pub pos: Vec3,
    pub rot: Quat,
    pub half: Vec3,
    /// Container / drawer wall thickness (drawn around the inside box), m.
    pub wall: f64,
    /// Drawer: m pulled out; lid: rad open; else 0.
    pub joint: f64,
    pub held: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GripperView {
    pub tcp: Vec3,
    pub rot: Quat,
    pub opening: f64,
    /// Distance between the fingers' inner faces, m.
    pub span: f64,
    pub grasp: bool,
    /// Base x, y, yaw and torso lift.
    pub base: [f64; 3],
    pub torso: f64,
}

pub fn bodies(s: &EnvState) -> Vec<BodyView> {
    let names = s.task.body_names();
    s.bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (kind, wall) = match b.role {
                Role::Table => (BodyKind::Table, 0.0),
                Role::Movable => (BodyKind::Object, 0.0),
                Role::Container { wall } => (BodyKind::Container, wall),
                Role::Solid => (BodyKind::Solid, 0.0),
                Role::Drawer { wall, .. } => (BodyKind::Drawer, wall),
                Role::Lid { .. } => (BodyKind::Lid, 0.0),
            };
            BodyView {
                name: names.get(i).copied().unwrap_or("body"),
                kind,
                pos: b.pos,
                rot: b.rot,
                half: b.half,
                wall,
                joint: b.joint,
                held: s.robot.held == Some(i),
            }
        })
        .collect()
}

pub fn gripper(s: &EnvState) -> GripperView {
    let r = &s.robot;
    GripperView {
        tcp: r.tcp,
        rot: r.rot(),
        opening: r.opening,
        span: r.opening * MAX_SPAN,
        grasp: r.grasp(),
        base: r.base,
        torso: r.torso,
    }
}
