//! Stable diagnostic codes and their explanations (`rwd explain CODE`).
//!
//! A code never changes meaning once published: models and scripts match on
//! it. New problems get new codes.

use serde::{Serialize, Serializer};

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal, $explain:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in diagnostics, e.g. `E0031`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// A one-line title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }

            /// The long explanation with an example and the fix.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explain),* }
            }
        }
    };
}

impl Code {
    /// Looks a code up by its text, case-insensitively (`e0031` works).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

codes! {
    Syntax = "E0001", "syntax error",
"The text does not follow the grammar (grammar/rwd.pest). The diagnostic names
what the parser expected at that place, in words or as the punctuation it
needs (\"expected a stage name\", \"expected `}`\"), and what it found there
(for an item cut off by the next one: that item's first token).

    stage { done true }        // error: expected a stage name
    stage reach done true      // error: expected `{`, found `done`
    stage reach { done true }  // fine

Mistakes with one right spelling come with a certain replacement: a space
between a number and its unit (`5 cm`), a `;`, a string in single quotes, a
missing `}` before the next declaration or at the end of the file (the
message names the `{` that is not closed).";

    Limit = "E0002", "input exceeds a safety limit",
"Programs are untrusted text (a model may have written them), so the compiler
refuses input that would make it do unbounded work: sources over 1 MiB,
brackets nested deeper than 64 levels, more than 32 prefix operators in a row,
expressions nested deeper than 256 operators. Real reward programs are far
below every limit; split a huge expression with `let`.";

    WordOperator = "E0003", "Python-style boolean operator",
"rwd spells the boolean operators `&&`, `||` and `!`. `and`, `or` and `not`
are reserved so that this mistake gets a precise fix.

    done is_holding(g, cube) and cube.pos.z > 5cm   // error
    done is_holding(g, cube) && cube.pos.z > 5cm    // fine";

    PythonSyntax = "E0004", "Python syntax",
"rwd is not Python. Spellings with exactly one rwd equivalent are reported
with a certain replacement:

    x ** 2                   // error: write `x * x` (or `pow(x, y)` for plain numbers)
    if a then 1 elif b ...   // error: write `else if`
    # a comment              // error: comments are `//`
    np.tanh(x), math.sqrt(x) // error: no module prefix: `tanh(x)`, `sqrt(x)`

(`and`, `or`, `not` are E0003; `True`, `False` are E0010.)";

    UnknownName = "E0010", "unknown name",
"A name in an expression is not a `let`, a parameter (of the `fn` or
`stages` template it is in), an entity of the program's scene or a
scene-level property. The diagnostic suggests the closest known name.
`True`/`False` are Python: write `true`/`false` (the fix is certain).";

    UnknownField = "E0011", "unknown field",
"The value has no such field. Entity fields depend on the entity kind (see
`docs/language.md`, \"Entity kinds\"); vectors have `.x`, `.y`, `.z`.

    gripper.position   // error: the field is called `pos` (a certain fix)
    gripper.pso        // error: did you mean `pos`? (a guess)";

    UnknownFunction = "E0012", "unknown function",
"The callee is neither a builtin nor a function defined with `fn` (in this
file or a module brought in with `use`). The diagnostic suggests the closest
name. Shaping helpers such as `reach` live in the stdlib: the diagnostic then
suggests inserting `use shaping` at the top of the file (a certain fix).
NumPy names of builtins get rwd's with a certain fix: `clip` -> `clamp`,
`log` -> `ln`, `arctan2` -> `atan2`, `minimum` -> `min`, `power` -> `pow`.";

    UnknownKind = "E0013", "unknown entity kind",
"Scene entities have one of the kinds Gripper, Object, Drawer, Hinged, Site.";

    UnknownType = "E0014", "unknown type",
"Types are written: scalar, length, angle, time, speed, angular_speed, bool,
vec3, direction, velocity, quat, pose, box, points(N), trace(N), quantity (a
number of the function's own dimension), or an entity kind (Gripper, Object,
Drawer, Hinged, Site).";

    UnknownScene = "E0015", "unknown scene",
"`on NAME` must name a scene declared in this file.";

    UnknownFailure = "E0016", "unknown failure",
"`reward NAME for FAILURE` must name a `failure` declared in this file.";

    UnknownStage = "E0017", "unknown stage",
"`hold ... else STAGE` and `done(STAGE)` must name a stage of the same reward.";

    UnknownModule = "E0018", "unknown module",
"`use NAME` imports a stdlib module; the modules are listed in
`docs/stdlib.md` (shaping, stages).";

    UnknownTemplate = "E0019", "unknown stage template",
"`include NAME(...)` must name a `stages` template of this file or of a
module brought in with `use`.";

    Duplicate = "E0020", "duplicate name",
"Two declarations in the same namespace have the same name: two entities of a
scene, two stages or terms of a reward (also when one template is included
twice), two outputs of a check, two top-level items, two parameters. A name
may not hide another one either: a scene-level property may not have the name
of an entity of its scene, and a `let` may not have the name of an entity or
scene-level property of the program's scene.";

    SceneNeeded = "E0021", "which scene?",
"A failure, reward or check reads one scene. Name it with `on SCENE` (or, for
a reward, `for FAILURE`) unless the file declares exactly one scene.";

    TypeMismatch = "E0030", "type mismatch",
"An operand or argument has the wrong type, e.g. adding a bool to a number or
passing a vec3 where a scalar is expected.";

    UnitMismatch = "E0031", "unit mismatch",
"Quantities carry dimensions (length, angle, time and their products).
Adding, subtracting, comparing, `min`/`max` and `if` branches need the same
dimension on both sides:

    distance(gripper, cube) < 15deg   // error: length compared with angle
    distance(gripper, cube) < 2cm     // fine

A bare number is dimensionless, except the literal 0, which fits any dimension.
Exponents are whole numbers from -128 to 127; a product that leaves that range
(`x * x * ...` 128 times) is reported as \"dimension exponent out of range\".";

    Arity = "E0032", "wrong number of arguments",
"A call passes more or fewer arguments than the function takes.";

    NoOverload = "E0033", "no signature matches",
"The builtin has several signatures and none accepts these argument types.
The diagnostic lists the signatures.";

    MissingUnit = "E0034", "number needs a unit",
"A bare number is compared with or added to a quantity that has a dimension.
Write the unit: `0.02m`, `2cm`, `15deg`, `0.5s`. Units are converted to SI at
compile time (cm -> m, deg -> rad, ms -> s).

    distance(gripper, cube) < 0.02    // error
    distance(gripper, cube) < 0.02m   // fine";

    FloatEquality = "E0035", "exact comparison of real numbers",
"`==` and `!=` between real-valued quantities almost never hold for measured
states. Compare with a tolerance: `abs(a - b) < 1mm`, or use `near(a, b, tol)`
from `use shaping`.";

    NotBool = "E0036", "condition is not a bool",
"`done`, `hold`, `when`, `if` conditions and `failure` definitions must be
bool-valued.";

    NotConstant = "E0037", "argument must be a constant",
"Point counts and horizons (`sample(box, 8)`, `predict_trace(e, 10, 0.1s)`)
fix the size of a value at compile time, which keeps every program bounded.
They must be integer literals between 1 and 1024.";

    UnknownProperty = "E0038", "unknown property",
"`verify_property(entity, \"NAME\")` knows the derived properties upright,
lying, static, open, closed and any bool property the scene declares for that
entity in its `props` block.";

    HoldTarget = "E0040", "`hold ... else` must go back",
"When a stage's hold condition fails the reward machine regresses to an
EARLIER stage. Naming the stage itself or a later one is an error.";

    UnreachableStage = "E0041", "stage can never be reached",
"A stage before this one has a `done` gate that is always false, so this
stage can never become current.";

    ConstantGate = "E0042", "`done` gate is constant",
"A `done` gate that is always true completes its stage without the robot
doing anything; one that is always false never does. Either way the stage
gives no learning signal.";

    StageClause = "E0043", "stage clause missing or repeated",
"A stage has exactly one `done` gate and at most one `shape`, `bonus` and
`hold` clause.";

    DoneOutsidePost = "E0044", "`done(STAGE)` used where stage state is unknown",
"`done(STAGE)` reads the reward machine after this step's transitions. It may
appear in `success`, `term` and `penalty`, not in gates, holds, shapes or
`let`s (which decide the transitions).";

    EmptyReward = "E0045", "reward has nothing to pay",
"A reward needs at least one stage or term.";

    Unbounded = "E0046", "reward is unbounded",
"The compiler computes every term's range to report the reward's bounds and
to emit a normalized reward in [0, 1]. A term whose range is infinite (a raw
distance, a division) makes that impossible. Bound it: `clamp(x, lo, hi)`,
`reach(d, k)` or `1 - tanh(k * d)`.";

    StepCount = "E0047", "bad `for N steps`",
"N must be between 1 and 1000000.";

    Recursion = "E0050", "recursive function",
"rwd is total: every program runs in bounded time. Functions may call only
functions that do not (directly or through others) call them back.";

    EntityValue = "E0051", "entity used as a value",
"An entity can be passed to functions that take an entity, box, pose or
position, but cannot be stored in a check output or compared.";

    ShapeRange = "W0001", "shaping may leave [0, 1]",
"Stage shaping is clamped to [0, 1] so that the stage floor stays monotone.
The compiler could not prove this shape stays in range, so the clamp may cut
it. Use a bounded form: `reach(d, k)`, `tolerance(...)`, `ramp(x, from, to)`
or `clamp(x, 0, 1)`.";

    PositivePenalty = "W0002", "penalty can be positive",
"A penalty's value is added to the reward when its condition holds; a
positive penalty is a bonus. Write a negative number: `penalty -0.5 when ...`.";

    UnusedLet = "W0003", "unused `let`",
"The binding is never read. Not reported for a program that has errors: an
erroneous expression does not record what it reads, so the warning could be
wrong there.";

    NoShaping = "W0004", "stage has no dense shaping",
"The stage has no `shape` and its gate has no quantitative margin (it is a
pure bool such as `is_holding`), so the stage pays 0 until it is done. Add a
`shape` or a `bonus`.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.len() == 5 && (s.starts_with('E') || s.starts_with('W')), "{s}");
            assert!(!code.explanation().is_empty());
        }
        assert_eq!(Code::parse("e0031"), Some(Code::UnitMismatch));
        assert_eq!(Code::parse("E9999"), None);
    }
}
