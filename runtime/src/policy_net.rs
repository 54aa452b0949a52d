//! A small MLP policy: normalised observation -> hidden layers -> action.
//! Its last hidden layer's activations are the "VLA features" a residual
//! policy observes (the frozen base policy's representation of the scene).
//!
//! A network may carry a second output layer, the failure head of AFIL's
//! dual action generators (see [`crate::afil`]): it predicts what the
//! policy did in episodes that failed, and acting steers away from it.

use std::sync::{Mutex, MutexGuard};

use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

use crate::error::RuntimeError;

/// The shape of a policy network: what a checkpoint must agree with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NetSpec {
    pub obs_dim: usize,
    pub act_dim: usize,
    pub hidden: Vec<usize>,
    /// A failure head beside the action head (AFIL). Absent in checkpoints
    /// written before it existed, which have none.
    #[serde(default)]
    pub failure_head: bool,
}

impl NetSpec {
    pub fn validate(&self) -> Result<(), RuntimeError> {
        let positive = |field, value: usize| {
            if value == 0 {
                Err(RuntimeError::Config { field, problem: "must be at least 1".into() })
            } else {
                Ok(())
            }
        };
        positive("obs_dim", self.obs_dim)?;
        positive("act_dim", self.act_dim)?;
        if self.hidden.is_empty() {
            return Err(RuntimeError::Config { field: "hidden", problem: "needs at least one layer".into() });
        }
        for &width in &self.hidden {
            positive("hidden", width)?;
        }
        Ok(())
    }

    pub fn feature_dim(&self) -> usize {
        self.hidden.last().copied().unwrap_or(0)
    }
}

/// The network and its variables. The observation mean and scale are
/// variables too (not trained), so a checkpoint carries its normalisation.
pub struct PolicyNet {
    pub spec: NetSpec,
    pub vs: nn::VarStore,
    obs_mean: Tensor,
    obs_scale: Tensor,
    hidden: Vec<nn::Linear>,
    head: nn::Linear,
    failure_head: Option<nn::Linear>,
    /// AFIL's guidance scale: how far acting steers away from the failure
    /// head where the two heads disagree (0: the action head alone).
    guidance: f64,
}

/// libtorch's random generator is one per process: a seeded run is only
/// reproducible if nothing else draws from it meanwhile. Everything here
/// that draws (weight initialisation, minibatch order) holds this lock.
static TORCH_RNG: Mutex<()> = Mutex::new(());

pub(crate) fn lock_rng() -> MutexGuard<'static, ()> {
    // A panic while holding the lock leaves no broken state behind.
    TORCH_RNG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl PolicyNet {
    /// A freshly initialised network.
    pub fn new(spec: NetSpec) -> Result<PolicyNet, RuntimeError> {
        let _rng = lock_rng();
        PolicyNet::new_with_rng_held(spec)
    }

    pub(crate) fn new_with_rng_held(spec: NetSpec) -> Result<PolicyNet, RuntimeError> {
        spec.validate()?;
        let vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let obs_dim = spec.obs_dim as i64;
        // Normalisation is data, not a parameter: saved, never trained.
        let obs_mean = root.zeros_no_train("obs_mean", &[obs_dim]);
        let obs_scale = root.ones_no_train("obs_scale", &[obs_dim]);
        let mut hidden = Vec::with_capacity(spec.hidden.len());
        let mut width_in = obs_dim;
        for (i, &width) in spec.hidden.iter().enumerate() {
            hidden.push(nn::linear(&root / format!("hidden{i}"), width_in, width as i64, Default::default()));
            width_in = width as i64;
        }
        let head = nn::linear(&root / "head", width_in, spec.act_dim as i64, Default::default());
        let failure_head =
            spec.failure_head.then(|| nn::linear(&root / "failure_head", width_in, spec.act_dim as i64, Default::default()));
        Ok(PolicyNet { spec, vs, obs_mean, obs_scale, hidden, head, failure_head, guidance: 0.0 })
    }

    /// Sets the observation normalisation from a batch (`n x obs_dim`).
    pub fn fit_normalisation(&mut self, obs: &Tensor) {
        let mean = obs.mean_dim(0, false, Kind::Float);
        // A floor on the scale: a feature that (almost) never varies in the
        // demonstrations (an untouched box's orientation) must not turn a
        // small change at run time into a huge input.
        let std = obs.std_dim(0, false, false).clamp_min(0.05);
        tch::no_grad(|| {
            self.obs_mean.copy_(&mean);
            self.obs_scale.copy_(&std.reciprocal());
        });
    }

    /// Multiplies the output layer's weights and bias by `factor`: a small
    /// factor makes a fresh network's outputs close to zero.
    pub fn scale_head(&mut self, factor: f64) {
        tch::no_grad(|| {
            let ws = &self.head.ws * factor;
            self.head.ws.copy_(&ws);
            if let Some(bs) = self.head.bs.as_mut() {
                let scaled = &*bs * factor;
                bs.copy_(&scaled);
            }
        });
    }

    /// Hidden activations of the last layer (`n x feature_dim`).
    pub fn features(&self, obs: &Tensor) -> Tensor {
        let mut x = (obs - &self.obs_mean) * &self.obs_scale;
        for layer in &self.hidden {
            x = layer.forward(&x).tanh();
        }
        x
    }

    /// Actions and the last hidden layer's activations.
    pub fn forward_with_features(&self, obs: &Tensor) -> (Tensor, Tensor) {
        let features = self.features(obs);
        (self.head.forward(&features), features)
    }

    /// Actions (`n x act_dim`), unclipped: the action head alone.
    pub fn forward(&self, obs: &Tensor) -> Tensor {
        self.head.forward(&self.features(obs))
    }

    /// The failure head's actions, if the network has one.
    pub fn forward_failure(&self, obs: &Tensor) -> Option<Tensor> {
        self.failure_head.as_ref().map(|head| head.forward(&self.features(obs)))
    }

    pub fn guidance(&self) -> f64 {
        self.guidance
    }

    /// Sets the guidance scale (finite, at least 0); it only matters for a
    /// network with a failure head.
    pub fn set_guidance(&mut self, guidance: f64) -> Result<(), RuntimeError> {
        check_guidance(guidance)?;
        self.guidance = guidance;
        Ok(())
    }

    /// The action acting takes from the last hidden layer: the action head,
    /// steered by the failure head when there is one (AFIL's sampling):
    /// `a = s + w (s - f)` with `w = guidance * (1 - cos(s, f)) / 2` per
    /// row, so where the heads agree the action is the action head's, and
    /// the more they point apart the further it moves away from failure.
    fn guided(&self, features: &Tensor) -> Tensor {
        let success = self.head.forward(features);
        match &self.failure_head {
            Some(failure_head) if self.guidance > 0.0 => {
                let failure = failure_head.forward(features);
                let weight = disagreement(&success, &failure).unsqueeze(1) * self.guidance;
                &success + weight * (&success - failure)
            }
            _ => success,
        }
    }

    /// Checked batch inference on plain buffers: `obs` is `n x obs_dim`
    /// row-major; returns `n x act_dim` actions (guided, see
    /// [`Self::guided`]) and `n x feature_dim` features.
    pub fn act(&self, obs: &[f32], n: usize) -> Result<(Vec<f32>, Vec<f32>), RuntimeError> {
        let input = batch_tensor("observation batch", obs, n, self.spec.obs_dim)?;
        let (actions, features) = tch::no_grad(|| {
            let features = self.features(&input);
            (self.guided(&features), features)
        });
        Ok((flat(&actions)?, flat(&features)?))
    }

    /// Copies every variable `source` has into this network's variable of
    /// the same name and shape (a base network into an AFIL one, whose
    /// failure head is the only variable the base lacks).
    pub fn copy_from(&mut self, source: &PolicyNet) -> Result<(), RuntimeError> {
        let mine = self.vs.variables();
        tch::no_grad(|| {
            for (name, value) in source.vs.variables() {
                let Some(target) = mine.get(&name) else {
                    return Err(RuntimeError::Config { field: "policy", problem: format!("no variable `{name}` to copy into") });
                };
                if target.size() != value.size() {
                    return Err(RuntimeError::Config {
                        field: "policy",
                        problem: format!("variable `{name}` is {:?} here, {:?} in the source", target.size(), value.size()),
                    });
                }
                let mut target = target.shallow_clone();
                target.copy_(&value);
            }
            Ok(())
        })
    }

    /// Sets the failure head's weights to the action head's: an AFIL
    /// network starts with heads that agree everywhere (no guidance).
    pub fn failure_head_from_action_head(&mut self) {
        let Some(failure) = self.failure_head.as_mut() else { return };
        tch::no_grad(|| {
            failure.ws.copy_(&self.head.ws);
            if let (Some(fb), Some(hb)) = (failure.bs.as_mut(), self.head.bs.as_ref()) {
                fb.copy_(hb);
            }
        });
    }
}

/// A guidance scale a network can act with: finite and at least 0.
pub fn check_guidance(guidance: f64) -> Result<(), RuntimeError> {
    if guidance >= 0.0 && guidance.is_finite() {
        Ok(())
    } else {
        Err(RuntimeError::Config { field: "guidance", problem: format!("must be a finite number >= 0, got {guidance}") })
    }
}

/// AFIL's guidance weight per unit of scale, one per row of the two heads'
/// actions: `(1 - cos(s, f)) / 2`, 0 where they point the same way, 1
/// where they point opposite ways.
pub fn disagreement(success: &Tensor, failure: &Tensor) -> Tensor {
    (1.0 - Tensor::cosine_similarity(success, failure, 1, 1e-8)) / 2.0
}

/// The best-scored copy of a network's weights so far, for keeping the
/// weights an outside measure (closed-loop success) likes best. Ties go to
/// the later offer; a NaN score never wins.
pub(crate) struct BestWeights {
    store: PolicyNet,
    score: f64,
    at: Option<usize>,
}

impl BestWeights {
    /// `store` receives the copies: it must have the same variables as every
    /// network offered.
    pub(crate) fn new(store: PolicyNet) -> BestWeights {
        BestWeights { store, score: f64::NEG_INFINITY, at: None }
    }

    /// Keeps `net`'s weights if `score` is at least the best so far.
    pub(crate) fn offer(&mut self, net: &PolicyNet, score: f64, at: usize) -> Result<(), RuntimeError> {
        if score >= self.score {
            self.store.vs.copy(&net.vs)?;
            (self.score, self.at) = (score, Some(at));
        }
        Ok(())
    }

    /// The kept network, when one was kept: (network, where it was offered, its score).
    pub(crate) fn into_kept(self) -> Option<(PolicyNet, usize, f64)> {
        let BestWeights { store, score, at } = self;
        at.map(|at| (store, at, score))
    }
}

/// A `n x dim` tensor from a row-major buffer, rejecting wrong lengths and
/// non-finite values (they would poison every gradient).
pub fn batch_tensor(what: &'static str, data: &[f32], n: usize, dim: usize) -> Result<Tensor, RuntimeError> {
    let expected = n.checked_mul(dim).ok_or(RuntimeError::Shape { what, expected: usize::MAX, got: data.len() })?;
    if data.len() != expected {
        return Err(RuntimeError::Shape { what, expected, got: data.len() });
    }
    if let Some(index) = data.iter().position(|v| !v.is_finite()) {
        return Err(RuntimeError::NonFinite { what, index });
    }
    Ok(Tensor::from_slice(data).view([n as i64, dim as i64]))
}

pub fn flat(t: &Tensor) -> Result<Vec<f32>, RuntimeError> {
    Ok(Vec::<f32>::try_from(&t.flatten(0, -1))?)
}
