//! Observations in the layout a compiled rwd program asks for.
//!
//! `rwd compile --emit layout` prints, per program, which (entity, field)
//! goes at which offset. [`ObsPlan::new`] resolves every field against the
//! simulator's scene once, at start-up, and fails with a [`LayoutError`]
//! naming the problem; [`ObsPlan::gather`] then copies values with no
//! lookups and no allocation.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tasks::{EntityKind, EntitySource, Task};
use crate::vec_env::VecEnv;
use crate::world::EnvState;

/// One field of a program's layout, as `--emit layout` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutField {
    /// The entity, or `None` for a scene-level property.
    pub entity: Option<String>,
    pub field: String,
    pub offset: u32,
    pub width: u32,
    #[serde(rename = "type")]
    pub ty: String,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
}

/// One program's observation layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgramLayout {
    pub program: String,
    pub kind: String,
    pub scene: String,
    pub width: u32,
    pub fields: Vec<LayoutField>,
}

impl ProgramLayout {
    /// Parse the JSON array `--emit layout` prints.
    pub fn parse_all(json: &str) -> Result<Vec<ProgramLayout>, LayoutError> {
        serde_json::from_str(json).map_err(|e| LayoutError::Json(e.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum LayoutError {
    Json(String),
    /// The program was compiled for another scene.
    SceneMismatch { program: String, expected: String, found: String },
    UnknownEntity { program: String, entity: String, scene: String, known: Vec<String> },
    /// The entity's kind in the simulator does not store this field.
    FieldNotStored { program: String, entity: String, kind: EntityKind, field: String, stored: Vec<&'static str> },
    /// The field exists but with another type: the program declared the
    /// entity with a different kind (a Drawer's joint is a length, a Hinged's an angle).
    KindMismatch { program: String, entity: String, kind: EntityKind, field: String, expected: &'static str, found: String },
    WidthMismatch { program: String, entity: String, field: String, expected: u32, found: u32 },
    /// A field's slots fall outside the program's width or overlap another's.
    BadOffset { program: String, slot_name: String, offset: u32, width: u32, program_width: u32 },
    /// A scene property (entity null) the simulator cannot supply.
    UnsuppliedProp { program: String, field: String },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Json(e) => write!(f, "layout is not valid `rwd compile --emit layout` JSON: {e}"),
            LayoutError::SceneMismatch { program, expected, found } => {
                write!(f, "program `{program}` is for scene `{found}`, but the simulator's task provides `{expected}`")
            }
            LayoutError::UnknownEntity { program, entity, scene, known } => write!(
                f,
                "program `{program}` reads entity `{entity}`, which scene `{scene}` does not have (it has: {})",
                known.join(", ")
            ),
            LayoutError::FieldNotStored { program, entity, kind, field, stored } => write!(
                f,
                "program `{program}` reads `{entity}.{field}`, but `{entity}` is a {} in the simulator, which stores only {}",
                kind.name(),
                stored.join(", ")
            ),
            LayoutError::KindMismatch { program, entity, kind, field, expected, found } => write!(
                f,
                "program `{program}` reads `{entity}.{field}` as `{found}`, but `{entity}` is a {} in the simulator, whose `{field}` is `{expected}`: the scene declares a different kind",
                kind.name()
            ),
            LayoutError::WidthMismatch { program, entity, field, expected, found } => {
                write!(f, "program `{program}` gives `{entity}.{field}` {found} slots, the simulator supplies {expected}")
            }
            LayoutError::BadOffset { program, slot_name, offset, width, program_width } => write!(
                f,
                "program `{program}`: `{slot_name}` at offset {offset} width {width} does not fit its {program_width} slots or overlaps another field"
            ),
            LayoutError::UnsuppliedProp { program, field } => write!(
                f,
                "program `{program}` reads scene property `{field}`, which the simulator does not supply (the host must; see `ObsPlan::with_host_props`)"
            ),
        }
    }
}

impl std::error::Error for LayoutError {}

/// Where a field's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    GripperPos,
    GripperRot,
    GripperOpening,
    GripperGrasp,
    GripperVel,
    Pos(usize),
    Rot(usize),
    Half(usize),
    Vel(usize),
    Joint(usize),
    /// Left for the host to fill.
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Copy_ {
    source: Source,
    offset: usize,
}

/// A resolved layout: one program's observation, ready to gather.
#[derive(Debug, Clone, PartialEq)]
pub struct ObsPlan {
    program: String,
    width: usize,
    copies: Vec<Copy_>,
}

/// (field, type, width) a kind stores, in rwd's order.
fn stored(kind: EntityKind) -> &'static [(&'static str, &'static str, u32)] {
    match kind {
        EntityKind::Gripper => &[("pos", "vec3", 3), ("rot", "quat", 4), ("opening", "scalar", 1), ("grasp", "bool", 1), ("vel", "velocity", 3)],
        EntityKind::Object => &[("pos", "vec3", 3), ("rot", "quat", 4), ("half", "vec3", 3), ("vel", "velocity", 3)],
        EntityKind::Drawer => &[("pos", "vec3", 3), ("rot", "quat", 4), ("half", "vec3", 3), ("vel", "velocity", 3), ("joint", "length", 1)],
        EntityKind::Hinged => &[("pos", "vec3", 3), ("rot", "quat", 4), ("half", "vec3", 3), ("vel", "velocity", 3), ("joint", "angle", 1)],
    }
}

fn source_of(entity: EntitySource, field: &str) -> Source {
    match (entity, field) {
        (EntitySource::Gripper, "pos") => Source::GripperPos,
        (EntitySource::Gripper, "rot") => Source::GripperRot,
        (EntitySource::Gripper, "opening") => Source::GripperOpening,
        (EntitySource::Gripper, "grasp") => Source::GripperGrasp,
        (EntitySource::Gripper, _) => Source::GripperVel,
        (EntitySource::Body(i), "pos") => Source::Pos(i),
        (EntitySource::Body(i), "rot") => Source::Rot(i),
        (EntitySource::Body(i), "half") => Source::Half(i),
        (EntitySource::Body(i), "vel") => Source::Vel(i),
        (EntitySource::Body(i), _) => Source::Joint(i),
    }
}

impl ObsPlan {
    /// Resolve `layout` against `task`'s scene. Every field must be one the
    /// simulator supplies.
    pub fn new(task: Task, layout: &ProgramLayout) -> Result<ObsPlan, LayoutError> {
        ObsPlan::with_host_props(task, layout, &[])
    }

    /// Like `new`, but scene properties named in `host_props` (such as the
    /// drawer example's `plan`) are accepted and left for the host to write
    /// after `gather`.
    pub fn with_host_props(task: Task, layout: &ProgramLayout, host_props: &[&str]) -> Result<ObsPlan, LayoutError> {
        let program = layout.program.clone();
        if layout.scene != task.scene_name() {
            return Err(LayoutError::SceneMismatch {
                program,
                expected: task.scene_name().to_string(),
                found: layout.scene.clone(),
            });
        }
        let width = layout.width;
        let mut used = vec![false; width as usize];
        let mut copies = Vec::with_capacity(layout.fields.len());
        for f in &layout.fields {
            let slot_name = match &f.entity {
                Some(e) => format!("{e}.{}", f.field),
                None => f.field.clone(),
            };
            let end = f.offset.checked_add(f.width);
            let fits = end.is_some_and(|e| e <= width)
                && used[f.offset.min(width) as usize..end.unwrap_or(0).min(width) as usize].iter().all(|u| !u);
            if !fits {
                return Err(LayoutError::BadOffset { program, slot_name, offset: f.offset, width: f.width, program_width: width });
            }
            used[f.offset as usize..(f.offset + f.width) as usize].iter_mut().for_each(|u| *u = true);

            let Some(name) = &f.entity else {
                if host_props.contains(&f.field.as_str()) {
                    copies.push(Copy_ { source: Source::Host, offset: f.offset as usize });
                    continue;
                }
                return Err(LayoutError::UnsuppliedProp { program, field: f.field.clone() });
            };
            let Some(ent) = task.entities().iter().find(|e| e.name == name) else {
                return Err(LayoutError::UnknownEntity {
                    program,
                    entity: name.clone(),
                    scene: task.scene_name().to_string(),
                    known: task.entities().iter().map(|e| e.name.to_string()).collect(),
                });
            };
            let fields = stored(ent.kind);
            let Some(&(_, ty, w)) = fields.iter().find(|(n, ..)| *n == f.field) else {
                return Err(LayoutError::FieldNotStored {
                    program,
                    entity: name.clone(),
                    kind: ent.kind,
                    field: f.field.clone(),
                    stored: fields.iter().map(|(n, ..)| *n).collect(),
                });
            };
            if ty != f.ty {
                return Err(LayoutError::KindMismatch {
                    program,
                    entity: name.clone(),
                    kind: ent.kind,
                    field: f.field.clone(),
                    expected: ty,
                    found: f.ty.clone(),
                });
            }
            if w != f.width {
                return Err(LayoutError::WidthMismatch { program, entity: name.clone(), field: f.field.clone(), expected: w, found: f.width });
            }
            copies.push(Copy_ { source: source_of(ent.source, &f.field), offset: f.offset as usize });
        }
        Ok(ObsPlan { program, width: width as usize, copies })
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    /// Values per environment.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Write one environment's observation into `row` (`width` values).
    /// Host-supplied slots are left as they are.
    pub fn gather_one(&self, s: &EnvState, row: &mut [f64]) {
        let r = &s.robot;
        for c in &self.copies {
            let o = c.offset;
            let body = |i: usize| s.bodies.get(i);
            match c.source {
                Source::GripperPos => put(row, o, &r.tcp),
                Source::GripperRot => put(row, o, &r.rot()),
                Source::GripperOpening => put(row, o, &[r.opening]),
                Source::GripperGrasp => put(row, o, &[f64::from(u8::from(r.grasp()))]),
                Source::GripperVel => put(row, o, &r.vel),
                Source::Pos(i) => put(row, o, &body(i).map_or([0.0; 3], |b| b.pos)),
                Source::Rot(i) => put(row, o, &body(i).map_or([1.0, 0.0, 0.0, 0.0], |b| b.rot)),
                Source::Half(i) => put(row, o, &body(i).map_or([0.0; 3], |b| b.half)),
                Source::Vel(i) => put(row, o, &body(i).map_or([0.0; 3], |b| b.vel)),
                Source::Joint(i) => put(row, o, &[body(i).map_or(0.0, |b| b.joint)]),
                Source::Host => {}
            }
        }
    }

    /// Fill `out` (`n_envs x width`, row-major) from every environment.
    pub fn gather(&self, venv: &VecEnv, out: &mut [f64]) -> Result<(), crate::vec_env::SimError> {
        let expected = venv.n_envs() * self.width;
        if out.len() != expected {
            return Err(crate::vec_env::SimError::OutputLength { what: "observation", expected, got: out.len() });
        }
        if self.width == 0 {
            return Ok(());
        }
        for (s, row) in venv.envs().iter().zip(out.chunks_exact_mut(self.width)) {
            self.gather_one(s, row);
        }
        Ok(())
    }
}

fn put(row: &mut [f64], offset: usize, values: &[f64]) {
    if let Some(dst) = row.get_mut(offset..offset + values.len()) {
        dst.copy_from_slice(values);
    }
}
