//! Drawing one view of the scene into its panel: surfaces, a metric grid,
//! bodies in painter's order, the gripper, the heading and the scale bar.
//! Labels are only requested here; they are placed once both panels exist.

use crate::font;
use crate::gripper::{self, PartKind};
use crate::labels::{LabelRequest, PixelBox};
use crate::layout::{Layout, Panel};
use crate::project::{View, box_corners, convex_hull};
use crate::raster::{Clip, Image, darken, mix};
use crate::scene::{Body, Scene, Style};

pub const BACKGROUND: [u8; 3] = [255, 255, 255];
const PANEL_BACKGROUND: [u8; 3] = [248, 248, 246];
const FRAME_COLOR: [u8; 3] = [170, 170, 170];
const INK: [u8; 3] = [40, 40, 40];
const GRID_INK: [u8; 3] = [60, 60, 90];
const GRID_TEXT: [u8; 3] = [110, 110, 125];
const GRIPPER_BODY: [u8; 3] = [150, 152, 160];
const GRIPPER_EDGE: [u8; 3] = [95, 97, 110];
pub const GRIPPER_FINGER: [u8; 3] = [60, 62, 72];
/// Grasping is shown loudly: it is the state a recovery reward most often hinges on.
pub const GRASP_FINGER: [u8; 3] = [255, 200, 0];
const GRASP_HALO: [u8; 3] = [220, 0, 120];

/// A body's silhouette in one panel, ready to paint.
struct Silhouette<'a> {
    body: &'a Body,
    index: usize,
    hull: Vec<(f64, f64)>,
    /// For each hull edge (from vertex i to i+1): does it lie on the body's
    /// own top face? For a container that is the open mouth.
    mouth: Vec<bool>,
    /// Painter's key: larger is drawn later.
    key: f64,
}

/// Marks hull edges whose two ends are both projections of top-face corners
/// (local +z). In the side view these edges are the open mouth of a
/// container, whichever way the container is tilted. In the top view every
/// corner of an upright box is also a top corner, so nothing is marked there:
/// from above an open box is just its rim.
fn mouth_edges(view: View, corners: &[(f64, f64); 8], hull: &[(f64, f64)]) -> Vec<bool> {
    if view == View::Top {
        return vec![false; hull.len()];
    }
    // Box corner index bit 2 set means local +z (see `box_corners`).
    let on_top = |p: (f64, f64)| {
        let mut matched = corners.iter().enumerate().filter(|(_, c)| **c == p);
        let all: Vec<usize> = matched.by_ref().map(|(i, _)| i).collect();
        !all.is_empty() && all.iter().all(|i| i & 4 != 0)
    };
    (0..hull.len())
        .map(|i| on_top(hull[i]) && on_top(hull[(i + 1) % hull.len()]))
        .collect()
}

/// Pixel bounding box of a set of points.
fn bbox(points: &[(f64, f64)]) -> PixelBox {
    points.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |b, p| (b.0.min(p.0), b.1.min(p.1), b.2.max(p.0), b.3.max(p.1)),
    )
}

fn intersects(b: PixelBox, clip: Clip) -> bool {
    b.0 < clip.x1 as f64 && b.2 > clip.x0 as f64 && b.1 < clip.y1 as f64 && b.3 > clip.y0 as f64
}

fn polygon_area(points: &[(f64, f64)]) -> f64 {
    let mut twice = 0.0;
    for i in 0..points.len() {
        let (a, b) = (points[i], points[(i + 1) % points.len()]);
        twice += a.0 * b.1 - b.0 * a.1;
    }
    twice.abs() / 2.0
}

/// Draws one panel and returns the labels it wants placed, plus the pixel
/// boxes of its bodies (for the label placer to avoid).
pub fn draw_panel(
    image: &mut Image,
    layout: &Layout,
    panel: &Panel,
    scene: &Scene,
) -> (Vec<LabelRequest>, Vec<PixelBox>) {
    let view = panel.view;
    let plot = panel.plot;
    let line = layout.text_scale.max(1);
    image.fill_rect(
        image.full(),
        plot.x0,
        plot.y0,
        plot.x1,
        plot.y1,
        PANEL_BACKGROUND,
    );

    let mut silhouettes: Vec<Silhouette> = scene
        .bodies
        .iter()
        .enumerate()
        .map(|(index, body)| {
            let corners = box_corners(body.pos, body.rot, body.half);
            let projected = corners.map(|c| panel.to_pixel(c));
            let hull = convex_hull(&projected);
            let mouth = mouth_edges(view, &projected, &hull);
            let nearness = corners.map(|c| view.nearness(c));
            let nearest = nearness.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let farthest = nearness.iter().copied().fold(f64::INFINITY, f64::min);
            // Solids are keyed by their nearest face (a box on a box wins in the
            // top view); containers by their farthest (floor or back wall), so
            // whatever sits inside them is painted over their interior.
            let key = match body.style {
                Style::Surface => f64::NEG_INFINITY,
                Style::Container => farthest,
                Style::Solid => nearest,
            };
            Silhouette {
                body,
                index,
                hull,
                mouth,
                key,
            }
        })
        .collect();
    // Surfaces first (the nearer of two surfaces later), then the rest by key;
    // the body index settles exact ties so the output never depends on sort
    // stability.
    silhouettes.sort_by(|a, b| {
        let surface_rank = |s: &Silhouette| if s.body.style == Style::Surface { 0 } else { 1 };
        surface_rank(a)
            .cmp(&surface_rank(b))
            .then(a.key.total_cmp(&b.key))
            .then(
                view.nearness(a.body.pos)
                    .total_cmp(&view.nearness(b.body.pos)),
            )
            .then(a.index.cmp(&b.index))
    });

    let mut grid_drawn = false;
    let mut requests = Vec::new();
    let mut obstacles = Vec::new();
    for s in &silhouettes {
        if s.body.style != Style::Surface && !grid_drawn {
            draw_grid(image, layout, panel);
            grid_drawn = true;
        }
        draw_body(image, panel, s, line);
        let anchor = if s.hull.is_empty() {
            let c = panel.to_pixel(s.body.pos);
            (c.0, c.1, c.0, c.1)
        } else {
            bbox(&s.hull)
        };
        if s.body.style != Style::Surface {
            obstacles.push(anchor);
        } else if !intersects(anchor, plot) {
            // A surface wholly outside the framed region is not in the
            // picture, so there is nothing to label.
            continue;
        }
        requests.push(LabelRequest {
            text: s.body.label.clone(),
            anchor,
            color: s.body.color,
            region: plot,
            inside: s.body.style == Style::Surface,
        });
    }
    if !grid_drawn {
        draw_grid(image, layout, panel);
    }
    if let Some(g) = &scene.gripper {
        let anchor = draw_gripper(image, panel, g, line);
        obstacles.push(anchor);
        let state = if g.grasping {
            "gripper: grasping".to_string()
        } else {
            format!("gripper: {:.0}% open", g.opening.clamp(0.0, 1.0) * 100.0)
        };
        let color = if g.grasping {
            GRASP_FINGER
        } else {
            GRIPPER_FINGER
        };
        // The gripper's label goes first so it gets the best spot.
        requests.insert(
            0,
            LabelRequest {
                text: state,
                anchor,
                color,
                region: plot,
                inside: false,
            },
        );
    }

    // Surfaces are labelled last: they fill the panel and can take any corner.
    requests.sort_by_key(|r| r.inside);
    draw_frame(image, layout, panel);
    (requests, obstacles)
}

fn draw_body(image: &mut Image, panel: &Panel, s: &Silhouette, line: u32) {
    let clip = panel.plot;
    let color = s.body.color;
    if s.hull.len() < 3 || polygon_area(&s.hull) < 4.0 {
        // Too thin to fill (edge-on or tiny): a dot keeps it findable.
        let c = panel.to_pixel(s.body.pos);
        let r = i64::from(line) + 1;
        let (x, y) = (c.0.floor() as i64, c.1.floor() as i64);
        image.fill_rect(clip, x - r, y - r, x + r + 1, y + r + 1, color);
        if s.hull.len() >= 2 {
            image.stroke_polygon(clip, &s.hull, line, color);
        }
        return;
    }
    match s.body.style {
        Style::Surface => {
            image.fill_polygon(clip, &s.hull, mix(color, PANEL_BACKGROUND, 0.55));
            image.stroke_polygon(clip, &s.hull, 1, mix(darken(color), PANEL_BACKGROUND, 0.4));
        }
        Style::Container => {
            // A see-through tint and a strong rim: reads as open, and whatever
            // is inside or behind it stays visible.
            image.blend_polygon(clip, &s.hull, color, 0.3);
            for i in 0..s.hull.len() {
                let (a, b) = (s.hull[i], s.hull[(i + 1) % s.hull.len()]);
                if s.mouth[i] {
                    image.draw_line(clip, a, b, 1, mix(color, PANEL_BACKGROUND, 0.5));
                } else {
                    image.draw_line(clip, a, b, line + 1, color);
                }
            }
        }
        Style::Solid => {
            image.fill_polygon(clip, &s.hull, color);
            image.stroke_polygon(clip, &s.hull, line, darken(color));
        }
    }
}

/// Draws the gripper and returns its pixel bounding box.
fn draw_gripper(
    image: &mut Image,
    panel: &Panel,
    g: &crate::scene::GripperView,
    line: u32,
) -> PixelBox {
    let clip = panel.plot;
    let mut all_points = Vec::new();
    let mut parts = gripper::parts(g);
    // In the top view the palm and wrist sit above the fingers and would hide
    // them, so they are drawn as outlines first and the fingers on top.
    parts.sort_by_key(|p| p.kind == PartKind::Finger);
    for part in &parts {
        let corners = box_corners(part.pos, part.rot, part.half);
        let hull = convex_hull(&corners.map(|c| panel.to_pixel(c)));
        all_points.extend(hull.iter().copied());
        if hull.len() < 3 {
            continue;
        }
        match (part.kind, panel.view) {
            (PartKind::Finger, _) => {
                let (fill, edge) = if g.grasping {
                    (GRASP_FINGER, GRASP_HALO)
                } else {
                    (GRIPPER_FINGER, [0, 0, 0])
                };
                image.fill_polygon(clip, &hull, fill);
                image.stroke_polygon(clip, &hull, if g.grasping { line + 1 } else { line }, edge);
            }
            (_, View::Top) => image.stroke_polygon(clip, &hull, line, GRIPPER_EDGE),
            (_, View::Side) => {
                image.fill_polygon(clip, &hull, GRIPPER_BODY);
                image.stroke_polygon(clip, &hull, line, GRIPPER_EDGE);
            }
        }
    }
    // Cross at the tool-centre point.
    let c = panel.to_pixel(g.pos);
    let arm = 3.0 * f64::from(line);
    let mark = if g.grasping {
        GRASP_HALO
    } else {
        [230, 30, 30]
    };
    image.draw_line(clip, (c.0 - arm, c.1), (c.0 + arm, c.1), 1, mark);
    image.draw_line(clip, (c.0, c.1 - arm), (c.0, c.1 + arm), 1, mark);
    all_points.push(c);
    bbox(&all_points)
}

/// A step of 1, 2 or 5 times a power of ten metres, about a fifth of the plot.
pub fn nice_step(px_per_m: f64, plot_width: f64) -> f64 {
    let target = (plot_width / 5.0) / px_per_m;
    let mut best = 0.001;
    let mut decade = 0.001;
    while decade <= 1000.0 {
        for m in [1.0, 2.0, 5.0] {
            if m * decade <= target {
                best = m * decade;
            }
        }
        decade *= 10.0;
    }
    best
}

/// "5 mm", "10 cm", "2 m".
pub fn format_length(metres: f64) -> String {
    if metres < 0.01 {
        format!("{:.0} mm", metres * 1000.0)
    } else if metres < 1.0 {
        format!("{:.0} cm", metres * 100.0)
    } else {
        format!("{:.0} m", metres)
    }
}

/// Faint grid lines at the scale-bar step, with world coordinates at the
/// plot's edges, so distances and positions can be read off the picture.
fn draw_grid(image: &mut Image, layout: &Layout, panel: &Panel) {
    let plot = panel.plot;
    let step = nice_step(layout.px_per_m, plot.width() as f64);
    let (h0, v1) = panel.to_world((plot.x0 as f64, plot.y0 as f64));
    let (h1, v0) = panel.to_world((plot.x1 as f64, plot.y1 as f64));
    let scale = (layout.text_scale.saturating_sub(1)).max(1);
    let text_h = i64::from(font::text_height(scale));
    let (h_name, v_name) = match panel.view {
        View::Top => ("x", "y"),
        View::Side => ("x", "z"),
    };
    // Coordinates are skipped where they would run into the previous one.
    let mut text_free_from = i64::MIN;
    let mut k = (h0 / step).ceil() as i64;
    while (k as f64) * step <= h1 && k < (h0 / step).ceil() as i64 + 1000 {
        let h = k as f64 * step;
        let x = panel.to_pixel([h, 0.0, 0.0]).0.floor() as i64;
        for y in plot.y0..plot.y1 {
            image.blend(plot, x, y, GRID_INK, 0.12);
        }
        let text = format!("{h_name}={}", format_coord(h));
        if x + 2 >= text_free_from {
            font::draw_text(
                image,
                plot,
                x + 2,
                plot.y1 - text_h - 2,
                &text,
                scale,
                GRID_TEXT,
            );
            text_free_from =
                x + 2 + i64::from(font::text_width(&text, scale)) + 4 * i64::from(scale);
        }
        k += 1;
    }
    let mut k = (v0 / step).ceil() as i64;
    while (k as f64) * step <= v1 && k < (v0 / step).ceil() as i64 + 1000 {
        let v = k as f64 * step;
        let point = match panel.view {
            View::Top => [0.0, v, 0.0],
            View::Side => [0.0, 0.0, v],
        };
        let y = panel.to_pixel(point).1.floor() as i64;
        for x in plot.x0..plot.x1 {
            image.blend(plot, x, y, GRID_INK, 0.12);
        }
        let text = format!("{v_name}={}", format_coord(v));
        if y - text_h - 2 < plot.y0 {
            k += 1;
            continue;
        }
        font::draw_text(
            image,
            plot,
            plot.x0 + 2,
            y - text_h - 2,
            &text,
            scale,
            GRID_TEXT,
        );
        k += 1;
    }
}

/// Grid coordinates with as few digits as the step needs, and no "-0".
fn format_coord(value: f64) -> String {
    let text = format!("{:.3}", value);
    let text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    if text == "-0" { "0".to_string() } else { text }
}

/// Panel border, heading and scale bar.
fn draw_frame(image: &mut Image, layout: &Layout, panel: &Panel) {
    let full = image.full();
    let f = panel.frame;
    image.stroke_rect(full, f.x0, f.y0, f.x1, f.y1, FRAME_COLOR);
    let p = panel.plot;
    image.stroke_rect(full, p.x0 - 1, p.y0 - 1, p.x1 + 1, p.y1 + 1, FRAME_COLOR);

    let scale = layout.text_scale;
    let pad = layout.pad;
    let header = panel.header();
    let heading = match panel.view {
        View::Top => "TOP VIEW (from above: x right, y up)",
        View::Side => "SIDE VIEW (from -y: x right, z up)",
    };
    let heading = font::fit_text(heading, scale, (header.width() - 2 * pad).max(0) as u32);
    font::draw_text(
        image,
        header,
        header.x0 + pad,
        header.y0 + pad,
        &heading,
        scale,
        INK,
    );

    let footer = panel.footer();
    let step = nice_step(layout.px_per_m, p.width() as f64);
    let bar = (step * layout.px_per_m).round() as i64;
    let text_h = i64::from(font::text_height(scale));
    let x0 = footer.x0 + pad;
    let y = footer.y0 + pad + text_h / 2;
    let thick = i64::from(scale);
    image.fill_rect(
        footer,
        x0,
        y - thick / 2,
        x0 + bar,
        y - thick / 2 + thick,
        INK,
    );
    image.fill_rect(footer, x0, y - text_h / 2, x0 + thick, y + text_h / 2, INK);
    image.fill_rect(
        footer,
        x0 + bar - thick,
        y - text_h / 2,
        x0 + bar,
        y + text_h / 2,
        INK,
    );
    let label = format!("{}   (grid {})", format_length(step), format_length(step));
    font::draw_text(
        image,
        footer,
        x0 + bar + 2 * pad,
        footer.y0 + pad,
        &label,
        scale,
        INK,
    );
}

/// The title band across the top of the image.
pub fn draw_title(image: &mut Image, layout: &Layout, title: &str) {
    let t = layout.title;
    image.fill_rect(t, t.x0, t.y0, t.x1, t.y1, [232, 234, 240]);
    let text = font::fit_text(
        title,
        layout.text_scale,
        (t.width() - 2 * layout.pad).max(0) as u32,
    );
    font::draw_text(
        image,
        t,
        t.x0 + layout.pad,
        t.y0 + layout.pad,
        &text,
        layout.text_scale,
        [0, 0, 0],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_lengths_read_naturally() {
        assert_eq!(format_length(0.1), "10 cm");
        assert_eq!(format_length(0.005), "5 mm");
        assert_eq!(format_length(2.0), "2 m");
        assert_eq!(nice_step(1000.0, 500.0), 0.1);
        assert_eq!(format_coord(-0.0001), "0");
        assert_eq!(format_coord(0.25), "0.25");
    }
}
