//! The model-in-the-loop path: from a failure state to a compiled reward.
//!
//! A vision-language model looks at a failure state, reports it as a
//! [`descriptor::Descriptor`], and writes the reward. This module is the pure
//! part of that loop (no IO; the CLI's `synth`, `prompt`, `generate` and
//! `corpus` commands do the reading, writing and HTTP):
//!
//! - [`synth`]: a reward from a descriptor and stdlib templates, no model;
//! - [`reference`] and [`prompt`]: the request for a model, with a language
//!   reference generated from the grammar and the builtin registry;
//! - [`extract`]: the program in a model's reply;
//! - [`autofix`]: the replacements the compiler is certain of;
//! - [`repair`]: the loop as a state machine (reply in, next step out);
//! - [`corpus`]: how a set of model-style programs fares.

pub mod autofix;
pub mod corpus;
pub mod descriptor;
pub mod extract;
pub mod prompt;
pub mod reference;
pub mod repair;
pub mod scene;
pub mod synth;
