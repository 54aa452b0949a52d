//! The JIT against the interpreter (the semantics): bit-identical results
//! on the examples, on hand-written programs and on generated ones, over
//! multi-step episodes with per-environment stage state.

mod common;

use common::{Rng, compile_ok, flatten};
use rwd::interp::{Interpreter, OutputValue, StageState};
use rwd::ir::Program;
use rwd::jit::{BatchState, CompiledCheck, CompiledReward, FLAG_REGRESSED, FLAG_SUCCESS, FLAG_VALID, JitError, JitProgram, LANES, RewardBatch, Tier};

/// Random observations for a program's layout: quaternions near unit,
/// bools 0/1, other values in a small box so gates open and close; now and
/// then a NaN, to exercise invalid steps.
pub fn random_obs(p: &Program, n: usize, rng: &mut Rng, nan_rate: f64) -> Vec<f64> {
    let w = p.layout.width as usize;
    let mut obs = vec![0.0; n * w];
    for env in 0..n {
        for f in &p.layout.fields {
            for c in 0..f.width as usize {
                let x = match f.ty.as_str() {
                    "bool" => f64::from(u8::from(rng.chance(0.5))),
                    "quat" => rng.uniform(-1.0, 1.0),
                    _ => rng.uniform(-0.3, 0.3),
                };
                obs[env * w + f.offset as usize + c] = x;
            }
        }
        if rng.chance(nan_rate) && w > 0 {
            let slot = (rng.next_u64() % w as u64) as usize;
            obs[env * w + slot] = if rng.chance(0.5) { f64::NAN } else { f64::INFINITY };
        }
    }
    obs
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Runs `steps` batch steps of `n` environments through both back ends and
/// asserts identical results, state and flags at every step.
pub fn assert_reward_agreement(p: &Program, n: usize, steps: usize, seed: u64) {
    assert_reward_agreement_at(p, n, steps, seed, Tier::Optimized);
}

pub fn assert_reward_agreement_at(p: &Program, n: usize, steps: usize, seed: u64, tier: Tier) {
    let jit = JitProgram::compile_tier(p, tier).expect("JIT compiles");
    assert_episode_agrees(&jit, p, n, steps, seed, |_, _| {});
}

/// Steps one episode of `n` environments through `jit` and the interpreter,
/// asserting identical results, state and flags at every step; `after` sees
/// each step's index and the program.
fn assert_episode_agrees(jit: &JitProgram, p: &Program, n: usize, steps: usize, seed: u64, mut after: impl FnMut(usize, &JitProgram)) {
    let mut rng = Rng(seed);
    let mut jstate = BatchState::new(n);
    let mut istates = vec![StageState::default(); n];
    let mut interp = Interpreter::new(p);
    let terms = jit.term_count();
    let w = p.layout.width as usize;
    for step in 0..steps {
        let obs = random_obs(p, n, &mut rng, 0.05);
        let mut out = RewardBatch::new(n, terms);
        jit.eval_reward(&obs, &mut jstate, &mut out).expect("shapes are right");
        for e in 0..n {
            let r = interp.step(&mut istates[e], &obs[e * w..(e + 1) * w]).expect("valid width");
            let ctx = format!("{} step {step} env {e}", p.name);
            assert_eq!(out.flags[e] & FLAG_VALID != 0, r.valid, "{ctx}: valid");
            assert_eq!(jstate.stage[e], istates[e].stage, "{ctx}: stage");
            assert_eq!(jstate.count[e], istates[e].count, "{ctx}: count");
            assert!(same(out.reward[e], r.reward), "{ctx}: reward {} vs {}", out.reward[e], r.reward);
            assert!(same(out.normalized[e], r.normalized), "{ctx}: normalized");
            assert!(same(out.progress[e], r.progress), "{ctx}: progress {} vs {}", out.progress[e], r.progress);
            assert_eq!(out.flags[e] & FLAG_SUCCESS != 0, r.success, "{ctx}: success");
            assert_eq!(out.flags[e] & FLAG_REGRESSED != 0, r.regressed, "{ctx}: regressed");
            for t in 0..terms {
                assert!(same(out.terms[e * terms + t], r.terms[t]), "{ctx}: term {t}: {} vs {}", out.terms[e * terms + t], r.terms[t]);
            }
        }
        after(step, jit);
    }
}

pub fn assert_check_agreement(p: &Program, n: usize, seed: u64) {
    for tier in [Tier::Optimized, Tier::Fast] {
        assert_check_agreement_at(p, n, seed, tier);
    }
}

fn assert_check_agreement_at(p: &Program, n: usize, seed: u64, tier: Tier) {
    let jit = JitProgram::compile_tier(p, tier).expect("JIT compiles");
    let mut rng = Rng(seed);
    let obs = random_obs(p, n, &mut rng, 0.05);
    let ow = jit.output_width();
    let mut out = vec![0.0; n * ow];
    let mut valid = vec![0u8; n];
    jit.eval_check(&obs, &mut out, &mut valid).expect("shapes are right");
    let w = p.layout.width as usize;
    let mut interp = Interpreter::new(p);
    for e in 0..n {
        match interp.check(&obs[e * w..(e + 1) * w]) {
            Err(_) => assert_eq!(valid[e] & FLAG_VALID, 0, "{} env {e}: interpreter refused, JIT did not", p.name),
            Ok(report) => {
                assert_ne!(valid[e] & FLAG_VALID, 0, "{} env {e}", p.name);
                let flat = flatten(&report);
                for (k, x) in flat.iter().enumerate() {
                    let j = out[e * ow + k];
                    // Bool outputs: the interpreter reports truthiness, the JIT the raw 0/1.
                    assert!(same(j, *x) || (j != 0.0) == (*x != 0.0) && x.fract() == 0.0, "{} env {e} output {k}: {j} vs {x}", p.name);
                }
            }
        }
    }
}

#[test]
fn examples_agree() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("examples dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "rwd") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("readable");
        let c = compile_ok(&src);
        for p in &c.programs {
            if p.reward.is_some() {
                assert_reward_agreement(p, 64, 40, 7);
            } else {
                assert_check_agreement(p, 256, 7);
            }
            count += 1;
        }
    }
    assert!(count >= 1);
}

#[test]
fn fast_tier_agrees_on_examples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    for entry in std::fs::read_dir(dir).expect("examples dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "rwd") {
            continue;
        }
        let c = compile_ok(&std::fs::read_to_string(&path).expect("readable"));
        for p in c.programs.iter().filter(|p| p.reward.is_some()) {
            assert_reward_agreement_at(p, 32, 20, 5, Tier::Fast);
        }
    }
}

fn example(file: &str, program: &str) -> Program {
    let src = std::fs::read_to_string(format!("{}/examples/{file}", env!("CARGO_MANIFEST_DIR"))).expect("example");
    let c = compile_ok(&src);
    c.programs.into_iter().find(|p| p.name == program).expect("program in example")
}

/// The default compile runs fast-tier code first and switches to optimised
/// code on the call that makes the program hot: mid-episode, with stage
/// state, hold counters and bonuses carried across, not a bit changes.
#[test]
fn an_adaptive_program_tiers_up_mid_episode_without_changing_a_bit() {
    let p = example("organize_toolbox.rwd", "close_lid");
    let n = 1024;
    let hot_step = (rwd::jit::HOT_ENV_STEPS as usize).div_ceil(n) - 1;
    let jit = JitProgram::compile(&p).expect("compiles");
    assert!(!jit.is_optimized(), "the default compile starts at the fast tier");
    assert_episode_agrees(&jit, &p, n, hot_step + 4, 21, |step, jit| {
        assert_eq!(jit.is_optimized(), step >= hot_step, "step {step}: optimised code from step {hot_step} on");
    });
    let fixed = JitProgram::compile_tier(&p, Tier::Fast).expect("compiles");
    let mut state = BatchState::new(n);
    let mut out = RewardBatch::new(n, fixed.term_count());
    let obs = vec![0.0; n * p.layout.width as usize];
    for _ in 0..=hot_step + 1 {
        fixed.eval_reward(&obs, &mut state, &mut out).expect("shapes");
    }
    assert!(!fixed.is_optimized(), "Tier::Fast never tiers up");
    assert!(JitProgram::compile_tier(&p, Tier::Optimized).expect("compiles").is_optimized());
}

/// Threads sharing one adaptive program: one compiles the optimised code
/// while the others keep running the fast tier, and every thread's every
/// result is the fast tier's bit for bit; checks tier up as rewards do.
#[test]
fn threads_sharing_an_adaptive_program_see_the_same_bits_across_its_tier_up() {
    let reward = std::sync::Arc::new(example("pick_cube.rwd", "pick_cube"));
    let shared = std::sync::Arc::new(JitProgram::compile(&reward).expect("compiles"));
    let n = 512;
    let steps = (rwd::jit::HOT_ENV_STEPS as usize).div_ceil(n * 4) + 4;
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let (shared, p) = (shared.clone(), reward.clone());
            std::thread::spawn(move || {
                let own = JitProgram::compile_tier(&p, Tier::Fast).expect("compiles");
                let (mut s1, mut s2) = (BatchState::new(n), BatchState::new(n));
                let (mut o1, mut o2) = (RewardBatch::new(n, own.term_count()), RewardBatch::new(n, own.term_count()));
                let mut rng = Rng(100 + t);
                for step in 0..steps {
                    let obs = random_obs(&p, n, &mut rng, 0.05);
                    shared.eval_reward(&obs, &mut s1, &mut o1).expect("shapes");
                    own.eval_reward(&obs, &mut s2, &mut o2).expect("shapes");
                    assert_eq!(s1, s2, "thread {t} step {step}: stage state");
                    for (a, b) in o1.reward.iter().zip(&o2.reward).chain(o1.terms.iter().zip(&o2.terms)) {
                        assert!(same(*a, *b), "thread {t} step {step}: {a} vs {b}");
                    }
                    assert_eq!(o1.flags, o2.flags, "thread {t} step {step}: flags");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no thread failed");
    }
    assert!(shared.is_optimized(), "{} env-steps make it hot", 4 * n * steps);

    let check = example("drawer_check.rwd", "drawer_state");
    let jit = JitProgram::compile(&check).expect("compiles");
    let n = rwd::jit::HOT_ENV_STEPS as usize / 2;
    let obs = random_obs(&check, n, &mut Rng(3), 0.05);
    let (mut first, mut valid) = (vec![0.0; n * jit.output_width()], vec![0u8; n]);
    jit.eval_check(&obs, &mut first, &mut valid).expect("shapes");
    assert!(!jit.is_optimized(), "half the threshold runs the fast tier");
    let mut second = vec![0.0; n * jit.output_width()];
    jit.eval_check(&obs, &mut second, &mut valid).expect("shapes");
    assert!(jit.is_optimized(), "the call that reaches the threshold runs optimised code");
    assert!(first.iter().zip(&second).all(|(a, b)| same(*a, *b)), "the check's outputs changed at its tier-up");
}

#[test]
fn test_programs_agree() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs");
    for entry in std::fs::read_dir(dir).expect("programs dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if !name.starts_with("ok_") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("readable");
        let c = rwd::compile(&name, &src);
        for p in &c.programs {
            if p.reward.is_some() {
                assert_reward_agreement(p, 16, 20, 11);
            } else {
                assert_check_agreement(p, 64, 11);
            }
        }
    }
}

/// The typed API checks a program's kind once, when compiling, and its
/// `eval_batch` gives the untyped program's results.
#[test]
fn compiled_rewards_and_checks_take_only_their_kind() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CompiledReward>();
    assert_send_sync::<CompiledCheck>();
    let (reward, check) = (example("pick_cube.rwd", "pick_cube"), example("drawer_check.rwd", "drawer_state"));
    assert!(matches!(CompiledReward::compile(&check), Err(JitError::WrongKind { .. })), "a check is not a reward");
    assert!(matches!(CompiledCheck::compile(&reward), Err(JitError::WrongKind { .. })), "a reward is not a check");

    let typed = CompiledReward::compile(&reward).expect("compiles");
    let untyped = JitProgram::compile(&reward).expect("compiles");
    let n = 9;
    let obs = random_obs(&reward, n, &mut Rng(5), 0.05);
    let (mut state, mut out) = typed.batch(n);
    typed.eval_batch(&obs, &mut state, &mut out).expect("shapes");
    let (mut state2, mut out2) = (BatchState::new(n), RewardBatch::new(n, untyped.term_count()));
    untyped.eval_reward(&obs, &mut state2, &mut out2).expect("shapes");
    let bits = |b: &RewardBatch| [&b.reward, &b.normalized, &b.terms, &b.progress].map(|xs| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    assert_eq!((bits(&out), &out.flags, &state), (bits(&out2), &out2.flags, &state2));
    let err = typed.eval_batch(&obs[1..], &mut state, &mut out).expect_err("one value short");
    assert!(err.to_string().contains("observation batch"), "{err}");

    let typed = CompiledCheck::compile(&check).expect("compiles");
    let obs = random_obs(&check, n, &mut Rng(6), 0.05);
    let (mut values, mut valid) = (vec![0.0; n * typed.output_width()], vec![0u8; n]);
    typed.eval_batch(&obs, &mut values, &mut valid).expect("shapes");
    let (mut values2, mut valid2) = (values.clone(), valid.clone());
    JitProgram::compile(&check).expect("compiles").eval_check(&obs, &mut values2, &mut valid2).expect("shapes");
    assert_eq!((values.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), valid), (values2.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), valid2));
    assert!(typed.eval_batch(&obs, &mut values[1..], &mut vec![0u8; n]).is_err(), "output buffer one short");
}

#[test]
fn wrong_shapes_are_errors_not_undefined_behaviour() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pick_cube.rwd")).expect("example");
    let c = compile_ok(&src);
    let jit = JitProgram::compile(&c.programs[0]).expect("compiles");
    let mut state = BatchState::new(4);
    let mut out = RewardBatch::new(4, jit.term_count());
    let err = jit.eval_reward(&[0.0; 3], &mut state, &mut out).expect_err("3 values for 4 envs");
    assert!(err.to_string().contains("observation batch"), "{err}");
    let mut short = RewardBatch::new(3, jit.term_count());
    let obs = vec![0.0; 4 * 19];
    assert!(jit.eval_reward(&obs, &mut state, &mut short).is_err());
    assert!(jit.eval_check(&obs, &mut [0.0; 4], &mut [0u8; 4]).is_err(), "a reward is not a check");
}

#[test]
fn compiled_programs_are_send_and_sync_and_usable_from_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<JitProgram>();
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pick_cube.rwd")).expect("example");
    let c = compile_ok(&src);
    let jit = std::sync::Arc::new(JitProgram::compile(&c.programs[0]).expect("compiles"));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let jit = jit.clone();
            std::thread::spawn(move || {
                let n = 32;
                let mut state = BatchState::new(n);
                let mut out = RewardBatch::new(n, jit.term_count());
                let obs = vec![0.01 * t as f64; n * 19];
                jit.eval_reward(&obs, &mut state, &mut out).expect("shapes");
                out.reward[0]
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().expect("thread").is_finite());
    }
}

/// A generator of random well-typed programs over one scene: every
/// expression form, builtin family and reward-machine feature, so the JIT
/// meets what the interpreter defines.
struct Gen {
    rng: Rng,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.rng.next_u64() % xs.len() as u64) as usize]
    }

    fn lit(&mut self, unit: &str) -> String {
        format!("{:.3}{unit}", self.rng.uniform(0.0, 30.0))
    }

    fn length(&mut self, d: u32) -> String {
        let leaf = ["distance(gripper, cube)", "distance(cube, bowl)", "x", "cube.pos.z", "gripper.pos.x", "norm(cube.size)", "spatial_relation(cube, bowl).x"];
        if d == 0 || self.rng.chance(0.3) {
            return if self.rng.chance(0.3) { self.lit("cm") } else { self.pick(&leaf).to_string() };
        }
        match self.rng.next_u64() % 6 {
            0 => format!("({} + {})", self.length(d - 1), self.length(d - 1)),
            1 => format!("({} - {})", self.length(d - 1), self.length(d - 1)),
            2 => format!("min({}, {})", self.length(d - 1), self.length(d - 1)),
            3 => format!("abs({})", self.length(d - 1)),
            4 => format!("({} * {})", self.number(d - 1), self.length(d - 1)),
            _ => format!("(if {} then {} else {})", self.boolean(d - 1), self.length(d - 1), self.length(d - 1)),
        }
    }

    fn number(&mut self, d: u32) -> String {
        let leaf = ["y", "gripper.opening", "lid.up.z", "cos(lid.joint)", "1", "0.5"];
        if d == 0 || self.rng.chance(0.3) {
            return self.pick(&leaf).to_string();
        }
        match self.rng.next_u64() % 10 {
            0 => format!("tanh(5 * {})", self.length(d - 1)),
            1 => format!("exp(-{} / 10cm)", self.length(d - 1)),
            2 => format!("({} / {})", self.length(d - 1), self.length(d - 1)),
            3 => format!("clamp({}, 0, 1)", self.number(d - 1)),
            4 => format!("sqrt(abs({}))", self.number(d - 1)),
            5 => format!("atan2({}, {}) / 1rad", self.length(d - 1), self.length(d - 1)),
            6 => format!("acos(clamp({}, -1, 1)) / 1rad", self.number(d - 1)),
            7 => format!("pow(abs({}), 2)", self.number(d - 1)),
            8 => format!("({} * {} - {})", self.number(d - 1), self.number(d - 1), self.number(d - 1)),
            _ => format!("max({}, floor({}))", self.number(d - 1), self.number(d - 1)),
        }
    }

    fn boolean(&mut self, d: u32) -> String {
        let leaf = [
            "flag",
            "is_holding(gripper, cube)",
            "contain(bowl, cube)",
            "above(cube, bowl)",
            "check_collision(predict_trace(gripper, 4, 0.1s), bowl)",
            "check_collision(cube, bowl)",
            "verify_property(cube, \"upright\")",
            "verify_property(lid, \"open\")",
        ];
        if d == 0 || self.rng.chance(0.3) {
            return self.pick(&leaf).to_string();
        }
        match self.rng.next_u64() % 6 {
            0 => format!("{} < {}", self.length(d - 1), self.length(d - 1)),
            1 => format!("{} >= {}", self.number(d - 1), self.number(d - 1)),
            2 => format!("({} && {})", self.boolean(d - 1), self.boolean(d - 1)),
            3 => format!("({} || {})", self.boolean(d - 1), self.boolean(d - 1)),
            4 => format!("!{}", self.boolean(d - 1)),
            _ => format!("{} == {}", self.boolean(d - 1), self.boolean(d - 1)),
        }
    }

    fn reward(&mut self) -> String {
        let mut src = String::from(
            "use shaping\nscene s {\n gripper: Gripper\n cube: Object\n bowl: Object\n lid: Hinged\n props { x: length, y: scalar, flag: bool }\n}\nreward r {\n",
        );
        let stages = 1 + self.rng.next_u64() % 4;
        for s in 0..stages {
            src.push_str(&format!(" stage s{s} {{\n"));
            match self.rng.next_u64() % 3 {
                0 => src.push_str(&format!("  shape clamp({}, 0, 1)\n", self.number(3))),
                1 => src.push_str(&format!("  shape reach({}, 5)\n", self.length(2))),
                _ => {}
            }
            let steps = if self.rng.chance(0.3) { format!(" for {} steps", 2 + self.rng.next_u64() % 2) } else { String::new() };
            src.push_str(&format!("  done {} < {} || {}{steps}\n", self.length(2), self.length(1), self.boolean(2)));
            if self.rng.chance(0.4) {
                src.push_str(&format!("  bonus {:.2}\n", self.rng.uniform(0.0, 2.0)));
            }
            if s > 0 && self.rng.chance(0.4) {
                let target = self.rng.next_u64() % s;
                src.push_str(&format!("  hold {} else s{target}\n", self.boolean(2)));
            }
            src.push_str(" }\n");
        }
        if self.rng.chance(0.5) {
            src.push_str(&format!(" term t = clamp({}, -1, 1) when {}\n", self.number(3), self.boolean(2)));
        }
        if self.rng.chance(0.5) {
            src.push_str(&format!(" penalty -0.5 when {}\n", self.boolean(2)));
        }
        match self.rng.next_u64() % 3 {
            0 => src.push_str(&format!(" success 4 when done(s{})\n", stages - 1)),
            1 => src.push_str(&format!(" success when {}\n", self.boolean(2))),
            _ => {}
        }
        src.push_str("}\n");
        src
    }
}

#[test]
fn generated_programs_agree() {
    let mut g = Gen { rng: Rng(0xfeed_beef_0000_0001) };
    let mut compiled = 0;
    for i in 0..150 {
        let src = g.reward();
        let c = rwd::compile("gen.rwd", &src);
        if c.has_errors() {
            continue; // e.g. a gate that folds to a constant (E0042)
        }
        compiled += 1;
        for p in &c.programs {
            assert_reward_agreement(p, 32, 12, 1000 + i);
        }
    }
    assert!(compiled >= 100, "only {compiled} of 150 generated programs compiled");
}

/// `tanh` is computed inline by the generated code (not a host call), so it
/// is held to the interpreter's `tanh` bit for bit on its own, over the
/// whole line: both signs, tiny and subnormal arguments, the switch between
/// its two formulas at 1, saturation at 22, and an infinity produced
/// mid-computation.
#[test]
fn inline_tanh_is_the_interpreters_tanh_bit_for_bit() {
    let src = "scene s { props { x: scalar } }\n\
               check t on s { pos = tanh(x)  neg = tanh(-x)  huge = tanh(x * 1e300 * 1e300) }";
    let c = compile_ok(src);
    let mut xs = vec![0.0, -0.0, 1e-310, 5e-324, 1e-20, 0.5, 1.0, 1.0 - f64::EPSILON, 21.999, 22.0, 40.0, 1e300];
    let mut rng = Rng(7);
    for _ in 0..4000 {
        xs.push(rng.uniform(-25.0, 25.0));
        xs.push(10f64.powf(rng.uniform(-300.0, 2.0)));
    }
    for tier in [Tier::Optimized, Tier::Fast] {
        let jit = JitProgram::compile_tier(&c.programs[0], tier).expect("compiles");
        let mut out = vec![0.0; xs.len() * 3];
        let mut valid = vec![0u8; xs.len()];
        jit.eval_check(&xs, &mut out, &mut valid).expect("shapes are right");
        for (e, &x) in xs.iter().enumerate() {
            let want = [rwd::builtins::tanh::tanh_f64(x), rwd::builtins::tanh::tanh_f64(-x), rwd::builtins::tanh::tanh_f64(x * 1e300 * 1e300)];
            for (k, w) in want.iter().enumerate() {
                assert_eq!(out[e * 3 + k].to_bits(), w.to_bits(), "{tier:?} output {k} at x = {x:e}: {} vs {w}", out[e * 3 + k]);
            }
        }
    }
}

/// The optimised tier runs `LANES` environments per step (f64x2 lanes) for
/// programs without native calls, handing a step with anything non-finite
/// or a stage machine that acts, and a batch's last environments that do
/// not fill a step, to the scalar function. Every batch size from 1 to
/// 2 * LANES + 1 (tails of every length, a lone step, a lone environment)
/// agrees with the interpreter over an episode, NaN steps included.
#[test]
fn vector_code_agrees_at_every_batch_size() {
    for (file, name) in [("pick_cube.rwd", "pick_cube"), ("organize_toolbox.rwd", "close_lid")] {
        let p = example(file, name);
        let jit = JitProgram::compile_tier(&p, Tier::Optimized).expect("compiles");
        assert!(jit.runs_vector_code(), "{name} has no native call: its optimised code is vector code");
        for n in 1..=2 * LANES + 1 {
            assert_episode_agrees(&jit, &p, n, 30, 40 + n as u64, |_, _| {});
        }
    }
    let toolbox = example("organize_toolbox.rwd", "toolbox_state");
    let jit = JitProgram::compile_tier(&toolbox, Tier::Optimized).expect("compiles");
    assert!(!jit.runs_vector_code(), "a check with a native call (contain) keeps the scalar code");
    assert!(!JitProgram::compile_tier(&p_of("pick_cube.rwd"), Tier::Fast).expect("compiles").runs_vector_code(), "the fast tier is scalar");
}

fn p_of(file: &str) -> Program {
    let src = std::fs::read_to_string(format!("{}/examples/{file}", env!("CARGO_MANIFEST_DIR"))).expect("example");
    compile_ok(&src).programs.remove(0)
}

/// A step where one environment's reward is NaN (a finite observation, a
/// non-finite result) and the others' are not: that one is flagged invalid
/// with the documented zero result and unchanged stage state, the others
/// are computed as usual, whichever lane it is in.
#[test]
fn a_non_finite_result_in_one_lane_leaves_the_other_lanes_alone() {
    let src = "scene s { props { x: scalar  y: scalar } }\n\
               reward r on s {\n\
                 stage near { shape 1 - tanh(abs(y))  done x > 0.5 }\n\
                 stage far { shape clamp(y, 0, 1)  done x > 2 }\n\
                 term blow = clamp(1e300 * x * 1e300 * y, 0, 1) when x > 1.2\n\
               }";
    let c = compile_ok(src);
    let p = &c.programs[0];
    let jit = JitProgram::compile_tier(p, Tier::Optimized).expect("compiles");
    assert!(jit.runs_vector_code());
    let terms = jit.term_count();
    let n = LANES;
    for bad in 0..n {
        // Step 0 moves every environment to stage `far`; on step 1 the
        // `bad` one's term is infinity times zero (NaN; clamp keeps it)
        // while the others' is not computed at all.
        let first: Vec<f64> = (0..n).flat_map(|_| [1.0, 0.1]).collect();
        let second: Vec<f64> = (0..n).flat_map(|e| if e == bad { [1.5, 0.0] } else { [0.2, 0.3] }).collect();
        let mut state = BatchState::new(n);
        let mut istates = vec![StageState::default(); n];
        let mut interp = Interpreter::new(p);
        for (step, obs) in [first, second].iter().enumerate() {
            let mut out = RewardBatch::new(n, terms);
            jit.eval_reward(obs, &mut state, &mut out).expect("shapes are right");
            for e in 0..n {
                let r = interp.step(&mut istates[e], &obs[e * 2..e * 2 + 2]).expect("valid width");
                let valid = out.flags[e] & FLAG_VALID != 0;
                assert_eq!(valid, r.valid, "bad lane {bad}, step {step}, env {e}: valid");
                if step == 1 {
                    assert_eq!(valid, e != bad, "bad lane {bad}: only env {bad} is NaN");
                }
                assert_eq!(state.stage[e], istates[e].stage, "bad lane {bad}, step {step}, env {e}: stage");
                assert!(same(out.reward[e], r.reward), "bad lane {bad}, step {step}, env {e}: reward {} vs {}", out.reward[e], r.reward);
                for t in 0..terms {
                    assert!(same(out.terms[e * terms + t], r.terms[t]), "bad lane {bad}, step {step}, env {e}: term {t}");
                }
            }
        }
        assert_eq!(state.stage, vec![1; n], "the NaN environment kept its stage");
    }
}

/// The vector code proves a step's observations finite by their sum;
/// finite slots whose sum overflows send the step to the scalar function,
/// which finds them valid. Results are the same as for any other step.
#[test]
fn huge_finite_observations_are_valid_in_the_vector_code() {
    let c = compile_ok("scene s { props { x: scalar  y: scalar } }\ncheck c on s { a = x  b = y * 0.5 }");
    let jit = JitProgram::compile_tier(&c.programs[0], Tier::Optimized).expect("compiles");
    assert!(jit.runs_vector_code());
    // A step of finite rows whose sum overflows, then one with a NaN.
    let rows: [[f64; 2]; 8] = [[f64::MAX, f64::MAX], [-f64::MAX, 1.0], [3.0, 4.0], [f64::MAX, f64::MAX], [1.0, 2.0], [f64::MAX, f64::NAN], [0.5, 0.5], [-1.0, -1.0]];
    let n = 2 * LANES;
    let obs: Vec<f64> = (0..n).flat_map(|e| rows[e % 8]).collect();
    let mut out = vec![0.0; 2 * n];
    let mut valid = vec![0u8; n];
    jit.eval_check(&obs, &mut out, &mut valid).expect("shapes are right");
    for e in 0..n {
        let [x, y] = rows[e % 8];
        if y.is_nan() {
            assert_eq!(valid[e], 0, "env {e}");
        } else {
            assert_eq!(valid[e], FLAG_VALID, "env {e}");
            assert_eq!([out[2 * e], out[2 * e + 1]], [x, y * 0.5], "env {e}");
        }
    }
}

/// The vector code computes a step only when no machine acts in any lane
/// (every current gate false, every hold holding); otherwise the step goes
/// to the scalar code. Each quiet rule, with the stored states only a
/// caller can make (a finished machine with a counter, a stage past the
/// last), must leave the state, flags and rewards exactly as the
/// interpreter does, in either lane, next to a lane that acts or not.
#[test]
fn quiet_and_acting_lanes_keep_the_interpreters_state() {
    let src = "scene s { props { x: scalar  y: scalar } }\n\
               reward r on s {\n\
                 stage a { shape clamp(y, 0, 1)  done x > 1  bonus 1 }\n\
                 stage b { hold y > 0 else a  shape 1 - tanh(abs(y))  done x > 2 for 3 steps  bonus 2 }\n\
               }";
    let c = compile_ok(src);
    let p = &c.programs[0];
    // (stage, count, x, y): quiet in stage a, b, finished (count kept),
    // past the end; acting: gate a, gate b counting, hold lost.
    let cases: [(u32, u32, f64, f64); 8] = [
        (0, 4, 0.5, 0.5),
        (1, 2, 0.5, 0.5),
        (2, 7, 3.0, 0.5),
        (5, 3, 0.5, 0.5),
        (u32::MAX, 1, 0.5, 0.5),
        (0, 0, 1.5, 0.5),
        (1, 1, 2.5, 0.5),
        (1, 0, 0.5, -0.5),
    ];
    for tier in [Tier::Optimized, Tier::Fast] {
        let jit = JitProgram::compile_tier(p, tier).expect("compiles");
        let terms = jit.term_count();
        for (i, a) in cases.iter().enumerate() {
            for (j, b) in cases.iter().enumerate() {
                // Cases i and j with two more, so every case meets every
                // other in a step, in every lane.
                let step: Vec<&(u32, u32, f64, f64)> = (0..LANES).map(|l| [a, b, &cases[(i + l) % 8], &cases[(j + 3 * l) % 8]][l % 4]).collect();
                let mut state = BatchState::new(LANES);
                let mut obs = Vec::new();
                for (e, (stage, count, x, y)) in step.iter().enumerate() {
                    state.stage[e] = *stage;
                    state.count[e] = *count;
                    obs.extend([*x, *y]);
                }
                let mut out = RewardBatch::new(LANES, terms);
                jit.eval_reward(&obs, &mut state, &mut out).expect("shapes are right");
                let mut interp = Interpreter::new(p);
                for (e, (stage, count, _, _)) in step.iter().enumerate() {
                    let mut st = StageState { stage: *stage, count: *count };
                    let r = interp.step(&mut st, &obs[e * 2..e * 2 + 2]).expect("valid width");
                    let at = format!("{tier:?}, cases {i} and {j}, env {e}");
                    assert_eq!((state.stage[e], state.count[e]), (st.stage, st.count), "{at}: stage and count");
                    assert_eq!(out.flags[e] & FLAG_VALID != 0, r.valid, "{at}: valid");
                    assert_eq!(out.flags[e] & FLAG_SUCCESS != 0, r.success, "{at}: success");
                    assert_eq!(out.flags[e] & FLAG_REGRESSED != 0, r.regressed, "{at}: regressed");
                    assert!(same(out.reward[e], r.reward), "{at}: reward {} vs {}", out.reward[e], r.reward);
                    assert!(same(out.progress[e], r.progress), "{at}: progress {} vs {}", out.progress[e], r.progress);
                    for t in 0..terms {
                        assert!(same(out.terms[e * terms + t], r.terms[t]), "{at}: term {t}");
                    }
                }
            }
        }
    }
}

/// A minimum or maximum is emitted in the cheapest form that is exact for
/// what its operands can be once the observations are finite (`min_max`):
/// dropped (a clamp of a clamped value), one compare-and-select (operands
/// never NaN, one never -0.0: an `abs`, a constant, a square), or IEEE
/// `fmin`/`fmax`. Every form must give the interpreter's bits on signed
/// zeros, infinities and NaN, in either operand order, in the vector code
/// and in the scalar code.
#[test]
fn min_and_max_agree_on_signed_zeros_in_every_form() {
    let src = "scene s { props { x: scalar  y: scalar } }\n\
               check m on s {\n\
                 a = max(abs(x), y)  b = max(y, abs(x))  c = min(abs(x), y)  d = min(y, abs(x))\n\
                 e = max(abs(x), abs(y))  f = min(max(abs(x), 0), y)  g = max(x, y)  h = min(x, y)\n\
                 i = max(x, 0)  j = min(0, y)  k = max(-abs(x), y)  l = min(abs(y), -abs(x))\n\
                 m = clamp(clamp(x - y, 0, 1), 0, 1)  n = max(max(x, 0), 0)  o = min(x * x, 0)\n\
                 p = max(x * y, 0)  q = min(tanh(x), 1)  r = max(tanh(y), -1)  s = max(0, min(y, 0))\n\
                 t = min(-abs(x), 0)  u = max(x - x, 0)  v = min(1 - tanh(5 * abs(x)), 1)\n\
                 w = max(-abs(x) * 0, 0)  z = min(x - y, 0)\n\
               }";
    let c = compile_ok(src);
    let p = &c.programs[0];
    let specials = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 1e-310, -5e-324, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
    let mut obs = Vec::new();
    for x in specials {
        for y in specials {
            obs.extend([x, y]);
        }
    }
    let n = obs.len() / 2;
    for tier in [Tier::Optimized, Tier::Fast] {
        let jit = JitProgram::compile_tier(p, tier).expect("compiles");
        assert_eq!(jit.runs_vector_code(), tier == Tier::Optimized);
        let ow = jit.output_width();
        let mut out = vec![0.0; n * ow];
        let mut valid = vec![0u8; n];
        jit.eval_check(&obs, &mut out, &mut valid).expect("shapes are right");
        let mut interp = Interpreter::new(p);
        let mut checked = 0;
        for e in 0..n {
            let Ok(report) = interp.check(&obs[e * 2..e * 2 + 2]) else {
                assert_eq!(valid[e] & FLAG_VALID, 0, "env {e}: the interpreter refused it");
                continue;
            };
            for (k, (name, v)) in report.iter().enumerate() {
                let OutputValue::Number(want) = v else { panic!("{name} is a number") };
                let got = out[e * ow + k];
                assert_eq!(got.to_bits(), want.to_bits(), "{tier:?} {name} at x = {:?}, y = {:?}: {got:?} vs {want:?}", obs[e * 2], obs[e * 2 + 1]);
                checked += 1;
            }
        }
        assert_eq!(checked, 24 * 64, "every output of every finite (x, y) is checked");
    }
}

/// `pre` holds what the reward machine reads and nothing else, so the
/// back ends can sink the rest under a gated term's `when`: PickCube has no
/// stages, so all of it is in `post`, and its `placed` test compares the
/// squared distance (the square root survives only for the `place` term).
/// In a staged reward every `pre` statement feeds a gate, hold, shape or
/// bonus, and a term's own inputs are in `post`. Both still agree with
/// the interpreter over episodes.
#[test]
fn pre_holds_only_what_the_reward_machine_reads() {
    use rwd::builtins::Math1;
    use rwd::ir::{Cmp, Inst};
    let pick = p_of("pick_cube.rwd");
    assert!(pick.pre.is_empty(), "a reward without stages reads nothing before its machine");
    let sqrts = pick.post.iter().filter(|s| matches!(s.inst, Inst::Unary(Math1::Sqrt, _))).count();
    assert_eq!(sqrts, 2, "one square root for reach, one for place; none for `placed`");
    assert!(pick.post.iter().any(|s| matches!(s.inst, Inst::Compare(Cmp::Le, _, _))), "placed compares the radicand");

    let src = "scene s { gripper: Gripper  cube: Object }\n\
               reward r on s {\n\
                 stage reach { shape clamp(cube.pos.z / 1m, 0, 1)  done distance(gripper, cube) < 2cm }\n\
                 stage lift { done cube.pos.z > 0.1m }\n\
                 term away = tanh(norm(cube.pos) / 1m) when is_holding(gripper, cube)\n\
               }";
    let c = compile_ok(src);
    let p = &c.programs[0];
    let spec = p.reward.as_ref().expect("a reward");
    let mut needed: Vec<u32> = spec.stages.iter().flat_map(|s| s.reads()).map(|v| v.0).collect();
    let mut machine = std::collections::HashSet::new();
    while let Some(v) = needed.pop() {
        if let Some(s) = p.pre.iter().find(|s| s.dest.0 == v)
            && machine.insert(v)
        {
            needed.extend(s.inst.operands().iter().map(|v| v.0));
        }
    }
    for s in &p.pre {
        assert!(machine.contains(&s.dest.0), "pre computes v{} ({:?}), which the machine does not read", s.dest.0, s.inst);
    }
    assert!(p.post.iter().any(|s| matches!(s.inst, Inst::Unary(Math1::Tanh, _))), "the term's tanh is in post");
    assert!(!p.pre.iter().any(|s| matches!(s.inst, Inst::Unary(Math1::Sqrt, _))), "the reach gate needs no square root");
    for p in [&pick, p] {
        assert_reward_agreement(p, 2 * LANES + 1, 40, 3);
    }
}

