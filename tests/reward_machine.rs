//! The reward machine's semantics, step by step, on small programs with
//! hand-computed expectations.

mod common;

use common::{compile_ok, observe, program};
use rwd::interp::{EvalError, Interpreter, StageState, StepResult};

/// A one-dimensional world: `x` (a length the host reports), `h` (held).
const LINE: &str = r#"
scene line {
    gripper: Gripper
    props { x: length, held: bool }
}

reward walk on line {
    stage reach {
        done x > 10cm
    }
    stage grab {
        shape clamp(x / 1m, 0, 1)
        done held
        bonus 2
    }
    stage carry {
        hold held else grab
        shape clamp(x / 1m, 0, 1)
        done x > 50cm for 3 steps
    }
    penalty slow = -0.25 when x < 0
}
"#;

fn run(src: &str, name: &str, states: &[(f64, f64)]) -> Vec<StepResult> {
    let c = compile_ok(src);
    let p = program(&c, name);
    let mut interp = Interpreter::new(p);
    let mut state = StageState::default();
    states
        .iter()
        .map(|(x, held)| {
            let obs = observe(p, &[("x", &[*x]), ("held", &[*held])]);
            interp.step(&mut state, &obs).expect("valid")
        })
        .collect()
}

fn stages(results: &[StepResult]) -> Vec<u32> {
    results.iter().map(|r| r.stage).collect()
}

#[test]
fn gate_margin_shapes_a_stage_without_shape() {
    // reach has no shape: shape = 1 - tanh(max(0, -(x - 0.1) / 0.2)).
    let r = run(LINE, "walk", &[(0.0, 0.0)]);
    let want = 1.0 - (0.1f64 / 0.2).tanh();
    assert!((r[0].terms[1] - want).abs() < 1e-15, "{} vs {want}", r[0].terms[1]);
    assert_eq!(r[0].reward, r[0].terms[1]);
}

#[test]
fn stages_cascade_pay_bonus_once_and_count_held_steps() {
    let r = run(LINE, "walk", &[(0.05, 0.0), (0.2, 1.0), (0.6, 1.0), (0.6, 1.0), (0.6, 1.0), (0.6, 1.0)]);
    // Step 1: reach and grab both complete in one step (cascade); carry's gate fails.
    assert_eq!(stages(&r), vec![0, 2, 2, 2, 3, 3]);
    // The bonus is paid on the transition step only.
    let bonus: Vec<f64> = r.iter().map(|s| s.terms[2]).collect();
    assert_eq!(bonus, vec![0.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
    // Floor 2 + shape 0.2 + bonus 2.
    assert!((r[1].reward - 4.2).abs() < 1e-12, "{}", r[1].reward);
    // carry needs x > 50cm for 3 steps: held at steps 2, 3, 4 -> done at step 4.
    assert!(!r[3].success && r[4].success);
    assert_eq!(r[4].progress, 1.0);
    assert_eq!(r[4].reward, 3.0, "all stages done: floor 3, no shape");
}

#[test]
fn a_failed_gate_resets_the_step_count() {
    let r = run(LINE, "walk", &[(0.2, 1.0), (0.6, 1.0), (0.6, 1.0), (0.4, 1.0), (0.6, 1.0), (0.6, 1.0), (0.6, 1.0)]);
    assert_eq!(stages(&r), vec![2, 2, 2, 2, 2, 2, 3]);
}

#[test]
fn a_failed_hold_regresses_and_is_reported() {
    let r = run(LINE, "walk", &[(0.2, 1.0), (0.3, 0.0), (0.3, 1.0)]);
    assert_eq!(stages(&r), vec![2, 1, 2]);
    assert!(r[1].regressed && !r[0].regressed && !r[2].regressed);
    // After regressing, grab's gate (held) is false: floor 1 + shape 0.3,
    // and grab's bonus is taken back.
    assert_eq!(r[1].terms[2], -2.0);
    assert!((r[1].reward - (1.3 - 2.0)).abs() < 1e-12);
    // Re-completing grab pays its bonus again: dropping and re-grasping
    // nets nothing, so it never beats holding on.
    assert_eq!(r[2].terms[2], 2.0);
    let held_on: f64 = run(LINE, "walk", &[(0.2, 1.0), (0.3, 1.0), (0.3, 1.0)]).iter().map(|s| s.reward).sum();
    let dropped: f64 = r.iter().map(|s| s.reward).sum();
    assert!(dropped < held_on, "dropping pays {dropped}, holding {held_on}");
}

#[test]
fn penalties_are_gated_and_bounds_normalise() {
    let c = compile_ok(LINE);
    let p = program(&c, "walk");
    let spec = p.reward.as_ref().expect("a reward");
    // Stage part [0, 3], bonus [0, 2] (taken back on regression: -2),
    // penalty [-0.25, 0].
    assert_eq!(spec.bounds, (-2.25, 5.0));
    let r = run(LINE, "walk", &[(-0.5, 0.0)]);
    assert_eq!(r[0].terms[3], -0.25);
    let want = (r[0].reward + 2.25) / 7.25;
    assert!((r[0].normalized - want).abs() < 1e-15);
    assert!((0.0..=1.0).contains(&r[0].progress));
}

#[test]
fn progress_is_stage_plus_shape_over_one_more_than_the_stage_count() {
    let r = run(LINE, "walk", &[(0.2, 1.0)]);
    assert!((r[0].progress - (2.0 + 0.2) / 4.0).abs() < 1e-12);
}

/// Success is the step after the last stage: every stage done without the
/// `success` condition, or the last stage at full shape while its hold
/// counts, is short of 1.
#[test]
fn progress_reaches_one_only_on_success() {
    let src = r#"
scene s { g: Gripper  props { x: length  held: bool } }
reward r {
    stage near { shape 1 - clamp(x / 1m, 0, 1)  done x < 1cm for 3 steps }
    success when done(near) && held
}
"#;
    let r = run(src, "r", &[(0.0, 1.0), (0.0, 1.0), (0.0, 0.0), (0.0, 1.0)]);
    let seen: Vec<(u32, bool, f64)> = r.iter().map(|s| (s.stage, s.success, s.progress)).collect();
    assert_eq!(
        seen,
        [
            (0, false, 0.5), // shape 1 while the hold counts
            (0, false, 0.5),
            (1, false, 0.5), // every stage done, `held` false
            (1, true, 1.0),
        ]
    );
}

#[test]
fn success_value_replaces_the_reward() {
    let src = r#"
scene s { g: Gripper  props { x: length } }
reward r {
    term near = 1 - clamp(x / 1m, 0, 1)
    success 10 when x < 1cm
}
"#;
    let r = run_x(src, &[0.5, 0.005]);
    assert!((r[0].reward - 0.5).abs() < 1e-12 && !r[0].success);
    assert_eq!(r[1].reward, 10.0);
    assert!(r[1].success);
    assert_eq!(r[1].normalized, 1.0);
}

fn run_x(src: &str, xs: &[f64]) -> Vec<StepResult> {
    let c = compile_ok(src);
    let p = &c.programs[0];
    let mut interp = Interpreter::new(p);
    let mut state = StageState::default();
    xs.iter().map(|x| interp.step(&mut state, &observe(p, &[("x", &[*x])])).expect("valid")).collect()
}

#[test]
fn non_finite_observations_flag_the_step_and_keep_state() {
    let c = compile_ok(LINE);
    let p = program(&c, "walk");
    let mut interp = Interpreter::new(p);
    let mut state = StageState::default();
    let good = observe(p, &[("x", &[0.2]), ("held", &[1.0])]);
    interp.step(&mut state, &good).expect("valid");
    assert_eq!(state.stage, 2);
    let mut bad = good.clone();
    bad[0] = f64::NAN;
    let r = interp.step(&mut state, &bad).expect("flagged, not an error");
    assert!(!r.valid && r.reward == 0.0);
    assert!(r.error.as_deref().is_some_and(|e| e.contains("x") && e.contains("NaN")), "{:?}", r.error);
    assert_eq!(state.stage, 2, "state unchanged");
    bad[0] = f64::INFINITY;
    assert!(!interp.step(&mut state, &bad).expect("flagged").valid);
}

#[test]
fn wrong_observation_width_is_an_error() {
    let c = compile_ok(LINE);
    let p = program(&c, "walk");
    let mut interp = Interpreter::new(p);
    let err = interp.step(&mut StageState::default(), &[0.0]).expect_err("width 1 is wrong");
    assert_eq!(err, EvalError::WrongWidth { program: "walk".into(), expected: 2, got: 1 });
    assert!(err.to_string().contains("reads 2"));
}

#[test]
fn checks_report_named_values_and_failures_detect() {
    let src = r#"
scene s {
    gripper: Gripper
    cube: Object
    bowl: Object
}
failure outside = !contain(bowl, cube)
check facts {
    inside = contain(bowl, cube)
    gap    = distance(gripper, cube)
    rel    = spatial_relation(cube, bowl)
}
"#;
    let c = compile_ok(src);
    let check = program(&c, "facts");
    let ident = [1.0, 0.0, 0.0, 0.0];
    let fields: &[(&str, &[f64])] = &[
        ("gripper.pos", &[0.0, 0.0, 0.3]),
        ("cube.pos", &[0.5, 0.0, 0.0]),
        ("cube.rot", &ident),
        ("cube.half", &[0.02, 0.02, 0.02]),
        ("bowl.pos", &[0.5, 0.0, 0.0]),
        ("bowl.rot", &ident),
        ("bowl.half", &[0.1, 0.1, 0.05]),
    ];
    let out = Interpreter::new(check).check(&observe(check, fields)).expect("valid");
    use rwd::interp::OutputValue::*;
    assert_eq!(out[0], ("inside".into(), Bool(true)));
    match &out[1].1 {
        Number(d) => assert!((d - (0.25f64 + 0.09).sqrt()).abs() < 1e-15),
        other => panic!("{other:?}"),
    }
    assert_eq!(out[2], ("rel".into(), List(vec![0.0, 0.0, 0.0])));
    let failure = program(&c, "outside");
    assert!(!Interpreter::new(failure).detect(&observe(failure, fields)).expect("valid"));
}
