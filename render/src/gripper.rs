//! The gripper as a handful of boxes (two fingers, a palm, a wrist), so it is
//! projected by exactly the same code as the scene's bodies.
//! Dimensions are those of a typical parallel-jaw gripper (8 cm stroke).

use crate::scene::GripperView;

/// Widest gap between the finger pads at `opening == 1`, metres.
pub const MAX_GAP: f64 = 0.08;
const FINGER_HALF: [f64; 3] = [0.006, 0.011, 0.024];
const PALM_HALF_Y: f64 = 0.016;
const PALM_HALF_Z: f64 = 0.009;
const WRIST_HALF: [f64; 3] = [0.014, 0.014, 0.035];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    Finger,
    Palm,
    Wrist,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Part {
    pub kind: PartKind,
    pub pos: [f64; 3],
    pub rot: [f64; 4],
    pub half: [f64; 3],
}

/// The gripper's parts, fingers last so they are painted on top.
pub fn parts(gripper: &GripperView) -> Vec<Part> {
    let opening = gripper.opening.clamp(0.0, 1.0);
    let rot = [
        (gripper.yaw / 2.0).cos(),
        0.0,
        0.0,
        (gripper.yaw / 2.0).sin(),
    ];
    let (sin, cos) = gripper.yaw.sin_cos();
    // The closing axis is the gripper's local x turned by yaw.
    let along = |d: f64, dz: f64| {
        [
            gripper.pos[0] + cos * d,
            gripper.pos[1] + sin * d,
            gripper.pos[2] + dz,
        ]
    };

    let finger_offset = opening * MAX_GAP / 2.0 + FINGER_HALF[0];
    // Finger pads reach a little below the TCP, like real fingertips.
    let finger_dz = FINGER_HALF[2] - 0.008;
    let palm_dz = finger_dz + FINGER_HALF[2] + PALM_HALF_Z;
    let palm_half_x = MAX_GAP / 2.0 + 2.0 * FINGER_HALF[0];
    let wrist_dz = palm_dz + PALM_HALF_Z + WRIST_HALF[2];
    vec![
        Part {
            kind: PartKind::Wrist,
            pos: along(0.0, wrist_dz),
            rot,
            half: WRIST_HALF,
        },
        Part {
            kind: PartKind::Palm,
            pos: along(0.0, palm_dz),
            rot,
            half: [palm_half_x, PALM_HALF_Y, PALM_HALF_Z],
        },
        Part {
            kind: PartKind::Finger,
            pos: along(-finger_offset, finger_dz),
            rot,
            half: FINGER_HALF,
        },
        Part {
            kind: PartKind::Finger,
            pos: along(finger_offset, finger_dz),
            rot,
            half: FINGER_HALF,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingers_spread_with_opening() {
        let gap = |opening| {
            let p = parts(&GripperView::new([0.0; 3], 0.0, opening, false));
            p[3].pos[0] - p[2].pos[0]
        };
        assert!(gap(1.0) > gap(0.0) + 0.07);
        assert!(gap(5.0) == gap(1.0), "opening is clamped");
    }
}
