//! The usage text, and what it says about each command. It is the one list
//! of a command's options: the argument parser accepts for a command exactly
//! the options its entry names, so an option meant for another command (or
//! misspelt) is an error rather than silently ignored.

pub const USAGE: &str = "\
rwd: compile and run stage-gated reward programs

usage:
  rwd check FILE [--format human|json]          type-check; print diagnostics
  rwd compile FILE --emit ir|layout|clif [--program NAME]
                                                 print the IR, the observation layout, or
                                                 the generated Cranelift IR
  rwd eval FILE --obs OBS.jsonl [--reward NAME | --program NAME] [--backend jit|interp] [--table]
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
  rwd evaluate [--task T] [--policy scripted|CKPT] [--guidance G] [--episodes N] [--seed S]
             [--variant V]
                                                 a base policy's success rate and failure modes
  rwd train-base --task T --out CKPT [--episodes N] [--epochs E] [--perturb SIGMA]
             [--noise K] [--select-every E] [--select-episodes N] [--seed S] [--variant V]
                                                 the learned base policy: behaviour cloning of the
                                                 scripted one from perturbed demonstrations, weights
                                                 kept by closed-loop success (needs the runtime feature)
  rwd train-afil --policy CKPT --out CKPT [--task T] [--rollouts N] [--epochs E] [--guidance G]
             [--perturb SIGMA] [--select-every E] [--select-episodes N] [--seed S] [--variant V]
                                                 failure-informed fine-tuning (AFIL) of a learned base:
                                                 success and failure heads from its own rollouts; it
                                                 acts steered away from failure (needs the runtime feature)
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
  rwd prompt --scene S.rwd --descriptor D.json [--image PNG] [--format text|json] [--model M]
                                                 the request for a model (json: chat-completions body)
  rwd generate --scene S.rwd --descriptor D.json [--image PNG] [--rounds N] [--out FILE]
               [--base-url URL] [--model M] [--api-key K] [--timeout S] [--retries N]
               [--backoff-ms MS] [--transcript FILE]
                                                 ask a model, repair with diagnostics until it compiles
  rwd corpus DIR [--bench] [--runs N]            how model-style programs fare; compile latency

--no-color (check, compile, eval, collect, train): print diagnostics without colours

exit status: 0 success, 1 the program or its input has errors, 2 bad usage";

/// The commands the usage text describes, in its order.
pub fn commands() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for (name, _) in entries() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The usage lines of `command` (one entry per form: `bench` has two), or
/// `None` for a command the text does not describe.
pub fn entry(command: &str) -> Option<String> {
    let lines: Vec<&str> = entries().filter(|(name, _)| *name == command).map(|(_, text)| text).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The options `command` accepts: those its entry names, and the shared
/// options whose footnote lists it (`--no-color (check, compile, eval): ...`).
pub fn options(command: &str) -> Option<Vec<&'static str>> {
    let mut options: Vec<&'static str> = Vec::new();
    let mut known = false;
    for (name, text) in entries() {
        if name == command {
            known = true;
            for option in option_names(text) {
                if !options.contains(&option) {
                    options.push(option);
                }
            }
        }
    }
    for line in USAGE.lines().filter(|l| l.starts_with("--")) {
        let Some((option, rest)) = line.split_once(" (") else { continue };
        let Some((list, _)) = rest.split_once(')') else { continue };
        if list.split(", ").any(|c| c == command) {
            options.push(option);
        }
    }
    known.then_some(options)
}

/// Every `--option` named in `text`.
fn option_names(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.len() > 2 && w.starts_with("--"))
}

/// `(command, its lines)` for each entry of the usage list: a line
/// `  rwd NAME ...` and the more deeply indented lines after it.
fn entries() -> impl Iterator<Item = (&'static str, &'static str)> {
    // Each line with its byte range in USAGE, so an entry is one slice.
    let mut lines: Vec<(usize, &'static str)> = Vec::new();
    let mut offset = 0;
    for line in USAGE.split_inclusive('\n') {
        lines.push((offset, line.trim_end_matches('\n')));
        offset += line.len();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (begin, first) = lines[i];
        let Some(rest) = first.strip_prefix("  rwd ") else {
            i += 1;
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or_default();
        let mut last = i;
        while lines.get(last + 1).is_some_and(|(_, l)| l.starts_with("   ")) {
            last += 1;
        }
        let (end_start, end_line) = lines[last];
        out.push((name, &USAGE[begin..end_start + end_line.len()]));
        i = last + 1;
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Args, known};

    #[test]
    fn the_usage_text_and_the_parser_know_the_same_options() {
        let named: Vec<&str> = option_names(USAGE).collect();
        for option in &named {
            assert!(known().any(|k| k == *option), "the usage names `{option}`, which the parser cannot read");
        }
        for option in known() {
            assert!(named.contains(&option), "the parser reads `{option}`, which no usage entry names");
        }
    }

    #[test]
    fn entries_are_read_per_command() {
        let commands = commands();
        assert_eq!(commands.len(), 17, "{commands:?}");
        assert_eq!(commands[..3], ["check", "compile", "eval"]);
        let bench = entry("bench").unwrap_or_default();
        assert_eq!(bench.lines().count(), 3, "{bench}");
        assert!(bench.lines().nth(2).is_some_and(|l| l.contains("--compile")), "{bench}");
        let train = options("train").unwrap_or_default();
        for option in ["--failures", "--base", "--reward", "--iterations", "--residual", "--envs", "--horizon", "--seed", "--out"] {
            assert!(train.contains(&option), "{option} in {train:?}");
        }
        assert!(!train.contains(&"--episodes"), "{train:?}");
        assert!(options("eval").unwrap_or_default().contains(&"--no-color"));
        assert!(!options("fmt").unwrap_or_default().contains(&"--no-color"));
        assert_eq!(options("explain"), Some(Vec::new()));
        assert_eq!(options("frobnicate"), None);
        assert_eq!(entry("frobnicate"), None);
    }

    /// docs/cli.md opens with a synopsis of every command; it must name
    /// exactly the options the parser accepts for each.
    #[test]
    fn the_documented_synopsis_names_each_commands_options() {
        let docs = include_str!("../../docs/cli.md");
        let synopsis = docs.split("```text\n").nth(1).and_then(|s| s.split("```").next()).unwrap_or_default();
        let mut documented: Vec<(&str, Vec<&str>)> = Vec::new();
        for line in synopsis.lines() {
            if let Some(rest) = line.strip_prefix("rwd ") {
                let name = rest.split_whitespace().next().unwrap_or_default();
                if !documented.iter().any(|(n, _)| *n == name) {
                    documented.push((name, Vec::new()));
                }
            }
            if let Some((_, options)) = documented.last_mut() {
                options.extend(option_names(line));
            }
        }
        let names: Vec<&str> = documented.iter().map(|(n, _)| *n).filter(|n| *n != "help").collect();
        let mut commands = commands();
        commands.sort_unstable();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, commands, "the synopsis lists every command once");
        for (name, mut named) in documented.into_iter().filter(|(n, _)| *n != "help") {
            named.sort_unstable();
            named.dedup();
            let mut accepted = options(name).unwrap_or_default();
            accepted.sort_unstable();
            assert_eq!(named, accepted, "the synopsis of `{name}`");
        }
    }

    #[test]
    fn an_option_of_another_command_is_refused_with_a_suggestion() {
        let argv = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let train = options("train").unwrap_or_default();
        let err = Args::parse("train", &argv(&["x.rwd", "--episodes", "5"]), &train).err();
        assert_eq!(err.as_deref(), Some("`train` has no option `--episodes`"));
        let err = Args::parse("train", &argv(&["x.rwd", "--failure", "f.json"]), &train).err();
        assert_eq!(err.as_deref(), Some("`train` has no option `--failure` (did you mean `--failures`?)"));
        let err = Args::parse("explain", &argv(&["E0031", "--table"]), &[]).err();
        assert_eq!(err.as_deref(), Some("`explain` has no option `--table` (it takes none)"));
        let err = Args::parse("eval", &argv(&["x.rwd", "--table=1"]), &options("eval").unwrap_or_default()).err();
        assert_eq!(err.as_deref(), Some("`--table=1` takes no value"));
        let ok = Args::parse("train", &argv(&["x.rwd", "--failures=f.json", "--seed", "3"]), &train);
        let ok = ok.unwrap_or_default();
        assert_eq!((ok.value("--failures"), ok.value("--seed"), ok.positional.len()), (Some("f.json"), Some("3"), 1));
    }
}
