//! An RGB pixel buffer and the few primitives the panels need: rectangles,
//! convex/simple polygons, thick lines. No anti-aliasing, so output is exactly
//! reproducible and a colour test can look for exact pixel values.
//!
//! Every primitive takes a `Clip` so one panel never paints into the other,
//! and every write is bounds-checked so no coordinate can cause a panic.

/// A raw 8-bit RGB image, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// A pixel rectangle `[x0, x1) x [y0, y1)` that drawing is confined to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clip {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl Clip {
    pub fn new(x0: i64, y0: i64, x1: i64, y1: i64) -> Clip {
        Clip { x0, y0, x1, y1 }
    }

    pub fn contains(&self, x: i64, y: i64) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }

    pub fn width(&self) -> i64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> i64 {
        self.y1 - self.y0
    }
}

impl Image {
    pub fn new(width: u32, height: u32, background: [u8; 3]) -> Image {
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        for _ in 0..(width as usize * height as usize) {
            rgb.extend_from_slice(&background);
        }
        Image { width, height, rgb }
    }

    /// The whole image as a clip rectangle.
    pub fn full(&self) -> Clip {
        Clip::new(0, 0, i64::from(self.width), i64::from(self.height))
    }

    /// The colour at (x, y), or None outside the image.
    pub fn pixel(&self, x: i64, y: i64) -> Option<[u8; 3]> {
        if !self.full().contains(x, y) {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Some([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]])
    }

    pub fn set(&mut self, clip: Clip, x: i64, y: i64, color: [u8; 3]) {
        if clip.contains(x, y) && self.full().contains(x, y) {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&color);
        }
    }

    /// Mixes `color` into the existing pixel with weight `alpha` (0..=1).
    pub fn blend(&mut self, clip: Clip, x: i64, y: i64, color: [u8; 3], alpha: f64) {
        if let Some(old) = self.pixel(x, y) {
            self.set(clip, x, y, mix(old, color, alpha));
        }
    }

    /// Fills `[x0, x1) x [y0, y1)`.
    pub fn fill_rect(&mut self, clip: Clip, x0: i64, y0: i64, x1: i64, y1: i64, color: [u8; 3]) {
        let full = self.full();
        for y in y0.max(clip.y0).max(full.y0)..y1.min(clip.y1).min(full.y1) {
            for x in x0.max(clip.x0).max(full.x0)..x1.min(clip.x1).min(full.x1) {
                self.set(clip, x, y, color);
            }
        }
    }

    /// A one-pixel rectangle frame around `[x0, x1) x [y0, y1)`, inside it.
    pub fn stroke_rect(&mut self, clip: Clip, x0: i64, y0: i64, x1: i64, y1: i64, color: [u8; 3]) {
        self.fill_rect(clip, x0, y0, x1, y0 + 1, color);
        self.fill_rect(clip, x0, y1 - 1, x1, y1, color);
        self.fill_rect(clip, x0, y0, x0 + 1, y1, color);
        self.fill_rect(clip, x1 - 1, y0, x1, y1, color);
    }

    /// Fills a simple polygon (even-odd rule), sampling at pixel centres so
    /// that two polygons sharing an edge never both claim a pixel.
    pub fn fill_polygon(&mut self, clip: Clip, points: &[(f64, f64)], color: [u8; 3]) {
        self.scan_polygon(clip, points, |image, x0, x1, y| {
            image.fill_rect(clip, x0, y, x1, y + 1, color)
        });
    }

    /// Like `fill_polygon`, but mixes `color` in with weight `alpha`, so what
    /// lies behind stays visible (used for open containers).
    pub fn blend_polygon(&mut self, clip: Clip, points: &[(f64, f64)], color: [u8; 3], alpha: f64) {
        self.scan_polygon(clip, points, |image, x0, x1, y| {
            for x in x0.max(clip.x0).max(0)..x1.min(clip.x1).min(i64::from(image.width)) {
                image.blend(clip, x, y, color, alpha);
            }
        });
    }

    /// Calls `span(image, x_start, x_end_exclusive, row)` for each run of
    /// pixels whose centre lies inside the polygon, within `clip`'s rows.
    fn scan_polygon(
        &mut self,
        clip: Clip,
        points: &[(f64, f64)],
        mut span: impl FnMut(&mut Image, i64, i64, i64),
    ) {
        if points.len() < 3 {
            return;
        }
        let min_y = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let max_y = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let row_start = (min_y - 0.5).ceil().max(clip.y0 as f64).max(0.0) as i64;
        let row_end = (max_y - 0.5)
            .floor()
            .min((clip.y1 - 1) as f64)
            .min(f64::from(self.height) - 1.0) as i64;
        let mut crossings: Vec<f64> = Vec::with_capacity(points.len());
        for row in row_start..=row_end {
            let sample_y = row as f64 + 0.5;
            crossings.clear();
            for i in 0..points.len() {
                let (ax, ay) = points[i];
                let (bx, by) = points[(i + 1) % points.len()];
                // Half-open in y so a vertex exactly on the scanline counts once.
                if (ay <= sample_y && by > sample_y) || (by <= sample_y && ay > sample_y) {
                    crossings.push(ax + (sample_y - ay) * (bx - ax) / (by - ay));
                }
            }
            crossings.sort_by(f64::total_cmp);
            for pair in crossings.chunks_exact(2) {
                let x_start = (pair[0] - 0.5).ceil() as i64;
                let x_end = (pair[1] - 0.5).floor() as i64;
                span(self, x_start, x_end + 1, row);
            }
        }
    }

    /// A line of roughly `thickness` pixels from a to b, stamped as squares
    /// along the segment; good enough for outlines and tick marks.
    pub fn draw_line(
        &mut self,
        clip: Clip,
        a: (f64, f64),
        b: (f64, f64),
        thickness: u32,
        color: [u8; 3],
    ) {
        let length = (b.0 - a.0).hypot(b.1 - a.1);
        let steps = (length * 2.0).ceil().clamp(1.0, 100_000.0) as i64;
        let t = i64::from(thickness.max(1));
        let before = (t - 1) / 2;
        for step in 0..=steps {
            let f = step as f64 / steps as f64;
            let x = (a.0 + (b.0 - a.0) * f).floor() as i64;
            let y = (a.1 + (b.1 - a.1) * f).floor() as i64;
            self.fill_rect(
                clip,
                x - before,
                y - before,
                x - before + t,
                y - before + t,
                color,
            );
        }
    }

    /// Outlines a closed polygon.
    pub fn stroke_polygon(
        &mut self,
        clip: Clip,
        points: &[(f64, f64)],
        thickness: u32,
        color: [u8; 3],
    ) {
        for i in 0..points.len() {
            let next = points[(i + 1) % points.len()];
            self.draw_line(clip, points[i], next, thickness, color);
        }
    }
}

/// Linear mix of two colours: `alpha` 0 gives `a`, 1 gives `b`.
pub fn mix(a: [u8; 3], b: [u8; 3], alpha: f64) -> [u8; 3] {
    let alpha = alpha.clamp(0.0, 1.0);
    let channel =
        |i: usize| (f64::from(a[i]) * (1.0 - alpha) + f64::from(b[i]) * alpha).round() as u8;
    [channel(0), channel(1), channel(2)]
}

/// A darker shade for outlines, so a box reads as one object even when it
/// touches a neighbour of the same colour.
pub fn darken(color: [u8; 3]) -> [u8; 3] {
    mix(color, [0, 0, 0], 0.45)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygon_fill_covers_inside_and_not_outside() {
        let mut image = Image::new(20, 20, [255, 255, 255]);
        let clip = image.full();
        image.fill_polygon(
            clip,
            &[(2.0, 2.0), (10.0, 2.0), (10.0, 10.0), (2.0, 10.0)],
            [0, 0, 0],
        );
        assert_eq!(image.pixel(2, 2), Some([0, 0, 0]));
        assert_eq!(image.pixel(9, 9), Some([0, 0, 0]));
        assert_eq!(image.pixel(10, 10), Some([255, 255, 255]));
        assert_eq!(image.pixel(1, 5), Some([255, 255, 255]));
    }

    #[test]
    fn drawing_far_outside_the_image_is_harmless() {
        let mut image = Image::new(8, 8, [0, 0, 0]);
        let clip = image.full();
        image.fill_polygon(clip, &[(-1e9, -1e9), (1e9, -1e9), (0.0, 1e9)], [9, 9, 9]);
        image.draw_line(clip, (-50.0, -50.0), (50.0, 60.0), 3, [1, 2, 3]);
        image.fill_rect(clip, i64::MIN / 2, 0, i64::MAX / 2, 1, [4, 4, 4]);
        assert_eq!(image.pixel(-1, 0), None);
    }

    #[test]
    fn clip_confines_drawing() {
        let mut image = Image::new(10, 10, [0, 0, 0]);
        image.fill_rect(Clip::new(0, 0, 5, 10), 0, 0, 10, 10, [200, 0, 0]);
        assert_eq!(image.pixel(4, 4), Some([200, 0, 0]));
        assert_eq!(image.pixel(5, 4), Some([0, 0, 0]));
    }
}
