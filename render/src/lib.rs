//! rwd-render: draws a tabletop scene as a PNG with a top-down and a side
//! view, entity labels, a title, a metric grid and a scale bar. It is meant
//! for people inspecting failure states and as the picture a vision-language
//! model is shown when asked to write a recovery reward.
//!
//! The library does no IO: it returns pixels or PNG bytes.
//!
//! ```
//! use rwd_render::{Body, GripperView, Options, Scene, render_png};
//! let scene = Scene::new("demo")
//!     .with_body(Body::new("cube", [0.4, 0.0, 0.025], [0.025; 3]))
//!     .with_gripper(GripperView::new([0.4, 0.0, 0.2], 0.0, 1.0, false));
//! let png = render_png(&scene, &Options::default()).unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```

mod encode;
mod error;
pub mod font;
mod gripper;
mod labels;
mod layout;
mod panels;
mod project;
mod raster;
mod scene;

pub use error::RenderError;
pub use gripper::MAX_GAP as GRIPPER_MAX_GAP;
pub use labels::TEXT_COLOR as LABEL_TEXT_COLOR;
pub use layout::{Layout, Panel, layout};
pub use panels::{GRASP_FINGER as GRASP_FINGER_COLOR, GRIPPER_FINGER as GRIPPER_FINGER_COLOR};
pub use project::View;
pub use raster::{Clip, Image};
pub use scene::{Body, GripperView, MAX_SIDE, Options, SURFACE_COLOR, Scene, Style, palette_color};

/// Renders the scene to raw RGB pixels.
pub fn render_rgb(scene: &Scene, options: &Options) -> Result<Image, RenderError> {
    let layout = layout::layout(scene, options)?;
    let mut image = Image::new(options.width, options.height, panels::BACKGROUND);
    panels::draw_title(&mut image, &layout, &scene.title);
    // Both panels first, then every label: a label may spill past its panel's
    // edge and must not be painted over by the next panel.
    let mut requests = Vec::new();
    let mut obstacles = Vec::new();
    for panel in [layout.top, layout.side] {
        let (panel_requests, panel_obstacles) =
            panels::draw_panel(&mut image, &layout, &panel, scene);
        requests.extend(panel_requests);
        obstacles.extend(panel_obstacles);
    }
    labels::draw_labels(&mut image, &requests, &obstacles, layout.text_scale);
    Ok(image)
}

/// Renders the scene to PNG bytes.
pub fn render_png(scene: &Scene, options: &Options) -> Result<Vec<u8>, RenderError> {
    encode::encode_png(&render_rgb(scene, options)?)
}
