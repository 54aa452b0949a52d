//! Where everything goes: the title band, the two panels, and the one
//! world-to-pixel scale they share, fitted to the scene's extent.

use crate::error::RenderError;
use crate::font;
use crate::gripper;
use crate::project::{View, box_corners};
use crate::raster::Clip;
use crate::scene::{Options, Scene, Style, validate};

/// The smallest world span framed on any axis, metres: keeps a lone small
/// object from being blown up to fill the panel.
const MIN_SPAN: f64 = 0.12;
/// The smallest plot area that still makes sense, pixels.
const MIN_PLOT: i64 = 16;

/// One panel: a view of the scene in its own rectangle of the image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Panel {
    pub view: View,
    /// The whole panel, heading and footer included.
    pub frame: Clip,
    /// Where the scene is drawn; surfaces are cut off at its edge.
    pub plot: Clip,
    /// World coordinates (horizontal, vertical) shown at the plot's centre.
    center_world: (f64, f64),
    /// Pixel position of `center_world`.
    center_px: (f64, f64),
    px_per_m: f64,
}

impl Panel {
    /// Pixel position (x right, y down, fractional) of a world point.
    pub fn to_pixel(&self, p: [f64; 3]) -> (f64, f64) {
        let (h, v) = self.view.plane(p);
        (
            self.center_px.0 + (h - self.center_world.0) * self.px_per_m,
            self.center_px.1 - (v - self.center_world.1) * self.px_per_m,
        )
    }

    /// Inverse of `to_pixel` for the panel's two axes: (horizontal, vertical) world.
    pub fn to_world(&self, px: (f64, f64)) -> (f64, f64) {
        (
            self.center_world.0 + (px.0 - self.center_px.0) / self.px_per_m,
            self.center_world.1 - (px.1 - self.center_px.1) / self.px_per_m,
        )
    }

    /// The footer band below the plot, for the scale bar.
    pub fn footer(&self) -> Clip {
        Clip::new(self.frame.x0, self.plot.y1, self.frame.x1, self.frame.y1)
    }

    /// The heading band above the plot.
    pub fn header(&self) -> Clip {
        Clip::new(self.frame.x0, self.frame.y0, self.frame.x1, self.plot.y0)
    }
}

/// The geometry of a whole picture, computed before any pixel is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    /// Integer magnification of the 5x7 font.
    pub text_scale: u32,
    /// Padding around text, pixels.
    pub pad: i64,
    pub title: Clip,
    pub top: Panel,
    pub side: Panel,
    /// Pixels per metre, the same in both panels.
    pub px_per_m: f64,
}

impl Layout {
    pub fn panel(&self, view: View) -> &Panel {
        match view {
            View::Top => &self.top,
            View::Side => &self.side,
        }
    }

    /// Pixel position of a world point in the given view's panel.
    pub fn project(&self, view: View, p: [f64; 3]) -> (f64, f64) {
        self.panel(view).to_pixel(p)
    }
}

/// Computes the layout for `scene` at `options`, validating both first.
pub fn layout(scene: &Scene, options: &Options) -> Result<Layout, RenderError> {
    validate(scene, options)?;
    let width = i64::from(options.width);
    let height = i64::from(options.height);
    let margin = i64::from(options.margin);
    // Text grows with the picture so labels stay readable when downscaled for a VLM.
    let text_scale = (options.width.min(options.height * 2) / 500).clamp(1, 4);
    let text_h = i64::from(font::text_height(text_scale));
    let pad = 3 * i64::from(text_scale);

    let title = Clip::new(0, 0, width, text_h + 2 * pad);
    let header_h = text_h + 2 * pad;
    let footer_h = text_h + 3 * pad + 2;
    let split = width / 2;
    let make_frame = |x0: i64, x1: i64| Clip::new(x0, title.y1, x1, height);
    let frames = [make_frame(0, split), make_frame(split, width)];
    let plots = frames.map(|f| Clip::new(f.x0 + 1, f.y0 + header_h, f.x1 - 1, f.y1 - footer_h));
    let fit = plots.map(|p| Clip::new(p.x0 + margin, p.y0 + margin, p.x1 - margin, p.y1 - margin));
    if fit
        .iter()
        .any(|f| f.width() < MIN_PLOT || f.height() < MIN_PLOT)
    {
        return Err(RenderError::BadSize {
            width: options.width,
            height: options.height,
            reason: "too small for two panels with this margin",
        });
    }

    let [x_range, y_range, z_range] = extent(scene);
    let spans = [x_range, y_range, z_range].map(|(lo, hi)| (hi - lo).max(MIN_SPAN));
    let fit_w = fit[0].width().min(fit[1].width()) as f64;
    let fit_h = fit[0].height().min(fit[1].height()) as f64;
    let px_per_m = (fit_w / spans[0])
        .min(fit_h / spans[1])
        .min(fit_h / spans[2]);

    let mid = |(lo, hi): (f64, f64)| (lo + hi) / 2.0;
    let center_px = |c: Clip| ((c.x0 + c.x1) as f64 / 2.0, (c.y0 + c.y1) as f64 / 2.0);
    let top = Panel {
        view: View::Top,
        frame: frames[0],
        plot: plots[0],
        center_world: (mid(x_range), mid(y_range)),
        center_px: center_px(fit[0]),
        px_per_m,
    };
    let side = Panel {
        view: View::Side,
        frame: frames[1],
        plot: plots[1],
        center_world: (mid(x_range), mid(z_range)),
        center_px: center_px(fit[1]),
        px_per_m,
    };
    Ok(Layout {
        width: options.width,
        height: options.height,
        text_scale,
        pad,
        title,
        top,
        side,
        px_per_m,
    })
}

/// World-axis ranges to frame. Surfaces are support, not subject: a 1.2 m
/// table would shrink the objects on it to specks, so surfaces only set the
/// height of their top face (so the tabletop line shows in the side view),
/// unless the scene has nothing else.
fn extent(scene: &Scene) -> [(f64, f64); 3] {
    let mut ranges = [(f64::INFINITY, f64::NEG_INFINITY); 3];
    let mut grow = |p: [f64; 3], axes: &[usize]| {
        for &axis in axes {
            ranges[axis].0 = ranges[axis].0.min(p[axis]);
            ranges[axis].1 = ranges[axis].1.max(p[axis]);
        }
    };
    let has_subject =
        scene.gripper.is_some() || scene.bodies.iter().any(|b| b.style != Style::Surface);
    for body in &scene.bodies {
        let corners = box_corners(body.pos, body.rot, body.half);
        if body.style != Style::Surface || !has_subject {
            corners.iter().for_each(|c| grow(*c, &[0, 1, 2]));
        } else {
            let top = corners
                .iter()
                .map(|c| c[2])
                .fold(f64::NEG_INFINITY, f64::max);
            grow([0.0, 0.0, top], &[2]);
        }
    }
    if let Some(g) = &scene.gripper {
        for part in gripper::parts(g) {
            box_corners(part.pos, part.rot, part.half)
                .iter()
                .for_each(|c| grow(*c, &[0, 1, 2]));
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Body;

    #[test]
    fn both_panels_share_scale_and_x_axis() {
        let scene = Scene::new("t").with_body(Body::new("a", [0.3, 0.1, 0.05], [0.05, 0.05, 0.05]));
        let layout = layout(&scene, &Options::default()).unwrap();
        let a = layout.project(View::Top, [0.3, 0.1, 0.05]);
        let b = layout.project(View::Top, [0.4, 0.1, 0.05]);
        let c = layout.project(View::Side, [0.3, 0.1, 0.05]);
        let d = layout.project(View::Side, [0.4, 0.1, 0.05]);
        assert!(((b.0 - a.0) - (d.0 - c.0)).abs() < 1e-9);
        assert!(
            layout.project(View::Top, [0.3, 0.2, 0.0]).1 < a.1,
            "y points up in the top view"
        );
        assert!(
            layout.project(View::Side, [0.3, 0.0, 0.2]).1 < c.1,
            "z points up in the side view"
        );
    }

    #[test]
    fn huge_margin_is_an_error_not_a_panic() {
        let scene = Scene::new("t").with_body(Body::new("a", [0.0; 3], [0.1; 3]));
        let options = Options {
            width: 200,
            height: 100,
            margin: 500,
        };
        assert!(matches!(
            layout(&scene, &options),
            Err(RenderError::BadSize { .. })
        ));
    }
}
