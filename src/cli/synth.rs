//! `rwd synth --descriptor D.json [--scene S.rwd] [--out FILE]`: a reward
//! from a failure descriptor and stdlib templates, without a model.

use super::args::Args;
use super::files::{read, write_atomic};
use super::{CliError, CliResult};
use rwd::diag::render::{Style, render_human};
use rwd::vlm::descriptor::Descriptor;
use rwd::vlm::scene::SceneView;

/// Reads `--descriptor` (required).
pub fn descriptor(args: &Args) -> Result<Descriptor, CliError> {
    let path = args.value("--descriptor").ok_or_else(|| CliError::Usage("needs `--descriptor D.json`".into()))?;
    Descriptor::from_json(&read(path)?).map_err(|e| CliError::Failed(format!("`{path}`: {e}")))
}

/// Reads the scene file `path` and takes its first scene.
pub fn scene(path: &str) -> Result<SceneView, CliError> {
    SceneView::from_source(path, &read(path)?, None).map_err(CliError::Failed)
}

/// Prints `text`, or writes it atomically to `--out`.
pub fn emit(args: &Args, text: &str) -> CliResult {
    match args.value("--out") {
        Some(out) => {
            write_atomic(out, text)?;
            eprintln!("wrote {out}");
        }
        None => print!("{text}"),
    }
    Ok(0)
}

pub fn run(args: &Args) -> CliResult {
    let d = descriptor(args)?;
    let scene = args.value("--scene").map(scene).transpose()?;
    let program = rwd::vlm::synth::synthesize(&d, scene.as_ref()).map_err(|e| CliError::Failed(e.to_string()))?;
    // A synthesized program that does not compile is a bug here, not the user's.
    let c = rwd::compile("synthesized.rwd", &program);
    if c.has_errors() {
        return Err(CliError::Failed(format!(
            "the synthesized program does not compile (a bug in `rwd synth`):\n{program}\n{}",
            render_human(&c.diagnostics, &c.sources, Style::Plain)
        )));
    }
    emit(args, &program)
}
