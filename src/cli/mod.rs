//! The `rwd` command line: argument parsing and dispatch. Each command lives
//! in its own module; all of them report through [`Output`] so that exit
//! codes and streams are decided in one place.

mod afil;
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
mod usage;

use args::Args;
pub use usage::USAGE;

/// Runs the CLI; returns the process exit code.
pub fn run(argv: &[String]) -> i32 {
    let Some((command, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return 2;
    };
    if matches!(command.as_str(), "help" | "--help" | "-h") {
        return help(rest.first().map(String::as_str));
    }
    let Some(options) = usage::options(command) else {
        let mut msg = format!("unknown command `{command}`");
        if let Some(near) = rwd::diag::suggest::closest(command, usage::commands()) {
            msg.push_str(&format!(" (did you mean `{near}`?)"));
        }
        eprintln!("error: {msg}\n\n{USAGE}");
        return 2;
    };
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        return help(Some(command));
    }
    let args = match Args::parse(command, rest, &options) {
        Ok(a) => a,
        Err(e) => return usage_error(command, &e),
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
        "train-afil" => afil::run(&args),
        "train" => train::run(&args),
        "bench" => bench::run(&args),
        "synth" => synth::run(&args),
        "prompt" => prompt::run(&args),
        "generate" => generate::run(&args),
        "corpus" => corpus::run(&args),
        other => Err(CliError::Failed(format!("the usage text names `{other}`, but no command runs it"))),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(msg)) => usage_error(command, &msg),
        Err(CliError::Failed(msg)) => {
            eprintln!("error: {msg}");
            1
        }
    }
}

/// `rwd help [COMMAND]`, `rwd COMMAND --help`: the whole usage text, or one
/// command's entry.
fn help(command: Option<&str>) -> i32 {
    match command {
        None => {
            println!("{USAGE}");
            0
        }
        Some(c) => match usage::entry(c) {
            Some(entry) => {
                println!("usage:\n{entry}");
                0
            }
            None => {
                eprintln!("error: unknown command `{c}`\n\n{USAGE}");
                2
            }
        },
    }
}

/// A bad invocation of `command`: the error and that command's usage.
fn usage_error(command: &str, msg: &str) -> i32 {
    let entry = usage::entry(command).unwrap_or_default();
    eprintln!("error: {msg}\n\nusage:\n{entry}\n\n`rwd help` lists every command");
    2
}

/// How a command failed: the user's invocation, or the work itself.
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Failed(String),
}

pub type CliResult = Result<i32, CliError>;
