//! A small argument parser: positionals, `--flag` and `--key value`.

use super::CliError;

/// Flags that take a value.
const VALUED: &[&str] = &["--format", "--emit", "--program", "--reward", "--obs", "--examples", "--backend",
    // the simulator commands (collect, render, evaluate, train-base, demo)
    "--failure", "--episodes", "--seed", "--variant", "--noise", "--pictures", "--index", "--task", "--policy", "--epochs",
    "--perturb", "--rollouts", "--guidance", "--select-every", "--select-episodes", "--failures", "--base", "--envs", "--horizon", "--iterations", "--residual",
    // the model-in-the-loop commands (synth, prompt, generate, corpus)
    "--descriptor", "--scene", "--image", "--rounds", "--out", "--base-url", "--model", "--api-key", "--timeout", "--retries", "--backoff-ms", "--runs", "--transcript"];
/// Flags that stand alone.
const SWITCHES: &[&str] = &["--write", "--check", "--color", "--table", "--no-color", "--quick", "--compile", "--bench"];

#[derive(Debug, Default)]
pub struct Args {
    pub positional: Vec<String>,
    values: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    /// Parse the arguments of `command`, which accepts the options in `allowed`.
    pub fn parse(command: &str, argv: &[String], allowed: &[&str]) -> Result<Args, String> {
        let mut args = Args::default();
        let mut it = argv.iter();
        while let Some(a) = it.next() {
            let key = a.split_once('=').map_or(a.as_str(), |(k, _)| k);
            if key.starts_with("--") && !allowed.contains(&key) {
                return Err(unknown_option(command, key, allowed));
            }
            if let Some((k, v)) = a.split_once('=').filter(|(k, _)| VALUED.contains(k)) {
                args.values.push((k.to_string(), v.to_string()));
            } else if VALUED.contains(&a.as_str()) {
                let v = it.next().ok_or_else(|| format!("`{a}` needs a value"))?;
                args.values.push((a.clone(), v.clone()));
            } else if SWITCHES.contains(&a.as_str()) {
                args.switches.push(a.clone());
            } else if a.starts_with("--") {
                return Err(format!("`{a}` takes no value"));
            } else {
                args.positional.push(a.clone());
            }
        }
        Ok(args)
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.values.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, switch: &str) -> bool {
        self.switches.iter().any(|s| s == switch)
    }

    /// The value of `key` parsed as a number, or `default` without one.
    pub fn number<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, CliError> {
        match self.value(key) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| CliError::Usage(format!("`{key}` expects a number, got `{text}`"))),
        }
    }

    /// A count (episodes, environments, epochs) within `range`: the upper
    /// bounds keep a typo like `--episodes 100000000` from becoming an
    /// allocation that aborts the process instead of an error.
    pub fn count(&self, key: &str, default: usize, range: std::ops::RangeInclusive<usize>) -> Result<usize, CliError> {
        let n: usize = self.number(key, default)?;
        if range.contains(&n) {
            Ok(n)
        } else {
            Err(CliError::Usage(format!("`{key}` must be from {} to {}, got {n}", range.start(), range.end())))
        }
    }

    /// The single positional argument `what` (e.g. FILE).
    pub fn one(&self, what: &str) -> Result<&str, CliError> {
        match self.positional.as_slice() {
            [one] => Ok(one),
            [] => Err(CliError::Usage(format!("missing {what}"))),
            _ => Err(CliError::Usage(format!("expected one {what}, got {}", self.positional.len()))),
        }
    }
}

/// "`train` has no option `--episode` (did you mean `--episodes`?)".
fn unknown_option(command: &str, option: &str, allowed: &[&str]) -> String {
    let mut msg = format!("`{command}` has no option `{option}`");
    if let Some(near) = rwd::diag::suggest::closest(option, allowed.iter().copied()) {
        msg.push_str(&format!(" (did you mean `{near}`?)"));
    } else if allowed.is_empty() {
        msg.push_str(" (it takes none)");
    }
    msg
}

/// Every option the parser knows how to read (those with a value, then the switches).
#[cfg(test)]
pub fn known() -> impl Iterator<Item = &'static str> {
    VALUED.iter().chain(SWITCHES).copied()
}
