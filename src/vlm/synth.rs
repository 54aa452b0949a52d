//! `rwd synth`: a stage-gated reward from a failure descriptor, without a
//! model. The relation that should hold picks stdlib templates
//! (`stdlib/stages.rwd`); the descriptor's entities fill them in. The result
//! is deterministic text that compiles (tested for every shipped descriptor).

use super::descriptor::{Descriptor, Predicate, Role};
use super::scene::SceneView;
use crate::types::Kind;
use std::fmt::Write;

/// Why a descriptor cannot be turned into a reward.
#[derive(Debug, Clone, PartialEq)]
pub enum SynthError {
    /// A name the relation uses is not in the scene (with the scene's names).
    UnknownEntity { name: String, known: Vec<String> },
    /// An entity has a kind the predicate cannot act on.
    WrongKind { name: String, kind: String, want: &'static str },
    /// `inside` needs an `object` (the container).
    MissingObject(Predicate),
    /// No scene was given and an entity has no (valid) `kind`.
    NoKind(String),
    /// The scene has no Gripper.
    NoGripper,
}

impl std::fmt::Display for SynthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SynthError::UnknownEntity { name, known } => {
                write!(f, "the descriptor names `{name}`, which the scene does not have (it has: {})", known.join(", "))
            }
            SynthError::WrongKind { name, kind, want } => write!(f, "`{name}` is a {kind}, but the relation needs {want}"),
            SynthError::MissingObject(p) => write!(f, "relation `{}` needs an `object`", p.as_str()),
            SynthError::NoKind(name) => {
                write!(f, "entity `{name}` has no `kind` (Gripper, Object, Drawer, Hinged, Site) and no scene was given")
            }
            SynthError::NoGripper => write!(f, "the scene has no Gripper entity"),
        }
    }
}

/// A reward program for `d`, in `scene` if given (else a scene built from
/// the descriptor's entities and their kinds).
pub fn synthesize(d: &Descriptor, scene: Option<&SceneView>) -> Result<String, SynthError> {
    let built;
    let scene = match scene {
        Some(s) => s,
        None => {
            built = scene_from_descriptor(d)?;
            &built
        }
    };
    let gripper = pick_gripper(d, scene)?;
    let subject = d.relation.subject.as_str();
    let subject_kind = entity_kind(scene, subject)?;
    let object = d.relation.object.as_deref();

    let (failure, stages, success_stage) = match d.relation.predicate {
        Predicate::Inside => {
            let container = object.ok_or(SynthError::MissingObject(Predicate::Inside))?;
            require(container, entity_kind(scene, container)?, &[Kind::Object, Kind::Drawer, Kind::Hinged], "an Object, Drawer or Hinged container")?;
            require(subject, subject_kind, &[Kind::Object, Kind::Drawer, Kind::Hinged], "an Object")?;
            (
                format!("!contain({container}, {subject})"),
                vec![format!("pick_up({gripper}, {subject})"), format!("place_in({gripper}, {subject}, {container})")],
                "release",
            )
        }
        Predicate::Upright => {
            require(subject, subject_kind, &[Kind::Object, Kind::Drawer, Kind::Hinged], "an Object")?;
            (
                format!("verify_property({subject}, \"lying\")"),
                vec![format!("pick_up({gripper}, {subject})"), format!("turn_upright({gripper}, {subject})")],
                "turn",
            )
        }
        Predicate::Closed => {
            require(subject, subject_kind, &[Kind::Hinged], "a Hinged part")?;
            (
                format!("verify_property({subject}, \"open\")"),
                vec![format!("pick_up({gripper}, {subject})"), format!("swing_closed({gripper}, {subject})")],
                "release",
            )
        }
        Predicate::Open => {
            require(subject, subject_kind, &[Kind::Drawer], "a Drawer")?;
            (
                format!("!verify_property({subject}, \"open\")"),
                vec![format!("pick_up({gripper}, {subject})"), format!("pull_open({gripper}, {subject})")],
                "pull",
            )
        }
    };
    // Bystanders must stay where they are: a contained bystander's container
    // is not known, so the penalty is on speed (knocked, not placed).
    let bystanders: Vec<&str> = d
        .entities
        .iter()
        .filter(|e| e.role == Some(Role::Bystander) && scene.kind_of(&e.name).is_some_and(|k| k != Kind::Site && k != Kind::Gripper))
        .map(|e| e.name.as_str())
        .collect();

    let failure_name = ident(&format!("{}_{subject}", d.failure.as_str()));
    let reward_name = ident(&format!("recover_{subject}"));
    let mut out = String::new();
    let _ = writeln!(out, "// Synthesized by `rwd synth` from a failure descriptor.");
    let _ = writeln!(out, "// task: {}", one_line(&d.task));
    let _ = writeln!(out, "// failure: {}; should hold: {}", d.failure.as_str(), relation_text(d));
    if !d.notes.trim().is_empty() {
        let _ = writeln!(out, "// notes: {}", one_line(&d.notes));
    }
    let _ = writeln!(out, "\nuse stages\n\n{}\n", scene.source.trim_end());
    let _ = writeln!(out, "failure {failure_name} on {} = {failure}\n", scene.name);
    let _ = writeln!(out, "reward {reward_name} for {failure_name} {{");
    for s in &stages {
        let _ = writeln!(out, "    include {s}");
    }
    for b in &bystanders {
        let _ = writeln!(out, "    penalty {} = -0.5 when {b}.speed > 10cm / 1s", ident(&format!("{b}_moved")));
    }
    let _ = writeln!(out, "    success when done({success_stage})");
    out.push_str("}\n");
    Ok(out)
}

fn relation_text(d: &Descriptor) -> String {
    match &d.relation.object {
        Some(o) => format!("{}({}, {o})", d.relation.predicate.as_str(), d.relation.subject),
        None => format!("{}({})", d.relation.predicate.as_str(), d.relation.subject),
    }
}

fn entity_kind(scene: &SceneView, name: &str) -> Result<Kind, SynthError> {
    scene.kind_of(name).ok_or_else(|| SynthError::UnknownEntity {
        name: name.to_string(),
        known: scene.entity_names().into_iter().map(str::to_string).collect(),
    })
}

fn require(name: &str, kind: Kind, allowed: &[Kind], want: &'static str) -> Result<(), SynthError> {
    if allowed.contains(&kind) {
        Ok(())
    } else {
        Err(SynthError::WrongKind { name: name.to_string(), kind: kind.name().to_string(), want })
    }
}

/// The entity with role `gripper`, else the scene's first Gripper.
fn pick_gripper(d: &Descriptor, scene: &SceneView) -> Result<String, SynthError> {
    if let Some(e) = d.entities.iter().find(|e| e.role == Some(Role::Gripper)) {
        let kind = entity_kind(scene, &e.name)?;
        require(&e.name, kind, &[Kind::Gripper], "a Gripper")?;
        return Ok(e.name.clone());
    }
    scene.entities.iter().find(|(_, k)| *k == Kind::Gripper).map(|(n, _)| n.clone()).ok_or(SynthError::NoGripper)
}

/// A scene with the descriptor's entities (each needs a `kind`), plus a
/// `gripper` if none is listed.
fn scene_from_descriptor(d: &Descriptor) -> Result<SceneView, SynthError> {
    let mut entities = Vec::new();
    for e in &d.entities {
        let kind = e.kind.map(|k| k.kind()).ok_or_else(|| SynthError::NoKind(e.name.clone()))?;
        entities.push((ident(&e.name), kind));
    }
    if !entities.iter().any(|(_, k)| *k == Kind::Gripper) {
        entities.insert(0, ("gripper".to_string(), Kind::Gripper));
    }
    let width = entities.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 1;
    let mut source = format!("scene {} {{\n", ident(&format!("{}_scene", d.failure.as_str())));
    for (n, k) in &entities {
        let _ = writeln!(source, "    {:<width$} {}", format!("{n}:"), k.name());
    }
    source.push('}');
    Ok(SceneView { name: ident(&format!("{}_scene", d.failure.as_str())), entities, props: Vec::new(), source })
}

/// A valid rwd name from free text: ASCII letters, digits and `_`.
fn ident(text: &str) -> String {
    let mut s: String = text.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
