//! Exact orthographic projection of oriented boxes onto the two views.
//!
//! A box's silhouette under an orthographic projection is the convex hull of
//! its eight projected corners, so projecting corners and taking the hull is
//! exact for any rotation.

/// Which panel a point is projected for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Looking down -z: x right, y up.
    Top,
    /// Looking along +y from the -y side: x right, z up; larger y is farther.
    Side,
}

impl View {
    /// The two world coordinates shown on the panel's (horizontal, vertical) axes.
    pub fn plane(self, p: [f64; 3]) -> (f64, f64) {
        match self {
            View::Top => (p[0], p[1]),
            View::Side => (p[0], p[2]),
        }
    }

    /// Distance toward the viewer: larger is nearer, so it is painted later.
    pub fn nearness(self, p: [f64; 3]) -> f64 {
        match self {
            View::Top => p[2],
            View::Side => -p[1],
        }
    }
}

/// Rotates `v` by the quaternion `q = [w, x, y, z]` (normalised here, so
/// callers may pass a slightly-off quaternion straight from a simulator).
pub fn rotate(q: [f64; 4], v: [f64; 3]) -> [f64; 3] {
    let norm = q.iter().map(|c| c * c).sum::<f64>().sqrt();
    let [w, x, y, z] = if norm > 0.0 {
        q.map(|c| c / norm)
    } else {
        [1.0, 0.0, 0.0, 0.0]
    };
    // v' = v + 2w (u x v) + 2 u x (u x v), with u the vector part.
    let u = [x, y, z];
    let uv = cross(u, v);
    let uuv = cross(u, uv);
    [
        v[0] + 2.0 * (w * uv[0] + uuv[0]),
        v[1] + 2.0 * (w * uv[1] + uuv[1]),
        v[2] + 2.0 * (w * uv[2] + uuv[2]),
    ]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// The eight world-frame corners of a box.
pub fn box_corners(pos: [f64; 3], rot: [f64; 4], half: [f64; 3]) -> [[f64; 3]; 8] {
    let mut corners = [[0.0; 3]; 8];
    for (i, corner) in corners.iter_mut().enumerate() {
        let local = [
            if i & 1 == 0 { -half[0] } else { half[0] },
            if i & 2 == 0 { -half[1] } else { half[1] },
            if i & 4 == 0 { -half[2] } else { half[2] },
        ];
        let r = rotate(rot, local);
        *corner = [pos[0] + r[0], pos[1] + r[1], pos[2] + r[2]];
    }
    corners
}

/// Convex hull, counter-clockwise, by the monotone chain; collinear points are
/// dropped. Fewer than three points come back when the input is degenerate
/// (a box seen exactly edge-on or with zero size).
pub fn convex_hull(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f64, f64)> = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    sorted.dedup();
    if sorted.len() < 3 {
        return sorted;
    }
    let turn = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(f64, f64)> = Vec::with_capacity(sorted.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &(f64, f64)>> = if pass == 0 {
            Box::new(sorted.iter())
        } else {
            Box::new(sorted.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && turn(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop(); // the last point starts the other chain
    }
    hull
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn yaw_quaternion_turns_x_into_y() {
        let half = std::f64::consts::FRAC_PI_4;
        let q = [half.cos(), 0.0, 0.0, half.sin()];
        assert!(close(rotate(q, [1.0, 0.0, 0.0]), [0.0, 1.0, 0.0]));
    }

    #[test]
    fn unnormalised_quaternion_is_normalised() {
        assert!(close(
            rotate([2.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0]),
            [1.0, 2.0, 3.0]
        ));
    }

    #[test]
    fn hull_of_axis_aligned_box_top_view_is_its_rectangle() {
        let corners = box_corners([0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0]);
        let hull = convex_hull(&corners.map(|c| View::Top.plane(c)));
        assert_eq!(hull.len(), 4);
        assert!(hull.contains(&(1.0, 2.0)) && hull.contains(&(-1.0, -2.0)));
    }

    #[test]
    fn degenerate_box_gives_short_hull() {
        let corners = box_corners([0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0]);
        assert_eq!(convex_hull(&corners.map(|c| View::Side.plane(c))).len(), 1);
    }
}
