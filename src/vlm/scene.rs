//! The checker's view of a scene, for a prompt and for synthesis: its
//! entities with their kinds and fields, its properties, and its declaration
//! as written (so a synthesized program can carry it verbatim).

use crate::check;
use crate::diag::render::render_json;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::Item;
use crate::types::{Kind, Ty};
use std::fmt::Write;

#[derive(Debug, Clone)]
pub struct SceneView {
    pub name: String,
    pub entities: Vec<(String, Kind)>,
    /// `(qualified name, type)`: `toolbox.latched: bool`, `arm_speed: angular_speed`.
    pub props: Vec<(String, Ty)>,
    /// The `scene NAME { ... }` declaration exactly as written.
    pub source: String,
}

impl SceneView {
    /// The first scene of a file (or the one named `wanted`). Fails with the
    /// file's diagnostics as JSON when its scenes do not check.
    pub fn from_source(file_name: &str, text: &str, wanted: Option<&str>) -> Result<SceneView, String> {
        let (file, parse_diags) = crate::syntax::parser::parse(FileId(0), text);
        let decls: Vec<_> = file
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Scene(s) => Some(s),
                _ => None,
            })
            .collect();
        let decl = match wanted {
            Some(w) => decls.iter().find(|s| s.name.text == w).ok_or_else(|| format!("`{file_name}` has no scene named `{w}`"))?,
            None => decls.first().ok_or_else(|| format!("`{file_name}` declares no scene"))?,
        };
        // Check the scene on its own: the rest of the file is not our business.
        let only_scene = [Item::Scene((*decl).clone())];
        let (checked, check_diags) = check::check(&only_scene, &[]);
        let scene_errors: Vec<_> = parse_diags
            .into_iter()
            .filter(|d| d.primary.span.start >= decl.span.start && d.primary.span.end <= decl.span.end)
            .chain(check_diags)
            .filter(|d| d.is_error())
            .collect();
        if !scene_errors.is_empty() {
            let mut sources = SourceMap::new();
            sources.add(file_name, text);
            return Err(format!("scene `{}` has errors:\n{}", decl.name.text, render_json(&scene_errors, &sources)));
        }
        let scene = checked.scenes.first().ok_or_else(|| format!("scene `{}` did not check", decl.name.text))?;
        Ok(SceneView {
            name: scene.name.text.clone(),
            entities: scene.entities.iter().map(|e| (e.name.text.clone(), e.kind)).collect(),
            props: scene.props.iter().map(|p| (p.qualified_name(scene), p.ty)).collect(),
            source: text.get(decl.span.start as usize..decl.span.end as usize).unwrap_or("").to_string(),
        })
    }

    pub fn kind_of(&self, entity: &str) -> Option<Kind> {
        self.entities.iter().find(|(n, _)| n == entity).map(|(_, k)| *k)
    }

    pub fn entity_names(&self) -> Vec<&str> {
        self.entities.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Every name a program can read: entities, their fields, properties.
    pub fn describe(&self) -> String {
        let mut out = format!("Scene `{}`:\n", self.name);
        for (name, kind) in &self.entities {
            let stored: Vec<String> = kind.stored_fields().iter().map(|f| format!("{name}.{}: {}", f.name, f.ty)).collect();
            let derived: Vec<String> = kind.derived_fields().iter().map(|f| format!("{name}.{}: {}", f.name, f.ty)).collect();
            let _ = writeln!(out, "- `{name}`: {} ({})", kind.name(), kind.doc());
            let _ = writeln!(out, "    stored fields: {}", stored.join(", "));
            if !derived.is_empty() {
                let _ = writeln!(out, "    derived fields: {}", derived.join(", "));
            }
        }
        for (name, ty) in &self.props {
            let _ = writeln!(out, "- property `{name}`: {ty}");
        }
        let _ = writeln!(out, "\nDeclaration (copy it into your program verbatim):\n```rwd\n{}\n```", self.source);
        out
    }
}
