//! `rwd generate --scene S.rwd --descriptor D.json [--image PNG] [--rounds N]
//! [--out FILE]`: asks a model for the reward and repairs it with the
//! compiler's diagnostics until it compiles (the loop is
//! `rwd::vlm::repair::RepairLoop`; this file only does the HTTP and the IO).

use super::args::Args;
use super::http::ChatClient;
use super::prompt::{messages, model};
use super::synth::emit;
use super::{CliError, CliResult};
use rwd::vlm::repair::{Next, RepairLoop};
use std::time::{Duration, Instant};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn client(args: &Args) -> Result<ChatClient, CliError> {
    let base_url = args
        .value("--base-url")
        .map(str::to_string)
        .or_else(|| env("RWD_BASE_URL"))
        .or_else(|| env("OPENAI_BASE_URL"))
        .ok_or_else(|| CliError::Usage("no model endpoint: pass `--base-url URL` or set RWD_BASE_URL (or OPENAI_BASE_URL)".into()))?;
    let timeout: f64 = args.number("--timeout", 120.0)?;
    // An hour at most: `Duration` cannot hold 1e300 s (it panicked).
    if !(timeout > 0.0 && timeout <= 3600.0) {
        return Err(CliError::Usage(format!("`--timeout` must be a number of seconds above 0 and at most 3600, got {timeout}")));
    }
    Ok(ChatClient {
        base_url,
        model: model(args),
        api_key: args.value("--api-key").map(str::to_string).or_else(|| env("OPENAI_API_KEY")),
        timeout: Duration::from_secs_f64(timeout),
        retries: args.count("--retries", 3, 0..=100)? as u32,
        backoff: Duration::from_millis(args.count("--backoff-ms", 500, 0..=600_000)? as u64),
    })
}

/// With `--transcript FILE`: the whole conversation (every request's
/// messages and the last reply) as JSON, for looking at what the model saw.
fn write_transcript(args: &Args, messages: &[rwd::vlm::prompt::Message], last_reply: &str) -> Result<(), CliError> {
    let Some(path) = args.value("--transcript") else { return Ok(()) };
    let mut all = messages.to_vec();
    all.push(rwd::vlm::prompt::Message::text(rwd::vlm::prompt::Role::Assistant, last_reply));
    let text = serde_json::to_string_pretty(&all).map_err(|e| CliError::Failed(e.to_string()))?;
    super::files::write_atomic(path, &text)
}

pub fn run(args: &Args) -> CliResult {
    let rounds: u32 = args.number("--rounds", 3)?;
    let client = client(args)?;
    let scene_path = args.value("--scene").ok_or_else(|| CliError::Usage("needs `--scene S.rwd`".into()))?;
    let scene = super::synth::scene(scene_path)?;
    let mut repair = RepairLoop::new(messages(args)?, rounds).with_scene(&scene.source);
    eprintln!("asking {} at {} (up to {} repair round(s))", client.model, client.url(), rounds);
    loop {
        let started = Instant::now();
        let reply = client
            .complete(repair.messages(), |e, wait| eprintln!("  {e}; retrying in {} ms", wait.as_millis()))
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let next = repair.on_reply(&reply);
        if let Some(round) = repair.rounds().last() {
            eprintln!("{round} [{:.1} s]", started.elapsed().as_secs_f64());
        }
        if !matches!(next, Next::Ask) {
            write_transcript(args, repair.messages(), &reply)?;
        }
        match next {
            Next::Ask => continue,
            Next::Accept { program, .. } => return emit(args, &program),
            Next::GiveUp { reason } => return Err(CliError::Failed(reason)),
        }
    }
}
