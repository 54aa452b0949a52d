//! Behaviour cloning: fit a policy network to (observation, expert action)
//! pairs from the scripted controller. The result is the learned stand-in
//! for a fine-tuned VLA: it imitates the controller, failure modes and all.

use tch::nn::OptimizerConfig;
use tch::{Kind, Reduction, Tensor, nn};

use crate::error::RuntimeError;
use crate::policy_net::{BestWeights, NetSpec, PolicyNet, batch_tensor};

/// Demonstration pairs, row-major.
#[derive(Debug, Clone, Default)]
pub struct Demonstrations {
    pub obs_dim: usize,
    pub act_dim: usize,
    pub obs: Vec<f32>,
    pub actions: Vec<f32>,
}

impl Demonstrations {
    pub fn new(obs_dim: usize, act_dim: usize) -> Demonstrations {
        Demonstrations { obs_dim, act_dim, obs: Vec::new(), actions: Vec::new() }
    }

    pub fn len(&self) -> usize {
        if self.obs_dim == 0 { 0 } else { self.obs.len() / self.obs_dim }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one pair, checking both lengths.
    pub fn push(&mut self, obs: &[f32], action: &[f32]) -> Result<(), RuntimeError> {
        if obs.len() != self.obs_dim {
            return Err(RuntimeError::Shape { what: "demonstration observation", expected: self.obs_dim, got: obs.len() });
        }
        if action.len() != self.act_dim {
            return Err(RuntimeError::Shape { what: "demonstration action", expected: self.act_dim, got: action.len() });
        }
        self.obs.extend_from_slice(obs);
        self.actions.extend_from_slice(action);
        Ok(())
    }
}

/// Hyperparameters of behaviour cloning.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BcConfig {
    /// Hidden layer widths; the last one is the feature width.
    pub hidden: Vec<usize>,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Fraction of pairs held out to measure generalisation.
    pub validation_fraction: f64,
    /// Seeds libtorch's generator: initial weights and minibatch order.
    pub seed: i64,
}

impl Default for BcConfig {
    fn default() -> Self {
        BcConfig { hidden: vec![128, 64], epochs: 30, batch_size: 256, learning_rate: 2e-3, validation_fraction: 0.1, seed: 0 }
    }
}

/// Per-epoch mean squared errors, and the closed-loop scores when the
/// weights were selected by them.
#[derive(Debug, Clone, Default)]
pub struct BcReport {
    pub train_loss: Vec<f64>,
    pub validation_loss: Vec<f64>,
    /// (epoch, score) at every selection point.
    pub scores: Vec<(usize, f64)>,
    /// The epoch whose weights were kept (the last one without selection).
    pub kept_epoch: usize,
}

/// Keeps the weights that score best by a measure from outside the
/// training set, taken every `every` epochs and after the last one. A low
/// imitation loss does not make a good closed-loop policy (a small error
/// in the wrong state compounds over an episode), so the measure is
/// usually the success rate of rollouts.
pub struct Selection<'a> {
    pub every: usize,
    pub score: &'a mut dyn FnMut(usize, &PolicyNet) -> Result<f64, RuntimeError>,
}

impl Selection<'_> {
    /// Whether the weights are scored after `epoch` (0-based) of `epochs`.
    pub fn scores_after(every: usize, epoch: usize, epochs: usize) -> bool {
        every > 0 && ((epoch + 1) % every == 0 || epoch + 1 == epochs)
    }
}

/// Trains a new network on `demos`; `on_epoch(epoch, train, validation)`
/// reports progress. The weights of the last epoch are kept.
pub fn train(
    demos: &Demonstrations,
    config: &BcConfig,
    on_epoch: impl FnMut(usize, f64, f64),
) -> Result<(PolicyNet, BcReport), RuntimeError> {
    train_selected(demos, config, None, on_epoch)
}

/// [`train`], keeping the weights that `selection` scores best (ties go to
/// the later epoch).
pub fn train_selected(
    demos: &Demonstrations,
    config: &BcConfig,
    mut selection: Option<Selection<'_>>,
    mut on_epoch: impl FnMut(usize, f64, f64),
) -> Result<(PolicyNet, BcReport), RuntimeError> {
    if selection.as_ref().is_some_and(|s| s.every == 0) {
        return Err(RuntimeError::Config { field: "selection", problem: "must score every 1 or more epochs".into() });
    }
    if demos.len() < 2 {
        return Err(RuntimeError::Config { field: "demonstrations", problem: format!("need at least 2 pairs, got {}", demos.len()) });
    }
    if config.batch_size == 0 {
        return Err(RuntimeError::Config { field: "batch_size", problem: "must be at least 1".into() });
    }
    if !(0.0..0.9).contains(&config.validation_fraction) {
        return Err(RuntimeError::Config { field: "validation_fraction", problem: "must be in [0, 0.9)".into() });
    }
    if !(config.learning_rate > 0.0 && config.learning_rate.is_finite()) {
        return Err(RuntimeError::Config { field: "learning_rate", problem: "must be a positive number".into() });
    }
    let _rng = crate::policy_net::lock_rng();
    tch::manual_seed(config.seed);
    let n = demos.len();
    let obs = batch_tensor("demonstration observations", &demos.obs, n, demos.obs_dim)?;
    let actions = batch_tensor("demonstration actions", &demos.actions, n, demos.act_dim)?;

    let order = Tensor::randperm(n as i64, (Kind::Int64, tch::Device::Cpu));
    let n_val = ((n as f64 * config.validation_fraction) as i64).min(n as i64 - 1);
    let (val_idx, train_idx) = (order.narrow(0, 0, n_val), order.narrow(0, n_val, n as i64 - n_val));
    let (train_obs, train_act) = (obs.index_select(0, &train_idx), actions.index_select(0, &train_idx));
    let (val_obs, val_act) = (obs.index_select(0, &val_idx), actions.index_select(0, &val_idx));

    let spec = NetSpec { obs_dim: demos.obs_dim, act_dim: demos.act_dim, hidden: config.hidden.clone(), failure_head: false };
    let mut net = PolicyNet::new_with_rng_held(spec.clone())?;
    // Where the best weights so far are kept (made before training so the
    // generator's draws do not depend on when the first score comes).
    let mut best = match selection {
        Some(_) => Some(BestWeights::new(PolicyNet::new_with_rng_held(spec)?)),
        None => None,
    };
    net.fit_normalisation(&train_obs);
    let mut optimiser = nn::Adam::default().build(&net.vs, config.learning_rate)?;

    let n_train = train_obs.size()[0];
    let mut report = BcReport::default();
    for epoch in 0..config.epochs {
        let shuffle = Tensor::randperm(n_train, (Kind::Int64, tch::Device::Cpu));
        let (mut total, mut batches) = (0.0, 0usize);
        let mut start = 0;
        while start < n_train {
            let len = (config.batch_size as i64).min(n_train - start);
            let idx = shuffle.narrow(0, start, len);
            let predicted = net.forward(&train_obs.index_select(0, &idx));
            let loss = predicted.mse_loss(&train_act.index_select(0, &idx), Reduction::Mean);
            optimiser.backward_step(&loss);
            total += loss.double_value(&[]);
            batches += 1;
            start += len;
        }
        let train_loss = total / batches.max(1) as f64;
        let validation_loss = if n_val > 0 {
            tch::no_grad(|| net.forward(&val_obs).mse_loss(&val_act, Reduction::Mean).double_value(&[]))
        } else {
            f64::NAN
        };
        report.train_loss.push(train_loss);
        report.validation_loss.push(validation_loss);
        on_epoch(epoch, train_loss, validation_loss);
        report.kept_epoch = epoch;
        if let (Some(select), Some(best)) = (selection.as_mut(), best.as_mut()) {
            if Selection::scores_after(select.every, epoch, config.epochs) {
                let score = (select.score)(epoch, &net)?;
                report.scores.push((epoch, score));
                best.offer(&net, score, epoch)?;
            }
        }
    }
    // If no score won (all NaN), the last weights stay.
    match best.and_then(BestWeights::into_kept) {
        Some((kept, epoch, _)) => {
            report.kept_epoch = epoch;
            Ok((kept, report))
        }
        None => Ok((net, report)),
    }
}
