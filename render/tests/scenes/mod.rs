//! Scenes shared by the integration tests.
#![allow(dead_code)]

use rwd_render::{Body, GripperView, Scene};

/// A table slab, two bowls, a broccoli beside the green bowl, a carrot in the
/// orange bowl and an open gripper above: the kind of state a VLM is shown.
pub fn kitchen() -> Scene {
    Scene::new("episode 17, step 212: carrot in the wrong bowl")
        .with_body(
            Body::new("table", [0.5, 0.0, -0.02], [0.45, 0.7, 0.02])
                .with_color([205, 175, 130])
                .surface(),
        )
        .with_body(
            Body::new("green bowl", [0.45, 0.16, 0.035], [0.075, 0.075, 0.035])
                .with_color([60, 170, 75])
                .container(),
        )
        .with_body(
            Body::new("orange bowl", [0.58, -0.14, 0.035], [0.075, 0.075, 0.035])
                .with_color([245, 150, 40])
                .container(),
        )
        .with_body(
            Body::new("broccoli", [0.46, 0.3, 0.03], [0.03, 0.03, 0.03]).with_color([25, 110, 35]),
        )
        .with_body(
            Body::new("carrot", [0.58, -0.14, 0.02], [0.055, 0.012, 0.012])
                .with_yaw(0.5)
                .with_color([230, 95, 10]),
        )
        .with_gripper(GripperView::new([0.52, 0.02, 0.22], 0.4, 0.7, false))
}
