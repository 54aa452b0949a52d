//! The learned base policy acts: trained with the settings `rwd train-base`
//! uses, it succeeds in closed loop on episodes it never saw (seeds
//! disjoint from its demonstrations and from the ones that chose its
//! weights), and a clone of the noisy controller keeps its failure mode.

use rwd_runtime::base::{self, BaseConfig};
use rwd_runtime::evaluate_learned;
use rwd_sim::{PolicyNoise, Task, TaskConfig};

const EVALUATION_SEED: u64 = 777;

#[test]
fn a_clone_of_the_oracle_succeeds_in_closed_loop() {
    let task = TaskConfig::new(Task::OrganizeToolbox);
    let mut config = BaseConfig::new(task);
    config.noise = PolicyNoise { scale: 0.0 };
    let (net, report) = base::train(&config, |_| {}).expect("trains");
    let outcomes = evaluate_learned(&net, task, 100, EVALUATION_SEED).expect("evaluates");
    // Measured 97.5% (`rwd evaluate`, 200 episodes); the bar leaves room for libtorch's
    // arithmetic differing between machines.
    assert!(outcomes.success_rate() >= 0.8, "success {:.2} ({:?}); scores {:?}", outcomes.success_rate(), outcomes.by_label, report.scores);
}

#[test]
fn a_clone_of_the_noisy_controller_fails_the_way_it_does() {
    let task = TaskConfig::new(Task::PickTrash);
    let config = BaseConfig::new(task);
    assert_eq!(config.noise, PolicyNoise::default(), "the default clones the base policy, failures and all");
    let (net, _) = base::train(&config, |_| {}).expect("trains");
    let outcomes = evaluate_learned(&net, task, 100, EVALUATION_SEED).expect("evaluates");
    // Measured 65% success and 28% fallen cans (`rwd evaluate`, 200 episodes).
    let success = outcomes.success_rate();
    assert!((0.3..=0.9).contains(&success), "success {success:.2} ({:?})", outcomes.by_label);
    assert!(outcomes.rate("fallen_can") >= 0.1, "the controller's failure is inherited: {:?}", outcomes.by_label);
}
