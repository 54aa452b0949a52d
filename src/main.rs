//! The `rwd` command-line tool: the only part of the compiler that touches
//! files, terminals and exit codes.

mod cli;

fn main() {
    restore_default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = cli::run(&args);
    std::process::exit(code);
}

/// Rust ignores SIGPIPE, so `rwd eval ... | head` would panic on the closed
/// pipe; a command-line filter should just stop, as cat does.
#[cfg(unix)]
fn restore_default_sigpipe() {
    unsafe extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    const SIGPIPE: i32 = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: setting a signal's disposition to the default has no
    // preconditions; it runs before any other thread exists.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
