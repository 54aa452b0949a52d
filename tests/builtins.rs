//! Every builtin evaluated through the whole pipeline (check program ->
//! IR -> interpreter) on one hand-built scene, against hand-computed values.
//! A builtin without a case here fails `every_builtin_has_a_case`.

mod common;

use common::{compile_ok, observe};
use rwd::interp::{Interpreter, OutputValue};
use std::f64::consts::{E, FRAC_PI_2, FRAC_PI_3, FRAC_PI_4, FRAC_PI_6};

const SCENE: &str = r#"
scene table {
    gripper: Gripper
    cube:    Object
    bowl:    Object
    lid:     Hinged
}
"#;

enum Want {
    N(f64),
    B(bool),
    L(Vec<f64>),
}
use Want::*;

/// (expression, expected value). The scene: gripper at the cube's centre
/// (0.45, 0, 0.2) moving down at 1 m/s with contact; the cube a 4 cm box
/// there; the bowl a 20x20x10 cm box at (0.5, 0, 0); the lid turned 90 deg
/// about x and opened 30 deg.
fn cases() -> Vec<(&'static str, Want)> {
    let s = std::f64::consts::FRAC_1_SQRT_2;
    vec![
        ("abs(-2cm)", N(0.02)),
        ("sqrt(4)", N(2.0)),
        ("sqrt(4cm * 1m)", N(0.2)),
        ("floor(2.5)", N(2.0)),
        ("tanh(0.5)", N(0.5f64.tanh())),
        ("exp(1)", N(E)),
        ("ln(1)", N(0.0)),
        ("sin(30deg)", N(30f64.to_radians().sin())),
        ("cos(60deg)", N(60f64.to_radians().cos())),
        ("tan(45deg)", N(45f64.to_radians().tan())),
        ("asin(0.5)", N(FRAC_PI_6)),
        ("acos(0.5)", N(FRAC_PI_3)),
        ("atan(1)", N(FRAC_PI_4)),
        ("atan2(1cm, 1cm)", N(FRAC_PI_4)),
        ("pow(2, 3)", N(8.0)),
        ("min(1cm, 2cm)", N(0.01)),
        ("max(1cm, 2cm)", N(0.02)),
        ("clamp(5cm, 0, 2cm)", N(0.02)),
        ("norm(vec3(3cm, 4cm, 0))", N(0.05)),
        ("dot(vec3(1, 2, 3), vec3(4, 5, 6))", N(32.0)),
        ("cross(vec3(1, 0, 0), vec3(0, 1, 0))", L(vec![0.0, 0.0, 1.0])),
        ("vec3(1, 2, 3)", L(vec![1.0, 2.0, 3.0])),
        ("distance(gripper, bowl)", N((0.05f64 * 0.05 + 0.2 * 0.2).sqrt())),
        ("angle(vec3(1, 0, 0), vec3(0, 1, 0))", N(FRAC_PI_2)),
        ("contain(bowl, cube)", B(false)),
        ("contain(bowl, vec3(55cm, 5cm, 2cm))", B(true)),
        ("contain_fully(bowl, cube)", B(false)),
        ("is_holding(gripper, cube)", B(true)),
        ("is_holding(gripper, bowl)", B(false)),
        ("spatial_relation(cube, bowl)", L(vec![-0.05, 0.0, 0.2])),
        ("above(cube, bowl)", B(true)),
        ("above(bowl, cube)", B(false)),
        ("get_box(cube)", L(vec![0.45, 0.0, 0.2, 1.0, 0.0, 0.0, 0.0, 0.02, 0.02, 0.02])),
        ("sample(bowl, 1)", L(vec![0.5, 0.0, 0.0])),
        ("predict_trace(gripper, 2, 0.1s)", L(vec![0.45, 0.0, 0.1, 0.45, 0.0, 0.0])),
        ("check_collision(predict_trace(gripper, 2, 0.1s), bowl)", B(true)),
        ("check_collision(predict_trace(gripper, 1, 0.1s), bowl)", B(false)),
        ("check_collision(sample(bowl, 4), bowl)", B(true)),
        ("check_collision(cube, bowl)", B(false)),
        ("rotate(lid.rot, vec3(0, 0, 1))", L(vec![0.0, -1.0, 0.0])),
        ("verify_property(lid, \"open\")", B(true)),
        ("verify_property(lid, \"closed\")", B(false)),
        ("verify_property(cube, \"upright\")", B(true)),
        ("verify_property(lid, \"lying\")", B(true)),
        ("verify_property(cube, \"static\")", B(true)),
        ("verify_property(gripper, \"static\")", B(false)),
        ("lid.up", L(vec![0.0, -1.0, 0.0])),
        ("cube.size", L(vec![0.04, 0.04, 0.04])),
        ("gripper.speed", N(1.0)),
        ("lid.pose", L(vec![0.0, 0.5, 0.1, s, s, 0.0, 0.0])),
    ]
}

fn source() -> String {
    let mut src = format!("{SCENE}\ncheck all {{\n");
    for (i, (expr, _)) in cases().iter().enumerate() {
        src.push_str(&format!("    o{i} = {expr}\n"));
    }
    src.push_str("}\n");
    src
}

#[test]
fn every_builtin_evaluates_to_its_hand_computed_value() {
    let src = source();
    let c = compile_ok(&src);
    let p = &c.programs[0];
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let ident = [1.0, 0.0, 0.0, 0.0];
    let obs = observe(p, &[
        ("gripper.pos", &[0.45, 0.0, 0.2]),
        ("gripper.grasp", &[1.0]),
        ("gripper.vel", &[0.0, 0.0, -1.0]),
        ("cube.pos", &[0.45, 0.0, 0.2]),
        ("cube.rot", &ident),
        ("cube.half", &[0.02, 0.02, 0.02]),
        ("cube.vel", &[0.0, 0.0, 0.0]),
        ("bowl.pos", &[0.5, 0.0, 0.0]),
        ("bowl.rot", &ident),
        ("bowl.half", &[0.1, 0.1, 0.05]),
        ("lid.pos", &[0.0, 0.5, 0.1]),
        ("lid.rot", &[s, s, 0.0, 0.0]),
        ("lid.joint", &[30f64.to_radians()]),
    ]);
    let out = Interpreter::new(p).check(&obs).expect("valid observation");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
    for ((expr, want), (_, got)) in cases().iter().zip(&out) {
        let ok = match (want, got) {
            (N(w), OutputValue::Number(g)) => close(*w, *g),
            (B(w), OutputValue::Bool(g)) => w == g,
            (L(w), OutputValue::List(g)) => w.len() == g.len() && w.iter().zip(g).all(|(a, b)| close(*a, *b)),
            _ => false,
        };
        assert!(ok, "{expr}: got {got:?}");
    }
}

#[test]
fn every_builtin_has_a_case() {
    let cases = cases();
    for b in rwd::builtins::BUILTINS {
        let call = format!("{}(", b.name);
        assert!(cases.iter().any(|(e, _)| e.contains(&call)), "no test case for builtin `{}`", b.name);
    }
}

/// The rotations lowered to IR arithmetic (`rotate`, `spatial_relation`,
/// `contain`) against the typed reference (`builtins::geom`, which
/// normalises first) on quaternions of every scale a float can hold: unit,
/// unnormalised, huge enough that squaring would overflow, around the 1e-12
/// cut-off, subnormal and zero. The interpreter must match the reference to
/// a few ulps of the vector's length; the JIT (both tiers) the interpreter bit
/// for bit.
#[test]
fn lowered_rotations_agree_with_the_reference_at_every_scale() {
    use common::{Rng, flatten, read};
    use rwd::builtins::geom::{GEOM_TOL, quat_from_wxyz};
    use rwd::jit::{FLAG_VALID, JitProgram, Tier};
    use nalgebra::Vector3;

    let src = "scene s { gripper: Gripper  cube: Object }\n\
               check r on s { fwd = rotate(cube.rot, gripper.pos)  inv = spatial_relation(gripper, cube)  inside = contain(cube, gripper) }";
    let c = compile_ok(src);
    let p = &c.programs[0];
    let scales = [1.0, 3.7, 0.2, 1e-5, 1e-11, 2e-12, 1e-13, 1e-200, 1e-310, 1e150, 1e155, 2f64.powi(499), 2f64.powi(500), 2f64.powi(501), 1e300, f64::MAX];
    let mut rng = Rng(11);
    let mut rows = Vec::new();
    for (i, &scale) in scales.iter().enumerate() {
        for k in 0..24 {
            let mut q = [0.0; 4];
            for c in &mut q {
                *c = rng.uniform(-1.0, 1.0) * scale;
            }
            if k % 6 == 5 {
                q = [0.0, 0.0, 0.0, 0.0];
                q[k % 4] = scale; // a single component, possibly subnormal
            }
            let point_scale = if i % 3 == 0 { 1e6 } else { 1.0 };
            let tcp: Vec<f64> = (0..3).map(|_| rng.uniform(-0.1, 0.1) * point_scale).collect();
            let centre: Vec<f64> = (0..3).map(|_| rng.uniform(-0.05, 0.05)).collect();
            let half: Vec<f64> = (0..3).map(|_| rng.uniform(0.0, 0.1)).collect();
            rows.push(observe(p, &[
                ("gripper.pos", &tcp),
                ("gripper.grasp", &[1.0]),
                ("gripper.vel", &[0.0, 0.0, 0.0]),
                ("cube.pos", &centre),
                ("cube.rot", &q),
                ("cube.half", &half),
                ("cube.vel", &[0.0, 0.0, 0.0]),
            ]));
        }
    }
    let v = |r: &[f64], name: &str| Vector3::from_column_slice(read(p, r, name));
    let rot_of = |r: &[f64]| {
        let q = read(p, r, "cube.rot");
        quat_from_wxyz(q[0], q[1], q[2], q[3])
    };
    let mut interp = Interpreter::new(p);
    let mut interp_outputs = Vec::new();
    let (mut rotated, mut identities) = (0, 0);
    for row in &rows {
        let flat = flatten(&interp.check(row).expect("finite observation"));
        let (tcp, centre, half) = (v(row, "gripper.pos"), v(row, "cube.pos"), v(row, "cube.half"));
        let rot = rot_of(row);
        if rot.angle() == 0.0 { identities += 1 } else { rotated += 1 }
        let want_fwd = rot * tcp;
        let local = rot.inverse() * (tcp - centre);
        let tol = |x: &Vector3<f64>| 8.0 * f64::EPSILON * x.norm().max(f64::MIN_POSITIVE);
        let got_fwd = Vector3::new(flat[0], flat[1], flat[2]);
        let got_inv = Vector3::new(flat[3], flat[4], flat[5]);
        assert!((got_fwd - want_fwd).norm() <= tol(&tcp), "rotate by {:?} (row {row:?}): {got_fwd:?} vs {want_fwd:?}", rot_of(row));
        assert!((got_inv - local).norm() <= tol(&(tcp - centre)), "spatial_relation: {got_inv:?} vs {local:?}");
        // `contain` may differ from the reference only within rounding of a face.
        let margin = local.iter().zip(half.iter()).map(|(l, h)| (l.abs() - (h.abs() + GEOM_TOL)).abs()).fold(f64::INFINITY, f64::min);
        if margin > 1e-12 * (1.0 + local.norm()) {
            let want_inside = local.iter().zip(half.iter()).all(|(l, h)| l.abs() <= h.abs() + GEOM_TOL);
            assert_eq!(flat[6] != 0.0, want_inside, "contain at local {local:?}, half {half:?}");
        }
        interp_outputs.push(flat);
    }
    assert!(rotated > 250 && identities > 40, "the cases cover both: {rotated} rotations, {identities} identities");
    let w = p.layout.width as usize;
    let obs: Vec<f64> = rows.concat();
    for tier in [Tier::Optimized, Tier::Fast] {
        let jit = JitProgram::compile_tier(p, tier).expect("JIT compiles");
        let ow = jit.output_width();
        let n = obs.len() / w;
        let mut out = vec![0.0; n * ow];
        let mut valid = vec![0u8; n];
        jit.eval_check(&obs, &mut out, &mut valid).expect("shapes are right");
        for (e, want) in interp_outputs.iter().enumerate() {
            assert_eq!(valid[e], FLAG_VALID, "{tier:?} env {e}");
            let got = &out[e * ow..(e + 1) * ow];
            let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(got), bits(want), "{tier:?} env {e}: {got:?} vs {want:?}");
        }
    }
}
