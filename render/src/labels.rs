//! Placing label plates next to the things they name: each plate tries a few
//! spots around its body and keeps the one that overlaps least with plates
//! already placed and with other bodies, and never leaves the image.

use crate::font;
use crate::raster::{Clip, Image, darken};

/// Text colour on label plates: near-black on white reads at any size.
pub const TEXT_COLOR: [u8; 3] = [20, 20, 20];
const PLATE_COLOR: [u8; 3] = [255, 255, 255];

/// A pixel-space box `(x0, y0, x1, y1)`.
pub type PixelBox = (f64, f64, f64, f64);

/// One label to place.
#[derive(Clone, Debug)]
pub struct LabelRequest {
    pub text: String,
    /// Pixel box `(x0, y0, x1, y1)` of the thing the label names.
    pub anchor: PixelBox,
    /// The body's colour, shown as a swatch so label and body match at a glance.
    pub color: [u8; 3],
    /// Region the label should stay in (its panel's plot).
    pub region: Clip,
    /// Put the label inside the anchor (for surfaces that fill the panel).
    pub inside: bool,
}

/// A placed label plate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plate {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

fn overlap(a: Plate, b: PixelBox) -> f64 {
    let w = (a.x1 as f64).min(b.2) - (a.x0 as f64).max(b.0);
    let h = (a.y1 as f64).min(b.3) - (a.y0 as f64).max(b.1);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

fn as_box(p: Plate) -> PixelBox {
    (p.x0 as f64, p.y0 as f64, p.x1 as f64, p.y1 as f64)
}

/// Pixels of the plate outside `region`.
fn outside(p: Plate, region: Clip) -> f64 {
    let area = ((p.x1 - p.x0) * (p.y1 - p.y0)) as f64;
    area - overlap(
        p,
        (
            region.x0 as f64,
            region.y0 as f64,
            region.x1 as f64,
            region.y1 as f64,
        ),
    )
}

/// Places and draws every label. `obstacles` are the pixel boxes of all bodies
/// (per request index they are skipped for the request's own anchor).
pub fn draw_labels(
    image: &mut Image,
    requests: &[LabelRequest],
    obstacles: &[PixelBox],
    scale: u32,
) {
    let text_h = i64::from(font::text_height(scale));
    let pad = 2 * i64::from(scale);
    let gap = 3 * i64::from(scale);
    let full = image.full();
    let mut placed: Vec<Plate> = Vec::new();

    for request in requests {
        let max_text = (request.region.width() - 3 * pad - text_h).max(0) as u32;
        let text = font::fit_text(&request.text, scale, max_text);
        let w = i64::from(font::text_width(&text, scale)) + text_h + 3 * pad;
        let h = text_h + 2 * pad;
        let (ax0, ay0, ax1, ay1) = request.anchor;
        let (ax0, ay0, ax1, ay1) = (
            ax0.floor() as i64,
            ay0.floor() as i64,
            ax1.ceil() as i64,
            ay1.ceil() as i64,
        );
        let cx = (ax0 + ax1) / 2;
        let cy = (ay0 + ay1) / 2;

        let mut candidates: Vec<(i64, i64)> = Vec::new();
        if request.inside {
            let r = request.region;
            let (ix0, iy0) = (ax0.max(r.x0) + gap, ay0.max(r.y0) + gap);
            let (ix1, iy1) = (ax1.min(r.x1) - gap, ay1.min(r.y1) - gap);
            candidates.extend([
                (ix0, iy0),
                (ix1 - w, iy0),
                (ix0, iy1 - h),
                (ix1 - w, iy1 - h),
            ]);
        } else {
            for ring in 0..4 {
                let g = gap + ring * (h + gap);
                candidates.extend([
                    (ax1 + g, cy - h / 2),     // right
                    (ax0 - g - w, cy - h / 2), // left
                    (cx - w / 2, ay0 - g - h), // above
                    (cx - w / 2, ay1 + g),     // below
                    (ax1 + g, ay0 - g - h),    // above right
                    (ax1 + g, ay1 + g),        // below right
                    (ax0 - g - w, ay0 - g - h),
                    (ax0 - g - w, ay1 + g),
                ]);
            }
        }

        let mut best: Option<(f64, Plate)> = None;
        for (rank, (x, y)) in candidates.into_iter().enumerate() {
            let plate = clamp_into(
                Plate {
                    x0: x,
                    y0: y,
                    x1: x + w,
                    y1: y + h,
                },
                full,
            );
            let own = (ax0 as f64, ay0 as f64, ax1 as f64, ay1 as f64);
            let on_labels: f64 = placed.iter().map(|p| overlap(plate, as_box(*p))).sum();
            let on_bodies: f64 = obstacles
                .iter()
                .filter(|o| **o != request.anchor)
                .map(|o| overlap(plate, *o))
                .sum();
            let on_self = if request.inside {
                0.0
            } else {
                overlap(plate, own)
            };
            // Covering another label is worst; leaving the panel is next;
            // covering a body hides the scene; the small rank term keeps the
            // preferred order (right, left, above, below, ...) among ties.
            let cost = on_labels * 50.0
                + outside(plate, request.region) * 20.0
                + on_self * 4.0
                + on_bodies * 2.0
                + rank as f64 * 0.5;
            if best.is_none_or(|(c, _)| cost < c) {
                best = Some((cost, plate));
            }
        }
        let Some((_, plate)) = best else { continue };
        draw_leader(
            image,
            plate,
            (ax0, ay0, ax1, ay1),
            request.color,
            gap,
            request.inside,
        );
        draw_plate(image, plate, &text, request.color, scale, pad);
        placed.push(plate);
    }
}

/// Shifts a plate fully inside `bounds` (it is never larger than the image's
/// panel, so this keeps labels from being clipped).
fn clamp_into(p: Plate, bounds: Clip) -> Plate {
    let w = p.x1 - p.x0;
    let h = p.y1 - p.y0;
    let x0 = p.x0.min(bounds.x1 - w).max(bounds.x0);
    let y0 = p.y0.min(bounds.y1 - h).max(bounds.y0);
    Plate {
        x0,
        y0,
        x1: x0 + w,
        y1: y0 + h,
    }
}

/// A thin line from the plate to its body when they are not touching, so a
/// label pushed away by its neighbours still points at the right thing.
fn draw_leader(
    image: &mut Image,
    plate: Plate,
    anchor: (i64, i64, i64, i64),
    color: [u8; 3],
    gap: i64,
    inside: bool,
) {
    if inside {
        return;
    }
    let (ax0, ay0, ax1, ay1) = anchor;
    let px = ((plate.x0 + plate.x1) / 2).clamp(ax0, ax1);
    let py = ((plate.y0 + plate.y1) / 2).clamp(ay0, ay1);
    let qx = px.clamp(plate.x0, plate.x1 - 1);
    let qy = py.clamp(plate.y0, plate.y1 - 1);
    if (px - qx).abs().max((py - qy).abs()) > gap + 1 {
        let clip = image.full();
        image.draw_line(
            clip,
            (px as f64, py as f64),
            (qx as f64, qy as f64),
            1,
            darken(color),
        );
    }
}

fn draw_plate(image: &mut Image, plate: Plate, text: &str, color: [u8; 3], scale: u32, pad: i64) {
    let clip = image.full();
    let text_h = i64::from(font::text_height(scale));
    image.fill_rect(clip, plate.x0, plate.y0, plate.x1, plate.y1, PLATE_COLOR);
    image.stroke_rect(clip, plate.x0, plate.y0, plate.x1, plate.y1, darken(color));
    let (sx, sy) = (plate.x0 + pad, plate.y0 + pad);
    image.fill_rect(clip, sx, sy, sx + text_h, sy + text_h, color);
    font::draw_text(image, clip, sx + text_h + pad, sy, text, scale, TEXT_COLOR);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_are_pulled_back_inside_the_image() {
        let bounds = Clip::new(0, 0, 100, 50);
        let p = clamp_into(
            Plate {
                x0: 90,
                y0: -5,
                x1: 130,
                y1: 15,
            },
            bounds,
        );
        assert_eq!(
            p,
            Plate {
                x0: 60,
                y0: 0,
                x1: 100,
                y1: 20
            }
        );
    }

    #[test]
    fn second_label_avoids_the_first() {
        let mut image = Image::new(400, 200, [255; 3]);
        let region = image.full();
        let request = |text: &str| LabelRequest {
            text: text.to_string(),
            anchor: (100.0, 90.0, 110.0, 100.0),
            color: [200, 0, 0],
            region,
            inside: false,
        };
        draw_labels(&mut image, &[request("aaaa"), request("bbbb")], &[], 1);
        // Both plates drawn: their texts do not overlap, so both inks survive.
        let ink = image.rgb.chunks(3).filter(|p| *p == TEXT_COLOR).count();
        let one = font::ink_pixels("aaaa", 1) + font::ink_pixels("bbbb", 1);
        assert_eq!(ink, one);
    }
}
