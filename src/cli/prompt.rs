//! `rwd prompt --scene S.rwd --descriptor D.json [--image PNG] [--format text|json]`:
//! the request for a model, as text or as the chat-completions request body.

use super::args::Args;
use super::synth::{descriptor, scene};
use super::{CliError, CliResult};
use rwd::vlm::prompt::{ChatRequest, Message, initial_messages, render_text};

/// The model name: `--model`, else `RWD_MODEL`, else a default.
pub fn model(args: &Args) -> String {
    args.value("--model").map(str::to_string).or_else(|| std::env::var("RWD_MODEL").ok()).unwrap_or_else(|| "gpt-4o".to_string())
}

/// The first messages of a conversation: scene, descriptor and image from the flags.
pub fn messages(args: &Args) -> Result<Vec<Message>, CliError> {
    let scene_path = args.value("--scene").ok_or_else(|| CliError::Usage("needs `--scene S.rwd`".into()))?;
    let scene = scene(scene_path)?;
    let d = descriptor(args)?;
    let image = match args.value("--image") {
        Some(path) => Some(std::fs::read(path).map_err(|e| CliError::Failed(format!("cannot read `{path}`: {e}")))?),
        None => None,
    };
    if let Some(bytes) = &image
        && !bytes.starts_with(b"\x89PNG\r\n\x1a\n")
    {
        return Err(CliError::Failed("`--image` is not a PNG file".into()));
    }
    Ok(initial_messages(&scene, &d, image.as_deref()))
}

pub fn run(args: &Args) -> CliResult {
    let messages = messages(args)?;
    match args.value("--format").unwrap_or("text") {
        "text" => print!("{}", render_text(&messages)),
        "json" => {
            let model = model(args);
            let body = ChatRequest { model: &model, messages: &messages, temperature: 0.0 };
            println!("{}", serde_json::to_string_pretty(&body).map_err(|e| CliError::Failed(e.to_string()))?);
        }
        other => return Err(CliError::Usage(format!("unknown format `{other}` (text or json)"))),
    }
    Ok(0)
}
