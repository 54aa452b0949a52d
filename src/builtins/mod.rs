//! The builtin registry: one table, one entry per builtin, holding its name,
//! signatures, documentation and implementation.
//!
//! The checker reads the signatures, `rwd prompt`/docs read the docs, and the
//! IR lowering reads [`Imp`]: arithmetic builtins become IR instructions,
//! geometry builtins become calls of a [`geom::NativeFn`] over flat f64
//! slices. The interpreter and (later) the JIT call the same native functions,
//! so both back ends share one implementation of every geometric predicate.

pub mod geom;
pub mod reference;
pub mod tanh;

use crate::types::{Dim, Kind, Ty};
pub use geom::NativeFn;

/// A parameter pattern.
#[derive(Debug, Clone, Copy)]
pub enum P {
    /// A scalar with a dimension pattern.
    Scalar(D),
    Bool,
    Vec3(D),
    Quat,
    Pose,
    /// An oriented box; a boxed entity (Object, Drawer, Hinged) is accepted and means its box.
    Box,
    Points,
    Trace,
    /// An entity of one of these kinds, flattened for natives as the listed fields.
    Entity(&'static [Kind], &'static [&'static str]),
    /// A string literal (property names).
    Str,
    /// An integer literal in 1..=1024 that fixes a size (not passed at run time).
    Count,
}

/// A dimension pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum D {
    Exact(Dim),
    /// Any dimension (transcendentals take the SI magnitude).
    Any,
    /// Any dimension, the same for every `Same` parameter of the call.
    Same,
}

/// The result type, possibly depending on the arguments.
#[derive(Debug, Clone, Copy)]
pub enum R {
    Scalar(Dim),
    /// A scalar of the `Same` dimension.
    ScalarSame,
    /// sqrt: half the dimension of the argument.
    ScalarSqrt,
    /// dot: product of the two vectors' dimensions.
    ScalarProduct,
    Vec3(Dim),
    Vec3Same,
    /// cross: product of the two vectors' dimensions.
    Vec3Product,
    Bool,
    Box,
    /// points(n), n from the `Count` argument.
    Points,
    /// trace(n), n from the `Count` argument.
    Trace,
}

#[derive(Debug, Clone, Copy)]
pub struct Sig {
    pub params: &'static [P],
    pub ret: R,
}

/// Scalar math that lowers to one IR instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Math1 {
    Abs,
    Sqrt,
    Tanh,
    Exp,
    Ln,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Floor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Math2 {
    Min,
    Max,
    Atan2,
    Pow,
}

/// How a builtin is implemented.
#[derive(Debug, Clone, Copy)]
pub enum Imp {
    Math1(Math1),
    Math2(Math2),
    Clamp,
    Norm,
    /// Euclidean distance, inlined as arithmetic (sqrt of the summed squares).
    Distance,
    /// Point in oriented box, inlined (see `ir::geometry`).
    Contain,
    /// Contact flag and tool-centre point in the grown box, inlined.
    IsHolding,
    /// Position in another body's frame, inlined.
    SpatialRelation,
    /// Quaternion rotation, inlined.
    Rotate,
    Dot,
    Cross,
    MakeVec3,
    /// A native function per signature, over the flattened arguments in
    /// signature order; the output width is the result type's width.
    Native(&'static [NativeFn]),
    /// The oriented box of an entity (a coercion made explicit).
    GetBox,
    /// `verify_property(entity, "name")`, resolved at compile time.
    VerifyProperty,
}

#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub sigs: &'static [Sig],
    pub imp: Imp,
    /// One paragraph: the exact definition (this text is shown to models).
    pub doc: &'static str,
    /// A use that type-checks (tested).
    pub example: &'static str,
}

/// Index into [`BUILTINS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BuiltinId(pub u16);

pub fn lookup(name: &str) -> Option<BuiltinId> {
    BUILTINS.iter().position(|b| b.name == name).map(|i| BuiltinId(i as u16))
}

pub fn get(id: BuiltinId) -> &'static Builtin {
    &BUILTINS[id.0 as usize]
}

/// Properties `verify_property` knows without a scene declaration.
pub const DERIVED_PROPERTIES: &[(&str, &str)] = &[
    ("upright", "the body's z axis is within 15 degrees of world z"),
    ("lying", "the body's z axis is more than 60 degrees from world z"),
    ("static", "speed below 1 cm/s"),
    ("open", "Drawer joint above 5 cm, Hinged joint above 20 degrees"),
    ("closed", "Drawer joint below 1 cm, Hinged joint below 5 degrees"),
];

const fn sig(params: &'static [P], ret: R) -> Sig {
    Sig { params, ret }
}

const ANY: P = P::Scalar(D::Any);
const SAME: P = P::Scalar(D::Same);
const NUM: P = P::Scalar(D::Exact(Dim::NONE));
const POS: P = P::Vec3(D::Exact(Dim::LENGTH));
const ALL_KINDS: &[Kind] = &[Kind::Gripper, Kind::Object, Kind::Drawer, Kind::Hinged, Kind::Site];
const MOVING: &[Kind] = &[Kind::Gripper, Kind::Object, Kind::Drawer, Kind::Hinged];

/// Transcendentals take any dimension (its SI magnitude) and return a plain number.
const ANY_TO_NUMBER: &[Sig] = &[sig(&[ANY], R::Scalar(Dim::NONE))];

const fn math1(name: &'static str, op: Math1, doc: &'static str, example: &'static str) -> Builtin {
    Builtin { name, sigs: ANY_TO_NUMBER, imp: Imp::Math1(op), doc, example }
}

pub static BUILTINS: &[Builtin] = &[
    // ---------------------------------------------------------------- math
    Builtin { name: "abs", sigs: &[sig(&[SAME], R::ScalarSame)], imp: Imp::Math1(Math1::Abs),
        doc: "Absolute value; keeps the dimension.", example: "abs(cube.pos.z - 5cm)" },
    Builtin { name: "sqrt", sigs: &[sig(&[SAME], R::ScalarSqrt)], imp: Imp::Math1(Math1::Sqrt),
        doc: "Square root of a non-negative value (NaN below 0, which flags the step); halves the dimension's exponents, which must be even.", example: "sqrt(2cm * 2cm)" },
    Builtin { name: "floor", sigs: &[sig(&[SAME], R::ScalarSame)], imp: Imp::Math1(Math1::Floor),
        doc: "Largest integer not above x (in SI units).", example: "floor(2.5)" },
    math1("tanh", Math1::Tanh, "Hyperbolic tangent of the argument's SI magnitude (so `tanh(5 * d)` with d = 2cm is tanh(0.1)); result in [-1, 1] (exactly 1 from 22 on). rwd's own implementation, within 2 ulp of the exact value, so a reward computes the same bits in both back ends and on every machine, whatever its C library.", "1 - tanh(5 * distance(gripper, cube))"),
    math1("exp", Math1::Exp, "e to the argument's SI magnitude.", "exp(-distance(gripper, cube) / 10cm)"),
    math1("ln", Math1::Ln, "Natural logarithm of the SI magnitude (NaN at or below 0, which flags the step).", "ln(2)"),
    math1("sin", Math1::Sin, "Sine of an angle in radians (SI magnitude of any argument).", "sin(30deg)"),
    math1("cos", Math1::Cos, "Cosine of an angle in radians.", "cos(lid.joint)"),
    math1("tan", Math1::Tan, "Tangent of an angle in radians.", "tan(10deg)"),
    Builtin { name: "asin", sigs: &[sig(&[NUM], R::Scalar(Dim::ANGLE))], imp: Imp::Math1(Math1::Asin),
        doc: "Arc sine of a dimensionless value in [-1, 1]; an angle.", example: "asin(0.5)" },
    Builtin { name: "acos", sigs: &[sig(&[NUM], R::Scalar(Dim::ANGLE))], imp: Imp::Math1(Math1::Acos),
        doc: "Arc cosine of a dimensionless value in [-1, 1]; an angle in [0, pi].", example: "acos(lid.up.z)" },
    Builtin { name: "atan", sigs: &[sig(&[NUM], R::Scalar(Dim::ANGLE))], imp: Imp::Math1(Math1::Atan),
        doc: "Arc tangent of a dimensionless value; an angle.", example: "atan(1)" },
    Builtin { name: "atan2", sigs: &[sig(&[SAME, SAME], R::Scalar(Dim::ANGLE))], imp: Imp::Math2(Math2::Atan2),
        doc: "atan2(y, x): the angle of the vector (x, y), in (-pi, pi].", example: "atan2(cube.pos.y, cube.pos.x)" },
    Builtin { name: "pow", sigs: &[sig(&[NUM, NUM], R::Scalar(Dim::NONE))], imp: Imp::Math2(Math2::Pow),
        doc: "pow(x, y) = x^y for dimensionless x and y.", example: "pow(0.5, 2)" },
    Builtin { name: "min", sigs: &[sig(&[SAME, SAME], R::ScalarSame)], imp: Imp::Math2(Math2::Min),
        doc: "The smaller of two values of the same dimension.", example: "min(distance(gripper, cube), 10cm)" },
    Builtin { name: "max", sigs: &[sig(&[SAME, SAME], R::ScalarSame)], imp: Imp::Math2(Math2::Max),
        doc: "The larger of two values of the same dimension.", example: "max(cube.pos.z, 0)" },
    Builtin { name: "clamp", sigs: &[sig(&[SAME, SAME, SAME], R::ScalarSame)], imp: Imp::Clamp,
        doc: "clamp(x, lo, hi) = min(max(x, lo), hi).", example: "clamp(cube.pos.z, 0, 20cm)" },
    Builtin { name: "norm", sigs: &[sig(&[P::Vec3(D::Same)], R::ScalarSame)], imp: Imp::Norm,
        doc: "Euclidean length of a vector.", example: "norm(cube.vel)" },
    Builtin { name: "dot", sigs: &[sig(&[P::Vec3(D::Any), P::Vec3(D::Any)], R::ScalarProduct)], imp: Imp::Dot,
        doc: "Dot product; the dimension is the product of the two.", example: "dot(lid.up, toolbox.up)" },
    Builtin { name: "cross", sigs: &[sig(&[P::Vec3(D::Any), P::Vec3(D::Any)], R::Vec3Product)], imp: Imp::Cross,
        doc: "Cross product; the dimension is the product of the two.", example: "cross(lid.up, toolbox.up)" },
    Builtin { name: "vec3", sigs: &[sig(&[SAME, SAME, SAME], R::Vec3Same)], imp: Imp::MakeVec3,
        doc: "A vector from three components of the same dimension.", example: "vec3(0, 0, 10cm)" },
    // ------------------------------------------------------------ geometry
    Builtin { name: "distance", sigs: &[sig(&[POS, POS], R::Scalar(Dim::LENGTH))], imp: Imp::Distance,
        doc: "Euclidean distance between two points; an entity stands for its position.", example: "distance(gripper, cube.pos)" },
    Builtin { name: "angle", sigs: &[sig(&[P::Vec3(D::Any), P::Vec3(D::Any)], R::Scalar(Dim::ANGLE))], imp: Imp::Native(&[geom::native_angle]),
        doc: "The angle between two vectors, in [0, pi] (atan2 of |u x v| and u . v, accurate near 0); 0 if either is zero.", example: "angle(lid.up, toolbox.up)" },
    Builtin { name: "contain", sigs: &[sig(&[P::Box, POS], R::Bool)], imp: Imp::Contain,
        doc: "contain(container, obj): the centre of obj lies inside the container's oriented box (closed, 1e-9 m tolerance). An entity passed as obj stands for its position.", example: "contain(bowl, cube)" },
    Builtin { name: "contain_fully", sigs: &[sig(&[P::Box, P::Box], R::Bool)], imp: Imp::Native(&[geom::native_contain_fully]),
        doc: "All eight corners of the second box lie inside the first.", example: "contain_fully(drawer, cube)" },
    Builtin { name: "is_holding", sigs: &[sig(&[P::Entity(&[Kind::Gripper], &["pos", "grasp"]), P::Box], R::Bool)], imp: Imp::IsHolding,
        doc: "The gripper reports contact on both fingers AND its tool-centre point lies inside the object's box grown by 1 cm on every side (the contact flag alone cannot say which object is held).", example: "is_holding(gripper, cube)" },
    Builtin { name: "spatial_relation", sigs: &[sig(&[POS, P::Pose], R::Vec3(Dim::LENGTH))], imp: Imp::SpatialRelation,
        doc: "spatial_relation(a, b): a's position in b's frame, R_b^T (a - b): (dx, dy, dz) along b's own axes.", example: "spatial_relation(lid, toolbox).z" },
    Builtin { name: "above", sigs: &[sig(&[P::Box, P::Box], R::Bool)], imp: Imp::Native(&[geom::native_above]),
        doc: "above(a, b): a's lowest corner is at most 1 mm below b's highest corner and their footprints in the world xy plane overlap.", example: "above(lid, toolbox)" },
    Builtin { name: "get_box", sigs: &[sig(&[P::Entity(&[Kind::Object, Kind::Drawer, Kind::Hinged], &[])], R::Box)], imp: Imp::GetBox,
        doc: "The entity's oriented box: centre pos, orientation rot, half extents half.", example: "get_box(cube)" },
    Builtin { name: "sample", sigs: &[sig(&[P::Box, P::Count], R::Points)], imp: Imp::Native(&[geom::native_sample_box]),
        doc: "sample(box, n): n deterministic points inside the box: its centre, then the Halton sequence (bases 2, 3, 5) over the box.", example: "sample(bowl, 8)" },
    Builtin { name: "predict_trace", sigs: &[sig(&[P::Entity(MOVING, &["pos", "vel"]), P::Count, P::Scalar(D::Exact(Dim::TIME))], R::Trace)], imp: Imp::Native(&[geom::native_predict_trace]),
        doc: "predict_trace(e, n, dt): e's position over the next n steps of dt at constant velocity: point i is pos + vel * dt * i, i = 1..n.", example: "predict_trace(gripper, 10, 0.1s)" },
    Builtin { name: "check_collision", sigs: &[
            sig(&[P::Trace, P::Box], R::Bool),
            sig(&[P::Points, P::Box], R::Bool),
            sig(&[P::Box, P::Box], R::Bool),
        ], imp: Imp::Native(&[geom::native_collide_trace_box, geom::native_any_point_in_box, geom::native_collide_box_box]),
        doc: "check_collision(trace, box): a segment of the path enters the oriented box. check_collision(points, box): a point lies inside. check_collision(box, box): the oriented boxes overlap (separating-axis test).", example: "check_collision(predict_trace(gripper, 10, 0.1s), toolbox)" },
    Builtin { name: "rotate", sigs: &[sig(&[P::Quat, P::Vec3(D::Same)], R::Vec3Same)], imp: Imp::Rotate,
        doc: "rotate(q, v): v rotated by the quaternion q.", example: "rotate(lid.rot, vec3(0, 0, 1))" },
    Builtin { name: "verify_property", sigs: &[sig(&[P::Entity(ALL_KINDS, &[]), P::Str], R::Bool)], imp: Imp::VerifyProperty,
        doc: "verify_property(e, \"name\"): a named property of e: upright (z axis within 15 deg of world z), lying (more than 60 deg), static (speed below 1 cm/s), open / closed (Drawer: joint above 5 cm / below 1 cm; Hinged: above 20 deg / below 5 deg), or a bool property the scene declares for e.", example: "verify_property(can, \"upright\")" },
];

/// Every builtin name, for suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

/// Renders a signature for messages and docs: `distance(vec3, vec3) -> length`.
pub fn render_sig(name: &str, sig: &Sig) -> String {
    let params: Vec<String> = sig.params.iter().map(|p| render_param(*p)).collect();
    format!("{name}({}) -> {}", params.join(", "), render_ret(sig.ret))
}

fn render_param(p: P) -> String {
    let dim = |d: D| match d {
        D::Exact(d) => d.to_string(),
        D::Any => "any".to_string(),
        D::Same => "Q".to_string(),
    };
    match p {
        P::Scalar(D::Exact(d)) => Ty::Scalar(d).to_string(),
        P::Scalar(d) => format!("scalar<{}>", dim(d)),
        P::Bool => "bool".into(),
        P::Vec3(D::Exact(d)) => Ty::Vec3(d).to_string(),
        P::Vec3(d) => format!("vec3<{}>", dim(d)),
        P::Quat => "quat".into(),
        P::Pose => "pose".into(),
        P::Box => "box".into(),
        P::Points => "points(N)".into(),
        P::Trace => "trace(N)".into(),
        P::Entity(kinds, _) if kinds.len() == ALL_KINDS.len() => "entity".into(),
        P::Entity(kinds, _) => kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("|"),
        P::Str => "\"name\"".into(),
        P::Count => "N".into(),
    }
}

fn render_ret(r: R) -> String {
    match r {
        R::Scalar(d) => Ty::Scalar(d).to_string(),
        R::ScalarSame => "scalar<Q>".into(),
        R::ScalarSqrt => "scalar<sqrt Q>".into(),
        R::ScalarProduct | R::Vec3Product => "product of the dimensions".into(),
        R::Vec3(d) => Ty::Vec3(d).to_string(),
        R::Vec3Same => "vec3<Q>".into(),
        R::Bool => "bool".into(),
        R::Box => "box".into(),
        R::Points => "points(N)".into(),
        R::Trace => "trace(N)".into(),
    }
}
