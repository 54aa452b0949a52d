//! The input model: plain data describing a tabletop scene, independent of any
//! simulator. World frame: x forward (right in both views), y left (up in the
//! top view), z up; metres and radians.

use crate::error::RenderError;

/// Everything the renderer draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scene {
    pub title: String,
    pub bodies: Vec<Body>,
    pub gripper: Option<GripperView>,
}

/// An oriented box standing in for one entity of the scene.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub label: String,
    /// Centre of the box in the world frame.
    pub pos: [f64; 3],
    /// Orientation as a quaternion `[w, x, y, z]`; need not be normalised.
    pub rot: [f64; 4],
    /// Half extents along the body's own axes.
    pub half: [f64; 3],
    pub color: [u8; 3],
    pub style: Style,
}

/// How a body is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// A filled box with a darker outline.
    #[default]
    Solid,
    /// An open box (bowl, bin, drawer): a pale interior and a strong rim, drawn
    /// underneath whatever sits inside it.
    Container,
    /// A support such as a table slab: drawn first, muted, never framed for.
    Surface,
}

/// The robot's gripper, drawn as two fingers hanging from a palm.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GripperView {
    /// Tool-centre point: between the finger pads.
    pub pos: [f64; 3],
    /// Rotation about z of the closing axis; at 0 the fingers close along world x.
    pub yaw: f64,
    /// 0 closed .. 1 fully open (values outside are clamped).
    pub opening: f64,
    /// Highlighted when true.
    pub grasping: bool,
}

/// Image size and the blank border kept around each panel's plot, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub width: u32,
    pub height: u32,
    pub margin: u32,
}

impl Default for Options {
    /// Wide enough for two legible panels, small enough for a VLM prompt.
    fn default() -> Self {
        Options {
            width: 1280,
            height: 640,
            margin: 28,
        }
    }
}

/// Distinct, saturated colours that stay readable on a white background.
const PALETTE: [[u8; 3]; 12] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
    [0, 90, 50],
    [120, 60, 160],
];

/// Colours for colour words in labels: a "red block" drawn cyan would
/// mislead a person and a VLM alike.
const NAMED: [(&str, [u8; 3]); 13] = [
    ("red", [214, 39, 40]),
    ("green", [44, 160, 44]),
    ("blue", [31, 119, 180]),
    ("orange", [255, 127, 14]),
    ("yellow", [235, 200, 20]),
    ("purple", [148, 103, 189]),
    ("pink", [227, 119, 194]),
    ("brown", [140, 86, 75]),
    ("black", [45, 45, 45]),
    ("white", [228, 228, 228]),
    ("gray", [127, 127, 127]),
    ("grey", [127, 127, 127]),
    ("cyan", [23, 190, 207]),
];

/// The colour of the first colour word in `label`, if any.
fn named_color(label: &str) -> Option<[u8; 3]> {
    let lower = label.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|word| {
            NAMED
                .iter()
                .find(|(name, _)| *name == word)
                .map(|(_, color)| *color)
        })
}

/// Default colour of a surface: a light wood tone, because a hashed palette
/// colour on a slab that fills the panel is loud and means nothing.
pub const SURFACE_COLOR: [u8; 3] = [205, 175, 130];

/// A stable colour for a label, so the same entity keeps its colour across
/// renders and runs: the first colour word in the label if there is one
/// ("red block"), otherwise an FNV-1a hash of the label into a fixed palette.
pub fn palette_color(label: &str) -> [u8; 3] {
    if let Some(color) = named_color(label) {
        return color;
    }
    let mut hash: u32 = 0x811c_9dc5;
    for byte in label.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    PALETTE[(hash % PALETTE.len() as u32) as usize]
}

impl Body {
    /// An axis-aligned solid box coloured from the palette by its label.
    pub fn new(label: impl Into<String>, pos: [f64; 3], half: [f64; 3]) -> Body {
        let label = label.into();
        let color = palette_color(&label);
        Body {
            label,
            pos,
            rot: [1.0, 0.0, 0.0, 0.0],
            half,
            color,
            style: Style::Solid,
        }
    }

    pub fn with_color(mut self, color: [u8; 3]) -> Body {
        self.color = color;
        self
    }

    pub fn with_rot(mut self, rot: [f64; 4]) -> Body {
        self.rot = rot;
        self
    }

    /// Rotation about world z by `yaw` radians.
    pub fn with_yaw(mut self, yaw: f64) -> Body {
        self.rot = [(yaw / 2.0).cos(), 0.0, 0.0, (yaw / 2.0).sin()];
        self
    }

    pub fn with_style(mut self, style: Style) -> Body {
        self.style = style;
        self
    }

    pub fn container(self) -> Body {
        self.with_style(Style::Container)
    }

    /// Marks the body as a support (table); a body still wearing its hashed
    /// default colour takes the neutral `SURFACE_COLOR` instead.
    pub fn surface(mut self) -> Body {
        if named_color(&self.label).is_none() && self.color == palette_color(&self.label) {
            self.color = SURFACE_COLOR;
        }
        self.with_style(Style::Surface)
    }
}

impl GripperView {
    pub fn new(pos: [f64; 3], yaw: f64, opening: f64, grasping: bool) -> GripperView {
        GripperView {
            pos,
            yaw,
            opening,
            grasping,
        }
    }
}

impl Scene {
    pub fn new(title: impl Into<String>) -> Scene {
        Scene {
            title: title.into(),
            bodies: Vec::new(),
            gripper: None,
        }
    }

    pub fn with_body(mut self, body: Body) -> Scene {
        self.bodies.push(body);
        self
    }

    pub fn with_gripper(mut self, gripper: GripperView) -> Scene {
        self.gripper = Some(gripper);
        self
    }
}

/// Largest image side accepted: keeps a typo from allocating gigabytes.
pub const MAX_SIDE: u32 = 8192;

/// Rejects everything that would make the picture meaningless before any
/// drawing starts, so drawing code can assume finite, sane numbers.
pub(crate) fn validate(scene: &Scene, options: &Options) -> Result<(), RenderError> {
    if options.width == 0 || options.height == 0 {
        return Err(RenderError::BadSize {
            width: options.width,
            height: options.height,
            reason: "width and height must be positive",
        });
    }
    if options.width > MAX_SIDE || options.height > MAX_SIDE {
        return Err(RenderError::BadSize {
            width: options.width,
            height: options.height,
            reason: "a side exceeds 8192 pixels",
        });
    }
    if scene.bodies.is_empty() && scene.gripper.is_none() {
        return Err(RenderError::EmptyScene);
    }
    for body in &scene.bodies {
        check_finite(&body.label, "pos", &body.pos)?;
        check_finite(&body.label, "rot", &body.rot)?;
        check_finite(&body.label, "half", &body.half)?;
        if body.half.iter().any(|h| *h < 0.0) {
            return Err(RenderError::InvalidBody {
                label: body.label.clone(),
                problem: format!("negative half extent {:?}", body.half),
            });
        }
        let norm2: f64 = body.rot.iter().map(|q| q * q).sum();
        if norm2 < 1e-12 {
            return Err(RenderError::InvalidBody {
                label: body.label.clone(),
                problem: "rotation quaternion is zero".to_string(),
            });
        }
    }
    if let Some(gripper) = &scene.gripper {
        check_finite("gripper", "pos", &gripper.pos)?;
        check_finite("gripper", "yaw", &[gripper.yaw])?;
        check_finite("gripper", "opening", &[gripper.opening])?;
    }
    Ok(())
}

fn check_finite(label: &str, field: &'static str, values: &[f64]) -> Result<(), RenderError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(RenderError::NonFinite {
            label: label.to_string(),
            field,
            index,
            value: values[index],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_words_win_and_other_labels_hash_stably() {
        assert_eq!(palette_color("Red block"), [214, 39, 40]);
        assert_eq!(palette_color("bowl_green"), [44, 160, 44]);
        assert_eq!(palette_color("carrot"), palette_color("carrot"));
        assert!(PALETTE.contains(&palette_color("carrot")));
        let table = Body::new("table", [0.0; 3], [1.0; 3]).surface();
        assert_eq!(table.color, SURFACE_COLOR);
        let grey = Body::new("grey table", [0.0; 3], [1.0; 3]).surface();
        assert_eq!(grey.color, palette_color("grey"));
        let custom = Body::new("table", [0.0; 3], [1.0; 3])
            .with_color([1, 2, 3])
            .surface();
        assert_eq!(custom.color, [1, 2, 3]);
    }
}
