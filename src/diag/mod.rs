//! Diagnostics as data.
//!
//! Every phase reports problems by pushing a [`Diagnostic`] (a stable [`Code`],
//! a message, labelled spans, help and an optional machine-applicable
//! [`Suggestion`]). Nothing here prints: [`render`] turns diagnostics into text
//! for people (miette) or JSON for a model, and it is the only place that does.

pub mod codes;
pub mod render;
pub mod suggest;

use crate::source::Span;
pub use codes::Code;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a short explanation shown next to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A replacement of the text at `span` by `replacement`.
///
/// `certain` means applying it is known to fix this diagnostic without
/// changing what the author meant (`and` -> `&&`); a guess from a "did you
/// mean" is not certain.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub span: Span,
    pub replacement: String,
    pub certain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The primary label: where the problem is.
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub suggestion: Option<Suggestion>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        let message = message.into();
        Diagnostic {
            code,
            severity: Severity::Error,
            primary: Label { span, message: String::new() },
            message,
            secondary: Vec::new(),
            help: None,
            suggestion: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, span, message) }
    }

    /// Text shown at the primary span.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_suggestion(mut self, span: Span, replacement: impl Into<String>, certain: bool) -> Diagnostic {
        self.suggestion = Some(Suggestion { span, replacement: replacement.into(), certain });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True if any diagnostic is an error (warnings do not stop compilation).
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}
