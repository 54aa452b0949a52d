//! How a batch of episodes ended: every final state labelled "success", the
//! task's named failure (see `tasks::failure_mode`) or "other", and counted.
//! The CLI's tables and the runtime's evaluations read the same counts.

use std::collections::BTreeMap;

use crate::tasks::failure_mode;
use crate::vec_env::VecEnv;
use crate::world::EnvState;

/// The label of one final state.
pub fn outcome_label(s: &EnvState) -> &'static str {
    if s.success { "success" } else { failure_mode(s).unwrap_or("other") }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcomes {
    pub episodes: usize,
    pub successes: usize,
    /// Final states by label.
    pub by_label: BTreeMap<String, usize>,
}

impl Outcomes {
    /// The outcomes of every environment's current state.
    pub fn of(venv: &VecEnv) -> Outcomes {
        let mut outcomes = Outcomes { episodes: venv.n_envs(), ..Outcomes::default() };
        for state in venv.envs() {
            outcomes.successes += usize::from(state.success);
            *outcomes.by_label.entry(outcome_label(state).to_string()).or_default() += 1;
        }
        outcomes
    }

    pub fn success_rate(&self) -> f64 {
        self.rate("success")
    }

    /// The fraction of episodes that ended with `label` (0 for none).
    pub fn rate(&self, label: &str) -> f64 {
        self.by_label.get(label).copied().unwrap_or(0) as f64 / self.episodes.max(1) as f64
    }
}
