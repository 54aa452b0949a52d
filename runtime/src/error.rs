//! Errors of the runtime, as data: the CLI renders them.

use std::fmt;

#[derive(Debug)]
pub enum RuntimeError {
    /// A buffer's length does not match the shape it should have.
    Shape { what: &'static str, expected: usize, got: usize },
    /// A number that must be finite is not (an observation or an action).
    NonFinite { what: &'static str, index: usize },
    /// A configuration value is out of its range.
    Config { field: &'static str, problem: String },
    /// A checkpoint could not be written or read.
    Checkpoint { path: String, problem: String },
    /// libtorch reported an error.
    Torch(String),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Shape { what, expected, got } => {
                write!(f, "{what}: expected {expected} values, got {got}")
            }
            RuntimeError::NonFinite { what, index } => {
                write!(f, "{what}: value {index} is not a finite number")
            }
            RuntimeError::Config { field, problem } => write!(f, "configuration `{field}`: {problem}"),
            RuntimeError::Checkpoint { path, problem } => write!(f, "checkpoint {path}: {problem}"),
            RuntimeError::Torch(message) => write!(f, "libtorch: {message}"),
        }
    }
}

impl std::error::Error for RuntimeError {}

impl From<tch::TchError> for RuntimeError {
    fn from(error: tch::TchError) -> Self {
        RuntimeError::Torch(error.to_string())
    }
}
