//! Plain-array vector and quaternion helpers.
//!
//! The state is a handful of small fixed-size arrays per body; plain
//! `[f64; 3]` / `[f64; 4]` keep it `Copy`, serialisable as JSON arrays and
//! free of allocation. Quaternions are (w, x, y, z), scalar first, as in rwd.

pub type Vec3 = [f64; 3];
pub type Quat = [f64; 4];

pub const IDENTITY: Quat = [1.0, 0.0, 0.0, 0.0];
pub const Z_UP: Vec3 = [0.0, 0.0, 1.0];

pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

pub fn horizontal_norm(a: Vec3) -> f64 {
    (a[0] * a[0] + a[1] * a[1]).sqrt()
}

pub fn quat_mul(a: Quat, b: Quat) -> Quat {
    [
        a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
        a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
        a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
        a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
    ]
}

pub fn quat_conj(q: Quat) -> Quat {
    [q[0], -q[1], -q[2], -q[3]]
}

pub fn quat_normalize(q: Quat) -> Quat {
    let n = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
    if n < 1e-12 || !n.is_finite() { IDENTITY } else { [q[0] / n, q[1] / n, q[2] / n, q[3] / n] }
}

/// Rotation by `angle` about the unit `axis`.
pub fn quat_axis_angle(axis: Vec3, angle: f64) -> Quat {
    let (s, c) = (angle * 0.5).sin_cos();
    [c, axis[0] * s, axis[1] * s, axis[2] * s]
}

pub fn quat_yaw(yaw: f64) -> Quat {
    quat_axis_angle(Z_UP, yaw)
}

/// v rotated by q.
pub fn rotate(q: Quat, v: Vec3) -> Vec3 {
    let u = [q[1], q[2], q[3]];
    let t = scale(cross(u, v), 2.0);
    add(add(v, scale(t, q[0])), cross(u, t))
}

/// v expressed in the frame q (R^T v).
pub fn unrotate(q: Quat, v: Vec3) -> Vec3 {
    rotate(quat_conj(q), v)
}

/// The rotation's columns: the body's x, y, z axes in the world frame.
pub fn axes(q: Quat) -> [Vec3; 3] {
    let [w, x, y, z] = q;
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y)],
        [2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x)],
        [2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

/// Half the extent of an oriented box along a world direction `dir` (unit).
pub fn projected_half(q: Quat, half: Vec3, dir: Vec3) -> f64 {
    let a = axes(q);
    dot(a[0], dir).abs() * half[0] + dot(a[1], dir).abs() * half[1] + dot(a[2], dir).abs() * half[2]
}

/// Half extents of the box's world-axis-aligned bounding box.
pub fn aabb_half(q: Quat, half: Vec3) -> Vec3 {
    let a = axes(q);
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        *o = a[0][k].abs() * half[0] + a[1][k].abs() * half[1] + a[2][k].abs() * half[2];
    }
    out
}

/// Whether `p` lies inside the oriented box grown by `grow` on every side.
pub fn in_box(center: Vec3, q: Quat, half: Vec3, grow: f64, p: Vec3) -> bool {
    let local = unrotate(q, sub(p, center));
    (0..3).all(|k| local[k].abs() <= half[k] + grow + 1e-9)
}

/// The angle between the body's z axis and world z.
pub fn tilt(q: Quat) -> f64 {
    axes(q)[2][2].clamp(-1.0, 1.0).acos()
}

/// Heading of a horizontal direction.
pub fn wrap_angle(a: f64) -> f64 {
    let t = std::f64::consts::TAU;
    let r = (a + std::f64::consts::PI).rem_euclid(t) - std::f64::consts::PI;
    if r.is_finite() { r } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Vec3, b: Vec3) -> bool {
        (0..3).all(|k| (a[k] - b[k]).abs() < 1e-12)
    }

    #[test]
    fn rotation_matches_axes_and_inverse() {
        let q = quat_mul(quat_yaw(0.7), quat_axis_angle([0.0, 1.0, 0.0], 0.3));
        let a = axes(q);
        assert!(close(rotate(q, [1.0, 0.0, 0.0]), a[0]));
        assert!(close(rotate(q, [0.0, 0.0, 1.0]), a[2]));
        let v = [0.3, -0.2, 0.9];
        assert!(close(unrotate(q, rotate(q, v)), v));
    }

    #[test]
    fn yaw_quarter_turn_maps_x_to_y() {
        let v = rotate(quat_yaw(std::f64::consts::FRAC_PI_2), [1.0, 0.0, 0.0]);
        assert!(close(v, [0.0, 1.0, 0.0]));
    }

    #[test]
    fn box_tests() {
        let q = quat_yaw(std::f64::consts::FRAC_PI_2);
        let half = [0.1, 0.02, 0.03];
        assert!(in_box([0.0; 3], q, half, 0.0, [0.0, 0.09, 0.0]));
        assert!(!in_box([0.0; 3], q, half, 0.0, [0.09, 0.0, 0.0]));
        assert!(in_box([0.0; 3], q, half, 0.01, [0.029, 0.0, 0.0]));
        let h = aabb_half(q, half);
        assert!((h[0] - 0.02).abs() < 1e-12 && (h[1] - 0.1).abs() < 1e-12);
    }
}
