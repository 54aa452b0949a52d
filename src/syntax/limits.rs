//! Size and depth limits, checked on the flat token stream before pest runs.
//!
//! pest's generated parser and the recursive passes after it use one stack
//! frame (or several) per level of nesting, so adversarial input such as
//! `((((...))))` ten thousand deep, or `- - - ... x`, would overflow the
//! stack and abort the process instead of producing a diagnostic. This guard
//! is a single loop with no recursion, so it is safe on any input, and it
//! rejects such input with a span before anything recursive sees it.
//!
//! The limits (first violation in source order wins; the size check comes
//! first and does not lex):
//! - [`MAX_SOURCE_BYTES`]: the source is at most 1 MiB.
//! - [`MAX_NESTING`]: at most 64 levels of nesting, where a level is an
//!   unclosed `(`, `[` or `{`, or an `if` expression whose branches may still
//!   be open. An `if` counts from its keyword until the expression around it
//!   must have ended: at a `,`, `=` or `;`, at the bracket that closes its
//!   group, or at `when` or a keyword that starts a declaration or clause
//!   ([`Token::is_clause_keyword`]). This over-approximates real `if`
//!   depth only in odd code like `if if a then b else c then ...`, and
//!   never under-approximates it, so an `else if` chain of 10 000 links is
//!   caught.
//! - [`MAX_PREFIX_RUN`]: at most 32 prefix operators (`-`, `!`, `not`) in a
//!   row. A `-` is a prefix when the previous significant token does not end
//!   an operand (identifier, number, unit, string, `true`/`false`, `)`, `]`).
//!
//! Flat sequences are fine at any length: `1 + 1 + ... + 1` with 10 000 terms
//! passes, because pest matches `expr` as a repetition, not by recursion.
//! Unbalanced brackets and bad characters are not this module's business:
//! the parser reports them with better messages.

use crate::syntax::lexer::{Spanned, Token, tokenize};

/// Largest accepted source, in bytes (1 MiB).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Deepest accepted nesting of `(`, `[`, `{` and `if` expressions.
pub const MAX_NESTING: usize = 64;
/// Longest accepted run of consecutive prefix operators `-`, `!`, `not`.
pub const MAX_PREFIX_RUN: usize = 32;

/// A violated limit: the span of the offending token (byte offsets, on char
/// boundaries), what is wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub help: String,
}

/// Check every limit; return the first violation in source order.
///
/// # Errors
/// A [`LimitError`] spanning the offending token (for size: the first
/// character past [`MAX_SOURCE_BYTES`]).
pub fn check_limits(src: &str) -> Result<(), LimitError> {
    check_size(src)?;
    check_tokens(&tokenize(src))
}

/// The size limit. The span is the first character past the limit.
fn check_size(src: &str) -> Result<(), LimitError> {
    if src.len() <= MAX_SOURCE_BYTES {
        return Ok(());
    }
    let start = char_floor(src, MAX_SOURCE_BYTES);
    let end = src.get(start..).and_then(|s| s.chars().next()).map_or(start, |c| start + c.len_utf8());
    Err(LimitError {
        start,
        end,
        message: format!(
            "source is {} bytes, over the limit of {} bytes (1 MiB); rwd programs are small by design",
            src.len(),
            MAX_SOURCE_BYTES
        ),
        help: "split the program into modules with `use`, or check that this is the right file".to_string(),
    })
}

/// Largest char boundary of `src` at or before `i`.
fn char_floor(src: &str, mut i: usize) -> usize {
    i = i.min(src.len());
    while i > 0 && !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One bracket level (the root level has no bracket) and the `if`
/// expressions opened at this level that may still be open.
struct Frame {
    open_ifs: usize,
}

/// The scan state: one pass over the tokens, no recursion.
struct Scan {
    frames: Vec<Frame>,
    /// Current nesting: brackets (`frames.len() - 1`) plus all open ifs.
    depth: usize,
    /// Length of the current run of prefix operators.
    prefix_run: usize,
    /// The last non-trivia token, to tell prefix `-` from binary `-`.
    prev: Option<Token>,
}

/// The depth and prefix-run limits over a token stream.
fn check_tokens(tokens: &[Spanned]) -> Result<(), LimitError> {
    let mut scan = Scan { frames: vec![Frame { open_ifs: 0 }], depth: 0, prefix_run: 0, prev: None };
    for tok in tokens.iter().filter(|t| !t.token.is_trivia()) {
        scan.prefix(tok)?;
        scan.nesting(tok)?;
        scan.prev = Some(tok.token);
    }
    Ok(())
}

impl Scan {
    /// Count prefix operators in a row; fail on the one past the limit.
    fn prefix(&mut self, tok: &Spanned) -> Result<(), LimitError> {
        let is_prefix = match tok.token {
            Token::Bang | Token::Not => true,
            Token::Minus => !self.prev.is_some_and(Token::ends_operand),
            _ => false,
        };
        if !is_prefix {
            self.prefix_run = 0;
            return Ok(());
        }
        self.prefix_run += 1;
        if self.prefix_run <= MAX_PREFIX_RUN {
            return Ok(());
        }
        Err(LimitError {
            start: tok.start,
            end: tok.end,
            message: format!(
                "more than {MAX_PREFIX_RUN} prefix operators (`-`, `!`, `not`) in a row; rwd programs are flat by design"
            ),
            help: "`- -x` is `x` and `!!b` is `b`: simplify the expression".to_string(),
        })
    }

    /// Track bracket and `if` depth; fail on the token that exceeds it.
    fn nesting(&mut self, tok: &Spanned) -> Result<(), LimitError> {
        let t = tok.token;
        if t.is_open() {
            self.frames.push(Frame { open_ifs: 0 });
            self.depth += 1;
        } else if t.is_close() {
            // An unmatched closer is the parser's error; never pop the root.
            if self.frames.len() > 1 {
                self.end_ifs();
                self.frames.pop();
                self.depth = self.depth.saturating_sub(1);
            }
            return Ok(());
        } else if t == Token::If {
            if let Some(frame) = self.frames.last_mut() {
                frame.open_ifs += 1;
            }
            self.depth += 1;
        } else if ends_expressions(t) {
            self.end_ifs();
            return Ok(());
        } else {
            return Ok(());
        }
        if self.depth <= MAX_NESTING {
            return Ok(());
        }
        Err(nesting_error(tok))
    }

    /// Every `if` opened at the current level is over.
    fn end_ifs(&mut self) {
        if let Some(frame) = self.frames.last_mut() {
            self.depth = self.depth.saturating_sub(frame.open_ifs);
            frame.open_ifs = 0;
        }
    }
}

/// Tokens that end every expression at their bracket level: nothing of an
/// `if` before them can still be open after them.
fn ends_expressions(t: Token) -> bool {
    matches!(t, Token::Comma | Token::Assign | Token::Semi | Token::When) || t.is_clause_keyword()
}

fn nesting_error(tok: &Spanned) -> LimitError {
    let what = if tok.token == Token::If { "`if` expressions and brackets" } else { "brackets" };
    LimitError {
        start: tok.start,
        end: tok.end,
        message: format!(
            "nesting deeper than {MAX_NESTING} levels ({what}); rwd programs are flat by design"
        ),
        help: "name the inner parts with `let` or a `fn` instead of nesting them".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> LimitError {
        match check_limits(src) {
            Err(e) => e,
            Ok(()) => panic!("expected a limit error"),
        }
    }

    #[test]
    fn nesting_at_the_limit_passes() {
        let src = format!("failure f = {}x{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(check_limits(&src), Ok(()));
    }

    #[test]
    fn deep_parens_fail_at_the_bracket_past_the_limit() {
        let prefix = "failure f = ";
        let src = format!("{prefix}{}x{}", "(".repeat(10_000), ")".repeat(10_000));
        let e = err(&src);
        let at = prefix.len() + MAX_NESTING; // the 65th `(`
        assert_eq!((e.start, e.end), (at, at + 1));
        assert_eq!(&src[e.start..e.end], "(");
        assert!(e.message.contains("nesting deeper than 64 levels"), "{}", e.message);
        assert!(e.message.contains("flat by design"));
    }

    #[test]
    fn braces_and_brackets_count_together() {
        // 32 braces + 32 brackets = 64 passes; one more paren fails.
        let ok = format!("{}{}{}{}", "{".repeat(32), "[".repeat(32), "]".repeat(32), "}".repeat(32));
        assert_eq!(check_limits(&ok), Ok(()));
        let bad = format!("{}{}({}{}", "{".repeat(32), "[".repeat(32), "]".repeat(32), "}".repeat(32));
        let e = err(&bad);
        assert_eq!((e.start, e.end), (64, 65));
    }

    #[test]
    fn closed_brackets_do_not_accumulate() {
        let src = "failure f = (((x)))\n".repeat(10_000);
        assert_eq!(check_limits(&src), Ok(()));
    }

    #[test]
    fn else_if_chain_counts_as_nesting() {
        let mut src = String::from("term t = ");
        for _ in 0..100 {
            src.push_str("if a then 1 else ");
        }
        src.push('0');
        let e = err(&src);
        let at = "term t = ".len() + MAX_NESTING * "if a then 1 else ".len();
        assert_eq!((e.start, e.end), (at, at + 2));
        assert!(e.message.contains("`if`"));
    }

    #[test]
    fn sequential_ifs_do_not_accumulate() {
        // 100 outputs, each with its own `if`: `=` ends the previous one.
        let mut src = String::from("check c {\n");
        for i in 0..100 {
            src.push_str(&format!("  o{i} = if a then 1 else 0\n"));
        }
        src.push('}');
        assert_eq!(check_limits(&src), Ok(()));
        // Arguments are separated by `,`.
        let args = vec!["if a then 1 else 0"; 200].join(", ");
        assert_eq!(check_limits(&format!("fn f() = g({args})")), Ok(()));
    }

    #[test]
    fn long_prefix_run_fails_at_the_first_operator_past_the_limit() {
        let prefix = "failure f = ";
        let src = format!("{prefix}{}x", "-".repeat(1000));
        let e = err(&src);
        let at = prefix.len() + MAX_PREFIX_RUN;
        assert_eq!((e.start, e.end), (at, at + 1));
        assert!(e.message.contains("more than 32 prefix operators"), "{}", e.message);
    }

    #[test]
    fn mixed_prefix_words_count_and_32_pass() {
        let ok = format!("failure f = {}x", "- ! not ".repeat(10) + "- !");
        assert_eq!(check_limits(&ok), Ok(())); // 32 operators
        let bad = format!("failure f = {}x", "- ! not ".repeat(11));
        let e = err(&bad);
        // The 33rd operator is the 3rd of the 11th group: `not`.
        let at = "failure f = ".len() + 10 * "- ! not ".len() + "- ! ".len();
        assert_eq!((e.start, e.end), (at, at + 3));
        assert_eq!(&bad[e.start..e.end], "not");
    }

    #[test]
    fn binary_minus_is_not_a_prefix() {
        // `x - -y - -y ...`: alternating binary and prefix minus, runs of 1.
        let src = format!("failure f = x{}", " - -y".repeat(5_000));
        assert_eq!(check_limits(&src), Ok(()));
        // `a--...` after an operand: first `-` is binary, then 32 prefixes pass.
        let src = format!("failure f = a{}x", "-".repeat(33));
        assert_eq!(check_limits(&src), Ok(()));
        let src = format!("failure f = a{}x", "-".repeat(34));
        assert!(check_limits(&src).is_err());
    }

    #[test]
    fn comments_and_newlines_do_not_break_a_prefix_run() {
        let src = format!("failure f = {}x", "-\n// c\n".repeat(40));
        let e = err(&src);
        let at = "failure f = ".len() + 32 * "-\n// c\n".len();
        assert_eq!((e.start, e.end), (at, at + 1));
    }

    #[test]
    fn two_mib_source_fails_at_the_byte_past_the_limit() {
        let src = "x".repeat(2 << 20);
        let e = err(&src);
        assert_eq!((e.start, e.end), (MAX_SOURCE_BYTES, MAX_SOURCE_BYTES + 1));
        assert!(e.message.contains("2097152 bytes"), "{}", e.message);
        assert!(e.message.contains("1 MiB"));
    }

    #[test]
    fn size_error_span_is_on_char_boundaries() {
        // 'é' is 2 bytes; byte MAX_SOURCE_BYTES falls inside one.
        let src = format!("x{}", "é".repeat(MAX_SOURCE_BYTES / 2 + 1));
        let e = err(&src);
        assert_eq!((e.start, e.end), (MAX_SOURCE_BYTES - 1, MAX_SOURCE_BYTES + 1));
        assert_eq!(&src[e.start..e.end], "é");
    }

    #[test]
    fn exactly_one_mib_passes() {
        let src = format!("// {}", "x".repeat(MAX_SOURCE_BYTES - 3));
        assert_eq!(src.len(), MAX_SOURCE_BYTES);
        assert_eq!(check_limits(&src), Ok(()));
    }

    #[test]
    fn ten_thousand_term_flat_sum_passes() {
        let src = format!("failure f = {} > 0", vec!["1"; 10_000].join("+"));
        assert_eq!(check_limits(&src), Ok(()));
        let src = format!("failure f = {}", vec!["a.b"; 10_000].join(" && "));
        assert_eq!(check_limits(&src), Ok(()));
    }

    #[test]
    fn unbalanced_and_bad_input_is_left_to_the_parser() {
        for src in ["))))", "}}}{", "@@@", "\"open", "/* open", ""] {
            assert_eq!(check_limits(src), Ok(()), "{src:?}");
        }
    }
}
