//! The `rwd` binary end to end: exit codes, streams and formats a user (or
//! a model's harness) relies on.

mod common;

use common::{rwd, temp};

#[test]
fn eval_is_identical_in_both_back_ends() {
    let args = ["eval", "examples/organize_toolbox.rwd", "--obs", "examples/episodes/close_lid.jsonl", "--reward", "close_lid"];
    let (code, jit, _) = rwd(&[&args[..], &["--backend", "jit"]].concat());
    let (code2, interp, _) = rwd(&[&args[..], &["--backend", "interp"]].concat());
    assert_eq!((code, code2), (0, 0));
    assert_eq!(jit, interp);
    assert_eq!(jit.lines().count(), 46);
    let last: serde_json::Value = serde_json::from_str(jit.lines().last().expect("a line")).expect("JSON");
    assert_eq!(last["success"], true);
    assert_eq!(last["stage_name"], "done");
}

#[test]
fn check_reports_json_diagnostics_and_exit_code() {
    let path = temp("bad.rwd", "scene s { g: Gripper  c: Object }\ncheck k { d = distance(g, c) < 0.02 }\n");
    let (code, out, _) = rwd(&["check", &path, "--format", "json"]);
    assert_eq!(code, 1);
    let diags: serde_json::Value = serde_json::from_str(&out).expect("JSON array");
    assert_eq!(diags[0]["code"], "E0034");
    assert_eq!(diags[0]["line"], 2);
    assert_eq!(diags[0]["suggestion"]["replacement"], "0.02m");
}

#[test]
fn layout_names_every_field_read() {
    let (code, out, _) = rwd(&["compile", "examples/pick_cube.rwd", "--emit", "layout"]);
    assert_eq!(code, 0);
    let layout: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(layout["width"], 19);
    let fields: Vec<String> = layout["fields"].as_array().expect("fields").iter().map(|f| format!("{}.{}", f["entity"].as_str().unwrap_or("-"), f["field"].as_str().unwrap_or(""))).collect();
    assert_eq!(fields, ["gripper.pos", "gripper.grasp", "cube.pos", "cube.rot", "cube.half", "goal.pos", "-.arm_speed", "-.arm_speed_max"]);
}

#[test]
fn bad_observations_are_clear_errors_or_flagged_steps() {
    let prog = "examples/pick_cube.rwd";
    let short = temp("short.jsonl", "[1, 2, 3]\n");
    let (code, _, err) = rwd(&["eval", prog, "--obs", &short]);
    assert_eq!(code, 1);
    assert!(err.contains("short.jsonl:1:") && err.contains("3 values") && err.contains("reads 19"), "{err}");
    let mut row = vec!["0.1"; 19];
    row[0] = "\"NaN\"";
    let nan = temp("nan.jsonl", &format!("[{}]\n", row.join(",")));
    let (code, out, _) = rwd(&["eval", prog, "--obs", &nan]);
    assert_eq!(code, 0);
    let step: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(step["valid"], false);
    assert!(step["error"].as_str().is_some_and(|e| e.contains("gripper.pos[0]")), "{step}");
    let (code, _, err) = rwd(&["eval", prog, "--obs", "no/such/file.jsonl"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read `no/such/file.jsonl`"), "{err}");
}

#[test]
fn explain_fmt_and_usage() {
    let (code, out, _) = rwd(&["explain", "E0031"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("E0031: unit mismatch"));
    assert_eq!(rwd(&["explain", "E9999"]).0, 1);
    let messy = temp("messy.rwd", "scene s{g:Gripper}\ncheck c{x=g.pos.z}\n");
    let (code, out, _) = rwd(&["fmt", &messy]);
    assert_eq!(code, 0);
    assert!(out.contains("scene s {\n    g: Gripper\n}"), "{out}");
    assert_eq!(rwd(&["fmt", &messy, "--check"]).0, 1);
    assert_eq!(rwd(&["frobnicate"]).0, 2);
    assert_eq!(rwd(&["compile", "examples/pick_cube.rwd"]).0, 2, "--emit is required");
}

#[test]
fn a_bad_invocation_shows_the_commands_own_usage() {
    // An option of another command is refused, not ignored, with the
    // command's usage (not the whole text) and a suggestion for a typo.
    let (code, out, err) = rwd(&["eval", "examples/pick_cube.rwd", "--obs", "x.jsonl", "--episodes", "5"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.starts_with("error: `eval` has no option `--episodes`\n\nusage:\n  rwd eval FILE --obs"), "{err}");
    assert!(!err.contains("rwd train"), "only eval's entry: {err}");
    assert!(err.ends_with("`rwd help` lists every command\n"), "{err}");
    let (code, _, err) = rwd(&["check", "examples/pick_cube.rwd", "--fromat", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("`check` has no option `--fromat` (did you mean `--format`?)"), "{err}");
    // A misspelt command gets a suggestion.
    let (code, _, err) = rwd(&["evalute"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: unknown command `evalute` (did you mean `evaluate`?)"), "{err}");
    // Per-command help, both ways, on stdout.
    let (code, out, _) = rwd(&["train", "--help"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("usage:\n  rwd train FILE --failures"), "{out}");
    assert_eq!(rwd(&["help", "train"]).1, out);
    let (code, out, _) = rwd(&["bench", "-h"]);
    assert_eq!(code, 0);
    assert_eq!(out.matches("  rwd bench").count(), 2, "both forms: {out}");
    assert_eq!(rwd(&["help", "frobnicate"]).0, 2);
}

#[test]
fn an_unreadable_checkpoint_is_an_error_without_a_table() {
    let bad = temp("bad.ckpt", "not a checkpoint\n");
    let (code, out, err) = rwd(&["evaluate", "--task", "drawer", "--policy", &bad, "--episodes", "2"]);
    assert_eq!(code, 1);
    assert_eq!(out, "", "no table header above the error");
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn clif_is_printed() {
    let (code, out, _) = rwd(&["compile", "examples/pick_cube.rwd", "--emit", "clif"]);
    assert_eq!(code, 0);
    // tanh is computed inline (its sign OR-ed back in last), not called.
    assert!(out.contains("function") && out.contains("bor"), "{}", &out[..out.len().min(300)]);
    assert!(!out.contains("%rwd_tanh"), "tanh is not a host call any more");
}
