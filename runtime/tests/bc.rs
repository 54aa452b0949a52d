//! Behaviour cloning and checkpoints on synthetic data, where the answer is
//! known: the expert is a fixed nonlinear map.

use rwd_runtime::bc::{self, BcConfig, Demonstrations};
use rwd_runtime::checkpoint;

/// Expert: a = tanh(W x) for a fixed W, x in [-1, 1]^4.
fn demos(n: usize, seed: u64) -> Demonstrations {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 40) as f64 / (1u64 << 24) as f64) as f32 * 2.0 - 1.0
    };
    let w = [[0.8f32, -0.5, 0.3, 0.0], [0.1, 0.9, -0.7, 0.4]];
    let mut d = Demonstrations::new(4, 2);
    for _ in 0..n {
        let x: Vec<f32> = (0..4).map(|_| next()).collect();
        let a: Vec<f32> = w.iter().map(|row| row.iter().zip(&x).map(|(w, x)| w * x).sum::<f32>().tanh()).collect();
        d.push(&x, &a).expect("shapes match");
    }
    d
}

fn config() -> BcConfig {
    BcConfig { hidden: vec![32, 16], epochs: 40, batch_size: 64, learning_rate: 5e-3, validation_fraction: 0.2, seed: 7 }
}

#[test]
fn cloning_learns_the_expert_and_generalises() {
    let data = demos(2000, 1);
    let mut epochs = 0;
    let (net, report) = bc::train(&data, &config(), |_, _, _| epochs += 1).expect("trains");
    assert_eq!(epochs, 40);
    let first = report.validation_loss[0];
    let last = *report.validation_loss.last().expect("one epoch at least");
    assert!(last < 0.01, "validation MSE {last} should be below 0.01");
    assert!(last < first / 5.0, "validation loss {first} -> {last} should fall at least 5x");

    // On fresh states the learned policy acts like the expert.
    let fresh = demos(200, 99);
    let (actions, features) = net.act(&fresh.obs, 200).expect("inference");
    assert_eq!(features.len(), 200 * 16);
    let mse: f32 = actions.iter().zip(&fresh.actions).map(|(a, b)| (a - b) * (a - b)).sum::<f32>() / actions.len() as f32;
    assert!(mse < 0.01, "held-out MSE {mse}");
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let data = demos(500, 3);
    let cfg = BcConfig { epochs: 3, ..config() };
    let (a, _) = bc::train(&data, &cfg, |_, _, _| {}).expect("trains");
    let (b, _) = bc::train(&data, &cfg, |_, _, _| {}).expect("trains");
    let probe = demos(10, 5);
    assert_eq!(a.act(&probe.obs, 10).expect("act").0, b.act(&probe.obs, 10).expect("act").0);
}

#[test]
fn checkpoints_round_trip_and_reject_garbage() {
    let data = demos(300, 4);
    let (net, _) = bc::train(&data, &BcConfig { epochs: 2, ..config() }, |_, _, _| {}).expect("trains");
    let bytes = checkpoint::to_bytes(&net, "synthetic", "test").expect("serialises");
    let (loaded, header) = checkpoint::from_bytes(&bytes, "mem").expect("loads");
    assert_eq!(header.task, "synthetic");
    assert_eq!(header.spec, net.spec);
    let probe = demos(10, 6);
    // Normalisation travels with the weights: identical actions.
    assert_eq!(net.act(&probe.obs, 10).expect("act"), loaded.act(&probe.obs, 10).expect("act"));

    let err = checkpoint::from_bytes(b"hello", "bad.ckpt").err().expect("rejected");
    assert!(err.to_string().contains("bad.ckpt") && err.to_string().contains("magic"), "{err}");
    let truncated = &bytes[..bytes.len() / 2];
    let err = checkpoint::from_bytes(truncated, "half.ckpt").err().expect("rejected");
    assert!(err.to_string().contains("half.ckpt"), "{err}");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut d = Demonstrations::new(4, 2);
    assert!(d.push(&[0.0; 3], &[0.0; 2]).is_err());
    assert!(bc::train(&d, &config(), |_, _, _| {}).is_err(), "empty demonstrations");
    let data = demos(100, 8);
    let (net, _) = bc::train(&data, &BcConfig { epochs: 1, ..config() }, |_, _, _| {}).expect("trains");
    let err = net.act(&[0.0; 7], 2).err().expect("wrong length");
    assert!(err.to_string().contains("expected 8"), "{err}");
    let err = net.act(&[f32::NAN, 0.0, 0.0, 0.0], 1).err().expect("NaN");
    assert!(err.to_string().contains("not a finite number"), "{err}");
    assert!(bc::train(&data, &BcConfig { batch_size: 0, ..config() }, |_, _, _| {}).is_err());
}

/// Selection keeps the weights of the best-scored epoch, not the last.
#[test]
fn selection_keeps_the_best_scored_weights() {
    use rwd_runtime::bc::Selection;
    let data = demos(500, 8);
    let probe = demos(10, 9);
    let mut seen = Vec::new();
    // A score that peaks at epoch 4 (0-based 3), whatever the loss does.
    let mut score = |epoch: usize, net: &rwd_runtime::PolicyNet| {
        seen.push((epoch, net.act(&probe.obs, 10).expect("act").0));
        Ok(-((epoch as f64) - 3.0).powi(2))
    };
    let cfg = BcConfig { epochs: 8, ..config() };
    let (net, report) =
        bc::train_selected(&data, &cfg, Some(Selection { every: 2, score: &mut score }), |_, _, _| {}).expect("trains");
    assert_eq!(report.scores.iter().map(|s| s.0).collect::<Vec<_>>(), vec![1, 3, 5, 7]);
    assert_eq!(report.kept_epoch, 3);
    let kept = &seen.iter().find(|s| s.0 == 3).expect("scored").1;
    assert_eq!(&net.act(&probe.obs, 10).expect("act").0, kept, "the returned weights are epoch 4's");
    let last = &seen.last().expect("scored").1;
    assert_ne!(kept, last, "training moved on after the kept epoch");

    let mut never = |_: usize, _: &rwd_runtime::PolicyNet| Ok(0.0);
    let zero = Selection { every: 0, score: &mut never };
    let err = bc::train_selected(&data, &cfg, Some(zero), |_, _, _| {}).err().expect("rejected");
    assert!(err.to_string().contains("selection"), "{err}");
}

/// The whole pipeline on the real simulator, small: perturbed
/// demonstrations from the scripted controller, every epoch reported once,
/// scored epochs with their closed-loop success.
#[test]
fn base_policy_training_reports_demonstrations_and_scored_epochs() {
    use rwd_runtime::INPUT_DIM;
    use rwd_runtime::base::{self, BaseConfig, Progress};
    use rwd_sim::{ACTION_DIM, Task, TaskConfig};
    let mut config = BaseConfig::new(TaskConfig::new(Task::OrganizeToolbox));
    config.episodes = 8;
    config.seed = 3;
    config.bc = BcConfig { hidden: vec![64, 32], epochs: 4, ..config.bc };
    config.select_every = 2;
    config.selection_episodes = 4;
    let mut events = Vec::new();
    let (net, report) = base::train(&config, |p| events.push(p.clone())).expect("trains");
    let Some(Progress::Demonstrated { pairs, outcomes }) = events.first() else { panic!("demonstrations first: {events:?}") };
    assert_eq!(outcomes.episodes, 8);
    assert!(*pairs > 8 * 50, "every step before the end is a pair: {pairs}");
    let epochs: Vec<(usize, bool)> = events[1..]
        .iter()
        .map(|p| match p {
            Progress::Epoch { epoch, success, .. } => (*epoch, success.is_some()),
            other => panic!("only epochs after the demonstrations: {other:?}"),
        })
        .collect();
    assert_eq!(epochs, vec![(0, false), (1, true), (2, false), (3, true)]);
    assert!(report.kept_epoch == 1 || report.kept_epoch == 3);
    assert!(report.train_loss[3] < report.train_loss[0], "imitation loss falls: {:?}", report.train_loss);
    assert_eq!((net.spec.obs_dim, net.spec.act_dim), (INPUT_DIM, ACTION_DIM));
    // The features a residual policy would observe.
    let (_, features) = net.act(&vec![0.0; INPUT_DIM], 1).expect("acts");
    assert_eq!(features.len(), 32);

    let bad = BaseConfig { perturbation: 2.0, ..config.clone() };
    assert!(base::train(&bad, |_| {}).err().expect("rejected").to_string().contains("perturbation"));
    let bad = BaseConfig { episodes: 0, ..config };
    assert!(base::train(&bad, |_| {}).err().expect("rejected").to_string().contains("episodes"));
}
