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

/// DAgger on the real simulator, one small round: the pairs come from the
/// scripted controller, and the network fits them.
#[test]
fn base_policy_rounds_collect_expert_labels_and_fit_them() {
    use rwd_runtime::base::{self, BaseConfig};
    use rwd_runtime::INPUT_DIM;
    use rwd_sim::{ACTION_DIM, PolicyNoise, Task, TaskConfig};
    let config = BaseConfig {
        task: TaskConfig::new(Task::OrganizeToolbox),
        episodes: 8,
        dagger_rounds: 1,
        seed: 3,
        noise: PolicyNoise::default(),
        bc: BcConfig { hidden: vec![64, 32], epochs: 5, batch_size: 256, learning_rate: 2e-3, validation_fraction: 0.1, seed: 1 },
    };
    let mut rounds = Vec::new();
    let net = base::train(&config, |r| rounds.push(r.clone())).expect("trains");
    assert_eq!(rounds.len(), 2);
    assert_eq!(net.spec.obs_dim, INPUT_DIM);
    assert_eq!(net.spec.act_dim, ACTION_DIM);
    // Round 0 is the expert's: its outcomes are the scripted policy's.
    assert_eq!(rounds[0].outcomes.episodes, 8);
    assert!(rounds[0].pairs > 8 * 50, "every step before the end is a pair: {}", rounds[0].pairs);
    assert!(rounds[1].pairs > rounds[0].pairs, "DAgger adds the network's states");
    let first = rounds[0].report.train_loss[0];
    let last = *rounds[1].report.train_loss.last().expect("epochs");
    assert!(last < first, "imitation loss falls: {first} -> {last}");
    // The features a residual policy would observe.
    let (_, features) = net.act(&vec![0.0; INPUT_DIM], 1).expect("acts");
    assert_eq!(features.len(), 32);
}
