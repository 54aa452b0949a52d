//! rwd: a declarative reward-specification language and its compiler.
//!
//! The pipeline (see ARCHITECTURE.md):
//! text -> [`syntax`] (limits, pest parse, AST) -> [`check`] (names, types,
//! units, reward-machine rules) -> [`ir`] (lowering, layout, ranges) ->
//! [`interp`] (the reference semantics).
//!
//! This crate is pure: no files, no terminals, no process exit. Source text
//! comes in as strings and everything goes out as data; [`diag::render`] is
//! the one place diagnostics become text. The `rwd` binary (src/main.rs and
//! src/cli/) is the only code that does IO.

pub mod bench;
pub mod builtins;
pub mod check;
pub mod diag;
pub mod fmt;
pub mod interp;
pub mod ir;
pub mod jit;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod types;
pub mod vlm;

use diag::{Code, Diagnostic};
use source::{FileId, SourceMap};
use syntax::ast::{File, Item};

/// The result of compiling one file: every diagnostic, and the programs if
/// there were no errors.
pub struct Compilation {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// Lowered programs (failures, rewards, checks), in file order; empty if
    /// any error was reported.
    pub programs: Vec<ir::Program>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        diag::has_errors(&self.diagnostics)
    }

    /// Picks a program by name, or the only one of an acceptable kind.
    pub fn select(&self, name: Option<&str>, kinds: &[check::hir::ProgramKind]) -> Result<&ir::Program, String> {
        let candidates: Vec<&ir::Program> = self.programs.iter().filter(|p| kinds.contains(&p.kind)).collect();
        let what = kinds.iter().map(|k| k.keyword()).collect::<Vec<_>>().join(" or ");
        match name {
            Some(n) => candidates.iter().copied().find(|p| p.name == n).ok_or_else(|| {
                let names: Vec<&str> = candidates.iter().map(|p| p.name.as_str()).collect();
                format!("no {what} named `{n}`; this file has: {}", if names.is_empty() { "none".into() } else { names.join(", ") })
            }),
            None => match candidates.as_slice() {
                [one] => Ok(one),
                [] => Err(format!("this file has no {what}")),
                many => Err(format!(
                    "this file has several programs ({}); choose one by name",
                    many.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                )),
            },
        }
    }
}

/// Compiles one source file: parse, check, lower. Never panics on any input.
pub fn compile(name: &str, text: &str) -> Compilation {
    let mut sources = SourceMap::new();
    let user_id = sources.add(name, text);
    let (user, mut diagnostics) = syntax::parser::parse(user_id, text);
    let (modules, mut module_diags) = load_modules(&user, &mut sources);
    diagnostics.append(&mut module_diags);
    let module_refs: Vec<check::Module<'_>> = modules.iter().map(|m| check::Module { items: &m.items }).collect();
    let texts: Vec<&str> = sources.files().map(|(_, f)| f.text.as_str()).collect();
    let (checked, mut check_diags) = check::check_with_text(&user.items, &module_refs, &texts);
    diagnostics.append(&mut check_diags);
    let mut programs = Vec::new();
    if !diag::has_errors(&diagnostics) {
        let (lowered, mut lower_diags) = ir::lower::lower(&checked);
        diagnostics.append(&mut lower_diags);
        if !diag::has_errors(&diagnostics) {
            programs = lowered;
        }
    }
    sort_diagnostics(&mut diagnostics);
    Compilation { sources, diagnostics, programs }
}

/// The stdlib modules, parsed once per process. Module `i` always has
/// `FileId(i + 1)` (the user's file is 0), so the cached trees' spans are
/// right in every compilation.
fn parsed_stdlib() -> &'static [(File, Vec<Diagnostic>)] {
    static CACHE: std::sync::OnceLock<Vec<(File, Vec<Diagnostic>)>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| {
        stdlib::MODULES.iter().enumerate().map(|(i, (_, _, text))| syntax::parser::parse(FileId(i as u32 + 1), text)).collect()
    })
}

/// The stdlib modules a file `use`s, and the ones they use in turn.
fn load_modules<'s>(user: &File, sources: &mut SourceMap) -> (Vec<&'s File>, Vec<Diagnostic>) {
    for (_, file_name, text) in stdlib::MODULES {
        sources.add(*file_name, *text);
    }
    let parsed = parsed_stdlib();
    let mut diags = Vec::new();
    let mut loaded: Vec<String> = Vec::new();
    let mut files = Vec::new();
    let mut queue: Vec<(syntax::ast::Name, FileId)> = uses(user);
    while let Some((name, _)) = queue.pop() {
        if loaded.contains(&name.text) {
            continue;
        }
        loaded.push(name.text.clone());
        match stdlib::MODULES.iter().position(|(n, _, _)| *n == name.text) {
            Some(i) => {
                let (file, d) = &parsed[i];
                diags.extend(d.iter().cloned());
                queue.extend(uses(file));
                files.push(file);
            }
            None => {
                let mut diag = Diagnostic::error(Code::UnknownModule, name.span, format!("unknown module `{}`", name.text)).label("not a stdlib module");
                let names = stdlib::MODULES.iter().map(|(n, _, _)| *n);
                if let Some(best) = diag::suggest::closest(&name.text, names) {
                    diag = diag.with_help(format!("did you mean `{best}`?")).with_suggestion(name.span, best, false);
                } else {
                    let all: Vec<&str> = stdlib::MODULES.iter().map(|(n, _, _)| *n).collect();
                    diag = diag.with_help(format!("the stdlib modules are: {}", all.join(", ")));
                }
                diags.push(diag);
            }
        }
    }
    (files, diags)
}

fn uses(file: &File) -> Vec<(syntax::ast::Name, FileId)> {
    file.items
        .iter()
        .filter_map(|i| match i {
            Item::Use(u) => Some((u.module.clone(), u.module.span.file)),
            _ => None,
        })
        .collect()
}

/// Diagnostics in source order (file, then position), errors before warnings at a tie.
fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| (d.primary.span.file.0, d.primary.span.start, d.severity != diag::Severity::Error));
}
