//! The one place diagnostics become text: miette reports for people, JSON
//! for models and tools.

use super::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use std::fmt;

/// How to render human-readable reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unicode frames, ANSI colours (a terminal).
    Color,
    /// Unicode frames, no colours (snapshots, pipes).
    Plain,
}

/// Renders diagnostics for a person, one report after another.
pub fn render_human(diags: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let theme = match style {
        Style::Color => GraphicalTheme::unicode(),
        Style::Plain => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for diag in diags {
        if !drawable(diag, sources) {
            out.push_str(&render_without_snippet(diag, sources));
            continue;
        }
        let report = MietteReport::new(diag, sources);
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail in practice; fall back to the plain form.
            out.push_str(&render_without_snippet(diag, sources));
        }
    }
    out
}

/// The widest column miette can draw a label at: it pads with format
/// widths, which Rust limits to u16 (a wider one panics).
const MAX_DRAWN_COLUMN: usize = 60_000;

/// Whether miette can draw the source snippet of `diag`: every label starts
/// and ends at a column it can pad to.
fn drawable(diag: &Diagnostic, sources: &SourceMap) -> bool {
    let labels = std::iter::once(&diag.primary).chain(&diag.secondary);
    labels.filter(|l| l.span.file == diag.primary.span.file).all(|l| {
        let file = sources.get(l.span.file);
        [l.span.start, l.span.end].iter().all(|&at| file.line_col(at as usize).1 <= MAX_DRAWN_COLUMN)
    })
}

/// A diagnostic without its source snippet: `CODE: message`, the position,
/// the labels, help and suggestion, one per line.
fn render_without_snippet(diag: &Diagnostic, sources: &SourceMap) -> String {
    let at = |span: Span| {
        let file = sources.get(span.file);
        let (line, col) = file.line_col(span.start as usize);
        format!("{}:{line}:{col}", file.name)
    };
    let mut out = format!("{}: {}\n  --> {}\n", diag.code.as_str(), diag.message, at(diag.primary.span));
    if !diag.primary.message.is_empty() {
        out.push_str(&format!("  = {}\n", diag.primary.message));
    }
    for label in &diag.secondary {
        out.push_str(&format!("  = {}: {}\n", at(label.span), label.message));
    }
    if let Some(help) = &diag.help {
        out.push_str(&format!("  help: {}\n", help.replace('\n', "\n        ")));
    }
    if let Some(s) = &diag.suggestion {
        out.push_str(&format!("  help: {}\n", fix_text(s, sources)));
    }
    out
}

/// A suggestion in words: insert, remove or replace.
fn fix_text(s: &super::Suggestion, sources: &SourceMap) -> String {
    let shown = s.replacement.trim();
    if s.span.is_empty() {
        format!("insert `{shown}`")
    } else if s.replacement.is_empty() {
        format!("remove `{}`", sources.get(s.span.file).slice(s.span))
    } else {
        format!("replace with `{}`", s.replacement)
    }
}

/// Wraps a [`Diagnostic`] so miette can draw it.
struct MietteReport {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
}

impl MietteReport {
    fn new(diag: &Diagnostic, sources: &SourceMap) -> MietteReport {
        let file = sources.get(diag.primary.span.file);
        let mut labels = vec![labeled(diag.primary.span, &diag.primary.message, true)];
        let mut help = diag.help.clone();
        for label in &diag.secondary {
            if label.span.file == diag.primary.span.file {
                labels.push(labeled(label.span, &label.message, false));
            } else {
                // miette draws one source per report; mention the other file in the help.
                let other = sources.get(label.span.file);
                let (line, col) = other.line_col(label.span.start as usize);
                let note = format!("{} ({}:{}:{})", label.message, other.name, line, col);
                help = Some(match help {
                    Some(h) => format!("{h}\nnote: {note}"),
                    None => format!("note: {note}"),
                });
            }
        }
        if let Some(s) = &diag.suggestion {
            let fix = fix_text(s, sources);
            help = Some(match help {
                Some(h) => format!("{h}\n{fix}"),
                None => fix,
            });
        }
        MietteReport {
            code: diag.code.as_str(),
            severity: diag.severity,
            message: diag.message.clone(),
            help,
            source: NamedSource::new(file.name.clone(), file.text.clone()),
            labels,
        }
    }
}

fn labeled(span: Span, message: &str, primary: bool) -> LabeledSpan {
    let source_span = SourceSpan::from((span.start as usize, span.len()));
    let label = (!message.is_empty()).then(|| message.to_string());
    if primary {
        LabeledSpan::new_primary_with_span(label, source_span)
    } else {
        LabeledSpan::new_with_span(label, source_span)
    }
}

impl fmt::Debug for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A position in JSON output: byte range plus 1-based line/column of both ends.
#[derive(Debug, Serialize)]
pub struct JsonSpan {
    pub file: String,
    pub start: u32,
    pub end: u32,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// The source text under the span, so a model sees what it wrote.
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub message: String,
    pub span: JsonSpan,
}

#[derive(Debug, Serialize)]
pub struct JsonSuggestion {
    pub span: JsonSpan,
    pub replacement: String,
    pub certain: bool,
}

/// One diagnostic as JSON (`rwd check --format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: JsonSpan,
    pub line: usize,
    pub column: usize,
    pub labels: Vec<JsonLabel>,
    pub help: Option<String>,
    pub suggestion: Option<JsonSuggestion>,
    /// The source line containing the primary span, for context.
    pub excerpt: String,
}

pub fn json_span(span: Span, sources: &SourceMap) -> JsonSpan {
    let file = sources.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    let (end_line, end_column) = file.line_col(span.end as usize);
    JsonSpan {
        file: file.name.clone(),
        start: span.start,
        end: span.end,
        line,
        column,
        end_line,
        end_column,
        text: file.slice(span).to_string(),
    }
}

pub fn to_json(diag: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let span = json_span(diag.primary.span, sources);
    let file = sources.get(diag.primary.span.file);
    // By the line index, not `lines().nth()`: a file may have thousands of diagnostics.
    let excerpt = file.line_text(span.line).to_string();
    let mut labels = Vec::new();
    if !diag.primary.message.is_empty() {
        labels.push(JsonLabel { message: diag.primary.message.clone(), span: json_span(diag.primary.span, sources) });
    }
    labels.extend(
        diag.secondary.iter().map(|l| JsonLabel { message: l.message.clone(), span: json_span(l.span, sources) }),
    );
    JsonDiagnostic {
        code: diag.code.as_str(),
        severity: diag.severity,
        message: diag.message.clone(),
        line: span.line,
        column: span.column,
        span,
        labels,
        help: diag.help.clone(),
        suggestion: diag.suggestion.as_ref().map(|s| JsonSuggestion {
            span: json_span(s.span, sources),
            replacement: s.replacement.clone(),
            certain: s.certain,
        }),
        excerpt,
    }
}

/// All diagnostics as a JSON array (pretty-printed, stable field order).
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let all: Vec<JsonDiagnostic> = diags.iter().map(|d| to_json(d, sources)).collect();
    serde_json::to_string_pretty(&all).unwrap_or_else(|e| format!("[{{\"error\": \"{e}\"}}]"))
}
