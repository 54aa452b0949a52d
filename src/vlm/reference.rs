//! The language reference a model gets in its prompt, generated from the
//! compiler's own sources: the grammar (its keyword rule and its expression
//! and declaration rules, verbatim), the builtin registry, the entity kinds,
//! types, units, verify_property's properties and the stdlib modules. So it
//! cannot drift from what the compiler accepts (tests check that every
//! builtin and every keyword appears).

use crate::builtins::reference::{UNIT_NAMES, type_gloss};
use crate::builtins::{BUILTINS, DERIVED_PROPERTIES, render_sig};
use crate::types::{Kind, Ty, Unit};
use std::fmt::Write;

/// The grammar, the one source of truth for syntax.
pub const GRAMMAR: &str = include_str!("../../grammar/rwd.pest");

/// The reserved words, read from the grammar's `keyword` rule. The rule
/// groups them by first letter, one group per line: `"s" ~ ("cene" | "tage")`
/// is `scene` and `stage`.
pub fn keywords() -> Vec<String> {
    let Some(start) = GRAMMAR.find("keyword = @{") else { return Vec::new() };
    let rule = &GRAMMAR[start..];
    let end = rule.find("~ !ident_char").unwrap_or(rule.len());
    let mut out = Vec::new();
    for line in rule[..end].lines() {
        let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        if let Some((first, rest)) = quoted.split_first() {
            if rest.is_empty() {
                out.push((*first).to_string());
            }
            out.extend(rest.iter().map(|r| format!("{first}{r}")));
        }
    }
    out
}

/// The grammar from its literals section on, comments included (they
/// explain the rules).
fn grammar_excerpt() -> &'static str {
    let start = GRAMMAR.find("// =================================================================== literals").unwrap_or(0);
    GRAMMAR[start..].trim_end()
}

/// The full reference text (markdown).
pub fn language_reference() -> String {
    let mut out = String::new();
    out.push_str(
        "# rwd: the language\n\n\
         rwd is a small declarative language for stage-gated recovery rewards of robot policies. \
         A file declares a `scene` (entities), a `failure` (a bool condition that detects the failure state) and a \
         `reward` (stages, each with a `done` gate, an optional `shape` in [0, 1], `bonus` and `hold ... else STAGE`), \
         plus optional `check`s, `fn`s and `stages` templates. It is NOT Python: no `and`/`or`/`not` (write `&&`, `||`, `!`), \
         no `True`/`False` (write `true`/`false`), no `**` (write `x * x` or `pow(x, y)`), no `elif` \
         (write `else if`), no `return`, no `#` comments (write `//`), no module prefixes (`np.`, `math.`: call `tanh(x)`, `clamp(x, lo, hi)`, `ln(x)`), \
         no statements: every body is expressions.\n\n",
    );
    out.push_str("## Rules that matter most\n\n");
    out.push_str(
        "- Units are glued to numbers: `2cm`, `15deg`, `0.5s` (`m cm mm rad deg s ms`). A bare number is dimensionless: \
         `distance(a, b) < 0.02` is an error, write `distance(a, b) < 2cm`. Only the literal `0` fits any dimension.\n\
         - Dimensions are checked: you cannot add a length to an angle; divide by a reference to get a plain number (`d / 10cm`).\n\
         - `==`/`!=` only on bools; compare numbers with a tolerance: `abs(a - b) < 1mm`.\n\
         - Shapes, bonuses, terms, penalties, success values are plain numbers; gates, holds and `when` are bools.\n\
         - `hold COND else STAGE` names an EARLIER stage. `done(STAGE)` only in `term`, `penalty`, `success`.\n\
         - A stage has exactly one `done` and at most one `shape`, `bonus`, `hold`. Stage names are unique per reward.\n\
         - Entities stand for their position, pose or box where a function expects one: `distance(gripper, cube)`.\n\
         - Shaping helpers (`reach`, `ramp`, ...) need `use shaping`; templates (`pick_up`, `place_in`, ...) need `use stages`.\n\
         - Only names of the scene, `let`s and parameters exist; copy the scene declaration you are given verbatim.\n\n",
    );

    let _ = writeln!(out, "## Reserved words\n\n{}\n", keywords().iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" "));
    out.push_str(
        "## Operators, high to low precedence\n\n\
         `e.field`; prefix `-`, `!`; `*`, `/`; `+`, `-`; `<`, `<=`, `>`, `>=`; `==`, `!=`; `&&`; `||`. \
         Also `if C then A else B` and `f(args)`.\n\n",
    );
    let _ = writeln!(out, "## Grammar (pest; `expr` is folded by the precedence above)\n\n```pest\n{}\n```\n", grammar_excerpt());

    out.push_str("## Units\n\n");
    for name in UNIT_NAMES {
        if let Some(u) = Unit::parse(name) {
            let _ = writeln!(out, "- `{name}`: {} (1 {name} = {} SI)", u.dim(), u.to_si());
        }
    }
    out.push('\n');

    out.push_str("## Types\n\n");
    for name in Ty::NAMES {
        let _ = writeln!(out, "- `{name}`: {}", type_gloss(name));
    }
    out.push('\n');

    out.push_str("## Entity kinds and their fields\n\n");
    for kind in Kind::ALL {
        let stored: Vec<String> = kind.stored_fields().iter().map(|f| format!("`{}`: {} ({})", f.name, f.ty, f.doc)).collect();
        let derived: Vec<String> = kind.derived_fields().iter().map(|f| format!("`{}`: {} ({})", f.name, f.ty, f.doc)).collect();
        let _ = writeln!(out, "### {}\n\n{}.\n", kind.name(), kind.doc());
        let _ = writeln!(out, "- stored: {}", stored.join("; "));
        if !derived.is_empty() {
            let _ = writeln!(out, "- derived: {}", derived.join("; "));
        }
        out.push('\n');
    }

    out.push_str("## Builtin functions\n\n");
    for b in BUILTINS {
        let sigs: Vec<String> = b.sigs.iter().map(|s| render_sig(b.name, s)).collect();
        let _ = writeln!(out, "- `{}`: {} Example: `{}`", sigs.join("` | `"), b.doc, b.example);
    }
    out.push_str("\nIn signatures, `Q` is one dimension shared by the parameters marked with it, `N` an integer literal 1..1024, `\"name\"` a string literal.\n\n");

    out.push_str("## Properties for `verify_property(e, \"name\")`\n\n");
    for (name, doc) in DERIVED_PROPERTIES {
        let _ = writeln!(out, "- `{name}`: {doc}");
    }
    out.push('\n');

    out.push_str("## Standard library (`use MODULE`)\n\n");
    for (name, _, text) in crate::stdlib::MODULES {
        let _ = writeln!(out, "### use {name}\n\n```rwd\n{}\n```\n", text.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_and_keyword_appears() {
        let r = language_reference();
        for b in BUILTINS {
            assert!(r.contains(&format!("`{}(", b.name)), "builtin `{}` missing from the reference", b.name);
        }
        let kws = keywords();
        assert_eq!(kws.len(), 29, "the keyword rule was not read right: {kws:?}");
        for kw in ["scene", "stages", "stage", "success", "for", "on", "or", "if", "include", "not"] {
            assert!(kws.iter().any(|k| k == kw), "`{kw}` missing from {kws:?}");
        }
        for kw in kws {
            assert!(r.contains(&format!("`{kw}`")), "keyword `{kw}` missing from the reference");
        }
        for kind in Kind::ALL {
            assert!(r.contains(&format!("### {}", kind.name())));
        }
        for u in UNIT_NAMES {
            assert!(r.contains(&format!("`{u}`")));
        }
    }

    #[test]
    fn keywords_are_the_documented_reserved_words() {
        let doc = include_str!("../../docs/language.md");
        let para = doc.split("**Reserved words**: `").nth(1).and_then(|r| r.split('`').next()).unwrap_or("");
        let mut documented: Vec<&str> = para.split_whitespace().collect();
        let mut read = keywords();
        documented.sort_unstable();
        read.sort_unstable();
        assert_eq!(read, documented);
    }

    #[test]
    fn keywords_are_the_lexer_s() {
        // Each keyword of the grammar is rejected as a name by the parser.
        for kw in keywords() {
            let src = format!("scene s {{ {kw}: Gripper }}");
            let (_, diags) = crate::syntax::parser::parse(crate::source::FileId(0), &src);
            assert!(!diags.is_empty(), "`{kw}` parsed as an entity name");
        }
    }
}
