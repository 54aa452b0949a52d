//! The `rwd` command line: argument parsing and dispatch. Each command lives
//! in its own module; all of them report through [`Output`] so that exit
//! codes and streams are decided in one place.

mod args;
mod base;
mod bench;
mod collect;
mod commands;
mod corpus;
mod demo;
mod demo_sim;
mod engine;
mod files;
mod generate;
mod http;
mod picture;
mod prompt;
mod sim_link;
mod synth;
mod train;

use args::Args;

pub const USAGE: &str = "\
rwd: compile and run stage-gated reward programs

usage:
  rwd check FILE [--format human|json]          type-check; print diagnostics
  rwd compile FILE --emit ir|layout|clif [--program NAME]
                                                 print the IR, the observation layout, or
                                                 the generated Cranelift IR
  rwd eval FILE --obs OBS.jsonl [--reward NAME] [--backend jit|interp] [--table]
                                                 run a reward (or check) over observations,
                                                 one JSON array per line; one JSON result per step
  rwd bench FILE [--program NAME] [--quick]      ns per environment-step: interpreter, JIT and
                                                 (for known rewards) hand-written Rust
  rwd bench --compile FILE... [--quick]          source-to-native compile latency per program
  rwd explain CODE                               explain a diagnostic code (E0031)
  rwd fmt FILE [--write | --check] [--color]     format a program
  rwd collect FILE [--failure NAME] [--episodes N] [--seed S] [--variant V] [--noise X]
            [--out FAILURES.json] [--pictures K]
                                                 roll out the base policy in the embedded
                                                 simulator; save the final states the failure
                                                 program detects, with pictures of the first K
  rwd render FAILURES.json --out PNG [--index K] draw a saved failure state (top and side views)
  rwd evaluate [--task T] [--policy scripted|CKPT] [--episodes N] [--seed S] [--variant V]
                                                 a base policy's success rate and failure modes
  rwd train-base --task T --out CKPT [--episodes N] [--epochs E] [--perturb SIGMA]
             [--noise K] [--select-every E] [--select-episodes N] [--seed S] [--variant V]
                                                 the learned base policy: behaviour cloning of the
                                                 scripted one from perturbed demonstrations, weights
                                                 kept by closed-loop success (needs the runtime feature)
  rwd train FILE --failures F.json --base scripted|CKPT|none [--reward NAME] [--iterations N]
            [--residual tcp|tcp+gripper] [--envs N] [--horizon H] [--seed S] [--out R.ckpt]
                                                 a residual policy (PPO) that recovers from the
                                                 collected failure states, rewarded by FILE's reward
                                                 over the frozen base policy (needs the runtime feature)
  rwd demo [--examples DIR] [--pictures DIR] [--iterations N]
                                                 compile every shipped example, run each on its
                                                 recorded episode, then roll out the base policy
                                                 in the simulator: failures detected, read by the
                                                 recovery rewards
  rwd synth --descriptor D.json [--scene S.rwd] [--out FILE]
                                                 a reward from a failure descriptor (no model)
  rwd prompt --scene S.rwd --descriptor D.json [--image PNG] [--format text|json]
                                                 the request for a model (json: chat-completions body)
  rwd generate --scene S.rwd --descriptor D.json [--image PNG] [--rounds N] [--out FILE]
               [--base-url URL] [--model M] [--api-key K] [--timeout S] [--retries N]
               [--backoff-ms MS] [--transcript FILE]
                                                 ask a model, repair with diagnostics until it compiles
  rwd corpus DIR [--bench] [--runs N]            how model-style programs fare; compile latency

--no-color (check, compile, eval): print diagnostics without colours

exit status: 0 success, 1 the program or its input has errors, 2 bad usage";

/// Runs the CLI; returns the process exit code.
pub fn run(argv: &[String]) -> i32 {
    let Some((command, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return 2;
    };
    let args = match Args::parse(rest) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    let result = match command.as_str() {
        "check" => commands::check(&args),
        "compile" => commands::compile(&args),
        "eval" => commands::eval(&args),
        "explain" => commands::explain(&args),
        "fmt" => commands::fmt(&args),
        "demo" => demo::run(&args),
        "collect" => collect::run(&args),
        "render" => collect::render(&args),
        "evaluate" => base::evaluate(&args),
        "train-base" => base::train(&args),
        "train" => train::run(&args),
        "bench" => bench::run(&args),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => model_loop_command(other, &args).unwrap_or_else(|| Err(CliError::Usage(format!("unknown command `{other}`")))),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(msg)) => usage_error(&msg),
        Err(CliError::Failed(msg)) => {
            eprintln!("error: {msg}");
            1
        }
    }
}

/// The model-in-the-loop commands (`synth`, `prompt`, `generate`, `corpus`).
fn model_loop_command(command: &str, args: &Args) -> Option<CliResult> {
    Some(match command {
        "synth" => synth::run(args),
        "prompt" => prompt::run(args),
        "generate" => generate::run(args),
        "corpus" => corpus::run(args),
        _ => return None,
    })
}

fn usage_error(msg: &str) -> i32 {
    eprintln!("error: {msg}\n\n{USAGE}");
    2
}

/// How a command failed: the user's invocation, or the work itself.
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Failed(String),
}

pub type CliResult = Result<i32, CliError>;
