//! Types, dimensions, units and entity kinds.
//!
//! Scalars and vectors carry a [`Dim`]: integer exponents of length, angle and
//! time, plus `var` for a function's own dimension parameter (`quantity`).
//! Units on literals are converted to SI when parsed; only the dimension
//! survives into the type.

use std::fmt;

/// A unit written on a literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    M,
    Cm,
    Mm,
    Deg,
    Rad,
    S,
    Ms,
}

impl Unit {
    pub fn parse(text: &str) -> Option<Unit> {
        Some(match text {
            "m" => Unit::M,
            "cm" => Unit::Cm,
            "mm" => Unit::Mm,
            "deg" => Unit::Deg,
            "rad" => Unit::Rad,
            "s" => Unit::S,
            "ms" => Unit::Ms,
            _ => return None,
        })
    }

    /// Factor from this unit to SI (metres, radians, seconds).
    pub fn to_si(self) -> f64 {
        match self {
            Unit::M | Unit::Rad | Unit::S => 1.0,
            Unit::Cm => 0.01,
            Unit::Mm => 0.001,
            Unit::Ms => 0.001,
            Unit::Deg => std::f64::consts::PI / 180.0,
        }
    }

    pub fn dim(self) -> Dim {
        match self {
            Unit::M | Unit::Cm | Unit::Mm => Dim::LENGTH,
            Unit::Deg | Unit::Rad => Dim::ANGLE,
            Unit::S | Unit::Ms => Dim::TIME,
        }
    }
}

/// Exponents of the base dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dim {
    pub length: i8,
    pub angle: i8,
    pub time: i8,
    /// Exponent of the enclosing function's `quantity` dimension parameter.
    pub var: i8,
}

impl Dim {
    pub const NONE: Dim = Dim { length: 0, angle: 0, time: 0, var: 0 };
    pub const LENGTH: Dim = Dim { length: 1, angle: 0, time: 0, var: 0 };
    pub const ANGLE: Dim = Dim { length: 0, angle: 1, time: 0, var: 0 };
    pub const TIME: Dim = Dim { length: 0, angle: 0, time: 1, var: 0 };
    pub const SPEED: Dim = Dim { length: 1, angle: 0, time: -1, var: 0 };
    pub const ANGULAR_SPEED: Dim = Dim { length: 0, angle: 1, time: -1, var: 0 };
    pub const VAR: Dim = Dim { length: 0, angle: 0, time: 0, var: 1 };

    /// The dimension of a product; `None` if an exponent leaves the i8
    /// range (only absurd programs get there; the checker reports E0031).
    pub fn checked_mul(self, o: Dim) -> Option<Dim> {
        Some(Dim {
            length: self.length.checked_add(o.length)?,
            angle: self.angle.checked_add(o.angle)?,
            time: self.time.checked_add(o.time)?,
            var: self.var.checked_add(o.var)?,
        })
    }

    /// The dimension of a quotient; `None` if an exponent leaves the i8 range.
    pub fn checked_div(self, o: Dim) -> Option<Dim> {
        Some(Dim {
            length: self.length.checked_sub(o.length)?,
            angle: self.angle.checked_sub(o.angle)?,
            time: self.time.checked_sub(o.time)?,
            var: self.var.checked_sub(o.var)?,
        })
    }

    /// Square root, if every exponent is even.
    pub fn sqrt(self) -> Option<Dim> {
        let even = |e: i8| (e % 2 == 0).then_some(e / 2);
        Some(Dim { length: even(self.length)?, angle: even(self.angle)?, time: even(self.time)?, var: even(self.var)? })
    }

    pub fn is_none(self) -> bool {
        self == Dim::NONE
    }

    /// Replaces the `quantity` variable by a concrete dimension; `None` if
    /// an exponent leaves the i8 range.
    pub fn substitute(self, var: Dim) -> Option<Dim> {
        let base = Dim { var: 0, ..self };
        let mut out = base;
        for _ in 0..self.var.unsigned_abs() {
            out = if self.var > 0 { out.checked_mul(var)? } else { out.checked_div(var)? };
        }
        Some(out)
    }

    /// The SI unit symbol, e.g. `m`, `rad`, `m/s`, `` (dimensionless).
    pub fn unit_symbol(self) -> String {
        let mut num = Vec::new();
        let mut den = Vec::new();
        for (sym, e) in [("m", self.length), ("rad", self.angle), ("s", self.time), ("Q", self.var)] {
            let part = |e: i16| if e == 1 { sym.to_string() } else { format!("{sym}^{e}") };
            if e > 0 {
                num.push(part(i16::from(e)));
            } else if e < 0 {
                den.push(part(-i16::from(e)));
            }
        }
        match (num.is_empty(), den.is_empty()) {
            (true, true) => String::new(),
            (false, true) => num.join("*"),
            (true, false) => format!("1/{}", den.join("*")),
            (false, false) => format!("{}/{}", num.join("*"), den.join("*")),
        }
    }
}

impl Dim {
    /// The dimension with its article: "a length", "an angle".
    pub fn with_article(self) -> String {
        let name = self.to_string();
        let vowel = name.starts_with(['a', 'e', 'i', 'o', 'u']);
        if self == Dim::NONE {
            "a plain number".to_string()
        } else if vowel {
            format!("an {name}")
        } else {
            format!("a {name}")
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Dim::NONE => "dimensionless",
            Dim::LENGTH => "length",
            Dim::ANGLE => "angle",
            Dim::TIME => "time",
            Dim::SPEED => "speed",
            Dim::ANGULAR_SPEED => "angular speed",
            Dim::VAR => "quantity",
            _ => return write!(f, "{}", self.unit_symbol()),
        };
        f.write_str(name)
    }
}

/// Entity kinds a scene can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Gripper,
    Object,
    Drawer,
    Hinged,
    Site,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[Kind::Gripper, Kind::Object, Kind::Drawer, Kind::Hinged, Kind::Site];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Gripper => "Gripper",
            Kind::Object => "Object",
            Kind::Drawer => "Drawer",
            Kind::Hinged => "Hinged",
            Kind::Site => "Site",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == text)
    }

    /// Whether the kind has an oriented box (and so works where a `box` is expected).
    pub fn has_box(self) -> bool {
        matches!(self, Kind::Object | Kind::Drawer | Kind::Hinged)
    }

    pub fn has_rot(self) -> bool {
        !matches!(self, Kind::Site)
    }

    /// Fields stored in the observation, in layout order.
    pub fn stored_fields(self) -> &'static [StoredField] {
        const POS: StoredField = StoredField { name: "pos", ty: Ty::Vec3(Dim::LENGTH), doc: "position of the centre (tool-centre point for a gripper)", range: None };
        const ROT: StoredField = StoredField { name: "rot", ty: Ty::Quat, doc: "orientation quaternion (w, x, y, z)", range: None };
        const HALF: StoredField = StoredField { name: "half", ty: Ty::Vec3(Dim::LENGTH), doc: "half extents of the oriented box, in the body frame", range: None };
        const VEL: StoredField = StoredField { name: "vel", ty: Ty::Vec3(Dim::SPEED), doc: "linear velocity", range: None };
        const OPENING: StoredField = StoredField { name: "opening", ty: Ty::Scalar(Dim::NONE), doc: "finger opening, 0 closed .. 1 fully open", range: Some((0.0, 1.0)) };
        const GRASP: StoredField = StoredField { name: "grasp", ty: Ty::Bool, doc: "both fingers report contact", range: None };
        const SLIDE: StoredField = StoredField { name: "joint", ty: Ty::Scalar(Dim::LENGTH), doc: "how far the drawer is pulled out", range: None };
        const HINGE: StoredField = StoredField { name: "joint", ty: Ty::Scalar(Dim::ANGLE), doc: "hinge angle, 0 closed", range: None };
        match self {
            Kind::Gripper => &[POS, ROT, OPENING, GRASP, VEL],
            Kind::Object => &[POS, ROT, HALF, VEL],
            Kind::Drawer => &[POS, ROT, HALF, VEL, SLIDE],
            Kind::Hinged => &[POS, ROT, HALF, VEL, HINGE],
            Kind::Site => &[POS],
        }
    }

    /// Fields computed from stored ones (they read no extra observation).
    pub fn derived_fields(self) -> &'static [DerivedField] {
        const UP: DerivedField = DerivedField { name: "up", ty: Ty::Vec3(Dim::NONE), doc: "the body's z axis in the world frame" };
        const POSE: DerivedField = DerivedField { name: "pose", ty: Ty::Pose, doc: "position and orientation" };
        const BOX: DerivedField = DerivedField { name: "box", ty: Ty::Box, doc: "the oriented box (pos, rot, half)" };
        const SIZE: DerivedField = DerivedField { name: "size", ty: Ty::Vec3(Dim::LENGTH), doc: "full extents, 2 * half" };
        const SPEED: DerivedField = DerivedField { name: "speed", ty: Ty::Scalar(Dim::SPEED), doc: "norm of vel" };
        match self {
            Kind::Gripper => &[UP, POSE, SPEED],
            Kind::Object | Kind::Drawer | Kind::Hinged => &[UP, POSE, BOX, SIZE, SPEED],
            Kind::Site => &[],
        }
    }

    pub fn doc(self) -> &'static str {
        match self {
            Kind::Gripper => "a parallel gripper: tool-centre point, orientation, opening, contact",
            Kind::Object => "a rigid body approximated by an oriented box",
            Kind::Drawer => "an object with a prismatic joint (joint: length pulled out)",
            Kind::Hinged => "an object with a revolute joint such as a lid (joint: angle)",
            Kind::Site => "a point target (a goal position)",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct StoredField {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
    /// The range the host guarantees, used by the range analysis (and
    /// stated in the layout); `None` is unbounded.
    pub range: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy)]
pub struct DerivedField {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
}

/// The type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    Scalar(Dim),
    Bool,
    Vec3(Dim),
    Quat,
    Pose,
    Box,
    Points(u32),
    Trace(u32),
    Entity(Kind),
    Str,
    /// The type of an expression that already produced an error; it unifies
    /// with everything so one mistake gives one diagnostic.
    Error,
}

impl Ty {
    /// Number of f64 slots the value takes in the flat representation
    /// (entities and strings are compile-time only: 0).
    pub fn width(self) -> u32 {
        match self {
            Ty::Scalar(_) | Ty::Bool => 1,
            Ty::Vec3(_) => 3,
            Ty::Quat => 4,
            Ty::Pose => 7,
            Ty::Box => 10,
            Ty::Points(n) | Ty::Trace(n) => 3 * n,
            Ty::Entity(_) | Ty::Str | Ty::Error => 0,
        }
    }

    pub fn is_error(self) -> bool {
        self == Ty::Error
    }

    /// Parses a type name as written in `props`, `fn` parameters and return types.
    pub fn parse(name: &str, arg: Option<u64>) -> Option<Ty> {
        let n = |a: Option<u64>| a.and_then(|v| u32::try_from(v).ok());
        Some(match (name, arg) {
            ("scalar", None) => Ty::Scalar(Dim::NONE),
            ("length", None) => Ty::Scalar(Dim::LENGTH),
            ("angle", None) => Ty::Scalar(Dim::ANGLE),
            ("time", None) => Ty::Scalar(Dim::TIME),
            ("speed", None) => Ty::Scalar(Dim::SPEED),
            ("angular_speed", None) => Ty::Scalar(Dim::ANGULAR_SPEED),
            ("quantity", None) => Ty::Scalar(Dim::VAR),
            ("bool", None) => Ty::Bool,
            ("vec3", None) => Ty::Vec3(Dim::LENGTH),
            ("direction", None) => Ty::Vec3(Dim::NONE),
            ("velocity", None) => Ty::Vec3(Dim::SPEED),
            ("quat", None) => Ty::Quat,
            ("pose", None) => Ty::Pose,
            ("box", None) => Ty::Box,
            ("points", Some(_)) => Ty::Points(n(arg)?),
            ("trace", Some(_)) => Ty::Trace(n(arg)?),
            _ => Ty::Entity(Kind::parse(name)?),
        })
    }

    /// Every type name [`Ty::parse`] accepts, for suggestions and docs.
    pub const NAMES: &'static [&'static str] = &[
        "scalar", "length", "angle", "time", "speed", "angular_speed", "quantity", "bool", "vec3",
        "direction", "velocity", "quat", "pose", "box", "points", "trace", "Gripper", "Object",
        "Drawer", "Hinged", "Site",
    ];

    /// Replaces the `quantity` variable in this type; `None` if a dimension
    /// exponent leaves the i8 range.
    pub fn substitute(self, var: Dim) -> Option<Ty> {
        Some(match self {
            Ty::Scalar(d) => Ty::Scalar(d.substitute(var)?),
            Ty::Vec3(d) => Ty::Vec3(d.substitute(var)?),
            other => other,
        })
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Scalar(d) if d.is_none() => f.write_str("scalar"),
            Ty::Scalar(d) if *d == Dim::ANGULAR_SPEED => f.write_str("angular_speed"),
            Ty::Scalar(d) => write!(f, "{d}"),
            Ty::Bool => f.write_str("bool"),
            Ty::Vec3(d) if *d == Dim::LENGTH => f.write_str("vec3"),
            Ty::Vec3(d) if d.is_none() => f.write_str("direction"),
            Ty::Vec3(d) if *d == Dim::SPEED => f.write_str("velocity"),
            Ty::Vec3(d) => write!(f, "vec3 of {d}"),
            Ty::Quat => f.write_str("quat"),
            Ty::Pose => f.write_str("pose"),
            Ty::Box => f.write_str("box"),
            Ty::Points(n) => write!(f, "points({n})"),
            Ty::Trace(n) => write!(f, "trace({n})"),
            Ty::Entity(k) => f.write_str(k.name()),
            Ty::Str => f.write_str("string"),
            Ty::Error => f.write_str("{error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_combine_by_exponent() {
        assert_eq!(Dim::LENGTH.checked_div(Dim::TIME), Some(Dim::SPEED));
        assert_eq!(Dim::LENGTH.checked_div(Dim::LENGTH), Some(Dim::NONE));
        assert_eq!(Dim::LENGTH.checked_mul(Dim::LENGTH).and_then(Dim::sqrt), Some(Dim::LENGTH));
        assert_eq!(Dim::LENGTH.sqrt(), None);
        assert_eq!(Dim::SPEED.unit_symbol(), "m/s");
        assert_eq!(Dim::VAR.checked_div(Dim::LENGTH).and_then(|d| d.substitute(Dim::LENGTH)), Some(Dim::NONE));
        assert_eq!(Dim::VAR.checked_mul(Dim::VAR).and_then(|d| d.substitute(Dim::ANGLE)), Some(Dim { angle: 2, ..Dim::NONE }));
    }

    #[test]
    fn dim_exponents_never_wrap_or_saturate() {
        let big = Dim { length: 127, ..Dim::NONE };
        assert_eq!(big.checked_mul(Dim::LENGTH), None);
        assert_eq!(Dim { length: -128, ..Dim::NONE }.checked_div(Dim::LENGTH), None);
        assert_eq!(Dim::NONE.checked_div(Dim { length: -128, ..Dim::NONE }), None);
        assert_eq!(Dim { length: -128, ..Dim::NONE }.unit_symbol(), "1/m^128");
        assert_eq!(Dim { var: 2, ..Dim::NONE }.substitute(big), None);
    }

    #[test]
    fn types_print_as_written() {
        assert_eq!(Ty::Vec3(Dim::LENGTH).to_string(), "vec3");
        assert_eq!(Ty::Vec3(Dim::NONE).to_string(), "direction");
        assert_eq!(Ty::Vec3(Dim::SPEED).to_string(), "velocity");
        for name in Ty::NAMES {
            let arg = matches!(*name, "points" | "trace").then_some(4);
            let written = if arg.is_some() { format!("{name}(4)") } else { name.to_string() };
            assert_eq!(Ty::parse(name, arg).map(|t| t.to_string()), Some(written));
        }
        // Types without a name of their own.
        assert_eq!(Ty::Vec3(Dim::ANGLE).to_string(), "vec3 of angle");
    }

    #[test]
    fn units_convert_to_si() {
        assert_eq!(Unit::Cm.to_si(), 0.01);
        assert!((15.0 * Unit::Deg.to_si() - 0.2617993877991494).abs() < 1e-15);
        assert_eq!(Unit::parse("ms"), Some(Unit::Ms));
        assert_eq!(Unit::Ms.dim(), Dim::TIME);
    }

    #[test]
    fn type_names_round_trip() {
        for name in Ty::NAMES {
            let arg = matches!(*name, "points" | "trace").then_some(4);
            assert!(Ty::parse(name, arg).is_some(), "{name}");
        }
        assert_eq!(Ty::parse("points", Some(8)), Some(Ty::Points(8)));
        assert_eq!(Ty::parse("lenght", None), None);
    }
}
