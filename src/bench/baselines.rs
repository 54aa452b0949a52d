//! Hand-written Rust for two shipped rewards: the baseline the JIT is
//! measured against. Each reads the observation through the program's own
//! layout (offsets looked up once by field name), and produces the same
//! outputs as the compiled program, stage machine included; the benchmark
//! checks that against the interpreter before it times anything.

use crate::builtins::geom::{Obb, contain, is_holding, quat_from_wxyz};
use crate::builtins::tanh::tanh_f64 as tanh;
use crate::ir::Program;
use crate::jit::{BatchState, FLAG_REGRESSED, FLAG_SUCCESS, FLAG_VALID, RewardBatch};
use nalgebra::Vector3;

/// A hand-written batch reward: `fn(obs, state, out)` like the JIT's.
pub type Baseline = Box<dyn Fn(&[f64], &mut BatchState, &mut RewardBatch)>;

fn offset(p: &Program, name: &str) -> Option<usize> {
    p.layout
        .fields
        .iter()
        .find(|f| match &f.entity {
            Some(e) => format!("{e}.{}", f.field) == name,
            None => f.field == name,
        })
        .map(|f| f.offset as usize)
}

fn v3(row: &[f64], o: usize) -> Vector3<f64> {
    Vector3::new(row[o], row[o + 1], row[o + 2])
}

fn obb(row: &[f64], pos: usize, rot: usize, half: usize) -> Obb {
    Obb::new(v3(row, pos), quat_from_wxyz(row[rot], row[rot + 1], row[rot + 2], row[rot + 3]), v3(row, half))
}

fn all_finite(row: &[f64]) -> bool {
    row.iter().all(|x| x.is_finite())
}

/// What every back end reports for a non-finite observation.
fn write_invalid(out: &mut RewardBatch, e: usize, terms: usize) {
    out.reward[e] = 0.0;
    out.normalized[e] = 0.0;
    out.progress[e] = 0.0;
    out.flags[e] = 0;
    out.terms[e * terms..(e + 1) * terms].fill(0.0);
}

fn clamp01(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}

/// The baseline for a program, if there is one for it.
pub fn for_program(p: &Program) -> Option<Baseline> {
    match p.name.as_str() {
        "pick_cube" => pick_cube(p),
        "close_lid" => close_lid(p),
        _ => None,
    }
}

/// ManiSkill's PickCube dense reward (examples/pick_cube.rwd).
fn pick_cube(p: &Program) -> Option<Baseline> {
    let w = p.layout.width as usize;
    let (tcp, grasp) = (offset(p, "gripper.pos")?, offset(p, "gripper.grasp")?);
    let (cube, rot, half) = (offset(p, "cube.pos")?, offset(p, "cube.rot")?, offset(p, "cube.half")?);
    let (goal, speed, speed_max) = (offset(p, "goal.pos")?, offset(p, "arm_speed")?, offset(p, "arm_speed_max")?);
    Some(Box::new(move |obs: &[f64], _state: &mut BatchState, out: &mut RewardBatch| {
        for (e, row) in obs.chunks_exact(w).enumerate() {
            if !all_finite(row) {
                write_invalid(out, e, 6);
                continue;
            }
            let t = &mut out.terms[e * 6..e * 6 + 6];
            let tcp_p = v3(row, tcp);
            let cube_p = v3(row, cube);
            let reach = 1.0 - tanh(5.0 * (tcp_p - cube_p).norm());
            let grasped = is_holding(&tcp_p, row[grasp] != 0.0, &obb(row, cube, rot, half));
            let to_goal = (cube_p - v3(row, goal)).norm();
            let place = if grasped { 1.0 - tanh(5.0 * to_goal) } else { 0.0 };
            let placed = to_goal <= 0.025;
            let stat = if placed { 1.0 - tanh(5.0 * row[speed].abs()) } else { 0.0 };
            let success = placed && row[speed_max] <= 0.2;
            let g = if grasped { 1.0 } else { 0.0 };
            let reward = if success { 5.0 } else { reach + g + place + stat };
            t.copy_from_slice(&[0.0, 0.0, reach, g, place, stat]);
            out.reward[e] = reward;
            out.normalized[e] = clamp01(reward / 5.0);
            out.progress[e] = if success { 1.0 } else { 0.0 };
            out.flags[e] = FLAG_VALID | if success { FLAG_SUCCESS } else { 0 };
        }
    }))
}

/// The close-lid recovery reward (examples/organize_toolbox.rwd): four
/// stages with holds, gates held for 5 and 3 steps, bonuses, a penalty and
/// success.
fn close_lid(p: &Program) -> Option<Baseline> {
    let w = p.layout.width as usize;
    let (g_pos, g_open, g_grasp) = (offset(p, "gripper.pos")?, offset(p, "gripper.opening")?, offset(p, "gripper.grasp")?);
    let (l_pos, l_rot, l_half, l_joint) = (offset(p, "lid.pos")?, offset(p, "lid.rot")?, offset(p, "lid.half")?, offset(p, "lid.joint")?);
    let cable = offset(p, "cable.pos")?;
    let (t_pos, t_rot, t_half) = (offset(p, "toolbox.pos")?, offset(p, "toolbox.rot")?, offset(p, "toolbox.half")?);
    let open_deg = 100f64.to_radians();
    let closed = 5f64.to_radians();
    Some(Box::new(move |obs: &[f64], state: &mut BatchState, out: &mut RewardBatch| {
        const TERMS: usize = 6; // stage, shape, bonus.grasp, bonus.close, bonus.release, cable_out
        for (e, row) in obs.chunks_exact(w).enumerate() {
            if !all_finite(row) {
                write_invalid(out, e, TERMS);
                continue;
            }
            let g = v3(row, g_pos);
            let lid = obb(row, l_pos, l_rot, l_half);
            let handle = lid.center + lid.rot * Vector3::new(0.0, row[l_half + 1] - 0.01, 0.0);
            let d = (g - handle).norm();
            let holding = is_holding(&g, row[g_grasp] != 0.0, &lid);
            let joint = row[l_joint];
            let shut = joint < closed;
            let gates = [d < 0.02, holding, shut, !holding && shut];
            let steps = [1, 1, 5, 3];
            let opening = row[g_open];
            let shapes = [
                clamp01(1.0 - tanh(5.0 * d)),
                clamp01((1.0 - opening).clamp(0.0, 1.0)),
                clamp01(((joint - open_deg) / (0.0 - open_deg)).clamp(0.0, 1.0)),
                clamp01(opening.clamp(0.0, 1.0)),
            ];
            let (mut stage, mut count) = (state.stage[e], state.count[e]);
            let mut regressed = false;
            // Bonuses of grasp, close and release paid (or taken back) this step.
            let mut bonus = [0.0; 3];
            // `close` holds while the lid is held, `release` while it is
            // shut; either sends the machine back to `grasp`, taking back
            // the bonuses of the stages in between.
            if (stage == 2 && !holding) || (stage == 3 && !shut) {
                for taken in &mut bonus[..stage as usize - 1] {
                    *taken -= 1.0;
                }
                stage = 1;
                count = 0;
                regressed = true;
            }
            while stage < 4 {
                let s = stage as usize;
                if !gates[s] {
                    count = 0;
                    break;
                }
                count += 1;
                if count < steps[s] {
                    break;
                }
                if s >= 1 {
                    bonus[s - 1] += 1.0;
                }
                stage += 1;
                count = 0;
            }
            let toolbox = obb(row, t_pos, t_rot, t_half);
            let cable_in = contain(&toolbox, &v3(row, cable));
            let penalty = if cable_in { 0.0 } else { -1.0 };
            let shape = if stage < 4 { shapes[stage as usize] } else { 0.0 };
            let success = stage > 3 && cable_in;
            let reward = f64::from(stage) + shape + bonus.iter().sum::<f64>() + penalty;
            out.terms[e * TERMS..(e + 1) * TERMS].copy_from_slice(&[f64::from(stage), shape, bonus[0], bonus[1], bonus[2], penalty]);
            state.stage[e] = stage;
            state.count[e] = count;
            out.reward[e] = reward;
            // Bounds [-3, 7]: penalty -1, two taken-back bonuses -2; 4 stages + 3 bonuses.
            out.normalized[e] = clamp01((reward + 3.0) / 10.0);
            out.progress[e] = if success { 1.0 } else { clamp01((f64::from(stage) + shape) / 5.0) };
            out.flags[e] = FLAG_VALID | if success { FLAG_SUCCESS } else { 0 } | if regressed { FLAG_REGRESSED } else { 0 };
        }
    }))
}
