//! A simulator state as a picture: the renderer's plain scene built from the
//! simulator's view of the state, encoded to PNG.

use super::CliError;
use rwd_render::{Body, GripperView, Options, Scene, Style};
use rwd_sim::EnvState;
use rwd_sim::view::{self, BodyKind};

/// Top-down and side views with entity labels, as PNG bytes.
pub fn png(state: &EnvState, title: &str) -> Result<Vec<u8>, CliError> {
    rwd_render::render_png(&scene(state, title), &Options::default())
        .map_err(|e| CliError::Failed(format!("cannot draw the state: {e}")))
}

pub fn scene(state: &EnvState, title: &str) -> Scene {
    let mut scene = Scene::new(title);
    for b in view::bodies(state) {
        let mut body = Body::new(b.name, b.pos, b.half).with_rot(b.rot);
        if let Some(color) = natural_color(b.name) {
            body = body.with_color(color);
        }
        let body = match b.kind {
            BodyKind::Table => body.surface(),
            BodyKind::Container | BodyKind::Drawer => body.container(),
            BodyKind::Object | BodyKind::Solid | BodyKind::Lid => body.with_style(Style::Solid),
        };
        scene = scene.with_body(body);
    }
    let g = view::gripper(state);
    // The simulator's fingers close along (-sin yaw, cos yaw): world y at
    // yaw 0; the renderer's close along world x at yaw 0.
    let yaw = state.robot.yaw + std::f64::consts::FRAC_PI_2;
    scene.with_gripper(GripperView::new(g.tcp, yaw, g.opening, g.grasp))
}

/// Colours a person (or a VLM) expects for the scenes' objects; anything
/// else gets the renderer's palette (which reads colour words like "green").
fn natural_color(name: &str) -> Option<[u8; 3]> {
    Some(match name {
        "broccoli" => [46, 125, 50],
        "carrot" => [239, 108, 0],
        "can" => [198, 40, 40],
        "cable" => [55, 71, 79],
        "cube" => [21, 101, 192],
        "lid" => [141, 110, 99],
        "toolbox" => [183, 28, 28],
        _ => return None,
    })
}
