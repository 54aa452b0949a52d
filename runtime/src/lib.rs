//! rwd's training runtime: the learned stand-in for a VLA base policy
//! (behaviour cloning on the simulator's scripted demonstrations) and the
//! checkpoints it writes. This is the only crate that links libtorch; the
//! compiler crate never sees it, and the simulator (`rwd-sim`) is pure Rust.
//!
//! Everything here runs on the CPU.

pub mod afil;
pub mod base;
pub mod bc;
pub mod checkpoint;
pub mod error;
pub mod policy_net;
pub mod ppo;
pub mod rollout;

pub use bc::{BcConfig, BcReport, Demonstrations};
pub use error::RuntimeError;
pub use policy_net::{NetSpec, PolicyNet};
pub use rollout::{BaseInputs, INPUT_DIM, evaluate_learned, evaluate_scripted};
pub use rwd_sim::Outcomes;
