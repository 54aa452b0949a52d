//! The observation layout: which fields a program reads, where.
//!
//! Only fields the program reads are in the layout, in scene declaration
//! order (entities, then each entity's stored fields in kind order, then
//! properties), so the layout is deterministic and minimal.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayoutField {
    /// The entity, or `None` for a scene-level property.
    pub entity: Option<String>,
    pub field: String,
    pub offset: u32,
    pub width: u32,
    /// The field's type as written in rwd (`vec3`, `quat`, `bool`, `length`...).
    #[serde(rename = "type")]
    pub ty: String,
    /// SI unit of each slot (`m`, `rad`, `m/s`, `` for none).
    pub unit: String,
    /// The range the host must keep each slot in, where the language fixes
    /// one (bools: [0, 1]; a gripper's opening: [0, 1]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    pub scene: String,
    pub width: u32,
    pub fields: Vec<LayoutField>,
}

impl Layout {
    /// The field covering a slot, with the component index inside it.
    pub fn field_at(&self, offset: u32) -> Option<(&LayoutField, u32)> {
        self.fields.iter().find(|f| offset >= f.offset && offset < f.offset + f.width).map(|f| (f, offset - f.offset))
    }

    /// Human name of a slot: `gripper.pos[1]`, `arm_speed`.
    pub fn slot_name(&self, offset: u32) -> String {
        match self.field_at(offset) {
            Some((f, i)) => {
                let base = match &f.entity {
                    Some(e) => format!("{e}.{}", f.field),
                    None => f.field.clone(),
                };
                if f.width > 1 { format!("{base}[{i}]") } else { base }
            }
            None => format!("slot {offset}"),
        }
    }
}
