//! `rwd fmt`: the canonical layout of a `.rwd` program.
//!
//! The formatter works on the token stream of [`crate::syntax::lexer`], not on
//! the parse tree, so it keeps every comment and can format a program that
//! does not type-check (or even parse), as long as it tokenizes and its
//! brackets balance. It only changes whitespace: the tokens of the output are
//! the tokens of the input, in order (checked before returning; a trailing
//! space or tab at the end of a `//` comment is the one thing dropped).
//!
//! # Rules
//!
//! Terms: a token *ends an operand* if it is an identifier, number, unit,
//! string, `true`, `false`, `)` or `]`. The previous token *expects more* if
//! it is an operator, `=`, `->`, `:`, `.`, `(`, `[` or a keyword other than
//! `true`/`false` (not: an operand end, `{`, `}`, `,`, `;`, start of file).
//! Comments and newlines are never "previous significant tokens".
//!
//! Lines
//! - Indentation is 4 spaces per unclosed `{`, plus 4 on a continuation line.
//! - The user's line breaks are kept, with two exceptions: a newline before
//!   `{` is removed (`{` joins the previous line) unless that line ends with
//!   a `//` comment, `{` or `}`; and blank lines are normalised: a run of them
//!   becomes one, and none are kept at the start or end of the file, after a
//!   line whose last non-comment token is `{`, or before `}`.
//! - One declaration or clause per line. Outside `(`/`[`, a line break is
//!   inserted before
//!   - a keyword that always starts a declaration or clause (`scene failure
//!     reward stages stage shape bonus hold penalty success fn check use let
//!     term include props`), except right after `use`, whose module name
//!     may be one (`use stages`);
//!   - `done`, unless the previous token expects more (then it is the
//!     expression `done(stage)`);
//!   - an identifier after a token that ends an operand (two operands never
//!     touch inside an expression, so this is a new `name: Kind` or
//!     `name = ...` item), except `steps` in `for N steps`;
//!   - any token after a `,` or `;` (scene and props members).
//! - After `{` the line always breaks (the block's first item goes on the next
//!   line) unless `}` follows at once, which gives `{}`. Before and after `}`
//!   the line always breaks. After a `//` comment it breaks, necessarily.
//!   A comment on the same line as the token before it stays there.
//! - A line is a continuation line when:
//!   - it starts with `)` or `]`: only if another `(`/`[` is still open
//!     after it (so a call's closing `)` lines up with the call);
//!   - it starts with `{` or `}`: never;
//!   - otherwise it starts inside an open `(` or `[`: always;
//!   - otherwise, its first token is a comment, `done` or an identifier and
//!     the previous token expects more (`cube.z` on the line after
//!     `failure f =`), or it is `steps` after `for N`;
//!   - otherwise, its first token is not a declaration/clause keyword and is
//!     not the first token of the file (`&& b`, `+ 1`, `when c`, `else s`,
//!     `for 5 steps`, `then 1` on their own lines).
//! - The file ends with exactly one newline; an empty or blank file formats
//!   to the empty string.
//!
//! Spaces within a line (the first matching rule wins)
//! - One space before and after a comment (so a trailing comment has one
//!   space before it). Comments are kept verbatim.
//! - No space before `,`, `;`, `:`, `)`, `]` (so `f(a, b,)`).
//! - One space after `,`, `;`, `:`.
//! - No space after `(`/`[`; none between `{` and `}` of an empty block.
//! - A unit is glued to its number (`2cm`).
//! - A prefix `-` or `!` is glued to what follows (`-x`, `!held`, `a - -b`,
//!   `-(a)`). A `-` is a prefix when the previous token does not end an
//!   operand. `not` is a word: `not x`.
//! - `(` is glued to an identifier (`f(x)`, `include t(a)`, `fn f(x: T)`,
//!   `vec(3)`) and to `done` in `done(stage)`; elsewhere it has a space
//!   before it (`if (a)`, `when (b)`, `a + (b)`, the clause `done (x > 1)`).
//! - `[` is glued to a token that ends an operand, spaced otherwise.
//! - `.` is glued on the left to a token that ends an operand other than a
//!   number (`1 .5` must not become `1.5`), and on the right to an identifier.
//! - Everything else (binary operators, `=`, `->`, keywords, `{`, two
//!   operands) is separated by one space.
//! - Whatever the rules say, two tokens are glued only if the glued text lexes
//!   back to the same two tokens (so `! =` never becomes `!=`, `- >` never
//!   `->`).
//!
//! Columns (`align.rs`, a second pass over the printed text)
//! - In runs of consecutive lines at one indentation, the types of
//!   `name: Type` members, the `=` of `name = e`, `let name = e` and
//!   `term name = e`, what follows `hold`/`shape`/`done`/`bonus`, and
//!   trailing `//` comments each line up in one column (see `align.rs` for
//!   what makes a run).
//!
//! The layout is a function of the token sequence and of where its newlines
//! are, and the output keeps exactly the newlines the rules decided, so
//! formatting is idempotent: `format(format(x)) == format(x)`.

mod align;

use crate::syntax::lexer::{Spanned, Token, describe_error, tokenize};

/// Indentation per `{` level and per continuation.
const INDENT: &str = "    ";

/// Why a source could not be formatted: the byte span and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// Format a whole `.rwd` source (see the module doc for the rules).
///
/// # Errors
/// On the first token the lexer rejects, on the first unmatched, mismatched
/// or unclosed bracket, and (a bug guard that should never fire) if the
/// result would not have exactly the input's tokens.
pub fn format_source(src: &str) -> Result<String, FormatError> {
    let tokens = tokenize(src);
    check_tokens(src, &tokens)?;
    let mut printer = Printer::new(src);
    for tok in &tokens {
        printer.token(tok);
    }
    let out = align::align(&printer.finish());
    verify_same_tokens(src, &tokens, &out)?;
    Ok(out)
}

// ----------------------------------------------------------------- checking

/// Reject error tokens and unbalanced or mismatched brackets: formatting them
/// would guess at the program's structure.
fn check_tokens(src: &str, tokens: &[Spanned]) -> Result<(), FormatError> {
    let mut open: Vec<&Spanned> = Vec::new();
    for tok in tokens {
        if tok.token == Token::Error {
            return Err(error_at(tok, describe_error(tok.text(src))));
        }
        if tok.token.is_open() {
            open.push(tok);
        } else if let Some(want) = tok.token.matching_open() {
            match open.pop() {
                Some(o) if o.token == want => {}
                Some(o) => {
                    let msg = format!(
                        "mismatched `{}`: the innermost open bracket is `{}`",
                        tok.text(src),
                        o.text(src)
                    );
                    return Err(error_at(tok, msg));
                }
                None => return Err(error_at(tok, format!("unmatched `{}`", tok.text(src)))),
            }
        }
    }
    match open.pop() {
        Some(o) => Err(error_at(o, format!("unclosed `{}`", o.text(src)))),
        None => Ok(()),
    }
}

fn error_at(tok: &Spanned, message: String) -> FormatError {
    FormatError { start: tok.start, end: tok.end, message }
}

/// The text a token must keep through formatting. Line comments lose
/// trailing blanks (and the `\r` of a CRLF line end); all else is verbatim.
fn canonical_text<'s>(tok: &Spanned, src: &'s str) -> &'s str {
    let text = tok.text(src);
    match tok.token {
        Token::LineComment => text.trim_end_matches([' ', '\t', '\r']),
        _ => text,
    }
}

/// Bug guard: the output must have the input's tokens (newlines aside).
fn verify_same_tokens(src: &str, before: &[Spanned], out: &str) -> Result<(), FormatError> {
    let after = tokenize(out);
    let mut a = after.iter().filter(|t| t.token != Token::Newline);
    for b in before.iter().filter(|t| t.token != Token::Newline) {
        let same = a
            .next()
            .is_some_and(|x| x.token == b.token && canonical_text(x, out) == canonical_text(b, src));
        if !same {
            let msg = "internal formatter error: formatting would change this token; please report it".to_string();
            return Err(error_at(b, msg));
        }
    }
    match a.next() {
        Some(_) => Err(FormatError {
            start: src.len(),
            end: src.len(),
            message: "internal formatter error: formatting would add tokens; please report it".to_string(),
        }),
        None => Ok(()),
    }
}

// ----------------------------------------------------------------- printing

/// Where the next token goes relative to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Same line (with or without a space).
    SameLine,
    /// Start a new line.
    NewLine,
}

/// The last token written on the current output line.
#[derive(Debug, Clone, Copy)]
struct LineTail<'s> {
    token: Token,
    text: &'s str,
    /// A prefix `-` or `!`: glued to what follows.
    prefix: bool,
    /// An identifier, or `done` in `done(stage)`: glued to a following `(`.
    callee: bool,
}

/// Streaming printer: one call per token, in order; no recursion.
struct Printer<'s> {
    src: &'s str,
    out: String,
    /// Last token on the current output line; `None` before the first token.
    tail: Option<LineTail<'s>>,
    /// Last non-comment token on the current output line (blank-line rule).
    line_last_sig: Option<Token>,
    /// The two previous significant (non-trivia) tokens, most recent first.
    prev_sig: Option<Token>,
    prev_prev_sig: Option<Token>,
    /// Unclosed `{` and unclosed `(`/`[`.
    braces: usize,
    parens: usize,
    /// Newline tokens since the last written token.
    newlines: usize,
    /// The previous token was `{`, `}` or a `//` comment: break before the
    /// next (with the exceptions in [`Printer::place`]).
    force_break: bool,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str) -> Self {
        Printer {
            src,
            out: String::with_capacity(src.len() + src.len() / 8),
            tail: None,
            line_last_sig: None,
            prev_sig: None,
            prev_prev_sig: None,
            braces: 0,
            parens: 0,
            newlines: 0,
            force_break: false,
        }
    }

    /// Lay out one token.
    fn token(&mut self, tok: &Spanned) {
        if tok.token == Token::Newline {
            self.newlines += 1;
            return;
        }
        let text = canonical_text(tok, self.src);
        match self.tail {
            None => self.start_line(tok.token, false),
            Some(tail) => match self.place(tok.token) {
                Place::NewLine => self.start_line(tok.token, self.blank_line_before(tok.token)),
                Place::SameLine => {
                    if self.space_between(tail, tok.token, text) {
                        self.out.push(' ');
                    }
                }
            },
        }
        self.out.push_str(text);
        self.record(tok.token, text);
    }

    /// The finished text: exactly one trailing newline, or "" if no tokens.
    fn finish(mut self) -> String {
        if self.tail.is_some() {
            self.out.push('\n');
        }
        self.out
    }

    /// Same line or new line for `t`, given everything before it.
    fn place(&self, t: Token) -> Place {
        let tail = self.tail.map(|x| x.token);
        let line = |b: bool| if b { Place::NewLine } else { Place::SameLine };
        match t {
            // A comment stays where it was: trailing or on its own line.
            Token::LineComment | Token::BlockComment => line(self.newlines > 0),
            // `{}`: an empty block closes on the line that opened it.
            Token::RBrace => line(tail != Some(Token::LBrace)),
            // `{` joins the previous line unless a `//` comment ends it.
            Token::LBrace => line(self.force_break || tail == Some(Token::LineComment)),
            _ => line(self.force_break || self.newlines > 0 || self.splits_before(t)),
        }
    }

    /// One declaration or clause per line: must `t` start a new line even
    /// though the user wrote it on the same line as the previous token?
    fn splits_before(&self, t: Token) -> bool {
        if self.parens > 0 {
            return false;
        }
        // A module name may be a keyword: `use stages`.
        if self.prev_sig == Some(Token::Use) {
            return false;
        }
        if matches!(self.prev_sig, Some(Token::Comma | Token::Semi)) || t.is_clause_keyword() {
            return true;
        }
        match t {
            Token::Done => !self.expects_more(),
            Token::Ident => self.prev_sig.is_some_and(Token::ends_operand) && !self.is_steps_position(),
            _ => false,
        }
    }

    /// Does the previous significant token need something after it (an
    /// operator, `=`, `:`, `(`, most keywords), so the next token continues
    /// it? Not after an operand, `{`, `}`, `,`/`;` or at the start of the file.
    fn expects_more(&self) -> bool {
        match self.prev_sig {
            None => false,
            Some(p) => !(p.ends_operand() || matches!(p, Token::LBrace | Token::RBrace | Token::Comma | Token::Semi)),
        }
    }

    /// `steps` right after `for N` (the grammar's `for_steps`).
    fn is_steps_position(&self) -> bool {
        self.prev_sig == Some(Token::Number) && self.prev_prev_sig == Some(Token::For)
    }

    /// Is a line starting with `t` a continuation line (one extra indent)?
    fn is_continuation(&self, t: Token) -> bool {
        match t {
            Token::LBrace | Token::RBrace => false,
            Token::RParen | Token::RBracket => self.parens > 1,
            _ if self.parens > 0 => true,
            _ if self.prev_sig.is_none() => false,
            Token::LineComment | Token::BlockComment => self.expects_more(),
            _ if t.is_clause_keyword() => false,
            Token::Done => self.expects_more(),
            Token::Ident => self.expects_more() || self.is_steps_position(),
            _ => true,
        }
    }

    /// Keep one blank line before `t` if the user had at least one, except
    /// at the top of a block and before `}`.
    fn blank_line_before(&self, t: Token) -> bool {
        self.newlines >= 2 && t != Token::RBrace && self.line_last_sig != Some(Token::LBrace)
    }

    /// End the current line (if any) and indent for a line starting with `t`.
    fn start_line(&mut self, t: Token, blank: bool) {
        if self.tail.is_some() {
            self.out.push('\n');
            if blank {
                self.out.push('\n');
            }
        }
        let braces = if t == Token::RBrace { self.braces.saturating_sub(1) } else { self.braces };
        let levels = braces + usize::from(self.is_continuation(t));
        for _ in 0..levels {
            self.out.push_str(INDENT);
        }
        self.tail = None;
        self.line_last_sig = None;
    }

    /// Update the state after writing `t`.
    fn record(&mut self, t: Token, text: &'s str) {
        let prefix = t == Token::Bang || (t == Token::Minus && !self.prev_sig.is_some_and(Token::ends_operand));
        let callee = t == Token::Ident || (t == Token::Done && self.expects_more());
        self.tail = Some(LineTail { token: t, text, prefix, callee });
        self.newlines = 0;
        self.force_break = matches!(t, Token::LBrace | Token::RBrace | Token::LineComment);
        match t {
            Token::LBrace => self.braces += 1,
            Token::RBrace => self.braces = self.braces.saturating_sub(1),
            Token::LParen | Token::LBracket => self.parens += 1,
            Token::RParen | Token::RBracket => self.parens = self.parens.saturating_sub(1),
            _ => {}
        }
        if !t.is_trivia() {
            self.line_last_sig = Some(t);
            self.prev_prev_sig = self.prev_sig;
            self.prev_sig = Some(t);
        }
    }

    /// A space between the line's last token and `t` (text `text`)?
    fn space_between(&self, tail: LineTail<'_>, t: Token, text: &str) -> bool {
        wants_space(tail, t) || !glue_safe(tail.token, tail.text, t, text)
    }
}

/// The spacing rules of the module doc, in order, for `a` then `b` on one line.
fn wants_space(a: LineTail<'_>, b: Token) -> bool {
    use Token::*;
    let punct_after = |t: Token| matches!(t, Comma | Semi | Colon);
    match (a.token, b) {
        (LineComment | BlockComment, _) | (_, LineComment | BlockComment) => true,
        (_, t) if punct_after(t) => false,
        (_, RParen | RBracket) => false,
        (t, _) if punct_after(t) => true,
        (LParen | LBracket, _) | (LBrace, RBrace) => false,
        (Number, Unit) => false,
        _ if a.prefix => false,
        (_, LParen) => !a.callee,
        (x, LBracket) => !x.ends_operand(),
        (Number, Dot) => true,
        (x, Dot) => !x.ends_operand(),
        (Dot, y) => y != Ident,
        _ => true,
    }
}

/// Would `a` and `b` written without a space lex back as the same two
/// tokens? (Identifier and unit are the same kind here: a unit is an
/// identifier that touches a number, which `a` alone cannot show.)
fn glue_safe(a: Token, a_text: &str, b: Token, b_text: &str) -> bool {
    let kind = |t: Token| if t == Token::Unit { Token::Ident } else { t };
    let glued = format!("{a_text}{b_text}");
    match tokenize(&glued).as_slice() {
        [x, y] => x.end == a_text.len() && kind(x.token) == kind(a) && kind(y.token) == kind(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::limits::check_limits;
    use std::path::{Path, PathBuf};

    fn fmt(src: &str) -> String {
        match format_source(src) {
            Ok(s) => s,
            Err(e) => panic!("format failed: {e:?}\n{src}"),
        }
    }

    fn inputs_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fmt_inputs")
    }

    /// `(input path, expected path)` for every `NAME.rwd` with a
    /// `NAME.expected.rwd` beside it.
    fn golden_pairs() -> Vec<(PathBuf, PathBuf)> {
        let mut pairs = Vec::new();
        let entries = std::fs::read_dir(inputs_dir()).expect("tests/fmt_inputs exists");
        for entry in entries {
            let path = entry.expect("readable dir entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
            if let Some(stem) = name.strip_suffix(".rwd").filter(|s| !s.ends_with(".expected")) {
                pairs.push((path.clone(), path.with_file_name(format!("{stem}.expected.rwd"))));
            }
        }
        pairs.sort();
        pairs
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Significant tokens as (kind, text), newlines dropped.
    fn meaning(src: &str) -> Vec<(Token, String)> {
        tokenize(src)
            .iter()
            .filter(|t| t.token != Token::Newline)
            .map(|t| (t.token, canonical_text(t, src).to_string()))
            .collect()
    }

    #[test]
    fn golden_files_format_to_their_expected_output() {
        let pairs = golden_pairs();
        assert!(pairs.len() >= 8, "only {} golden inputs", pairs.len());
        for (input, expected) in pairs {
            let got = fmt(&read(&input));
            let want = read(&expected);
            assert!(got == want, "{}:\n--- got ---\n{got}--- want ---\n{want}", input.display());
        }
    }

    #[test]
    fn formatting_is_idempotent_on_all_golden_files() {
        for (input, expected) in golden_pairs() {
            for path in [input, expected] {
                let once = fmt(&read(&path));
                assert_eq!(fmt(&once), once, "{}", path.display());
            }
        }
    }

    #[test]
    fn formatting_preserves_tokens_and_comments() {
        for (input, expected) in golden_pairs() {
            for path in [input, expected] {
                let src = read(&path);
                assert_eq!(meaning(&fmt(&src)), meaning(&src), "{}", path.display());
            }
        }
    }

    #[test]
    fn empty_and_blank_sources_format_to_nothing() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt(" \n\t\r\n\n"), "");
        assert_eq!(fmt("use a"), "use a\n");
        assert_eq!(fmt("\n\nuse a\n\n\n"), "use a\n");
    }

    #[test]
    fn error_tokens_are_refused_with_their_span() {
        let e = format_source("failure f = a @ b").unwrap_err();
        assert_eq!((e.start, e.end), (14, 15));
        assert_eq!(e.message, "unexpected character `@`");
        let e = format_source("let s = \"open\nx").unwrap_err();
        assert_eq!((e.start, e.end), (8, 13));
        assert!(e.message.starts_with("unterminated string"), "{}", e.message);
        let e = format_source("x /* never closed\n\n").unwrap_err();
        assert_eq!((e.start, e.end), (2, 19));
        assert!(e.message.starts_with("unterminated block comment"));
    }

    #[test]
    fn unbalanced_brackets_are_refused_with_their_span() {
        let e = format_source("scene s {\n  a: A\n").unwrap_err();
        assert_eq!((e.start, e.end, e.message.as_str()), (8, 9, "unclosed `{`"));
        let e = format_source("f(a))").unwrap_err();
        assert_eq!((e.start, e.end, e.message.as_str()), (4, 5, "unmatched `)`"));
        let e = format_source("{ f(a } )").unwrap_err();
        assert_eq!((e.start, e.end), (6, 7));
        assert_eq!(e.message, "mismatched `}`: the innermost open bracket is `(`");
    }

    #[test]
    fn glue_never_merges_tokens() {
        // `!` then `=` must not become `!=`; `-` then `>` must not become `->`.
        assert_eq!(fmt("x = ! = y"), "x = ! = y\n");
        assert_eq!(fmt("x = - > y"), "x = - > y\n");
        // A number before `.` stays apart so `1 .5` cannot become `1.5`.
        assert_eq!(fmt("x = 1 .5"), "x = 1 . 5\n");
        assert_eq!(fmt("x = a . b"), "x = a.b\n");
    }

    #[test]
    fn unary_and_binary_minus() {
        assert_eq!(fmt("x=a-b"), "x = a - b\n");
        assert_eq!(fmt("x=-a"), "x = -a\n");
        assert_eq!(fmt("x=f(- a,-b)- -c"), "x = f(-a, -b) - -c\n");
        assert_eq!(fmt("x=(a)-[b]"), "x = (a) - [b]\n");
        assert_eq!(fmt("x=not a"), "x = not a\n");
    }

    #[test]
    fn done_expression_versus_done_clause() {
        assert_eq!(fmt("stage s { done (a) }"), "stage s {\n    done (a)\n}\n");
        assert_eq!(fmt("success when done (a)"), "success when done(a)\n");
        assert_eq!(fmt("stage s { shape x done (a) }"), "stage s {\n    shape x\n    done  (a)\n}\n");
        assert_eq!(fmt("stage s { shape x + done (a) }"), "stage s {\n    shape x + done(a)\n}\n");
    }

    #[test]
    fn a_module_named_like_a_keyword_stays_on_its_use_line() {
        assert_eq!(fmt("use shaping\nuse stages"), "use shaping\nuse stages\n");
        assert_eq!(fmt("use stages use shaping"), "use stages\nuse shaping\n");
    }

    /// What ships is in the canonical layout: `rwd fmt --check` passes on
    /// every example, stdlib module and the docs' worked example.
    #[test]
    fn shipped_programs_are_formatted() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in ["examples", "stdlib", "docs/worked-example"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("directory exists") {
                let path = entry.expect("readable dir entry").path();
                if path.extension().is_some_and(|x| x == "rwd") {
                    let src = read(&path);
                    assert!(fmt(&src) == src, "{} is not formatted: run `rwd fmt --write` on it", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 8, "only {checked} shipped programs");
    }

    #[test]
    fn brace_placement() {
        assert_eq!(fmt("scene s\n\n{\n\n}"), "scene s {}\n");
        assert_eq!(fmt("scene s // c\n{ a: A }"), "scene s // c\n{\n    a: A\n}\n");
        assert_eq!(fmt("scene s { /* c */ }"), "scene s { /* c */\n}\n");
        assert_eq!(fmt("scene s {} scene t {}"), "scene s {}\nscene t {}\n");
    }

    // ------------------------------------------------------------- fuzzing

    /// xorshift64: deterministic, dependency-free pseudo-random numbers.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Every byte is in exactly one token or is a skipped space/tab/CR.
    fn assert_covers(src: &str) {
        let mut pos = 0;
        for t in tokenize(src) {
            assert!(t.start < t.end, "empty token {t:?} in {src:?}");
            let gap = src.get(pos..t.start).expect("gap on char boundaries");
            assert!(gap.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r')), "{src:?}: gap {gap:?}");
            assert!(src.get(t.start..t.end).is_some(), "token off char boundary");
            pos = t.end;
        }
        let tail = src.get(pos..).expect("tail on char boundary");
        assert!(tail.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r')), "{src:?}: tail {tail:?}");
    }

    #[test]
    fn fuzz_random_bytes_never_panic() {
        // Bytes drawn mostly from the language's own characters, sometimes
        // any byte (then made valid UTF-8 lossily: the tools take `&str`).
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz_ABCXYZ0123456789.eE+-*/!=<>&|(){}[],:;\"\\ \t\r\n";
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2000 {
            let len = rng.below(200);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(10) == 0 { rng.next() as u8 } else { ALPHABET[rng.below(ALPHABET.len())] }
                })
                .collect();
            let src = String::from_utf8_lossy(&bytes);
            assert_covers(&src);
            let _ = check_limits(&src);
            let _ = crate::syntax::lexer::highlight_ansi(&src);
            if let Ok(out) = format_source(&src) {
                assert_eq!(fmt(&out), out, "not idempotent on {src:?}");
            }
        }
    }

    #[test]
    fn fuzz_token_soup_formats_idempotently() {
        // Valid tokens in random order: most sequences tokenize and, when
        // brackets balance, must format idempotently and keep their tokens.
        const WORDS: &[&str] = &[
            "scene", "failure", "reward", "stages", "stage", "shape", "done", "bonus", "hold", "else",
            "penalty", "when", "success", "fn", "check", "on", "use", "let", "if", "then", "true",
            "false", "for", "props", "term", "include", "and", "or", "not", "steps", "x", "cube",
            "2", "1.5", "2cm", "15deg", "1e-3m", "\"s\"", "// c", "/* c */", "/* a\n b */", "(", ")",
            "(", ")", "[", "]", "{", "}", "{", "}", ",", ":", ".", "=", "->", ";", "||", "&&", "==",
            "!=", "<=", ">=", "<", ">", "+", "-", "-", "*", "/", "!", "!",
        ];
        const SEPS: &[&str] = &["", "", " ", " ", "\n", "\n\n", "\t", "\r\n"];
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut formatted = 0;
        for _ in 0..2000 {
            let mut src = String::new();
            for _ in 0..rng.below(40) {
                src.push_str(WORDS[rng.below(WORDS.len())]);
                src.push_str(SEPS[rng.below(SEPS.len())]);
            }
            let Ok(out) = format_source(&src) else { continue };
            formatted += 1;
            assert_eq!(meaning(&out), meaning(&src), "tokens changed: {src:?}");
            assert_eq!(fmt(&out), out, "not idempotent on {src:?}");
            assert!(out.is_empty() || (out.ends_with('\n') && !out.ends_with("\n\n")), "{out:?}");
        }
        assert!(formatted > 200, "only {formatted} soups formatted");
    }
}
