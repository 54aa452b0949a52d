//! The request for a model: the generated language reference, the scene as
//! the checker sees it, the failure descriptor, a few shipped examples, and
//! optionally the image of the failure state. As text for people, or as the
//! body of an OpenAI-compatible chat-completions request.

use super::descriptor::Descriptor;
use super::reference::language_reference;
use super::scene::SceneView;
use serde::Serialize;

/// Shipped programs shown to the model as examples of good rwd.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("examples/sort_vegetables.rwd", include_str!("../../examples/sort_vegetables.rwd")),
    ("docs/worked-example/upright_can.rwd", include_str!("../../docs/worked-example/upright_can.rwd")),
    ("examples/organize_toolbox.rwd", include_str!("../../examples/organize_toolbox.rwd")),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub role: Role,
    pub content: Content,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// Plain text, or parts (text and images) as the OpenAI API takes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageUrl {
    pub url: String,
}

impl Message {
    pub fn text(role: Role, text: impl Into<String>) -> Message {
        Message { role, content: Content::Text(text.into()) }
    }

    /// The message's text parts joined (what a person reads).
    pub fn plain_text(&self) -> String {
        match &self.content {
            Content::Text(t) => t.clone(),
            Content::Parts(parts) => parts
                .iter()
                .map(|p| match p {
                    Part::Text { text } => text.clone(),
                    Part::ImageUrl { image_url } => format!("[image: {} bytes of data URL]", image_url.url.len()),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// The body of `POST /chat/completions`.
#[derive(Debug, Clone, Serialize)]
pub struct ChatRequest<'a> {
    pub model: &'a str,
    pub messages: &'a [Message],
    pub temperature: f64,
}

/// The system message: what rwd is and how to answer.
pub fn system_message() -> Message {
    let mut text = String::from(
        "You write reward programs in rwd for a robot that must recover from a failure state. \
         Answer with exactly one complete rwd program in one ```rwd code block: the scene declaration you are \
         given (verbatim), a `failure` that detects the failure state, and a stage-gated `reward ... for FAILURE` \
         that leads the robot back to the state that should hold, with `success when ...`. No prose is needed.\n\n",
    );
    text.push_str(&language_reference());
    text.push_str("\n## Examples of correct programs\n\n");
    for (path, src) in EXAMPLES {
        text.push_str(&format!("`{path}`:\n\n```rwd\n{}\n```\n\n", src.trim_end()));
    }
    Message::text(Role::System, text)
}

/// The user message: the scene, the descriptor and, if given, the image
/// (PNG bytes, sent as a base64 data URL).
pub fn user_message(scene: &SceneView, descriptor: &Descriptor, png: Option<&[u8]>) -> Message {
    let text = format!(
        "{}\nThe vision model's report of the failure state (failure descriptor JSON):\n```json\n{}\n```\n\n\
         Write the rwd program: a failure `{}` detecting this state and a reward that recovers from it so that \
         `{}` holds. Reply with one ```rwd block.",
        scene.describe(),
        descriptor.to_json_pretty(),
        descriptor.failure.as_str(),
        relation_text(descriptor),
    );
    match png {
        None => Message::text(Role::User, text),
        Some(bytes) => Message {
            role: Role::User,
            content: Content::Parts(vec![
                Part::Text { text },
                Part::ImageUrl { image_url: ImageUrl { url: format!("data:image/png;base64,{}", base64(bytes)) } },
            ]),
        },
    }
}

fn relation_text(d: &Descriptor) -> String {
    match &d.relation.object {
        Some(o) => format!("{}({}, {o})", d.relation.predicate.as_str(), d.relation.subject),
        None => format!("{}({})", d.relation.predicate.as_str(), d.relation.subject),
    }
}

/// The first request: system and user messages.
pub fn initial_messages(scene: &SceneView, descriptor: &Descriptor, png: Option<&[u8]>) -> Vec<Message> {
    vec![system_message(), user_message(scene, descriptor, png)]
}

/// The messages as text, for `rwd prompt` without `--format json`.
pub fn render_text(messages: &[Message]) -> String {
    messages
        .iter()
        .map(|m| format!("===== {}\n{}\n", serde_json::to_value(m.role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(), m.plain_text()))
        .collect()
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, want) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn examples_compile_cleanly() {
        for (path, src) in EXAMPLES {
            let c = crate::compile(path, src);
            assert!(!c.has_errors(), "{path}");
        }
    }
}
