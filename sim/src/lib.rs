//! rwd-sim: an embedded tabletop simulator for rwd's recovery tasks.
//!
//! A Fetch-like mobile manipulator (base, torso lift, TCP position, yaw and
//! pitch, parallel gripper) on a table with oriented-box bodies, containers,
//! a hinged lid and drawers. Physics is kinematic and quasi-static: fast,
//! deterministic from a seed, and consistent with rwd's builtins so that
//! compiled rwd programs judge the simulated state correctly.
//!
//! Code map:
//! - `rng`, `geom`: randomness and plain-array vector math.
//! - `world`: the state (`EnvState`, `Robot`, `Body`) and world constants.
//! - `tasks`: the four scenes, their layouts, success tests, variants.
//! - `physics`: one step of the world; the action layout.
//! - `policy`: the scripted base policy (VLA stand-in) and its failures.
//! - `vec_env`: N environments stepped together; `BasePolicy` over them.
//! - `obs`: the fixed-size policy observation.
//! - `observe`: observations in the layout a compiled rwd program asks for.
//! - `outcomes`: how a batch of episodes ended, by label.
//! - `view`: bodies and gripper for a renderer.

pub mod geom;
pub mod obs;
pub mod observe;
pub mod outcomes;
pub mod physics;
pub mod policy;
pub mod rng;
pub mod tasks;
pub mod vec_env;
pub mod view;
pub mod world;

pub use obs::POLICY_OBS_DIM;
pub use observe::{LayoutError, ObsPlan, ProgramLayout};
pub use outcomes::{Outcomes, outcome_label};
pub use physics::{ACTION_DIM, Action};
pub use policy::{PolicyNoise, PolicyState};
pub use tasks::{Task, Variant};
pub use vec_env::{BasePolicy, SimError, TaskConfig, VecEnv};
pub use world::{DT, EnvState};
