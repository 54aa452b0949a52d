//! The example programs, compiled by rwd itself, judge the simulator's
//! states the same way the simulator does: its success and failure states
//! are successes and failures for the programs too.

use rwd::interp::{Interpreter, OutputValue};
use rwd_sim::observe::{ObsPlan, ProgramLayout};
use rwd_sim::tasks::{self, *};
use rwd_sim::world::EnvState;
use rwd_sim::{ACTION_DIM, BasePolicy, PolicyNoise, TaskConfig, VecEnv};

struct Compiled {
    programs: Vec<rwd::ir::Program>,
    plans: Vec<ObsPlan>,
}

fn compile(task: Task, name: &str, text: &str) -> Compiled {
    let c = rwd::compile(name, text);
    assert!(!c.has_errors(), "{name} compiles");
    let plans = c
        .programs
        .iter()
        .map(|p| {
            let json = serde_json::json!({
                "program": p.name, "kind": p.kind, "scene": p.layout.scene,
                "width": p.layout.width, "fields": p.layout.fields,
            });
            let layout: ProgramLayout = serde_json::from_value(json).expect("layout shape");
            ObsPlan::with_host_props(task, &layout, &["plan"]).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    Compiled { programs: c.programs, plans }
}

impl Compiled {
    /// Every output of a failure or check program on one state, by name.
    fn facts(&self, program: &str, s: &EnvState) -> Vec<(String, OutputValue)> {
        let i = self.programs.iter().position(|p| p.name == program).expect("program exists");
        let mut obs = vec![0.0; self.plans[i].width()];
        self.plans[i].gather_one(s, &mut obs);
        Interpreter::new(&self.programs[i]).check(&obs).expect("evaluates")
    }

    /// A check's bool output; for a failure program (output = its name),
    /// whether it detects the failure.
    fn flag(&self, program: &str, output: &str, s: &EnvState) -> bool {
        if program == output {
            let i = self.programs.iter().position(|p| p.name == program).expect("program exists");
            let mut obs = vec![0.0; self.plans[i].width()];
            self.plans[i].gather_one(s, &mut obs);
            return Interpreter::new(&self.programs[i]).detect(&obs).expect("evaluates");
        }
        let facts = self.facts(program, s);
        match facts.iter().find(|(n, _)| n == output).map(|(_, v)| v) {
            Some(OutputValue::Bool(b)) => *b,
            other => panic!("{program}.{output}: {other:?}"),
        }
    }
}

/// Every reward program of a file evaluates to a valid (finite) step on
/// every state.
fn rewards_are_valid(c: &Compiled, states: &[EnvState]) {
    for (p, plan) in c.programs.iter().zip(&c.plans) {
        if p.reward.is_none() {
            continue;
        }
        let mut interp = Interpreter::new(p);
        let mut stage = rwd::interp::StageState::default();
        let mut obs = vec![0.0; plan.width()];
        for s in states {
            plan.gather_one(s, &mut obs);
            let r = interp.step(&mut stage, &obs).expect("evaluates");
            assert!(r.valid && r.reward.is_finite(), "{}: {:?}", p.name, r.error);
        }
    }
}

/// Base-policy states: every 10th step and every final state.
fn states(task: Task, n: usize) -> Vec<EnvState> {
    let mut venv = VecEnv::new(TaskConfig::new(task), n, 21);
    let mut policy = BasePolicy::new(&venv, PolicyNoise::default());
    let mut actions = vec![0f32; n * ACTION_DIM];
    let mut out = Vec::new();
    for t in 0..task.horizon() {
        policy.act(&venv, &mut actions).unwrap();
        venv.step(&actions).unwrap();
        if t % 10 == 9 {
            out.extend(venv.envs().iter().cloned());
        }
    }
    out
}

#[test]
fn sort_vegetables_program_agrees() {
    let c = compile(Task::SortVegetables, "sort_vegetables.rwd", include_str!("../../examples/sort_vegetables.rwd"));
    let mut misplaced = 0;
    let all = states(Task::SortVegetables, 60);
    rewards_are_valid(&c, &all);
    for s in all {
        let failure = c.flag("misplaced_broccoli", "misplaced_broccoli", &s);
        if s.done {
            assert_eq!(failure, failure_mode(&s) == Some("misplaced_broccoli"), "step {}", s.step);
            misplaced += usize::from(failure);
        }
        assert_eq!(c.flag("sorting_state", "broccoli_in_green_bowl", &s), contains(&s, SORT_GREEN_BOWL, SORT_BROCCOLI));
        assert_eq!(c.flag("sorting_state", "carrot_in_orange_bowl", &s), contains(&s, SORT_ORANGE_BOWL, SORT_CARROT));
        assert_eq!(c.flag("sorting_state", "holding_broccoli", &s), is_holding(&s, SORT_BROCCOLI));
        if s.success {
            assert!(!failure);
        }
    }
    assert!(misplaced > 10, "the policy's failures are the program's failure ({misplaced})");
}

#[test]
fn pick_trash_program_agrees() {
    let c = compile(Task::PickTrash, "pick_trash.rwd", include_str!("../../examples/pick_trash.rwd"));
    let mut fallen = 0;
    let all = states(Task::PickTrash, 60);
    rewards_are_valid(&c, &all);
    for s in all {
        let failure = c.flag("fallen_can", "fallen_can", &s);
        assert_eq!(failure, failure_mode(&s) == Some("fallen_can") || (!s.done && tasks::is_lying(&s, TRASH_CAN) && !contains(&s, TRASH_BIN, TRASH_CAN) && !is_holding(&s, TRASH_CAN)));
        fallen += usize::from(failure && s.done);
        assert_eq!(c.flag("trash_state", "can_in_bin", &s), contains(&s, TRASH_BIN, TRASH_CAN));
        assert_eq!(c.flag("trash_state", "can_upright", &s), is_upright(&s, TRASH_CAN));
        assert_eq!(c.flag("trash_state", "holding_can", &s), is_holding(&s, TRASH_CAN));
    }
    assert!(fallen > 10, "{fallen}");
}

#[test]
fn organize_toolbox_program_agrees() {
    let c = compile(Task::OrganizeToolbox, "organize_toolbox.rwd", include_str!("../../examples/organize_toolbox.rwd"));
    let mut unclosed = 0;
    let all = states(Task::OrganizeToolbox, 60);
    rewards_are_valid(&c, &all);
    for s in all {
        let failure = c.flag("unclosed_lid", "unclosed_lid", &s);
        if s.done {
            assert_eq!(failure, failure_mode(&s) == Some("unclosed_lid"));
            unclosed += usize::from(failure);
        }
        assert_eq!(c.flag("toolbox_state", "cable_inside", &s), contains(&s, TOOLBOX_BOX, TOOLBOX_CABLE));
        assert_eq!(c.flag("toolbox_state", "lid_closed", &s), is_closed(&s, TOOLBOX_LID));
        assert_eq!(c.flag("toolbox_state", "lid_open", &s), is_open(&s, TOOLBOX_LID));
        assert_eq!(c.flag("toolbox_state", "holding_lid", &s), is_holding(&s, TOOLBOX_LID));
        if s.success {
            assert!(c.flag("toolbox_state", "cable_inside", &s) && c.flag("toolbox_state", "lid_closed", &s));
        }
    }
    assert!(unclosed > 10, "{unclosed}");
}

#[test]
fn drawer_program_agrees() {
    let c = compile(Task::Drawer, "drawer_check.rwd", include_str!("../../examples/drawer_check.rwd"));
    let mut short = 0;
    for s in states(Task::Drawer, 60) {
        let failure = c.flag("drawer_not_open_enough", "drawer_not_open_enough", &s);
        if s.done {
            assert_eq!(failure, failure_mode(&s) == Some("drawer_not_open_enough"));
        }
        assert_eq!(c.flag("drawer_state", "cube_in_drawer", &s), contains(&s, DRAWER_LOWER, DRAWER_CUBE));
        assert_eq!(c.flag("drawer_state", "holding_cube", &s), is_holding(&s, DRAWER_CUBE));
        if s.done && !s.success {
            // The named failure: not wide enough for the cube plus fingers.
            assert!(!c.flag("drawer_state", "wide_enough", &s));
            short += 1;
        }
        if s.success {
            assert!(c.flag("drawer_state", "cube_in_drawer", &s) && c.flag("drawer_state", "drawer_open", &s));
        }
    }
    assert!(short > 10, "{short}");
}
