//! The `rwd` command-line tool: the only part of the compiler that touches
//! files, terminals and exit codes.

mod cli;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = cli::run(&args);
    std::process::exit(code);
}
