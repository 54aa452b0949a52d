//! Why a scene could not be drawn. Every message names the offending body.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum RenderError {
    /// A coordinate is NaN or infinite.
    NonFinite {
        label: String,
        field: &'static str,
        index: usize,
        value: f64,
    },
    /// A body is finite but still undrawable (negative extent, zero quaternion).
    InvalidBody { label: String, problem: String },
    /// The requested image size is unusable.
    BadSize {
        width: u32,
        height: u32,
        reason: &'static str,
    },
    /// No bodies and no gripper: nothing to frame.
    EmptyScene,
    /// The PNG encoder failed (should not happen when writing to memory).
    Encode(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::NonFinite {
                label,
                field,
                index,
                value,
            } => {
                write!(
                    f,
                    "body '{label}': {field}[{index}] is {value}, not a finite number"
                )
            }
            RenderError::InvalidBody { label, problem } => write!(f, "body '{label}': {problem}"),
            RenderError::BadSize {
                width,
                height,
                reason,
            } => {
                write!(f, "image size {width}x{height}: {reason}")
            }
            RenderError::EmptyScene => write!(f, "empty scene: no bodies and no gripper to draw"),
            RenderError::Encode(message) => write!(f, "PNG encoding failed: {message}"),
        }
    }
}

impl std::error::Error for RenderError {}
