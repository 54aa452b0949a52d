//! Applying the replacements the compiler is certain of (`and` -> `&&`,
//! `True` -> `true`, ...) without asking a model, until none is left.

use crate::Compilation;
use crate::diag::Code;
use crate::source::FileId;

/// How many compile-and-fix passes at most: each pass fixes every
/// non-overlapping certain suggestion; a syntax error hides the errors
/// behind it, so a few passes can be needed.
pub const MAX_PASSES: usize = 8;

/// One replacement applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub code: Code,
    pub original: String,
    pub replacement: String,
}

/// The text after every certain fix, its compilation, and the fixes made.
pub struct Fixed {
    pub text: String,
    pub compilation: Compilation,
    pub applied: Vec<Applied>,
}

/// Compiles `text`, applies the certain suggestions in the user's file,
/// and repeats while that changes something.
pub fn apply_certain(name: &str, text: &str) -> Fixed {
    let mut text = text.to_string();
    let mut applied = Vec::new();
    let mut compilation = crate::compile(name, &text);
    for _ in 0..MAX_PASSES {
        let mut edits: Vec<(usize, usize, String, Code)> = compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .filter_map(|d| d.suggestion.as_ref().filter(|s| s.certain && s.span.file == FileId(0)).map(|s| (s, d.code)))
            .map(|(s, code)| (s.span.start as usize, s.span.end as usize, s.replacement.clone(), code))
            .collect();
        if edits.is_empty() {
            break;
        }
        // Apply from the end so earlier offsets stay valid; skip overlaps.
        edits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        // Several diagnostics may ask for the same edit (`use shaping` for
        // each stdlib call): make it once.
        edits.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
        let mut limit = usize::MAX;
        let mut changed = false;
        for (start, end, replacement, code) in edits {
            if end > limit || start > end || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            let original = text[start..end].to_string();
            if original == replacement {
                continue;
            }
            text.replace_range(start..end, &replacement);
            applied.push(Applied { code, original, replacement });
            limit = start;
            changed = true;
        }
        if !changed {
            break;
        }
        compilation = crate::compile(name, &text);
    }
    Fixed { text, compilation, applied }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_booleans_are_fixed_and_the_result_compiles() {
        let src = "scene s { g: Gripper  c: Object }\nfailure f = not g.grasp and True or False\n";
        let fixed = apply_certain("f.rwd", src);
        assert!(!fixed.compilation.has_errors(), "{}", fixed.text);
        assert_eq!(fixed.text, "scene s { g: Gripper  c: Object }\nfailure f = ! g.grasp && true || false\n");
        assert_eq!(fixed.applied.len(), 5);
    }

    #[test]
    fn one_missing_use_is_inserted_once() {
        let src = "scene s { g: Gripper  c: Object }\ncheck k {\n    a = reach(distance(g, c), 5)\n    b = ramp(g.opening, 0, 1)\n}\n";
        let fixed = apply_certain("f.rwd", src);
        assert!(!fixed.compilation.has_errors(), "{}", fixed.text);
        assert_eq!(fixed.text.matches("use shaping").count(), 1, "{}", fixed.text);
    }

    #[test]
    fn uncertain_guesses_are_left_alone() {
        let src = "scene s { g: Gripper  c: Object }\nfailure f = distnace(g, c) < 2cm\n";
        let fixed = apply_certain("f.rwd", src);
        assert!(fixed.applied.is_empty());
        assert!(fixed.compilation.has_errors());
    }
}
