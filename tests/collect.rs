//! `rwd collect` and `rwd render` end to end: the base policy rolled out in
//! the embedded simulator, final states judged by a compiled failure
//! program, failure states saved and drawn.

mod common;

use common::{rwd, temp, temp_dir};
use serde_json::Value;

fn collect(file: &str, out: &str, extra: &[&str]) -> (i32, String, String) {
    rwd(&[&["collect", file, "--episodes", "24", "--seed", "1", "--out", out], extra].concat())
}

#[test]
fn collect_saves_the_detected_failures_with_their_states_and_pictures() {
    let dir = temp_dir("collect");
    let out = dir.join("lid.json").display().to_string();
    let (code, stdout, stderr) = collect("examples/organize_toolbox.rwd", &out, &["--pictures", "1"]);
    assert_eq!(code, 0, "{stderr}");
    let set: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert_eq!(set["format"], "rwd-failures/1");
    assert_eq!(set["failure"], "unclosed_lid");
    assert_eq!(set["scene"], "toolbox_bench");
    assert_eq!(set["episodes"], 24);
    let failures = set["failures"].as_array().expect("failures");
    assert!(!failures.is_empty(), "24 episodes of a 25-55% base policy leave lids open");
    let successes = set["base_successes"].as_u64().expect("count") as usize;
    assert!(successes + failures.len() <= 24);
    for f in failures {
        // The compiled program and the simulator's own judgement agree.
        assert_eq!(f["sim_label"], "unclosed_lid", "{f}");
        assert_eq!(f["state"]["task"], "OrganizeToolbox");
        assert!(f["state"]["bodies"].as_array().is_some_and(|b| b.len() == 4), "full state saved");
    }
    assert!(stdout.contains("unclosed_lid") && stdout.contains("detected"), "{stdout}");
    // Progress goes to stderr, the table to stdout.
    assert!(stderr.contains("step"), "{stderr}");

    let episode = failures[0]["episode"].as_u64().expect("episode");
    let png = dir.join(format!("lid-unclosed_lid-{episode}.png"));
    let bytes = std::fs::read(&png).expect("picture written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    // A saved state drawn again by `render`.
    let again = dir.join("again.png").display().to_string();
    let (code, _, stderr) = rwd(&["render", &out, "--index", "0", "--out", &again]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&again).expect("written"), bytes, "the same state draws the same picture");
}

#[test]
fn collection_is_deterministic_for_a_seed() {
    let dir = temp_dir("collect-det");
    let (a, b) = (dir.join("a.json").display().to_string(), dir.join("b.json").display().to_string());
    assert_eq!(collect("examples/sort_vegetables.rwd", &a, &["--pictures", "0"]).0, 0);
    assert_eq!(collect("examples/sort_vegetables.rwd", &b, &["--pictures", "0"]).0, 0);
    let (a, b) = (std::fs::read_to_string(&a).expect("a"), std::fs::read_to_string(&b).expect("b"));
    assert_eq!(a, b);
    let set: Value = serde_json::from_str(&a).expect("JSON");
    assert_eq!(set["failure"], "misplaced_broccoli");
}

#[test]
fn a_program_the_simulator_cannot_observe_is_refused_before_any_rollout() {
    let dir = temp_dir("collect-bad");
    let out = dir.join("x.json").display().to_string();
    let cases = [
        (
            "scene kitchen { gripper: Gripper\n pan: Object }\nfailure pan_dropped = pan.pos.z < 0.5m\n",
            "scene `kitchen`, which the embedded simulator does not have",
        ),
        (
            "scene toolbox_bench { gripper: Gripper\n lid: Hinged\n hammer: Object }\nfailure dropped = hammer.pos.z < 0.5m\n",
            "entity `hammer`",
        ),
        (
            "scene toolbox_bench { gripper: Gripper\n lid: Drawer }\nfailure ajar = lid.joint > 2cm\n",
            "different kind",
        ),
    ];
    for (i, (source, expected)) in cases.iter().enumerate() {
        let file = temp(&format!("unobservable{i}.rwd"), source);
        let (code, stdout, stderr) = collect(&file, &out, &[]);
        assert_eq!(code, 1, "{source}");
        assert!(stderr.contains(expected), "expected `{expected}` in: {stderr}");
        assert!(!stderr.contains("step"), "refused before rolling out: {stderr}");
        assert!(stdout.is_empty());
    }
    assert!(!std::path::Path::new(&out).exists(), "nothing written");
}

#[test]
fn bad_invocations_name_the_problem() {
    let (code, _, stderr) = collect("examples/organize_toolbox.rwd", "/nonexistent-dir/x.json", &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("/nonexistent-dir") && stderr.contains("does not exist") && !stderr.contains("step"), "{stderr}");

    let (code, _, stderr) = rwd(&["collect", "examples/organize_toolbox.rwd", "--episodes", "many"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`--episodes` expects a number"), "{stderr}");

    // A count out of range is refused before anything is allocated (this
    // one used to abort the process asking for 21.6 GB).
    for (args, message) in [
        (&["collect", "examples/organize_toolbox.rwd", "--episodes", "0"][..], "`--episodes` must be from 1 to 100000, got 0"),
        (&["evaluate", "--episodes", "100000000"], "`--episodes` must be from 1 to 1000000, got 100000000"),
        (&["train-base", "--task", "drawer", "--out", "/tmp/x.ckpt", "--episodes", "50000"], "`--episodes` must be from 1 to 10000, got 50000"),
        (&["train-afil", "--policy", "p.ckpt", "--out", "/tmp/x.ckpt", "--rollouts", "1"], "`--rollouts` must be from 2 to 10000, got 1"),
        (&["train", "examples/organize_toolbox.rwd", "--failures", "f.json", "--base", "scripted", "--envs", "100000"], "`--envs` must be from 1 to 8192, got 100000"),
        (&["demo", "--iterations", "-3"], "`--iterations` expects a number, got `-3`"),
    ] {
        let (code, _, stderr) = rwd(args);
        // Without the runtime, the training commands stop at "needs libtorch" first.
        if !cfg!(feature = "runtime") && args[0].starts_with("train") {
            assert_eq!(code, 1, "{stderr}");
            continue;
        }
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.starts_with(&format!("error: {message}")), "{args:?}: {stderr}");
    }

    let (code, _, stderr) = rwd(&["collect", "examples/organize_toolbox.rwd", "--variant", "giant"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown variant `giant`"), "{stderr}");

    let (code, _, stderr) = rwd(&["collect", "examples/organize_toolbox.rwd", "--failure", "close_lid"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no failure named `close_lid`"), "{stderr}");

    let not_a_set = temp("not-a-set.json", "{\"format\": \"something-else\"}");
    let (code, _, stderr) = rwd(&["render", &not_a_set, "--out", "/tmp/x.png"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not a failure set"), "{stderr}");

    let (code, _, stderr) = rwd(&["render", "examples/organize_toolbox.rwd"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--out"), "{stderr}");
}

#[test]
fn out_of_distribution_variants_collect() {
    let dir = temp_dir("collect-ood");
    let out = dir.join("tall.json").display().to_string();
    let (code, _, stderr) = collect("examples/pick_trash.rwd", &out, &["--variant", "tall-can", "--pictures", "0"]);
    assert_eq!(code, 0, "{stderr}");
    let set: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert_eq!(set["config"]["variant"], "TallCan");
}

#[test]
fn demo_runs_every_example_and_the_simulator_table() {
    let dir = temp_dir("demo");
    let pictures = dir.display().to_string();
    let (code, stdout, stderr) = rwd(&["demo", "--pictures", &pictures, "--iterations", "3"]);
    assert_eq!(code, 0, "{stderr}");
    for program in ["close_lid", "recover_can", "sort_broccoli", "pick_cube", "drawer_state"] {
        assert!(stdout.contains(program), "{program} missing from:\n{stdout}");
    }
    // One row per simulated scene, each with detected failures the
    // simulator labels the same way.
    for (scene, failure) in [
        ("toolbox_bench", "unclosed_lid"),
        ("trash_table", "fallen_can"),
        ("vegetable_table", "misplaced_broccoli"),
        ("drawer_cabinet", "drawer_not_open_enough"),
    ] {
        let row = stdout.lines().find(|l| l.starts_with(scene)).unwrap_or_else(|| panic!("no row for {scene}:\n{stdout}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[1], failure, "{row}");
        let detected: usize = cells[3].parse().expect("a count");
        let agreeing: usize = cells[4].trim_matches(|c| c == '(' || c == ')').parse().expect("a count");
        assert!(detected > 0 && agreeing == detected, "{row}");
        assert!(dir.join(format!("{failure}.png")).exists(), "picture of {failure}");
    }
    // With the runtime, recovery training from the detected states: a
    // success rate for the base alone and with the residual, per scene that
    // has a recovery reward.
    if cfg!(feature = "runtime") {
        let recovery = stdout.split("Recovery training").nth(1).expect("the recovery table");
        for (scene, reward) in [("toolbox_bench", "close_lid"), ("trash_table", "recover_can"), ("vegetable_table", "sort_broccoli")] {
            let row = recovery.lines().find(|l| l.starts_with(scene)).unwrap_or_else(|| panic!("no {scene}:\n{recovery}"));
            assert!(row.contains(reward), "{row}");
            assert_eq!(row.matches('%').count(), 4, "{row}");
        }
        // And the learned base: the clone, then AFIL with and without guidance.
        let learned = stdout.split("== the learned base policy").nth(1).expect("the learned-base table");
        for policy in ["clone of the scripted policy", "AFIL, guidance 100", "AFIL, guidance 0"] {
            let row = learned.lines().find(|l| l.starts_with(policy)).unwrap_or_else(|| panic!("no {policy}:\n{learned}"));
            let success: f64 = row[42..].split_whitespace().next().and_then(|c| c.trim_end_matches('%').parse().ok()).expect("a rate");
            assert!((0.0..=100.0).contains(&success), "{row}");
        }
    } else {
        assert!(!stdout.contains("== the learned base policy"), "{stdout}");
    }
    // The model-free path: a reward synthesized from each shipped descriptor
    // compiles against the example's scene and reads the same states.
    let synthesized = stdout.split("read at the same failure states").nth(1).expect("the synthesis table");
    for scene in ["toolbox_bench", "trash_table", "vegetable_table", "drawer_cabinet"] {
        let row = synthesized.lines().find(|l| l.starts_with(scene)).unwrap_or_else(|| panic!("no {scene}:\n{synthesized}"));
        assert!(row.contains("recover_") && !row.contains("no descriptor"), "{row}");
    }
}

#[test]
fn evaluate_reports_the_scripted_base_policy_per_task() {
    let (code, stdout, stderr) = rwd(&["evaluate", "--task", "organize_toolbox", "--episodes", "40"]);
    assert_eq!(code, 0, "{stderr}");
    let row = stdout.lines().find(|l| l.starts_with("organize_toolbox")).expect("a row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[1], "scripted");
    let success: f64 = cells[3].trim_end_matches('%').parse().expect("a rate");
    assert!((10.0..=70.0).contains(&success), "{row}");
    assert!(row.contains("unclosed_lid"), "{row}");

    let (code, _, stderr) = rwd(&["evaluate", "--task", "juggling"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown task `juggling`") && stderr.contains("organize_toolbox"), "{stderr}");
}

#[cfg(feature = "runtime")]
#[test]
fn a_learned_base_policy_trains_saves_and_evaluates() {
    let dir = temp_dir("train-base");
    let ckpt = dir.join("base.ckpt").display().to_string();
    let (code, stdout, stderr) =
        rwd(&["train-base", "--task", "drawer", "--episodes", "8", "--epochs", "3", "--select-every", "2", "--select-episodes", "4", "--out", &ckpt]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("demonstrations: 8 episodes"), "{stdout}");
    let epochs: Vec<&str> = stdout.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())).collect();
    assert_eq!(epochs.len(), 3, "{stdout}");
    // Epochs 2 and 3 (the last) are scored in closed loop; epoch 1 is not.
    assert!(epochs[0].trim_end().ends_with('-') && epochs[1].ends_with('%') && epochs[2].ends_with('%'), "{stdout}");
    assert!(stdout.contains("kept epoch 2:") || stdout.contains("kept epoch 3:"), "{stdout}");
    let (code, _, stderr) = rwd(&["train-base", "--task", "drawer", "--perturb", "3", "--out", &ckpt]);
    assert_eq!(code, 1);
    assert!(stderr.contains("perturbation"), "{stderr}");
    let (code, stdout, stderr) = rwd(&["evaluate", "--task", "drawer", "--policy", &ckpt, "--episodes", "4"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.lines().any(|l| l.starts_with("drawer") && l.contains("learned")), "{stdout}");

    // A damaged checkpoint is named, not a crash.
    let bytes = std::fs::read(&ckpt).expect("written");
    let broken = dir.join("broken.ckpt");
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).expect("write");
    let (code, _, stderr) = rwd(&["evaluate", "--task", "drawer", "--policy", &broken.display().to_string()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("broken.ckpt"), "{stderr}");
}

/// `rwd train-afil` on a small base cloned from the oracle (it succeeds in
/// about a quarter of its episodes), then `rwd evaluate --guidance`.
#[cfg(feature = "runtime")]
#[test]
fn afil_fine_tunes_a_learned_base_and_evaluates_with_guidance() {
    let dir = temp_dir("train-afil");
    let base = dir.join("base.ckpt").display().to_string();
    let afil = dir.join("afil.ckpt").display().to_string();
    let (code, _, stderr) = rwd(&[
        "train-base", "--task", "sort_vegetables", "--noise", "0", "--episodes", "100", "--epochs", "10", "--select-every", "0", "--out", &base,
    ]);
    assert_eq!(code, 0, "{stderr}");
    // The task comes from the base's checkpoint.
    let (code, stdout, stderr) = rwd(&[
        "train-afil", "--policy", &base, "--rollouts", "48", "--perturb", "0.02", "--epochs", "2", "--select-every", "1", "--select-episodes", "8",
        "--out", &afil,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("rollouts of `") && first.contains("48 episodes") && first.contains("pairs from successes"), "{stdout}");
    assert!(stdout.contains("the heads on the rollout states: disagreement") && stdout.contains("guidance 100 moves actions by"), "{stdout}");
    assert!(stdout.ends_with(&format!("wrote {afil}\n")), "{stdout}");
    for guidance in [None, Some("0")] {
        let mut args = vec!["evaluate", "--task", "sort_vegetables", "--policy", &afil, "--episodes", "4"];
        args.extend(guidance.iter().flat_map(|g| ["--guidance", g]));
        let (code, stdout, stderr) = rwd(&args);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.lines().any(|l| l.starts_with("sort_vegetables") && l.contains("learned")), "{stdout}");
    }
    // Without `--task`, a learned policy is evaluated on its own task only.
    let (code, stdout, stderr) = rwd(&["evaluate", "--policy", &afil, "--episodes", "4"]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(rows.len() == 1 && rows[0].starts_with("sort_vegetables"), "{stdout}");
    // A learned base only trains a residual on its own task's failures.
    let lids = collect_into(&dir, "lids.json", "examples/organize_toolbox.rwd", "24");
    let (code, _, stderr) = rwd(&["train", "examples/organize_toolbox.rwd", "--failures", &lids, "--base", &afil, "--iterations", "1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is a base policy for `sort_vegetables`; the failure states are from `organize_toolbox`"), "{stderr}");
    // Guidance needs a failure head; a base without one is refused.
    let (code, _, stderr) = rwd(&["evaluate", "--task", "sort_vegetables", "--policy", &base, "--guidance", "5"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("has no failure head"), "{stderr}");
    let (code, _, stderr) = rwd(&["evaluate", "--guidance", "5"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("learned policy with a failure head"), "{stderr}");
    let (code, _, stderr) = rwd(&["train-afil", "--policy", &base, "--guidance", "-1", "--out", &afil]);
    assert_eq!(code, 1);
    assert!(stderr.contains("guidance"), "{stderr}");
}

#[cfg(not(feature = "runtime"))]
#[test]
fn without_the_runtime_training_says_how_to_get_it() {
    let (code, _, stderr) = rwd(&["train-base", "--task", "drawer", "--out", "/tmp/x.ckpt"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--features runtime"), "{stderr}");
    let (code, _, stderr) = rwd(&["train", "examples/sort_vegetables.rwd", "--failures", "f.json", "--base", "scripted"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--features runtime"), "{stderr}");
    let (code, _, stderr) = rwd(&["train-afil", "--policy", "base.ckpt", "--out", "/tmp/x.ckpt"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--features runtime"), "{stderr}");
}

/// `rwd collect FILE --episodes N` into `dir/NAME`, which it returns; the
/// command must succeed.
#[cfg(feature = "runtime")]
fn collect_into(dir: &std::path::Path, name: &str, file: &str, episodes: &str) -> String {
    let failures = dir.join(name).display().to_string();
    let (code, _, stderr) = rwd(&["collect", file, "--episodes", episodes, "--pictures", "0", "--out", &failures]);
    assert_eq!(code, 0, "{stderr}");
    failures
}

/// `rwd train FILE --failures F --base scripted --out OUT` and `extra`
/// arguments; the command must succeed. Returns its standard output.
#[cfg(feature = "runtime")]
fn train_scripted(file: &str, failures: &str, out: &str, extra: &[&str]) -> String {
    let mut args = vec!["train", file, "--failures", failures, "--base", "scripted", "--out", out];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = rwd(&args);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

/// The whole loop, small: collect failure states, train a residual on them
/// with the file's recovery reward, and print the before/after table.
#[cfg(feature = "runtime")]
#[test]
fn train_a_residual_from_collected_failures() {
    let dir = temp_dir("train-residual");
    let failures = collect_into(&dir, "failures.json", "examples/sort_vegetables.rwd", "40");
    let residual = dir.join("residual.ckpt").display().to_string();
    let stdout = train_scripted("examples/sort_vegetables.rwd", &failures, &residual, &["--iterations", "2", "--envs", "4"]);
    assert!(stdout.contains("residual PPO on `sort_broccoli`"), "{stdout}");
    let iterations = stdout.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())).count();
    assert_eq!(iterations, 2, "{stdout}");
    for row in ["training               base alone", "training               base + residual", "held out               base alone"] {
        assert!(stdout.contains(row), "missing `{row}`: {stdout}");
    }
    assert!(std::fs::metadata(&residual).is_ok_and(|m| m.len() > 0), "checkpoint written");

    // A reward for another scene, a missing base, a missing failure file: named errors.
    let (code, _, stderr) = rwd(&["train", "examples/pick_trash.rwd", "--failures", &failures, "--base", "scripted"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("trash_table") && stderr.contains("vegetable_table"), "{stderr}");
    let (code, _, stderr) = rwd(&["train", "examples/sort_vegetables.rwd", "--failures", &failures]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--base"), "{stderr}");
    let (code, _, stderr) = rwd(&["train", "examples/sort_vegetables.rwd", "--failures", "nope.json", "--base", "scripted"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("nope.json"), "{stderr}");
}

/// Success rates (percent) from `rwd train`'s table after 300 iterations
/// on 200 collected episodes' failure states: (base alone, base + residual)
/// on the training states, then on the held-out ones.
#[cfg(feature = "runtime")]
fn recovery_rates(file: &str, name: &str) -> ((f64, f64), (f64, f64), String) {
    let dir = temp_dir(name);
    let failures = collect_into(&dir, "failures.json", file, "200");
    let residual = dir.join("residual.ckpt").display().to_string();
    let stdout = train_scripted(file, &failures, &residual, &["--iterations", "300"]);
    let success = |states: &str, policy: &str| -> f64 {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(states) && l.contains(policy))
            .unwrap_or_else(|| panic!("no `{states}` / `{policy}` row:\n{stdout}"));
        let cell = row.split_whitespace().find(|c| c.ends_with('%')).unwrap_or_else(|| panic!("no rate in `{row}`"));
        cell.trim_end_matches('%').parse().unwrap_or_else(|_| panic!("not a rate: `{cell}`"))
    };
    let training = (success("training", "base alone"), success("training", "base + residual"));
    let held_out = (success("held out", "base alone"), success("held out", "base + residual"));
    (training, held_out, stdout)
}

/// The main job's claim, checked: a residual trained with the toolbox's
/// close-lid reward recovers clearly more failure states than the
/// re-prompted base alone (measured: 26.6% -> 71.3% of the 94 training
/// states, 51.6% -> 80.6% of the 31 held out; the run is deterministic for
/// its seeds, the margins leave room for another CPU's floating point).
#[cfg(feature = "runtime")]
#[test]
fn a_trained_residual_recovers_more_unclosed_lids_than_the_base() {
    let ((base, trained), (held_base, held_trained), stdout) = recovery_rates("examples/organize_toolbox.rwd", "train-lid");
    assert!(stdout.contains("residual on tcp,"), "the lid's residual corrects the TCP only:\n{stdout}");
    assert!(trained >= base + 20.0, "training states: base {base}%, with the residual {trained}%\n{stdout}");
    assert!(held_trained >= held_base, "held-out states: base {held_base}%, with the residual {held_trained}%\n{stdout}");
}

/// The same for the misplaced broccoli, whose residual also commands the
/// gripper (`Residual::for_task`): it carries the broccoli over the bowl
/// the base misjudged and lets go there (measured: 51.5% -> 67.6% of the 68
/// training states, 40.9% -> 59.1% of the 22 held out; seeds 1 to 3 gave
/// +1 to +18 points on the training states and +5 to +9 held out, while a
/// TCP-only residual gained 0 to 4 and lost up to 5 held out).
#[cfg(feature = "runtime")]
#[test]
fn a_gripper_residual_puts_more_misplaced_broccoli_in_the_bowl_than_the_base() {
    let ((base, trained), (held_base, held_trained), stdout) = recovery_rates("examples/sort_vegetables.rwd", "train-broccoli");
    assert!(stdout.contains("residual on tcp+gripper,"), "{stdout}");
    assert!(trained >= base + 10.0, "training states: base {base}%, with the residual {trained}%\n{stdout}");
    assert!(held_trained >= held_base, "held-out states: base {held_base}%, with the residual {held_trained}%\n{stdout}");
}

/// A reward whose `success` asks for less than the task is named: the
/// shipped recovery rewards never end an episode where the simulator's
/// success test fails, and close lid that succeeds once the lid is grasped
/// does. (Close lid without its `release` stage, the bug that kept recovery
/// training from working, is short too, but only a policy that holds the
/// shut lid for 5 steps finds that out; the base lets go sooner.)
#[cfg(feature = "runtime")]
#[test]
fn train_names_a_reward_that_succeeds_short_of_the_task() {
    let dir = temp_dir("train-short");
    let out = dir.join("r.ckpt").display().to_string();
    let one_iteration = ["--iterations", "1", "--envs", "4"];
    for file in ["examples/organize_toolbox.rwd", "examples/sort_vegetables.rwd", "examples/pick_trash.rwd"] {
        let failures = collect_into(&dir, "failures.json", file, "100");
        let stdout = train_scripted(file, &failures, &out, &one_iteration);
        assert!(stdout.contains("base alone"), "{stdout}");
        assert!(!stdout.contains("warning:"), "{file}:\n{stdout}");
    }
    let text = std::fs::read_to_string("examples/organize_toolbox.rwd").expect("example");
    let short = text.replace("success when done(release)", "success when done(grasp)");
    assert_ne!(short, text);
    let short_file = dir.join("short.rwd");
    std::fs::write(&short_file, short).expect("write");
    let short_file = short_file.display().to_string();
    let failures = collect_into(&dir, "lid.json", &short_file, "100");
    let stdout = train_scripted(&short_file, &failures, &out, &one_iteration);
    assert!(stdout.contains("warning: in ") && stdout.contains("simulator's success test"), "{stdout}");
}
