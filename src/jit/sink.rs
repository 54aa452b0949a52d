//! Which post-block statements can be computed only when a gated term's
//! `when` holds: for `v = select(c, a, b)` the exclusive cone of `a`, the
//! statements reachable from `a` (within the post block) that nothing
//! outside the cone uses.

use crate::ir::{Inst, Program, Stmt};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub struct Cones {
    /// Select destination -> the statement destinations sunk under it.
    pub by_select: HashMap<u32, HashSet<u32>>,
    /// Every sunk statement destination.
    pub sunk: HashSet<u32>,
}

fn operands(inst: &Inst) -> Vec<u32> {
    inst.operands().into_iter().map(|v| v.0).collect()
}

fn outputs(s: &Stmt) -> u32 {
    if let Inst::Call { outputs, .. } = &s.inst { *outputs } else { 1 }
}

pub fn cones(program: &Program, post: &[Stmt], term_selects: &[u32]) -> Cones {
    // Which post statement defines each value (calls define several).
    let mut def: HashMap<u32, usize> = HashMap::default();
    for (i, s) in post.iter().enumerate() {
        for k in 0..outputs(s) {
            def.insert(s.dest.0 + k, i);
        }
    }
    // Uses of each post statement, by statement index (spec roots count as outside uses).
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); post.len()];
    let mut outside: Vec<bool> = vec![false; post.len()];
    for (i, s) in post.iter().enumerate() {
        for v in operands(&s.inst) {
            if let Some(&d) = def.get(&v) {
                users[d].push(i);
            }
        }
    }
    if let Some(spec) = &program.reward {
        let roots = spec.terms.iter().map(|t| t.value.0).chain(spec.success.map(|v| v.0)).chain(spec.success_value.map(|v| v.0));
        for v in roots {
            if let Some(&d) = def.get(&v) {
                outside[d] = true;
            }
        }
    }
    let mut by_select = HashMap::default();
    let mut sunk = HashSet::default();
    for &sel in term_selects {
        let Some(&si) = def.get(&sel) else { continue };
        let Inst::Select(_, a, _) = post[si].inst else { continue };
        let Some(&ai) = def.get(&a.0) else { continue };
        // Candidates: everything a transitively needs from the post block.
        let mut cand: HashSet<usize> = HashSet::default();
        let mut stack = vec![ai];
        while let Some(i) = stack.pop() {
            if sunk.contains(&post[i].dest.0) || !cand.insert(i) {
                continue;
            }
            stack.extend(operands(&post[i].inst).iter().filter_map(|v| def.get(v).copied()));
        }
        // Drop candidates used outside the cone, until nothing changes.
        loop {
            let before = cand.len();
            let keep: HashSet<usize> = cand
                .iter()
                .copied()
                .filter(|&i| !outside[i] && users[i].iter().all(|u| cand.contains(u) || *u == si))
                .collect();
            cand = keep;
            if cand.len() == before {
                break;
            }
        }
        if cand.contains(&ai) && !cand.is_empty() {
            let dests: HashSet<u32> = cand.iter().map(|&i| post[i].dest.0).collect();
            sunk.extend(dests.iter().copied());
            by_select.insert(sel, dests);
        }
    }
    Cones { by_select, sunk }
}
