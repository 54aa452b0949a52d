//! The failure descriptor: what a vision-language model reports about a
//! failure state, as data. Its JSON Schema is `docs/descriptor.schema.json`
//! (kept in agreement with these types by a test on the shipped samples).

use serde::{Deserialize, Serialize};

/// One failure state, as a model describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptor {
    /// The task the policy was doing: "sort the vegetables".
    pub task: String,
    /// What went wrong.
    pub failure: FailureType,
    /// The entities involved, named as in the scene.
    pub entities: Vec<EntityRef>,
    /// The relation that should hold once recovered.
    pub relation: Relation,
    /// Free text: anything the model saw that the fields cannot say.
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureType {
    /// An object ended up somewhere other than where it belongs.
    MisplacedObject,
    /// An object fell or was knocked over.
    FallenObject,
    /// A lid or door was left open.
    UnclosedLid,
    /// A drawer that must be open is not.
    DrawerNotOpened,
    /// Anything else; `relation` still says what should hold.
    Other,
}

impl FailureType {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureType::MisplacedObject => "misplaced_object",
            FailureType::FallenObject => "fallen_object",
            FailureType::UnclosedLid => "unclosed_lid",
            FailureType::DrawerNotOpened => "drawer_not_opened",
            FailureType::Other => "other",
        }
    }
}

/// An entity the model refers to: its scene name and, optionally, its kind
/// and its role in the failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityRef {
    pub name: String,
    /// Needed only when no scene is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EntityKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// An entity kind as the descriptor spells it (the language's kind names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityKind {
    Gripper,
    Object,
    Drawer,
    Hinged,
    Site,
}

impl EntityKind {
    pub fn kind(self) -> crate::types::Kind {
        use crate::types::Kind;
        match self {
            EntityKind::Gripper => Kind::Gripper,
            EntityKind::Object => Kind::Object,
            EntityKind::Drawer => Kind::Drawer,
            EntityKind::Hinged => Kind::Hinged,
            EntityKind::Site => Kind::Site,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The robot's gripper.
    Gripper,
    /// The thing to act on.
    Target,
    /// Where the target belongs.
    Container,
    /// Must not be disturbed while recovering.
    Bystander,
}

/// The relation that should hold: `inside(broccoli, green_bowl)`, `upright(can)`,
/// `closed(lid)`, `open(lower_drawer)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    pub predicate: Predicate,
    pub subject: String,
    /// The second entity of a binary predicate (`inside`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicate {
    Inside,
    Upright,
    Closed,
    Open,
}

impl Predicate {
    pub const ALL: &'static [Predicate] = &[Predicate::Inside, Predicate::Upright, Predicate::Closed, Predicate::Open];

    pub fn as_str(self) -> &'static str {
        match self {
            Predicate::Inside => "inside",
            Predicate::Upright => "upright",
            Predicate::Closed => "closed",
            Predicate::Open => "open",
        }
    }
}

impl Descriptor {
    /// Parses a descriptor from JSON; the error says where and why.
    pub fn from_json(text: &str) -> Result<Descriptor, String> {
        serde_json::from_str(text).map_err(|e| format!("not a valid failure descriptor: {e}"))
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
