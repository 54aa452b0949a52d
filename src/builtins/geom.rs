//! Geometry builtins of the reward language: exact definitions on nalgebra types,
//! plus flat `f64`-slice adapters used by the compiler's IR.
//!
//! # Conventions
//!
//! * **Units** are SI: metres, radians, seconds.
//! * **World frame**: right-handed, **z is up** (gravity points along -z).
//! * **Quaternions** are written `(w, x, y, z)` (scalar first). A quaternion that is
//!   not of unit length is normalised. A quaternion whose norm is below
//!   [`QUAT_EPS`] (= 1e-12), or that has a non-finite component, is treated as the
//!   identity rotation. See [`quat_from_wxyz`].
//! * **Boxes are oriented** ([`Obb`]): centre, rotation and half extents along the
//!   box's own local x/y/z axes. No function here uses an axis-aligned shortcut
//!   for a box. Negative half extents are treated by their absolute value; zero
//!   half extents are allowed (a flat box, a segment, or a single point).
//! * **Boxes are closed**: a point on a face is inside. Inside/intersection tests
//!   accept a slack of [`GEOM_TOL`] (= 1e-9 m) so that touching counts even after
//!   floating-point rounding.
//! * **Predicates on NaN input return `false`** (every comparison is written so that a
//!   NaN makes the test fail). No function panics on any input, finite or not.
//!
//! # Flat adapters
//!
//! The IR passes every value as a flat `f64` slice:
//! `vec3 = [x, y, z]` (3), `quat = [w, x, y, z]` (4), `pose = pos ++ quat` (7),
//! `box = centre(3) ++ quat(4) ++ half(3)` (10), `points(n)` / `trace(n)` = `3n`
//! (`[x0, y0, z0, x1, ...]`), `bool = 0.0 | 1.0` (read back as true iff `> 0.5`).
//! Each `native_<name>` takes the concatenation of its arguments and writes its
//! result into `out`. The type checker guarantees the lengths; the adapters
//! `debug_assert!` them and, if a slice is nevertheless too short, write NaN to
//! `out` instead of panicking.

use nalgebra::{Quaternion, UnitQuaternion, Vector2, Vector3};

/// Slack (metres) added to every inside / touching test: a point within 1e-9 m
/// outside a box face still counts as inside, boxes within 1e-9 m count as touching.
pub const GEOM_TOL: f64 = 1e-9;

/// Quaternions whose Euclidean norm is below this are treated as the identity.
pub const QUAT_EPS: f64 = 1e-12;

/// Margin (metres) by which the held object's box is grown on every side in
/// [`is_holding`]: the tool-centre point sits between the fingertips, so it may be
/// just outside the object's surface (fingertip pads have thickness).
pub const HOLD_MARGIN: f64 = 0.01;

/// Vertical slack (metres) in [`above`]: `a` resting on `b` with a 1 mm
/// interpenetration from the physics engine still counts as above.
pub const ABOVE_TOL: f64 = 1e-3;

/// In [`obb_intersects_obb`], an edge-edge axis `A_i x B_j` whose length (= sine of
/// the angle between the two unit edge directions) is below this is skipped.
pub const PARALLEL_EPS: f64 = 1e-9;

/// Signature shared by all flat adapters: `args` is the concatenation of the flat
/// arguments, the result is written to `out`.
pub type NativeFn = fn(args: &[f64], out: &mut [f64]);

// ---------------------------------------------------------------------------
// Oriented box
// ---------------------------------------------------------------------------

/// An oriented bounding box: the set of world points `center + rot * l` with
/// `|l.x| <= |half.x|`, `|l.y| <= |half.y|`, `|l.z| <= |half.z|` (closed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obb {
    /// Centre of the box in world coordinates (m).
    pub center: Vector3<f64>,
    /// Rotation from the box's local frame to the world frame.
    pub rot: UnitQuaternion<f64>,
    /// Half extents along the box's local x, y, z axes (m); the sign is ignored.
    pub half: Vector3<f64>,
}

impl Obb {
    /// Builds a box from its centre, rotation and half extents (stored as given).
    #[must_use]
    pub fn new(center: Vector3<f64>, rot: UnitQuaternion<f64>, half: Vector3<f64>) -> Self {
        Obb { center, rot, half }
    }

    /// The 8 corners in world coordinates. Corner `k` (0..8) is
    /// `center + rot * (sx*|hx|, sy*|hy|, sz*|hz|)` where `sx = +1` if bit 0 of `k`
    /// is set else -1, `sy` likewise from bit 1, `sz` from bit 2.
    /// So corner 0 is the local (-,-,-) corner and corner 7 the local (+,+,+) corner.
    #[must_use]
    pub fn corners(&self) -> [Vector3<f64>; 8] {
        let h = self.half.abs();
        std::array::from_fn(|k| {
            let s = |bit: usize| if k & bit != 0 { 1.0 } else { -1.0 };
            self.center + self.rot * Vector3::new(s(1) * h.x, s(2) * h.y, s(4) * h.z)
        })
    }

    /// World point `p` expressed in the box's local frame: `R^T (p - center)`.
    #[must_use]
    pub fn to_local(&self, p: &Vector3<f64>) -> Vector3<f64> {
        self.rot.inverse_transform_vector(&(p - self.center))
    }

    /// The box's local x, y, z axes as world unit vectors (columns of `R`).
    fn axes(&self) -> [Vector3<f64>; 3] {
        [
            self.rot * Vector3::x(),
            self.rot * Vector3::y(),
            self.rot * Vector3::z(),
        ]
    }

    /// The flat layout `[cx, cy, cz, qw, qx, qy, qz, hx, hy, hz]` (inverse of
    /// [`obb_from_flat`] for a unit quaternion).
    #[must_use]
    pub fn to_flat(&self) -> [f64; 10] {
        let q = self.rot.quaternion();
        let (c, h) = (self.center, self.half);
        [c.x, c.y, c.z, q.w, q.i, q.j, q.k, h.x, h.y, h.z]
    }
}

/// True iff local point `l` lies in the closed box `|l_i| <= |h_i| + grow` on all axes.
/// Written as `<=` so that NaN gives `false`.
fn local_point_in_box(l: &Vector3<f64>, half: &Vector3<f64>, grow: f64) -> bool {
    l.iter()
        .zip(half.iter())
        .all(|(li, hi)| li.abs() <= hi.abs() + grow)
}

// ---------------------------------------------------------------------------
// Scalars, vectors, rotations
// ---------------------------------------------------------------------------

/// Rotation from a `(w, x, y, z)` quaternion, normalised to unit length.
/// If any component is non-finite, or the norm `sqrt(w²+x²+y²+z²)` is below
/// [`QUAT_EPS`] (1e-12), the identity is returned. The norm is computed after
/// scaling by the largest |component|, so huge finite inputs (1e300) do not
/// overflow and tiny ones do not underflow.
#[must_use]
pub fn quat_from_wxyz(w: f64, x: f64, y: f64, z: f64) -> UnitQuaternion<f64> {
    let c = [w, x, y, z];
    if !c.iter().all(|v| v.is_finite()) {
        return UnitQuaternion::identity();
    }
    let m = c.iter().fold(0.0_f64, |acc, v| acc.max(v.abs()));
    if m == 0.0 {
        return UnitQuaternion::identity();
    }
    let scaled = Quaternion::new(w / m, x / m, y / m, z / m);
    let n = scaled.norm(); // in [1, 2] because the largest scaled component is 1
    if m * n < QUAT_EPS {
        return UnitQuaternion::identity();
    }
    UnitQuaternion::new_unchecked(scaled / n)
}

/// Euclidean distance `|a - b|` (m).
#[must_use]
pub fn distance(a: &Vector3<f64>, b: &Vector3<f64>) -> f64 {
    (a - b).norm()
}

/// Unsigned angle between two vectors (rad), in `[0, pi]`:
/// `atan2(|u x v|, u . v)`. Unlike `acos(u.v / (|u||v|))` this is accurate to
/// machine precision near 0 and pi (acos loses half the digits there).
/// Each vector is first divided by its largest |component| (direction is
/// unchanged) so that very large or very small vectors neither overflow nor underflow.
/// If either vector is zero the result is 0; if either has a non-finite component, NaN.
#[must_use]
pub fn angle_between(u: &Vector3<f64>, v: &Vector3<f64>) -> f64 {
    if !(u.iter().chain(v.iter()).all(|c| c.is_finite())) {
        return f64::NAN;
    }
    let (mu, mv) = (u.amax(), v.amax());
    if mu == 0.0 || mv == 0.0 {
        return 0.0;
    }
    let (u, v) = (u / mu, v / mv);
    u.cross(&v).norm().atan2(u.dot(&v))
}

/// The body's up axis in world coordinates: `rot * (0, 0, 1)` (a unit vector).
#[must_use]
pub fn up_axis(rot: &UnitQuaternion<f64>) -> Vector3<f64> {
    rot * Vector3::z()
}

/// A's position expressed in B's frame: `R_b^T (a_pos - b_pos)` = `(dx, dy, dz)`,
/// i.e. how far A is along B's own x, y and z axes (m).
#[must_use]
pub fn spatial_relation(
    a_pos: &Vector3<f64>,
    b_pos: &Vector3<f64>,
    b_rot: &UnitQuaternion<f64>,
) -> Vector3<f64> {
    b_rot.inverse_transform_vector(&(a_pos - b_pos))
}

// ---------------------------------------------------------------------------
// Containment
// ---------------------------------------------------------------------------

/// True iff `p` lies in the closed oriented box `b`: with `l = R^T (p - center)`,
/// `|l_i| <= |half_i| + GEOM_TOL` (1e-9 m) for i = x, y, z.
#[must_use]
pub fn point_in_obb(b: &Obb, p: &Vector3<f64>) -> bool {
    local_point_in_box(&b.to_local(p), &b.half, GEOM_TOL)
}

/// True iff the object's centre lies inside the container's closed box
/// (exactly [`point_in_obb`]`(container, obj_center)`). The object's extent is ignored;
/// use [`contain_fully`] to require the whole object inside.
#[must_use]
pub fn contain(container: &Obb, obj_center: &Vector3<f64>) -> bool {
    point_in_obb(container, obj_center)
}

/// True iff all 8 corners of `obj` lie inside the container's closed box
/// (each by [`point_in_obb`]). Since both are convex, this means the whole object is inside.
#[must_use]
pub fn contain_fully(container: &Obb, obj: &Obb) -> bool {
    obj.corners().iter().all(|c| point_in_obb(container, c))
}

/// True iff `grasp_contact` is true AND the tool-centre point `tcp` lies inside the
/// object's box grown by [`HOLD_MARGIN`] (0.01 m) on every side (plus `GEOM_TOL`),
/// i.e. `|l_i| <= |half_i| + 0.01` in the object's frame.
///
/// Why both: the host's contact flag only says "both fingers touch something"; it
/// cannot say WHICH object is held (it is also true when pinching the table edge or
/// a neighbouring object). Requiring the gripper centre to be at this object ties
/// the grasp to it.
#[must_use]
pub fn is_holding(tcp: &Vector3<f64>, grasp_contact: bool, obj: &Obb) -> bool {
    grasp_contact && local_point_in_box(&obj.to_local(tcp), &obj.half, HOLD_MARGIN + GEOM_TOL)
}

/// Points that are inside `b` (by [`point_in_obb`]): true iff at least one is.
/// An empty list gives false.
#[must_use]
pub fn any_point_in_obb(points: &[Vector3<f64>], b: &Obb) -> bool {
    points.iter().any(|p| point_in_obb(b, p))
}

// ---------------------------------------------------------------------------
// Box-box separating-axis test
// ---------------------------------------------------------------------------

/// Radius of the projection of a box (axes `axes`, half extents `half`) onto unit
/// axis `l`: `sum_i |half_i| * |axes_i . l|`.
fn projection_radius(axes: &[Vector3<f64>; 3], half: &Vector3<f64>, l: &Vector3<f64>) -> f64 {
    axes.iter()
        .zip(half.iter())
        .map(|(a, h)| h.abs() * a.dot(l).abs())
        .sum()
}

/// The 15 SAT candidate axes (unit length): 3 face normals of `a`, 3 of `b`, and
/// the 9 normalised edge-edge crosses `A_i x B_j`, minus crosses shorter than
/// [`PARALLEL_EPS`] (parallel edges).
fn sat_axes(aa: &[Vector3<f64>; 3], ba: &[Vector3<f64>; 3]) -> Vec<Vector3<f64>> {
    let mut axes: Vec<Vector3<f64>> = aa.iter().chain(ba.iter()).copied().collect();
    for ai in aa {
        for bj in ba {
            let c = ai.cross(bj);
            let len = c.norm();
            if len >= PARALLEL_EPS {
                axes.push(c / len);
            }
        }
    }
    axes
}

/// True iff the two closed oriented boxes intersect (touching counts, with slack
/// `GEOM_TOL`), by the separating-axis theorem on 15 axes: the boxes are disjoint
/// iff some axis `L` among the 3 face normals of `a`, the 3 of `b`, and the 9 edge
/// crosses `A_i x B_j` has `|(c_b - c_a) . L| > r_a(L) + r_b(L) + 1e-9`, where
/// `r(L) = sum_i |h_i| |axis_i . L|` is a box's projected radius.
///
/// A cross `A_i x B_j` of length < [`PARALLEL_EPS`] (parallel edges) is skipped:
/// its direction is undefined, and it is not needed, because with `A_i || B_j`
/// both boxes project onto the plane normal to that edge as rectangles whose edge
/// normals are face axes already tested.
#[must_use]
pub fn obb_intersects_obb(a: &Obb, b: &Obb) -> bool {
    let (aa, ba) = (a.axes(), b.axes());
    let t = b.center - a.center;
    sat_axes(&aa, &ba).iter().all(|l| {
        let gap_limit = projection_radius(&aa, &a.half, l) + projection_radius(&ba, &b.half, l);
        // `<=` so that NaN input counts as separated (=> false).
        t.dot(l).abs() <= gap_limit + GEOM_TOL
    })
}

// ---------------------------------------------------------------------------
// Segments, polylines
// ---------------------------------------------------------------------------

/// True iff the closed segment `p0`-`p1` meets the closed box `b` (grown by
/// `GEOM_TOL`). Slab test in the box frame: with `s = R^T(p0 - c)`,
/// `d = R^T(p1 - p0)` and `h = |half| + 1e-9`, the segment `s + t d`, `t in [0, 1]`,
/// is clipped against each slab `|x_i| <= h_i`; it hits iff the clipped `t` range is
/// non-empty. A slab parallel to the segment (`d_i == 0`) rejects iff `|s_i| > h_i`.
/// A degenerate segment (`p0 == p1`) is the point test [`point_in_obb`]`(b, p0)`.
/// Non-finite coordinates give `false`.
#[must_use]
pub fn segment_intersects_obb(p0: &Vector3<f64>, p1: &Vector3<f64>, b: &Obb) -> bool {
    if p0 == p1 {
        return point_in_obb(b, p0);
    }
    let s = b.to_local(p0);
    let d = b.rot.inverse_transform_vector(&(p1 - p0));
    // Non-finite data (NaN, or a segment so long it overflows) gives false; below,
    // every quantity is then finite or a signed infinity, never NaN.
    let finite = s
        .iter()
        .chain(d.iter())
        .chain(b.half.iter())
        .all(|x| x.is_finite());
    if !finite {
        return false;
    }
    let (mut t_enter, mut t_exit) = (0.0_f64, 1.0_f64);
    for ((si, di), hi) in s.iter().zip(d.iter()).zip(b.half.iter()) {
        let h = hi.abs() + GEOM_TOL;
        if *di == 0.0 {
            if si.abs() > h {
                return false;
            }
            continue;
        }
        // Divide (not multiply by 1/d): d_i may be subnormal, and 0 * inf would be NaN.
        let (ta, tb) = ((-h - si) / di, (h - si) / di);
        t_enter = t_enter.max(ta.min(tb));
        t_exit = t_exit.min(ta.max(tb));
        if t_enter > t_exit {
            return false;
        }
    }
    true
}

/// True iff the polyline through `points` (in order) meets box `b`: some
/// consecutive segment `points[k]`-`points[k+1]` satisfies [`segment_intersects_obb`].
/// This catches a path whose vertices are all outside but which passes through the box.
/// A single point is the point test; an empty list is false.
#[must_use]
pub fn polyline_collides_obb(points: &[Vector3<f64>], b: &Obb) -> bool {
    match points {
        [] => false,
        [p] => point_in_obb(b, p),
        _ => points.windows(2).any(|w| match w {
            [p0, p1] => segment_intersects_obb(p0, p1, b),
            _ => false,
        }),
    }
}

// ---------------------------------------------------------------------------
// Sampling and extrapolation
// ---------------------------------------------------------------------------

/// Radical inverse of `index` in `base` (the Halton / van der Corput value), in [0, 1):
/// the base-`base` digits of `index` mirrored about the radix point.
/// E.g. base 2: 1 -> 0.5, 2 -> 0.25, 3 -> 0.75; base 3: 1 -> 1/3, 2 -> 2/3, 3 -> 1/9.
fn halton(mut index: usize, base: usize) -> f64 {
    let b = base.max(2); // base < 2 would loop forever; callers only use 2, 3, 5
    let inv = 1.0 / b as f64;
    let (mut f, mut r) = (inv, 0.0);
    while index > 0 {
        r += f * (index % b) as f64;
        index /= b;
        f *= inv;
    }
    r
}

/// Sample `i` of [`sample_box`].
fn sample_point(b: &Obb, i: usize) -> Vector3<f64> {
    if i == 0 {
        return b.center;
    }
    let u = Vector3::new(halton(i, 2), halton(i, 3), halton(i, 5));
    let local = (u * 2.0).add_scalar(-1.0).component_mul(&b.half.abs());
    b.center + b.rot * local
}

/// `n` deterministic points inside box `b`. Point 0 is the centre. Point `i >= 1` is
/// `center + rot * (((2 u - 1) * |half|))` (component-wise product) with
/// `u = (H2(i), H3(i), H5(i))` the Halton sequence in bases 2, 3, 5 at index `i`
/// (each in [0, 1), so `2u - 1` is in [-1, 1)). Index 0 of the Halton sequence,
/// which would be a corner, is replaced by the centre. Every point is inside `b`.
/// Example (identity box at the origin, half (1,1,1)): point 1 = (0, -1/3, -0.6),
/// point 2 = (-0.5, 1/3, -0.2).
#[must_use]
pub fn sample_box(b: &Obb, n: usize) -> Vec<Vector3<f64>> {
    (0..n).map(|i| sample_point(b, i)).collect()
}

/// Constant-velocity extrapolation: `steps` points, point `i` (i = 1..=steps) being
/// `pos + vel * (dt * i)`. The current position itself is not included.
#[must_use]
pub fn predict_trace(
    pos: &Vector3<f64>,
    vel: &Vector3<f64>,
    steps: usize,
    dt: f64,
) -> Vec<Vector3<f64>> {
    (1..=steps).map(|i| trace_point(pos, vel, dt, i)).collect()
}

/// Point `i` of [`predict_trace`].
fn trace_point(pos: &Vector3<f64>, vel: &Vector3<f64>, dt: f64, i: usize) -> Vector3<f64> {
    pos + vel * (dt * i as f64)
}

// ---------------------------------------------------------------------------
// Above
// ---------------------------------------------------------------------------

/// `(min, max)` of `n . p` over the points.
fn interval(points: &[Vector2<f64>; 8], n: &Vector2<f64>) -> (f64, f64) {
    points
        .iter()
        .map(|p| p.dot(n))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
}

/// Unit vector along `v`, or `None` if `v` is (near) zero or not finite.
fn unit2(v: Vector2<f64>) -> Option<Vector2<f64>> {
    let n = v.norm();
    (n > 1e-12 && n.is_finite()).then(|| v / n)
}

/// Candidate separating axes of the two xy footprints (see [`footprints_overlap`]).
fn footprint_axes(a: &Obb, b: &Obb) -> Vec<Vector2<f64>> {
    let mut dirs: Vec<Vector2<f64>> = vec![Vector2::x(), Vector2::y(), (b.center - a.center).xy()];
    for axis in a.axes().iter().chain(b.axes().iter()) {
        let g = axis.xy();
        dirs.push(g);
        dirs.push(Vector2::new(-g.y, g.x));
    }
    dirs.into_iter().filter_map(unit2).collect()
}

/// True iff the xy-projections ("footprints") of the two boxes overlap (touching
/// counts, slack `GEOM_TOL`). 2-D separating-axis test on the projected corner sets:
/// disjoint iff on some candidate axis `n` the intervals `[min n.p, max n.p]` over the
/// 8 projected corners of each box are disjoint. A box's footprint is the convex
/// polygon (zonogon) spanned by the xy-parts of its three local axes, so its edge
/// normals are the perpendiculars of those xy-parts; the candidates are those
/// perpendiculars for both boxes, plus (for degenerate, flat footprints) the xy-parts
/// themselves, the centre-to-centre direction and world x, y. Extra axes never give a
/// wrong answer, missing ones could.
fn footprints_overlap(a: &Obb, b: &Obb) -> bool {
    let pa: [Vector2<f64>; 8] = a.corners().map(|c| c.xy());
    let pb: [Vector2<f64>; 8] = b.corners().map(|c| c.xy());
    footprint_axes(a, b).iter().all(|n| {
        let ((alo, ahi), (blo, bhi)) = (interval(&pa, n), interval(&pb, n));
        alo <= bhi + GEOM_TOL && blo <= ahi + GEOM_TOL
    })
}

/// True iff `a` is above `b`: the lowest corner of `a` has
/// `z >= (highest corner z of b) - ABOVE_TOL` (1e-3 m) AND the world-xy footprints of
/// the two boxes overlap (2-D separating-axis test on the projected corner sets,
/// touching counts). "Above" thus means "resting on or hovering over", not merely
/// "higher": a box beside the table at a greater height is not above it.
#[must_use]
pub fn above(a: &Obb, b: &Obb) -> bool {
    let a_low = a
        .corners()
        .iter()
        .map(|c| c.z)
        .fold(f64::INFINITY, f64::min);
    let b_high = b
        .corners()
        .iter()
        .map(|c| c.z)
        .fold(f64::NEG_INFINITY, f64::max);
    a_low >= b_high - ABOVE_TOL && footprints_overlap(a, b)
}

// ---------------------------------------------------------------------------
// Flat adapters
// ---------------------------------------------------------------------------

/// Reads a vec3 at offset `i`, or `None` if the slice is too short.
fn vec3_at(s: &[f64], i: usize) -> Option<Vector3<f64>> {
    let &[x, y, z] = s.get(i..i.checked_add(3)?)? else {
        return None;
    };
    Some(Vector3::new(x, y, z))
}

/// Reads a `(w, x, y, z)` quaternion at offset `i` (normalised by [`quat_from_wxyz`]).
fn quat_at(s: &[f64], i: usize) -> Option<UnitQuaternion<f64>> {
    let &[w, x, y, z] = s.get(i..i.checked_add(4)?)? else {
        return None;
    };
    Some(quat_from_wxyz(w, x, y, z))
}

/// Reads a box (centre 3, quat 4, half 3) at offset `i`.
/// Splits `[points 3n, box 10]` into the points and the box; `None` if shorter than a box.
fn split_box_last(args: &[f64]) -> Option<(&[f64], &[f64])> {
    args.len().checked_sub(10).map(|n| args.split_at(n))
}

fn obb_at(s: &[f64], i: usize) -> Option<Obb> {
    Some(Obb::new(
        vec3_at(s, i)?,
        quat_at(s, i + 3)?,
        vec3_at(s, i + 7)?,
    ))
}

/// Reads a flat bool at offset `i`: true iff the value is `> 0.5` (NaN is false).
fn bool_at(s: &[f64], i: usize) -> Option<bool> {
    s.get(i).map(|v| *v > 0.5)
}

/// The points of a `3n` slice (a trailing partial triple is ignored).
fn points_of(s: &[f64]) -> Vec<Vector3<f64>> {
    s.chunks_exact(3).filter_map(|c| vec3_at(c, 0)).collect()
}

/// Box from the flat layout `[cx, cy, cz, qw, qx, qy, qz, hx, hy, hz]` (`s.len() >= 10`;
/// extra entries are ignored). The quaternion is normalised by [`quat_from_wxyz`].
/// If `s` is shorter than 10, returns a box with NaN centre and half extents
/// (every predicate on it is false).
#[must_use]
pub fn obb_from_flat(s: &[f64]) -> Obb {
    debug_assert!(
        s.len() >= 10,
        "obb_from_flat: need 10 values, got {}",
        s.len()
    );
    match obb_at(s, 0) {
        Some(b) => b,
        None => Obb::new(
            Vector3::repeat(f64::NAN),
            UnitQuaternion::identity(),
            Vector3::repeat(f64::NAN),
        ),
    }
}

/// Checks (in debug builds) that `args`/`out` have the lengths the type checker promises.
fn check_len(name: &str, args: &[f64], n_args: usize, out: &[f64], n_out: usize) {
    debug_assert!(
        args.len() == n_args,
        "{name}: expected {n_args} args, got {}",
        args.len()
    );
    debug_assert!(
        out.len() == n_out,
        "{name}: expected {n_out} outputs, got {}",
        out.len()
    );
}

/// Writes a scalar into `out[0]` (NaN if `None`).
fn put_scalar(out: &mut [f64], v: Option<f64>) {
    if let Some(o) = out.first_mut() {
        *o = v.unwrap_or(f64::NAN);
    }
}

/// Writes a bool as 1.0 / 0.0 into `out[0]` (NaN if `None`).
fn put_bool(out: &mut [f64], v: Option<bool>) {
    put_scalar(out, v.map(|b| if b { 1.0 } else { 0.0 }));
}

/// Writes a vec3 into `out[0..3]` (NaN if `None`).
fn put_vec3(out: &mut [f64], v: Option<Vector3<f64>>) {
    let v = v.unwrap_or_else(|| Vector3::repeat(f64::NAN));
    out.iter_mut().zip(v.iter()).for_each(|(o, x)| *o = *x);
}

/// Fills `out` (3n) with point `i` = `f(i)` for i in 0..n, or NaN if `f` is `None`.
/// Entries past the last full triple are set to NaN.
fn put_points(out: &mut [f64], f: Option<impl Fn(usize) -> Vector3<f64>>) {
    let mut chunks = out.chunks_exact_mut(3);
    for (i, chunk) in chunks.by_ref().enumerate() {
        let p = f
            .as_ref()
            .map_or_else(|| Vector3::repeat(f64::NAN), |f| f(i));
        chunk.iter_mut().zip(p.iter()).for_each(|(o, x)| *o = *x);
    }
    chunks
        .into_remainder()
        .iter_mut()
        .for_each(|o| *o = f64::NAN);
}

/// `distance(a, b)`. args `[a vec3, b vec3]` (6) -> out `[d]` (1). See [`distance`].
pub fn native_distance(args: &[f64], out: &mut [f64]) {
    check_len("distance", args, 6, out, 1);
    put_scalar(
        out,
        (|| Some(distance(&vec3_at(args, 0)?, &vec3_at(args, 3)?)))(),
    );
}

/// `angle(u, v)`. args `[u vec3, v vec3]` (6) -> out `[radians]` (1). See [`angle_between`].
pub fn native_angle(args: &[f64], out: &mut [f64]) {
    check_len("angle", args, 6, out, 1);
    put_scalar(
        out,
        (|| Some(angle_between(&vec3_at(args, 0)?, &vec3_at(args, 3)?)))(),
    );
}

/// `up(q)`. args `[quat]` (4) -> out `[vec3]` (3) = `q * (0,0,1)`. See [`up_axis`].
pub fn native_up(args: &[f64], out: &mut [f64]) {
    check_len("up", args, 4, out, 3);
    put_vec3(out, quat_at(args, 0).map(|q| up_axis(&q)));
}

/// `contain(container, obj_center)`. args `[container box, obj_center vec3]` (13)
/// -> out `[bool]` (1). See [`contain`].
pub fn native_contain(args: &[f64], out: &mut [f64]) {
    check_len("contain", args, 13, out, 1);
    put_bool(
        out,
        (|| Some(contain(&obb_at(args, 0)?, &vec3_at(args, 10)?)))(),
    );
}

/// `contain_fully(container, obj)`. args `[container box, obj box]` (20) -> out `[bool]` (1).
/// See [`contain_fully`].
pub fn native_contain_fully(args: &[f64], out: &mut [f64]) {
    check_len("contain_fully", args, 20, out, 1);
    put_bool(
        out,
        (|| Some(contain_fully(&obb_at(args, 0)?, &obb_at(args, 10)?)))(),
    );
}

/// `is_holding(tcp, grasp, obj)`. args `[tcp vec3, grasp bool, obj box]` (14)
/// -> out `[bool]` (1). `grasp` is true iff `> 0.5`. See [`is_holding`].
pub fn native_is_holding(args: &[f64], out: &mut [f64]) {
    check_len("is_holding", args, 14, out, 1);
    put_bool(
        out,
        (|| {
            Some(is_holding(
                &vec3_at(args, 0)?,
                bool_at(args, 3)?,
                &obb_at(args, 4)?,
            ))
        })(),
    );
}

/// `spatial_relation(a_pos, b_pos, b_quat)`. args `[a_pos vec3, b_pos vec3, b_quat]` (10)
/// -> out `[dx, dy, dz]` (3). See [`spatial_relation`].
pub fn native_spatial_relation(args: &[f64], out: &mut [f64]) {
    check_len("spatial_relation", args, 10, out, 3);
    put_vec3(
        out,
        (|| {
            Some(spatial_relation(
                &vec3_at(args, 0)?,
                &vec3_at(args, 3)?,
                &quat_at(args, 6)?,
            ))
        })(),
    );
}

/// `collide(a box, b box)`. args `[a box, b box]` (20) -> out `[bool]` (1).
/// See [`obb_intersects_obb`].
pub fn native_collide_box_box(args: &[f64], out: &mut [f64]) {
    check_len("collide_box_box", args, 20, out, 1);
    put_bool(
        out,
        (|| Some(obb_intersects_obb(&obb_at(args, 0)?, &obb_at(args, 10)?)))(),
    );
}

/// `collide(trace, box)`. args `[points 3n, b box]` (3n + 10; box LAST, the
/// arguments in signature order, n from the length) -> out `[bool]` (1). See [`polyline_collides_obb`].
pub fn native_collide_trace_box(args: &[f64], out: &mut [f64]) {
    debug_assert!(
        args.len() >= 10 && (args.len() - 10).is_multiple_of(3),
        "collide_trace_box: bad args length {}",
        args.len()
    );
    debug_assert!(
        out.len() == 1,
        "collide_trace_box: expected 1 output, got {}",
        out.len()
    );
    put_bool(
        out,
        split_box_last(args).and_then(|(pts, b)| Some(polyline_collides_obb(&points_of(pts), &obb_at(b, 0)?))),
    );
}

/// `any_point_in(points, box)`. args `[points 3n, b box]` (3n + 10; box LAST)
/// -> out `[bool]` (1). See [`any_point_in_obb`].
pub fn native_any_point_in_box(args: &[f64], out: &mut [f64]) {
    debug_assert!(
        args.len() >= 10 && (args.len() - 10).is_multiple_of(3),
        "any_point_in_box: bad args length {}",
        args.len()
    );
    debug_assert!(
        out.len() == 1,
        "any_point_in_box: expected 1 output, got {}",
        out.len()
    );
    put_bool(
        out,
        split_box_last(args).and_then(|(pts, b)| Some(any_point_in_obb(&points_of(pts), &obb_at(b, 0)?))),
    );
}

/// `sample_box(b)`. args `[b box]` (10) -> out `[points 3n]` with `n = out.len() / 3`,
/// equal to [`sample_box`]`(b, n)` flattened.
pub fn native_sample_box(args: &[f64], out: &mut [f64]) {
    debug_assert!(
        args.len() == 10,
        "sample_box: expected 10 args, got {}",
        args.len()
    );
    debug_assert!(
        out.len().is_multiple_of(3),
        "sample_box: output length {} not a multiple of 3",
        out.len()
    );
    let b = obb_at(args, 0);
    put_points(out, b.map(|b| move |i| sample_point(&b, i)));
}

/// `predict_trace(pos, vel, dt)`. args `[pos vec3, vel vec3, dt]` (7) -> out `[trace 3n]`
/// with `n = out.len() / 3` steps, equal to [`predict_trace`]`(pos, vel, n, dt)` flattened.
pub fn native_predict_trace(args: &[f64], out: &mut [f64]) {
    debug_assert!(
        args.len() == 7,
        "predict_trace: expected 7 args, got {}",
        args.len()
    );
    debug_assert!(
        out.len().is_multiple_of(3),
        "predict_trace: output length {} not a multiple of 3",
        out.len()
    );
    let parsed = (|| Some((vec3_at(args, 0)?, vec3_at(args, 3)?, *args.get(6)?)))();
    put_points(
        out,
        parsed.map(|(p, v, dt)| move |i: usize| trace_point(&p, &v, dt, i + 1)),
    );
}

/// `above(a, b)`. args `[a box, b box]` (20) -> out `[bool]` (1). See [`above`].
pub fn native_above(args: &[f64], out: &mut [f64]) {
    check_len("above", args, 20, out, 1);
    put_bool(
        out,
        (|| Some(above(&obb_at(args, 0)?, &obb_at(args, 10)?)))(),
    );
}

/// `rotate(q, v)` = `q * v` (rotate a vector from the body frame to the world frame).
/// args `[quat, vec3]` (7) -> out `[vec3]` (3).
pub fn native_rotate(args: &[f64], out: &mut [f64]) {
    check_len("rotate", args, 7, out, 3);
    put_vec3(out, (|| Some(quat_at(args, 0)? * vec3_at(args, 4)?))());
}

/// `inverse_rotate(q, v)` = `q^-1 * v` = `R^T v` (express a world vector in the body frame).
/// args `[quat, vec3]` (7) -> out `[vec3]` (3).
pub fn native_inverse_rotate(args: &[f64], out: &mut [f64]) {
    check_len("inverse_rotate", args, 7, out, 3);
    put_vec3(
        out,
        (|| Some(quat_at(args, 0)?.inverse_transform_vector(&vec3_at(args, 4)?)))(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, FRAC_PI_3, FRAC_PI_4, PI, SQRT_2};

    fn v(x: f64, y: f64, z: f64) -> Vector3<f64> {
        Vector3::new(x, y, z)
    }

    /// Rotation by `deg` degrees about unit axis (ax, ay, az), built through the (w,x,y,z) API.
    fn rot(deg: f64, ax: f64, ay: f64, az: f64) -> UnitQuaternion<f64> {
        let h = deg.to_radians() / 2.0;
        quat_from_wxyz(h.cos(), ax * h.sin(), ay * h.sin(), az * h.sin())
    }

    fn rz(deg: f64) -> UnitQuaternion<f64> {
        rot(deg, 0.0, 0.0, 1.0)
    }

    fn obb(c: Vector3<f64>, r: UnitQuaternion<f64>, h: Vector3<f64>) -> Obb {
        Obb::new(c, r, h)
    }

    fn cube(c: Vector3<f64>, h: f64) -> Obb {
        obb(c, UnitQuaternion::identity(), v(h, h, h))
    }

    fn assert_close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} != {b} (tol {tol})");
    }

    fn assert_vclose(a: &Vector3<f64>, b: &Vector3<f64>, tol: f64) {
        assert!((a - b).amax() <= tol, "{a:?} != {b:?} (tol {tol})");
    }

    fn flat(vs: &[Vector3<f64>]) -> Vec<f64> {
        vs.iter().flat_map(|p| [p.x, p.y, p.z]).collect()
    }

    fn cat(parts: &[&[f64]]) -> Vec<f64> {
        parts.concat()
    }

    // ---------------- quaternions ----------------

    #[test]
    fn quat_non_unit_is_normalised() {
        // (2,0,0,0) has norm 2 -> identity; (0,0,0,2) -> 180 deg about z: x -> -x.
        let q = quat_from_wxyz(2.0, 0.0, 0.0, 0.0);
        assert_vclose(&(q * v(1.0, 2.0, 3.0)), &v(1.0, 2.0, 3.0), 1e-15);
        let q = quat_from_wxyz(0.0, 0.0, 0.0, 2.0);
        assert_vclose(&(q * v(1.0, 0.0, 0.0)), &v(-1.0, 0.0, 0.0), 1e-15);
        // (1,0,0,1) has norm sqrt2 -> 90 deg about z: x -> y.
        let q = quat_from_wxyz(1.0, 0.0, 0.0, 1.0);
        assert_close(q.quaternion().w, FRAC_1_SQRT_2, 1e-15);
        assert_close(q.quaternion().k, FRAC_1_SQRT_2, 1e-15);
        assert_vclose(&(q * v(1.0, 0.0, 0.0)), &v(0.0, 1.0, 0.0), 1e-15);
        // Huge finite components must not overflow to identity.
        let q = quat_from_wxyz(1e300, 0.0, 0.0, 1e300);
        assert_vclose(&(q * v(1.0, 0.0, 0.0)), &v(0.0, 1.0, 0.0), 1e-15);
    }

    #[test]
    fn quat_zero_tiny_and_nonfinite_are_identity() {
        let id = UnitQuaternion::identity();
        assert_eq!(quat_from_wxyz(0.0, 0.0, 0.0, 0.0), id);
        // norm 5e-13 < 1e-12 -> identity, even though it points about z.
        assert_eq!(quat_from_wxyz(0.0, 0.0, 0.0, 5e-13), id);
        assert_eq!(quat_from_wxyz(f64::NAN, 0.0, 0.0, 1.0), id);
        assert_eq!(quat_from_wxyz(1.0, f64::INFINITY, 0.0, 0.0), id);
        // norm 1.41e-11 >= 1e-12 -> a genuine 90 deg rotation about z.
        let q = quat_from_wxyz(1e-11, 0.0, 0.0, 1e-11);
        assert_vclose(&(q * v(1.0, 0.0, 0.0)), &v(0.0, 1.0, 0.0), 1e-15);
    }

    // ---------------- scalars ----------------

    #[test]
    fn distance_345() {
        assert_eq!(distance(&v(1.0, 2.0, 3.0), &v(4.0, 6.0, 3.0)), 5.0);
        assert_eq!(distance(&v(1.0, 2.0, 3.0), &v(1.0, 2.0, 3.0)), 0.0);
    }

    #[test]
    fn angle_between_cases() {
        assert_eq!(angle_between(&v(1.0, 0.0, 0.0), &v(2.0, 0.0, 0.0)), 0.0);
        assert_close(
            angle_between(&v(1.0, 0.0, 0.0), &v(-3.0, 0.0, 0.0)),
            PI,
            1e-15,
        );
        assert_close(
            angle_between(&v(1.0, 0.0, 0.0), &v(0.0, 3.0, 0.0)),
            FRAC_PI_2,
            1e-15,
        );
        assert_close(
            angle_between(&v(1.0, 1.0, 0.0), &v(5.0, 0.0, 0.0)),
            FRAC_PI_4,
            1e-15,
        );
        assert_close(
            angle_between(&v(1.0, 0.0, 0.0), &v(1.0, 3f64.sqrt(), 0.0)),
            FRAC_PI_3,
            1e-15,
        );
        // Nearly parallel: the true angle is atan(1e-9) = 1e-9 - 3.3e-28.
        // acos(u.v/|u||v|) would give exactly 0 here (cos rounds to 1.0): error 1e-9.
        assert_close(
            angle_between(&v(1.0, 0.0, 0.0), &v(1.0, 1e-9, 0.0)),
            1e-9,
            1e-21,
        );
        // Off-axis nearly parallel: u = (2,2,2), v = (1,1,1+e): angle = e*sqrt2/3 (1 + O(e)).
        let e = (1.0 + 3e-10) - 1.0; // the exactly representable increment
        assert_close(
            angle_between(&v(2.0, 2.0, 2.0), &v(1.0, 1.0, 1.0 + e)),
            e * SQRT_2 / 3.0,
            1e-19,
        );
        // Nearly antiparallel: pi - 1e-9.
        assert_close(
            angle_between(&v(1.0, 0.0, 0.0), &v(-1.0, 1e-9, 0.0)),
            PI - 1e-9,
            1e-15,
        );
        // Zero vector -> 0; tiny and huge vectors keep their angle.
        assert_eq!(angle_between(&v(0.0, 0.0, 0.0), &v(0.0, 1.0, 0.0)), 0.0);
        assert_close(
            angle_between(&v(1e-200, 0.0, 0.0), &v(0.0, 1e-200, 0.0)),
            FRAC_PI_2,
            1e-15,
        );
        assert_close(
            angle_between(&v(1e300, 0.0, 0.0), &v(1e300, 1e300, 0.0)),
            FRAC_PI_4,
            1e-15,
        );
    }

    #[test]
    fn up_axis_of_rotations() {
        assert_eq!(up_axis(&UnitQuaternion::identity()), v(0.0, 0.0, 1.0));
        // 90 deg about x maps y -> z and z -> -y.
        assert_vclose(
            &up_axis(&rot(90.0, 1.0, 0.0, 0.0)),
            &v(0.0, -1.0, 0.0),
            1e-15,
        );
        // 90 deg about y maps z -> x.
        assert_vclose(
            &up_axis(&rot(90.0, 0.0, 1.0, 0.0)),
            &v(1.0, 0.0, 0.0),
            1e-15,
        );
    }

    #[test]
    fn spatial_relation_rotated_frame() {
        // B at (1,0,0) turned 90 deg about z: B's x axis is world +y.
        // A at (1,1,0) is 1 m ahead along B's x: (1, 0, 0).
        let r = spatial_relation(&v(1.0, 1.0, 0.0), &v(1.0, 0.0, 0.0), &rz(90.0));
        assert_vclose(&r, &v(1.0, 0.0, 0.0), 1e-15);
        // World -x is B's +y: A at (0,0,0) -> (0, 1, 0).
        let r = spatial_relation(&v(0.0, 0.0, 0.0), &v(1.0, 0.0, 0.0), &rz(90.0));
        assert_vclose(&r, &v(0.0, 1.0, 0.0), 1e-15);
        // B turned 90 deg about x: B's y axis is world +z, so 2 m up is dy = 2.
        let r = spatial_relation(
            &v(0.0, 0.0, 2.0),
            &v(0.0, 0.0, 0.0),
            &rot(90.0, 1.0, 0.0, 0.0),
        );
        assert_vclose(&r, &v(0.0, 2.0, 0.0), 1e-15);
    }

    // ---------------- boxes ----------------

    #[test]
    fn corners_and_to_local() {
        let b = obb(
            v(0.0, 0.0, 0.0),
            UnitQuaternion::identity(),
            v(1.0, 2.0, 3.0),
        );
        let c = b.corners();
        assert_eq!(c[0], v(-1.0, -2.0, -3.0));
        assert_eq!(c[1], v(1.0, -2.0, -3.0));
        assert_eq!(c[2], v(-1.0, 2.0, -3.0));
        assert_eq!(c[4], v(-1.0, -2.0, 3.0));
        assert_eq!(c[7], v(1.0, 2.0, 3.0));
        // Rotated 90 deg about z and moved: local (+1,+2,+3) -> (-2, 1, 3) + (10, 0, 0).
        let b = obb(v(10.0, 0.0, 0.0), rz(90.0), v(1.0, 2.0, 3.0));
        assert_vclose(&b.corners()[7], &v(8.0, 1.0, 3.0), 1e-14);
        // Negative half extents: same corner set as the positive ones.
        let bn = obb(v(10.0, 0.0, 0.0), rz(90.0), v(-1.0, 2.0, -3.0));
        assert_eq!(bn.corners(), b.corners());
        // to_local: box at (1,2,3) turned 90 deg about z; world +y is local +x.
        let b = obb(v(1.0, 2.0, 3.0), rz(90.0), v(1.0, 1.0, 1.0));
        assert_vclose(&b.to_local(&v(1.0, 3.0, 3.0)), &v(1.0, 0.0, 0.0), 1e-15);
    }

    #[test]
    fn point_in_rotated_box_differs_from_axis_aligned() {
        // Long thin box along the world diagonal (1,1,0)/sqrt2: half (1, 0.1, 1), 45 deg about z.
        let b = obb(v(0.0, 0.0, 0.0), rz(45.0), v(1.0, 0.1, 1.0));
        // (0.6,0.6,0): local (0.8485, 0, 0) -> inside; an axis-aligned test says |y|=0.6 > 0.1.
        assert!(point_in_obb(&b, &v(0.6, 0.6, 0.0)));
        // (0.9,0,0): local (0.636, -0.636, 0) -> outside; axis-aligned says inside.
        assert!(!point_in_obb(&b, &v(0.9, 0.0, 0.0)));
        // Face boundary: local x = 1 exactly is inside, 1 + 5e-10 inside (tolerance), 1 + 1e-6 not.
        let d = v(FRAC_1_SQRT_2, FRAC_1_SQRT_2, 0.0);
        assert!(point_in_obb(&b, &(d * 1.0)));
        assert!(point_in_obb(&b, &(d * (1.0 + 5e-10))));
        assert!(!point_in_obb(&b, &(d * (1.0 + 1e-6))));
        assert!(!point_in_obb(&b, &(d * (1.0 + 1e-8)))); // 10x the tolerance
        // NaN point is never inside.
        assert!(!point_in_obb(&b, &v(f64::NAN, 0.0, 0.0)));
    }

    #[test]
    fn zero_size_box_is_a_point() {
        let b = obb(v(1.0, 2.0, 3.0), rz(30.0), v(0.0, 0.0, 0.0));
        assert!(point_in_obb(&b, &v(1.0, 2.0, 3.0)));
        assert!(!point_in_obb(&b, &v(1.0, 2.0, 3.0 + 1e-6)));
        assert!(obb_intersects_obb(&b, &cube(v(1.5, 2.0, 3.0), 0.5)));
        assert!(!obb_intersects_obb(&b, &cube(v(1.6, 2.0, 3.0), 0.5)));
        assert!(segment_intersects_obb(
            &v(0.0, 2.0, 3.0),
            &v(2.0, 2.0, 3.0),
            &b
        ));
        assert!(!segment_intersects_obb(
            &v(0.0, 2.1, 3.0),
            &v(2.0, 2.1, 3.0),
            &b
        ));
        assert_eq!(sample_box(&b, 4), vec![v(1.0, 2.0, 3.0); 4]);
    }

    #[test]
    fn contain_center_vs_fully() {
        let container = cube(v(0.0, 0.0, 0.0), 1.0);
        // Cube of half 0.5 turned 45 deg: xy corners at distance 0.5*sqrt2 = 0.707 < 1.
        let obj = obb(v(0.0, 0.0, 0.0), rz(45.0), v(0.5, 0.5, 0.5));
        assert!(contain(&container, &obj.center));
        assert!(contain_fully(&container, &obj));
        // Shifted by 0.4 in x: corner reaches 0.4 + 0.707 = 1.107 > 1; centre still in.
        let shifted = Obb {
            center: v(0.4, 0.0, 0.0),
            ..obj
        };
        assert!(contain(&container, &shifted.center));
        assert!(!contain_fully(&container, &shifted));
        // Half 0.7 turned 45 deg: corner at 0.7*sqrt2 = 0.9899 fits; half 0.72 -> 1.018 does not
        // (the unrotated 0.72 cube would fit: the rotation matters).
        assert!(contain_fully(
            &container,
            &obb(v(0.0, 0.0, 0.0), rz(45.0), v(0.7, 0.7, 0.7))
        ));
        assert!(!contain_fully(
            &container,
            &obb(v(0.0, 0.0, 0.0), rz(45.0), v(0.72, 0.72, 0.72))
        ));
        assert!(contain_fully(&container, &cube(v(0.0, 0.0, 0.0), 0.72)));
        // Rotated container: a thin diagonal box contains (0.6,0.6,0) but not (0.9,0,0).
        let diag = obb(v(0.0, 0.0, 0.0), rz(45.0), v(1.0, 0.1, 1.0));
        assert!(contain(&diag, &v(0.6, 0.6, 0.0)));
        assert!(!contain(&diag, &v(0.9, 0.0, 0.0)));
    }

    #[test]
    fn is_holding_each_condition() {
        let obj = obb(
            v(0.0, 0.0, 0.05),
            UnitQuaternion::identity(),
            v(0.02, 0.02, 0.05),
        );
        let centre = v(0.0, 0.0, 0.05);
        assert!(is_holding(&centre, true, &obj));
        assert!(!is_holding(&centre, false, &obj)); // no contact
        // 0.005 outside the face but inside the 0.01 margin.
        assert!(is_holding(&v(0.025, 0.0, 0.05), true, &obj));
        // Margin boundary at 0.02 + 0.01 = 0.03.
        assert!(is_holding(&v(0.0299, 0.0, 0.05), true, &obj));
        assert!(!is_holding(&v(0.0301, 0.0, 0.05), true, &obj));
        // Contact flag true but the gripper is at another object 10 cm away.
        assert!(!is_holding(&v(0.1, 0.0, 0.05), true, &obj));
        // Rotated object (45 deg about z): world (0.035,0,0.05) is local (0.0247,-0.0247,0): held;
        // world (0.0,0.035,...) likewise; world (0.03,0.03,0.05) is local (0.0424,0,0): not held.
        let r = Obb {
            rot: rz(45.0),
            ..obj
        };
        assert!(is_holding(&v(0.035, 0.0, 0.05), true, &r));
        assert!(!is_holding(&v(0.035, 0.0, 0.05), true, &obj));
        assert!(!is_holding(&v(0.03, 0.03, 0.05), true, &r));
    }

    // ---------------- SAT ----------------

    #[test]
    fn sat_aabbs_overlap_but_obbs_do_not() {
        // Two parallel thin boxes along the diagonal, half (1, 0.1, 0.5), 45 deg about z.
        // Their world AABBs have half-width 1*0.707 + 0.1*0.707 = 0.778 and centres 0.5 apart
        // in x and y, so the AABBs overlap. Along the boxes' local y = (-0.707, 0.707, 0)
        // the centres are 0.707 apart but the radii sum to 0.2: separated.
        let a = obb(v(0.0, 0.0, 0.0), rz(45.0), v(1.0, 0.1, 0.5));
        let b = obb(v(0.5, -0.5, 0.0), rz(45.0), v(1.0, 0.1, 0.5));
        assert!(!obb_intersects_obb(&a, &b));
        assert!(!obb_intersects_obb(&b, &a));
        // Closer: 0.1414 apart along local y < 0.2 -> intersect.
        let c = obb(v(0.1, -0.1, 0.0), rz(45.0), v(1.0, 0.1, 0.5));
        assert!(obb_intersects_obb(&a, &c));
    }

    #[test]
    fn sat_touching_faces() {
        let a = cube(v(0.0, 0.0, 0.0), 1.0);
        assert!(obb_intersects_obb(&a, &cube(v(2.0, 0.0, 0.0), 1.0))); // exactly touching
        assert!(obb_intersects_obb(&a, &cube(v(2.0 + 5e-10, 0.0, 0.0), 1.0))); // within 1e-9
        assert!(!obb_intersects_obb(&a, &cube(v(2.0 + 1e-6, 0.0, 0.0), 1.0)));
        // Same orientation (all 9 crosses of parallel axes degenerate), diagonal gap.
        assert!(!obb_intersects_obb(&a, &cube(v(2.5, 2.5, 0.0), 1.0)));
        assert!(obb_intersects_obb(&a, &cube(v(1.9, 1.9, 1.9), 1.0)));
        // One inside the other.
        assert!(obb_intersects_obb(
            &a,
            &obb(v(0.1, 0.0, 0.0), rz(30.0), v(0.1, 0.1, 0.1))
        ));
    }

    #[test]
    fn sat_edge_edge() {
        // A: cube half 1 turned 45 deg about z -> vertical edge at (sqrt2, 0, z), z in [-1,1].
        // B: cube half 1 turned 45 deg about y -> horizontal edge along y at x = cx - sqrt2, z = 0.
        // With cx = 2 sqrt2 + d the edges cross at a gap d along world x = A_z x B_y, which
        // is NOT a face normal of either box. On every face axis the boxes overlap
        // (e.g. along A's (0.707,0.707,0): centres 2 + 0.707 d apart, radii 1 + 1.707).
        let a = obb(v(0.0, 0.0, 0.0), rz(45.0), v(1.0, 1.0, 1.0));
        let b_at = |d: f64| {
            obb(
                v(2.0 * SQRT_2 + d, 0.0, 0.0),
                rot(45.0, 0.0, 1.0, 0.0),
                v(1.0, 1.0, 1.0),
            )
        };
        assert!(!obb_intersects_obb(&a, &b_at(0.01)));
        assert!(!obb_intersects_obb(&b_at(0.01), &a));
        assert!(obb_intersects_obb(&a, &b_at(-0.01)));
        assert!(obb_intersects_obb(&a, &b_at(0.0))); // edges touch
        // Face axes alone would not separate the d = 0.01 case:
        let (aa, ba, b) = (a.axes(), b_at(0.01).axes(), b_at(0.01));
        for l in aa.iter().chain(ba.iter()) {
            let r = projection_radius(&aa, &a.half, l) + projection_radius(&ba, &b.half, l);
            assert!(b.center.dot(l).abs() <= r);
        }
    }

    #[test]
    fn sat_nan_is_no_intersection() {
        let a = cube(v(0.0, 0.0, 0.0), 1.0);
        assert!(!obb_intersects_obb(&a, &cube(v(f64::NAN, 0.0, 0.0), 1.0)));
    }

    // ---------------- segments and polylines ----------------

    #[test]
    fn segment_clips_corner_vs_misses() {
        let b = cube(v(0.0, 0.0, 0.0), 1.0);
        // Line x + y = 1.9 in z = 0 passes (0.95, 0.95): clips the (1,1) corner region.
        // Both endpoints (0,1.9) and (1.9,0) are outside.
        assert!(segment_intersects_obb(
            &v(0.0, 1.9, 0.0),
            &v(1.9, 0.0, 0.0),
            &b
        ));
        // x + y = 2 touches the corner edge exactly -> counts.
        assert!(segment_intersects_obb(
            &v(0.0, 2.0, 0.0),
            &v(2.0, 0.0, 0.0),
            &b
        ));
        // x + y = 2 + 1e-6 just misses.
        let s = 2.0 + 1e-6;
        assert!(!segment_intersects_obb(
            &v(0.0, s, 0.0),
            &v(s, 0.0, 0.0),
            &b
        ));
        // Rotated box (45 deg about z): its corner is at (sqrt2, 0). A vertical segment
        // at x = sqrt2 - 0.01 hits, at x = sqrt2 + 0.01 misses.
        let r = obb(v(0.0, 0.0, 0.0), rz(45.0), v(1.0, 1.0, 1.0));
        let x_in = SQRT_2 - 0.01;
        let x_out = SQRT_2 + 0.01;
        assert!(segment_intersects_obb(
            &v(x_in, -2.0, 0.0),
            &v(x_in, 2.0, 0.0),
            &r
        ));
        assert!(!segment_intersects_obb(
            &v(x_out, -2.0, 0.0),
            &v(x_out, 2.0, 0.0),
            &r
        ));
    }

    #[test]
    fn segment_special_cases() {
        let b = cube(v(0.0, 0.0, 0.0), 1.0);
        // Entirely inside.
        assert!(segment_intersects_obb(
            &v(-0.5, 0.0, 0.0),
            &v(0.5, 0.2, 0.1),
            &b
        ));
        // On the line of the box but stops short (t would need to exceed 1).
        assert!(!segment_intersects_obb(
            &v(-3.0, 0.0, 0.0),
            &v(-1.5, 0.0, 0.0),
            &b
        ));
        // Ends exactly on the face.
        assert!(segment_intersects_obb(
            &v(-3.0, 0.0, 0.0),
            &v(-1.0, 0.0, 0.0),
            &b
        ));
        // Parallel to the x slabs, outside in y.
        assert!(!segment_intersects_obb(
            &v(-3.0, 1.5, 0.0),
            &v(3.0, 1.5, 0.0),
            &b
        ));
        // Degenerate segment = point test.
        assert!(segment_intersects_obb(
            &v(0.5, 0.5, 0.5),
            &v(0.5, 0.5, 0.5),
            &b
        ));
        assert!(!segment_intersects_obb(
            &v(1.5, 0.5, 0.5),
            &v(1.5, 0.5, 0.5),
            &b
        ));
        // Short, almost face-parallel segment crossing the y = 1 face: d_y = -8e-4 is small
        // but must not be treated as parallel.
        assert!(segment_intersects_obb(
            &v(0.5, 1.0004, 0.0),
            &v(0.5, 0.9996, 0.0),
            &b
        ));
        assert!(!segment_intersects_obb(
            &v(0.5, 1.0008, 0.0),
            &v(0.5, 1.0004, 0.0),
            &b
        ));
        // Tiny direction component (subnormal) must not produce NaN.
        assert!(segment_intersects_obb(
            &v(1.0, 0.0, 0.0),
            &v(1.0 + 1e-310, 5.0, 0.0),
            &b
        ));
    }

    #[test]
    fn segment_non_finite_is_false() {
        let b = cube(v(0.0, 0.0, 0.0), 1.0);
        assert!(!segment_intersects_obb(
            &v(f64::NAN, 0.0, 0.0),
            &v(1.0, 0.0, 0.0),
            &b
        ));
        let nan_box = obb(
            v(0.0, 0.0, 0.0),
            UnitQuaternion::identity(),
            v(f64::NAN, 1.0, 1.0),
        );
        assert!(!segment_intersects_obb(
            &v(-2.0, 0.0, 0.0),
            &v(2.0, 0.0, 0.0),
            &nan_box
        ));
    }

    #[test]
    fn polyline_crosses_with_all_vertices_outside() {
        let b = cube(v(0.0, 0.0, 0.0), 1.0);
        let path = [
            v(-2.0, 2.0, 0.0),
            v(-2.0, 0.0, 0.0),
            v(2.0, 0.0, 0.0),
            v(2.0, 2.0, 0.0),
        ];
        assert!(!any_point_in_obb(&path, &b));
        assert!(polyline_collides_obb(&path, &b));
        // Same shape lifted above the box: misses.
        let high: Vec<_> = path.iter().map(|p| p + v(0.0, 0.0, 1.5)).collect();
        assert!(!polyline_collides_obb(&high, &b));
        assert!(!polyline_collides_obb(&[], &b));
        assert!(polyline_collides_obb(&[v(0.2, 0.0, 0.0)], &b));
        assert!(!polyline_collides_obb(&[v(1.2, 0.0, 0.0)], &b));
        assert!(any_point_in_obb(&[v(5.0, 0.0, 0.0), v(0.9, 0.9, -0.9)], &b));
        assert!(!any_point_in_obb(&[], &b));
    }

    // ---------------- sampling / extrapolation ----------------

    #[test]
    fn halton_values() {
        assert_eq!(halton(1, 2), 0.5);
        assert_eq!(halton(2, 2), 0.25);
        assert_eq!(halton(3, 2), 0.75);
        assert_close(halton(1, 3), 1.0 / 3.0, 1e-16);
        assert_close(halton(3, 3), 1.0 / 9.0, 1e-16);
        assert_close(halton(5, 3), 2.0 / 3.0 + 1.0 / 9.0, 1e-16); // 5 = "12" in base 3 -> 0.21
        assert_close(halton(6, 5), 0.2 + 0.04, 1e-16); // 6 = "11" in base 5
        assert!(halton(usize::MAX, 2) <= 1.0);
    }

    #[test]
    fn sample_box_values_determinism_and_inside() {
        let unit = cube(v(0.0, 0.0, 0.0), 1.0);
        let s = sample_box(&unit, 4);
        assert_eq!(s[0], v(0.0, 0.0, 0.0));
        assert_vclose(&s[1], &v(0.0, -1.0 / 3.0, -0.6), 1e-15);
        assert_vclose(&s[2], &v(-0.5, 1.0 / 3.0, -0.2), 1e-15);
        assert_vclose(&s[3], &v(0.5, -7.0 / 9.0, 0.2), 1e-15);
        // Rotated, translated, anisotropic: point 1 local (0, -2/3, -1.8) -> Rz90 -> (2/3, 0, -1.8) + c.
        let b = obb(v(1.0, 0.0, 0.0), rz(90.0), v(1.0, 2.0, 3.0));
        assert_vclose(&sample_box(&b, 2)[1], &v(1.0 + 2.0 / 3.0, 0.0, -1.8), 1e-14);
        // Determinism and inside-ness for an oddly rotated box.
        let b = obb(
            v(0.3, -1.0, 2.0),
            rot(37.0, 0.6, 0.0, 0.8),
            v(0.5, 0.2, 0.1),
        );
        let s1 = sample_box(&b, 200);
        assert_eq!(s1, sample_box(&b, 200));
        assert_eq!(s1.len(), 200);
        assert_eq!(s1[0], b.center);
        assert!(s1.iter().all(|p| point_in_obb(&b, p)));
        // The points spread out (not all at the centre): some reach 80% of each half extent.
        for axis in 0..3 {
            assert!(
                s1.iter()
                    .any(|p| b.to_local(p)[axis].abs() > 0.8 * b.half[axis])
            );
        }
        assert!(sample_box(&b, 0).is_empty());
    }

    #[test]
    fn predict_trace_values() {
        let t = predict_trace(&v(1.0, 0.0, 0.0), &v(0.0, 2.0, -1.0), 3, 0.1);
        assert_eq!(t.len(), 3);
        assert_vclose(&t[0], &v(1.0, 0.2, -0.1), 1e-15);
        assert_vclose(&t[1], &v(1.0, 0.4, -0.2), 1e-15);
        assert_vclose(&t[2], &v(1.0, 0.6, -0.3), 1e-15);
        assert!(predict_trace(&v(1.0, 0.0, 0.0), &v(0.0, 2.0, -1.0), 0, 0.1).is_empty());
    }

    // ---------------- above ----------------

    fn table() -> Obb {
        obb(
            v(0.0, 0.0, 0.4),
            UnitQuaternion::identity(),
            v(0.5, 0.5, 0.4),
        ) // top at z = 0.8
    }

    fn small(x: f64, y: f64, z: f64) -> Obb {
        cube(v(x, y, z), 0.05)
    }

    #[test]
    fn above_heights() {
        assert!(above(&small(0.0, 0.0, 0.85), &table())); // bottom 0.80 on the top 0.80
        assert!(above(&small(0.0, 0.0, 0.8495), &table())); // bottom 0.7995 >= 0.799
        assert!(!above(&small(0.0, 0.0, 0.84), &table())); // bottom 0.79, sunk 1 cm
        assert!(above(&small(0.0, 0.0, 1.5), &table())); // hovering high
        assert!(!above(&table(), &small(0.0, 0.0, 0.85))); // not symmetric
        // A tall box (half z 0.2) lying on its side (90 deg about x): half height becomes 0.05.
        let lying = obb(
            v(0.0, 0.0, 0.85),
            rot(90.0, 1.0, 0.0, 0.0),
            v(0.05, 0.05, 0.2),
        );
        assert!(above(&lying, &table()));
        let standing = obb(
            v(0.0, 0.0, 0.85),
            UnitQuaternion::identity(),
            v(0.05, 0.05, 0.2),
        );
        assert!(!above(&standing, &table())); // its bottom is at 0.65
    }

    #[test]
    fn above_footprints() {
        assert!(!above(&small(0.6, 0.0, 0.85), &table())); // x in [0.55,0.65] vs [-0.5,0.5]
        assert!(above(&small(0.54, 0.0, 0.85), &table())); // [0.49,0.59] overlaps
        assert!(above(&small(0.55, 0.0, 0.85), &table())); // edges touch
        // Table turned 45 deg: a diamond |x| + |y| <= 0.707. The small cube at (0.6,0.6) is
        // inside the diamond's AABB [-0.707,0.707]^2 but its nearest corner (0.55,0.55) has
        // |x|+|y| = 1.1: no overlap.
        let diamond = Obb {
            rot: rz(45.0),
            ..table()
        };
        assert!(!above(&small(0.6, 0.6, 0.85), &diamond));
        assert!(above(&small(0.6, 0.0, 0.85), &diamond)); // reaches the vertex at (0.707, 0)
        assert!(!above(&small(0.8, 0.0, 0.85), &diamond)); // 0.75 > 0.707
    }

    #[test]
    fn above_tilted_box_parallelogram_footprint() {
        // Plate half (1,1,0) turned 45 deg about z, then tilted 60 deg about world x.
        // Its local x, y axes project to g1 = (0.707, 0.354), g2 = (-0.707, 0.354) (not
        // orthogonal), so the footprint is the rhombus |x|/1.414 + |y|/0.707 <= 1 with
        // vertices (+-1.414, 0), (0, +-0.707); its edge normals are perpendicular to g1, g2,
        // e.g. n = (0.447, 0.894) with support 0.632.
        let plate = obb(
            v(0.0, 0.0, 0.0),
            rot(60.0, 1.0, 0.0, 0.0) * rz(45.0),
            v(1.0, 1.0, 0.0),
        );
        assert_vclose(
            &plate.corners()[3],
            &v(0.0, FRAC_1_SQRT_2, 1.5f64.sqrt()),
            1e-12,
        );
        let dot =
            |x: f64, y: f64, z: f64| obb(v(x, y, z), UnitQuaternion::identity(), v(0.0, 0.0, 0.0));
        // (0.8, 0.4): n . p = 0.716 > 0.632 -> outside the rhombus (yet inside its AABB and
        // not separated along x, y, g1 or g2).
        assert!(!above(&dot(0.8, 0.4, 5.0), &plate));
        // (0.6, 0.3): n . p = 0.537 -> inside.
        assert!(above(&dot(0.6, 0.3, 5.0), &plate));
        // Too low: the plate's highest corner is at z = 1.2247.
        assert!(!above(&dot(0.0, 0.0, 1.2), &plate));
    }

    #[test]
    fn above_degenerate_footprints() {
        // Zero-size boxes: footprints are points. Distinct points along a diagonal do not overlap.
        let p =
            |x: f64, y: f64, z: f64| obb(v(x, y, z), UnitQuaternion::identity(), v(0.0, 0.0, 0.0));
        assert!(above(&p(0.3, 0.3, 1.0), &p(0.3, 0.3, 0.0)));
        assert!(!above(&p(0.3, 0.31, 1.0), &p(0.3, 0.3, 0.0)));
        // A vertical stick (footprint a point) above a horizontal stick along the diagonal.
        let stick = obb(v(0.0, 0.0, 0.0), rz(45.0), v(1.0, 0.0, 0.0));
        let pole = |x: f64, y: f64| obb(v(x, y, 1.0), UnitQuaternion::identity(), v(0.0, 0.0, 0.5));
        assert!(above(&pole(0.5, 0.5), &stick));
        assert!(!above(&pole(0.5, 0.6), &stick)); // off the line
        assert!(!above(&pole(0.8, 0.8), &stick)); // on the line, beyond the end (0.707)
    }

    // ---------------- robustness / cross-checks ----------------

    /// Deterministic pseudo-random values drawn from a small set that includes zeros,
    /// so boxes degenerate and points coincide often.
    struct Lcg(u64);
    impl Lcg {
        fn pick(&mut self, set: &[f64]) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            set[(self.0 >> 33) as usize % set.len()]
        }
        fn vec(&mut self, set: &[f64]) -> Vector3<f64> {
            v(self.pick(set), self.pick(set), self.pick(set))
        }
        fn obb(&mut self, set: &[f64]) -> Obb {
            let q = quat_from_wxyz(
                self.pick(set),
                self.pick(set),
                self.pick(set),
                self.pick(set),
            );
            Obb::new(self.vec(set), q, self.vec(set))
        }
    }

    #[test]
    fn invariants_on_degenerate_inputs() {
        let set = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, 1e-12];
        let mut g = Lcg(42);
        for _ in 0..3000 {
            let (a, b) = (g.obb(&set), g.obb(&set));
            let (p, q) = (g.vec(&set), g.vec(&set));
            let hit = obb_intersects_obb(&a, &b);
            assert_eq!(
                hit,
                obb_intersects_obb(&b, &a),
                "SAT not symmetric: {a:?} {b:?}"
            );
            // Any sample point of a inside b, or a fully inside b, proves intersection.
            if sample_box(&a, 16).iter().any(|s| point_in_obb(&b, s)) || contain_fully(&b, &a) {
                assert!(hit, "SAT missed an intersection: {a:?} {b:?}");
            }
            assert!(sample_box(&a, 16).iter().all(|s| point_in_obb(&a, s)));
            // A segment with an endpoint inside hits; hitting is direction-independent.
            let seg = segment_intersects_obb(&p, &q, &a);
            assert_eq!(seg, segment_intersects_obb(&q, &p, &a));
            if point_in_obb(&a, &p) || point_in_obb(&a, &q) {
                assert!(seg);
            }
            assert_eq!(polyline_collides_obb(&[p, q], &a), seg);
            // Holding with contact implies the tcp is within the margin; no contact never holds.
            assert!(!is_holding(&p, false, &a));
            if point_in_obb(&a, &p) {
                assert!(is_holding(&p, true, &a));
            }
            let ang = angle_between(&p, &q);
            assert!((0.0..=PI).contains(&ang));
            // spatial_relation preserves length.
            assert_close(
                spatial_relation(&p, &q, &a.rot).norm(),
                distance(&p, &q),
                1e-12,
            );
            // 3-D intersection implies overlapping footprints; lifting a box changes neither
            // the footprint test nor (for a high enough lift) makes a non-overlapping pair above.
            let lifted = Obb {
                center: a.center + v(0.0, 0.0, 100.0),
                ..a
            };
            let fp = footprints_overlap(&a, &b);
            if hit {
                assert!(
                    fp,
                    "intersecting boxes with disjoint footprints: {a:?} {b:?}"
                );
            }
            assert_eq!(fp, footprints_overlap(&lifted, &b));
            assert_eq!(above(&lifted, &b), fp);
            assert!(!above(&b, &lifted));
        }
    }

    #[test]
    fn no_panic_on_extreme_inputs() {
        let set = [
            0.0,
            1e300,
            -1e300,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            1.0,
            f64::NAN,
            f64::INFINITY,
        ];
        let mut g = Lcg(7);
        for _ in 0..2000 {
            let (a, b) = (g.obb(&set), g.obb(&set));
            let (p, q) = (g.vec(&set), g.vec(&set));
            let _ = (
                a.corners(),
                a.to_local(&p),
                distance(&p, &q),
                angle_between(&p, &q),
            );
            let _ = (
                up_axis(&a.rot),
                spatial_relation(&p, &q, &b.rot),
                point_in_obb(&a, &p),
            );
            let _ = (
                contain(&a, &p),
                contain_fully(&a, &b),
                is_holding(&p, true, &a),
            );
            let _ = (
                obb_intersects_obb(&a, &b),
                segment_intersects_obb(&p, &q, &a),
            );
            let _ = (
                polyline_collides_obb(&[p, q, p], &b),
                any_point_in_obb(&[p], &b),
            );
            let _ = (
                sample_box(&a, 3),
                predict_trace(&p, &q, 3, g.pick(&set)),
                above(&a, &b),
            );
            let mut out = [0.0; 6];
            native_sample_box(&a.to_flat(), &mut out);
        }
        // Rotations stay unit length for any finite input.
        for w in [1e300, 1e-300, -3.0, 0.0] {
            let q = quat_from_wxyz(w, 1e-320, 0.0, -w);
            assert_close(q.quaternion().norm(), 1.0, 1e-15);
        }
    }

    // ---------------- flat adapters ----------------

    fn q4(q: &UnitQuaternion<f64>) -> [f64; 4] {
        let q = q.quaternion();
        [q.w, q.i, q.j, q.k]
    }

    fn v3(p: &Vector3<f64>) -> [f64; 3] {
        [p.x, p.y, p.z]
    }

    fn b2f(b: bool) -> f64 {
        if b { 1.0 } else { 0.0 }
    }

    fn call(f: NativeFn, args: &[f64], n_out: usize) -> Vec<f64> {
        let mut out = vec![-7.0; n_out];
        f(args, &mut out);
        out
    }

    #[test]
    fn obb_from_flat_layout() {
        let s = [1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 2.0, 0.1, 0.2, 0.3];
        let b = obb_from_flat(&s);
        assert_eq!(b.center, v(1.0, 2.0, 3.0));
        assert_eq!(b.half, v(0.1, 0.2, 0.3));
        assert_vclose(&(b.rot * v(1.0, 0.0, 0.0)), &v(-1.0, 0.0, 0.0), 1e-15); // 180 deg about z, normalised
        let r = obb(v(1.0, 2.0, 3.0), rot(33.0, 0.0, 0.6, 0.8), v(0.1, 0.2, 0.3));
        assert_eq!(obb_from_flat(&r.to_flat()).center, r.center);
        assert!(obb_from_flat(&r.to_flat()).rot.angle_to(&r.rot) < 1e-12);
    }

    #[test]
    fn adapters_match_typed_functions() {
        let a = obb(
            v(0.1, 0.0, 0.9),
            rot(20.0, 0.0, 0.0, 1.0),
            v(0.05, 0.05, 0.05),
        );
        let b = obb(v(0.0, 0.0, 0.4), rz(45.0), v(0.5, 0.3, 0.4));
        let (af, bf) = (a.to_flat(), b.to_flat());
        let p = v(0.3, -0.2, 0.5);
        let u = v(1.0, 2.0, -0.5);
        let q = rot(70.0, 0.6, 0.0, 0.8);

        assert_eq!(
            call(native_distance, &cat(&[&v3(&p), &v3(&u)]), 1),
            vec![distance(&p, &u)]
        );
        assert_eq!(
            call(native_angle, &cat(&[&v3(&p), &v3(&u)]), 1),
            vec![angle_between(&p, &u)]
        );
        assert_eq!(call(native_up, &q4(&q), 3), v3(&up_axis(&q)).to_vec());
        // Non-unit quaternion in the flat form is normalised: (0,3,0,0) = 180 deg about x, up -> -z.
        assert_eq!(
            call(native_up, &[0.0, 3.0, 0.0, 0.0], 3),
            vec![0.0, 0.0, -1.0]
        );

        for c in [p, v(0.0, 0.0, 0.5), v(0.45, 0.45, 0.4)] {
            let out = call(native_contain, &cat(&[&bf, &v3(&c)]), 1);
            assert_eq!(out, vec![b2f(contain(&b, &c))]);
        }
        assert_eq!(
            call(native_contain, &cat(&[&bf, &[0.0, 0.0, 0.5]]), 1),
            vec![1.0]
        );
        assert_eq!(
            call(native_contain, &cat(&[&bf, &[0.45, 0.45, 0.4]]), 1),
            vec![0.0]
        );

        let inner = cube(v(0.0, 0.0, 0.4), 0.1);
        assert_eq!(
            call(native_contain_fully, &cat(&[&bf, &inner.to_flat()]), 1),
            vec![1.0]
        );
        assert_eq!(
            call(native_contain_fully, &cat(&[&bf, &af]), 1),
            vec![b2f(contain_fully(&b, &a))]
        );

        for (tcp, g) in [(a.center, 1.0), (a.center, 0.0), (v(0.2, 0.0, 0.9), 1.0)] {
            let out = call(native_is_holding, &cat(&[&v3(&tcp), &[g], &af]), 1);
            assert_eq!(out, vec![b2f(is_holding(&tcp, g > 0.5, &a))]);
        }
        assert_eq!(
            call(native_is_holding, &cat(&[&v3(&a.center), &[1.0], &af]), 1),
            vec![1.0]
        );
        assert_eq!(
            call(native_is_holding, &cat(&[&v3(&a.center), &[0.0], &af]), 1),
            vec![0.0]
        );

        let sr = spatial_relation(&p, &u, &q);
        assert_eq!(
            call(
                native_spatial_relation,
                &cat(&[&v3(&p), &v3(&u), &q4(&q)]),
                3
            ),
            v3(&sr).to_vec()
        );

        let far = cube(v(3.0, 0.0, 0.0), 0.1).to_flat();
        assert_eq!(
            call(native_collide_box_box, &cat(&[&af, &bf]), 1),
            vec![b2f(obb_intersects_obb(&a, &b))]
        );
        assert_eq!(
            call(native_collide_box_box, &cat(&[&af, &far]), 1),
            vec![0.0]
        );

        let path = [v(-2.0, 0.0, 0.4), v(2.0, 0.0, 0.4), v(2.0, 2.0, 0.4)];
        let pf = flat(&path);
        assert_eq!(
            call(native_collide_trace_box, &cat(&[&pf, &bf]), 1),
            vec![1.0]
        );
        assert_eq!(
            call(native_collide_trace_box, &cat(&[&pf[3..], &bf]), 1),
            vec![b2f(polyline_collides_obb(&path[1..], &b))]
        );
        assert_eq!(call(native_collide_trace_box, &bf, 1), vec![0.0]); // no points
        assert_eq!(
            call(native_any_point_in_box, &cat(&[&pf, &bf]), 1),
            vec![0.0]
        );
        assert_eq!(
            call(
                native_any_point_in_box,
                &cat(&[&pf, &[0.0, 0.0, 0.4], &bf]),
                1
            ),
            vec![1.0]
        );

        assert_eq!(call(native_sample_box, &bf, 15), flat(&sample_box(&b, 5)));
        assert!(call(native_sample_box, &bf, 0).is_empty());

        let tr = predict_trace(&p, &u, 4, 0.05);
        assert_eq!(
            call(native_predict_trace, &cat(&[&v3(&p), &v3(&u), &[0.05]]), 12),
            flat(&tr)
        );

        assert_eq!(
            call(native_above, &cat(&[&af, &bf]), 1),
            vec![b2f(above(&a, &b))]
        );
        assert_eq!(call(native_above, &cat(&[&af, &bf]), 1), vec![1.0]);
        assert_eq!(call(native_above, &cat(&[&bf, &af]), 1), vec![0.0]);

        // rotate: 90 deg about z takes x to y; inverse takes y back to x.
        let qz = q4(&rz(90.0));
        let r = call(native_rotate, &cat(&[&qz, &[1.0, 0.0, 0.0]]), 3);
        assert_vclose(&v(r[0], r[1], r[2]), &v(0.0, 1.0, 0.0), 1e-15);
        let r = call(native_inverse_rotate, &cat(&[&qz, &[0.0, 1.0, 0.0]]), 3);
        assert_vclose(&v(r[0], r[1], r[2]), &v(1.0, 0.0, 0.0), 1e-15);
        assert_eq!(
            call(native_rotate, &cat(&[&q4(&q), &v3(&u)]), 3),
            v3(&(q * u)).to_vec()
        );
        assert_eq!(
            call(native_inverse_rotate, &cat(&[&q4(&q), &v3(&u)]), 3),
            v3(&q.inverse_transform_vector(&u)).to_vec()
        );
    }

    /// Runs an adapter on a too-short slice. In debug builds the length `debug_assert!`
    /// fires (a compiler bug); in release builds the output must be all NaN.
    fn short_call(f: NativeFn, args: &[f64], n_out: usize) {
        let args = args.to_vec();
        let res = std::panic::catch_unwind(move || call(f, &args, n_out));
        match res {
            Ok(out) => assert!(out.iter().all(|x| x.is_nan()), "{out:?}"),
            Err(_) => {
                if !cfg!(debug_assertions) {
                    panic!("panicked in a release build");
                }
            }
        }
    }

    #[test]
    fn adapters_short_slices_give_nan() {
        let fixed: [(NativeFn, usize); 12] = [
            (native_distance, 1),
            (native_angle, 1),
            (native_up, 3),
            (native_contain, 1),
            (native_contain_fully, 1),
            (native_is_holding, 1),
            (native_spatial_relation, 3),
            (native_collide_box_box, 1),
            (native_collide_trace_box, 1),
            (native_any_point_in_box, 1),
            (native_above, 1),
            (native_rotate, 3),
        ];
        for (f, n) in fixed {
            short_call(f, &[1.0, 2.0], n);
            short_call(f, &[], n);
        }
        short_call(native_inverse_rotate, &[1.0; 6], 3);
        short_call(native_sample_box, &[1.0; 9], 6);
        short_call(native_predict_trace, &[1.0; 6], 6);
    }

    #[test]
    fn put_helpers_never_panic_and_fill_nan() {
        // These are what make the release-build path safe: check them directly.
        assert!(vec3_at(&[1.0, 2.0], 0).is_none());
        assert!(obb_at(&[0.0; 9], 0).is_none());
        assert!(obb_at(&[0.0; 10], 0).is_some());
        let mut out = [0.0; 2];
        put_vec3(&mut out, None);
        assert!(out.iter().all(|x| x.is_nan()));
        let mut out = [0.0; 7];
        put_points(&mut out, Some(|i: usize| v(i as f64, 0.0, 0.0)));
        assert_eq!(out[..6], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        assert!(out[6].is_nan());
        let mut empty: [f64; 0] = [];
        put_scalar(&mut empty, Some(1.0));
        put_vec3(&mut empty, Some(v(1.0, 2.0, 3.0)));
        assert_eq!(bool_at(&[0.4], 0), Some(false));
        assert_eq!(bool_at(&[0.6], 0), Some(true));
        assert_eq!(bool_at(&[f64::NAN], 0), Some(false));
    }
}
