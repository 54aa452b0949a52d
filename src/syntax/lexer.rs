//! The `.rwd` token stream: every token of `grammar/rwd.pest`, comments and
//! newlines included.
//!
//! The pest grammar is the source of truth for what a program *means*; this
//! lexer exists for the tools that must see what the parser throws away:
//! the formatter (`rwd fmt`) needs comments and line breaks, the limits guard
//! ([`super::limits`]) needs a cheap flat scan before pest recurses, and
//! `rwd fmt --color` needs token classes.
//!
//! Rules, matching the grammar:
//! - Spaces, tabs and carriage returns are skipped. Everything else is a token:
//!   [`tokenize`] covers every other byte of the source, in order.
//! - `\n` is a [`Token::Newline`], one per line break.
//! - `// ...` (up to, not including, the `\n`) is a [`Token::LineComment`];
//!   `/* ... */` (not nested, may span lines) is a [`Token::BlockComment`].
//! - Keywords are whole words: `scenes` is an identifier, `scene` a keyword.
//!   `steps` (in `for 5 steps`) is *not* a keyword, as in the grammar.
//! - A number is `digits ("." digits)? ([eE] [+-]? digits)?`. A unit
//!   (`mm cm ms m deg rad s`) directly after a number, with no space and not
//!   followed by another identifier character, is a [`Token::Unit`]: `2cm` is
//!   `Number Unit`, `5 s` is `Number Ident`, `5steps` is `Number Ident`.
//! - A string is `"` ... `"` on one line with no `\` inside (the grammar has no
//!   escape sequences).
//! - Anything else (a stray character, an unterminated string or block
//!   comment) is a [`Token::Error`]; [`describe_error`] says why.

use logos::{Lexer, Logos};

/// One token of the `.rwd` language. Spans live in [`Spanned`]; the token
/// itself carries no text so it stays `Copy`.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r]+")]
pub enum Token {
    // ------------------------------------------------------------- keywords
    #[token("scene")]
    Scene,
    #[token("failure")]
    Failure,
    #[token("reward")]
    Reward,
    #[token("stages")]
    Stages,
    #[token("stage")]
    Stage,
    #[token("shape")]
    Shape,
    #[token("done")]
    Done,
    #[token("bonus")]
    Bonus,
    #[token("hold")]
    Hold,
    #[token("else")]
    Else,
    #[token("penalty")]
    Penalty,
    #[token("when")]
    When,
    #[token("success")]
    Success,
    #[token("fn")]
    Fn,
    #[token("check")]
    Check,
    #[token("on")]
    On,
    #[token("use")]
    Use,
    #[token("let")]
    Let,
    #[token("if")]
    If,
    #[token("then")]
    Then,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("for")]
    For,
    #[token("props")]
    Props,
    #[token("term")]
    Term,
    #[token("include")]
    Include,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,

    // ------------------------------------------------------------- literals
    /// ASCII identifier: `[A-Za-z_][A-Za-z0-9_]*`, not a keyword.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    /// `2`, `0.5`, `1.5e-3`; a glued unit is a separate [`Token::Unit`].
    #[regex(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")]
    Number,
    /// A unit glued to the number before it. Never produced by logos itself:
    /// [`tokenize`] retypes an identifier that is a unit name and touches the
    /// preceding number (logos has no look-behind).
    Unit,
    /// `"..."` on one line, no backslash.
    #[token("\"", string_literal)]
    String,

    // ------------------------------------------------------------- trivia
    #[regex(r"//[^\n]*", allow_greedy = true)]
    LineComment,
    #[token("/*", block_comment)]
    BlockComment,
    #[token("\n")]
    Newline,

    // ---------------------------------------------------------- punctuation
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    /// `=` (declarations); `==` is [`Token::EqEq`].
    #[token("=")]
    Assign,
    #[token("->")]
    Arrow,
    #[token(";")]
    Semi,

    // ------------------------------------------------------------ operators
    #[token("||")]
    OrOr,
    #[token("&&")]
    AndAnd,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<=")]
    Le,
    #[token(">=")]
    Ge,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("!")]
    Bang,

    /// Bytes that are no token: a stray character, an unterminated string or
    /// block comment. Never produced by logos itself: [`tokenize`] maps logos
    /// errors to it.
    Error,
}

/// Callback after an opening `"`: accept up to the closing `"` on the same
/// line. A backslash makes the whole literal an error (the grammar has no
/// escapes); we still consume up to the closing quote so the rest of the
/// literal is not lexed as code. A missing quote consumes to the end of line.
fn string_literal(lex: &mut Lexer<Token>) -> bool {
    let rest = lex.remainder();
    let line_len = rest.find('\n').unwrap_or(rest.len());
    let line = &rest[..line_len];
    match line.find(['"', '\\']) {
        Some(i) if line.as_bytes()[i] == b'"' => {
            lex.bump(i + 1);
            true
        }
        Some(_) => {
            // Backslash: the literal is invalid; swallow it through its quote.
            let end = line.find('"').map_or(line_len, |q| q + 1);
            lex.bump(end);
            false
        }
        None => {
            lex.bump(line_len);
            false
        }
    }
}

/// Callback after `/*`: accept through the first `*/` (comments do not nest,
/// as in the grammar). Unterminated: consume the rest of the source, so the
/// error token says "unterminated comment" once instead of lexing prose.
fn block_comment(lex: &mut Lexer<Token>) -> bool {
    let rest = lex.remainder();
    match rest.find("*/") {
        Some(i) => {
            lex.bump(i + 2);
            true
        }
        None => {
            lex.bump(rest.len());
            false
        }
    }
}

/// A token and its byte span `start..end` in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spanned {
    pub token: Token,
    pub start: usize,
    pub end: usize,
}

impl Spanned {
    /// The token's text. Spans from [`tokenize`] are always on char
    /// boundaries of the same source; for a foreign source this returns "".
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        src.get(self.start..self.end).unwrap_or("")
    }
}

/// The unit names a number may carry (`grammar/rwd.pest`, rule `unit`).
pub const UNITS: [&str; 7] = ["mm", "cm", "ms", "m", "deg", "rad", "s"];

/// Lex the whole source. Never panics. Every byte of `src` except skipped
/// spaces, tabs and carriage returns belongs to exactly one token; tokens are
/// in source order and non-overlapping. Adjacent unlexable bytes are merged
/// into one [`Token::Error`].
pub fn tokenize(src: &str) -> Vec<Spanned> {
    let mut out: Vec<Spanned> = Vec::new();
    // Offset of the current lexer's input within `src`: normally 0, moved
    // forward only when an error span had to be widened (see below).
    let mut offset = 0;
    let mut lex = Token::lexer(src);
    while let Some(result) = lex.next() {
        let span = lex.span();
        let token = result.unwrap_or(Token::Error);
        let raw_end = offset + span.end;
        // Never split a UTF-8 sequence: an error ends on a char boundary.
        let end = char_ceil(src, raw_end);
        push_token(&mut out, src, Spanned { token, start: offset + span.start, end });
        if end > raw_end {
            // A logos lexer cannot skip ahead, so restart after the char.
            offset = end;
            lex = relex_from(src, end);
        }
    }
    out
}

/// A fresh lexer over `src[offset..]` (offsets in its spans are relative).
fn relex_from(src: &str, offset: usize) -> Lexer<'_, Token> {
    Token::lexer(src.get(offset..).unwrap_or(""))
}

/// Smallest char boundary of `src` at or after `i` (clamped to `src.len()`).
fn char_ceil(src: &str, mut i: usize) -> usize {
    while i < src.len() && !src.is_char_boundary(i) {
        i += 1;
    }
    i.min(src.len())
}

/// Append a token, applying the two context rules logos cannot express:
/// an identifier that names a unit and touches a number becomes a `Unit`,
/// and adjacent error bytes merge into one `Error` token.
fn push_token(out: &mut Vec<Spanned>, src: &str, mut tok: Spanned) {
    if let Some(prev) = out.last_mut() {
        if tok.token == Token::Error && prev.token == Token::Error && prev.end == tok.start {
            prev.end = tok.end;
            return;
        }
        if tok.token == Token::Ident
            && prev.token == Token::Number
            && prev.end == tok.start
            && UNITS.contains(&tok.text(src))
        {
            tok.token = Token::Unit;
        }
    }
    out.push(tok);
}

/// Why an [`Token::Error`] token is an error, from its text.
pub fn describe_error(text: &str) -> String {
    if text.starts_with("/*") {
        return "unterminated block comment: `/*` has no closing `*/`".to_string();
    }
    if text.starts_with('"') {
        if text.contains('\\') {
            return "strings have no escape sequences: `\\` is not allowed in a string".to_string();
        }
        return "unterminated string: a string must close with `\"` on the same line".to_string();
    }
    match text.chars().next() {
        Some(c) if text.chars().count() == 1 => format!("unexpected character `{}`", c.escape_debug()),
        Some(_) => format!("unexpected characters `{}`", text.escape_debug()),
        None => "unexpected end of input".to_string(),
    }
}

/// Token classes for syntax highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Keyword,
    Ident,
    Number,
    Unit,
    String,
    Comment,
    Operator,
    Punct,
    /// Newlines (the only whitespace that is a token).
    Whitespace,
    Error,
}

impl Token {
    /// The highlighting class. The word operators `and`, `or`, `not` are
    /// keywords (they are spelled like words and reserved like them).
    pub fn class(self) -> Class {
        use Token::*;
        match self {
            Ident => Class::Ident,
            Number => Class::Number,
            Unit => Class::Unit,
            String => Class::String,
            LineComment | BlockComment => Class::Comment,
            Newline => Class::Whitespace,
            LBrace | RBrace | LParen | RParen | LBracket | RBracket | Comma | Colon | Dot | Semi => {
                Class::Punct
            }
            Assign | Arrow | OrOr | AndAnd | EqEq | NotEq | Le | Ge | Lt | Gt | Plus | Minus
            | Star | Slash | Bang => Class::Operator,
            Error => Class::Error,
            _ => Class::Keyword,
        }
    }

    /// A reserved word (including `true`, `false`, `and`, `or`, `not`).
    pub fn is_keyword(self) -> bool {
        self.class() == Class::Keyword
    }

    /// Comments and newlines: tokens the parser skips.
    pub fn is_trivia(self) -> bool {
        matches!(self, Token::LineComment | Token::BlockComment | Token::Newline)
    }

    /// A keyword that always begins a declaration or clause and never
    /// appears inside an expression: `scene failure reward stages stage shape
    /// bonus hold penalty success fn check use let term include props`.
    /// (`done` is not here: it also begins the expression `done(stage)`.)
    pub fn is_clause_keyword(self) -> bool {
        use Token::*;
        matches!(
            self,
            Scene | Failure | Reward | Stages | Stage | Shape | Bonus | Hold | Penalty | Success
                | Fn | Check | Use | Let | Term | Include | Props
        )
    }

    /// A token that can end an operand (`x`, `2`, `2cm`, `"s"`, `true`, `)`,
    /// `]`). After one of these a `-` is binary; elsewhere it is a prefix.
    pub fn ends_operand(self) -> bool {
        use Token::*;
        matches!(self, Ident | Number | Unit | String | True | False | RParen | RBracket)
    }

    /// Opening bracket `(`, `[` or `{`.
    pub fn is_open(self) -> bool {
        matches!(self, Token::LParen | Token::LBracket | Token::LBrace)
    }

    /// Closing bracket `)`, `]` or `}`.
    pub fn is_close(self) -> bool {
        matches!(self, Token::RParen | Token::RBracket | Token::RBrace)
    }

    /// The opening bracket this closing bracket matches.
    pub fn matching_open(self) -> Option<Token> {
        match self {
            Token::RParen => Some(Token::LParen),
            Token::RBracket => Some(Token::LBracket),
            Token::RBrace => Some(Token::LBrace),
            _ => None,
        }
    }
}

/// Is `tokens[i]` a prefix operator? `!` and `not` always are; `-` is when the
/// previous significant (non-trivia) token does not end an operand.
pub fn is_prefix_at(tokens: &[Spanned], i: usize) -> bool {
    match tokens.get(i).map(|t| t.token) {
        Some(Token::Bang | Token::Not) => true,
        Some(Token::Minus) => !prev_significant(tokens, i).is_some_and(Token::ends_operand),
        _ => false,
    }
}

/// The last non-trivia token before index `i`.
pub fn prev_significant(tokens: &[Spanned], i: usize) -> Option<Token> {
    tokens.get(..i)?.iter().rev().map(|t| t.token).find(|t| !t.is_trivia())
}

/// ANSI SGR code for a class, or `None` for uncoloured text.
fn ansi_code(class: Class) -> Option<&'static str> {
    match class {
        Class::Keyword => Some("1;35"),
        Class::Ident | Class::Punct | Class::Whitespace => None,
        Class::Number => Some("36"),
        Class::Unit => Some("34"),
        Class::String => Some("32"),
        Class::Comment => Some("90"),
        Class::Operator => Some("33"),
        Class::Error => Some("1;4;31"),
    }
}

/// The source with ANSI colours by token class (for `rwd fmt --color`).
/// Stripping the escapes gives back `src` byte for byte. A multi-line token
/// (block comment) is coloured line by line so each line is self-contained
/// for pagers.
pub fn highlight_ansi(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + src.len() / 2);
    let mut pos = 0;
    for tok in tokenize(src) {
        out.push_str(src.get(pos..tok.start).unwrap_or(""));
        let text = tok.text(src);
        match ansi_code(tok.token.class()) {
            None => out.push_str(text),
            Some(code) => push_coloured(&mut out, text, code),
        }
        pos = tok.end;
    }
    out.push_str(src.get(pos..).unwrap_or(""));
    out
}

/// Push `text` wrapped in `ESC[code m ... ESC[0m`, per line.
fn push_coloured(out: &mut String, text: &str, code: &str) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            out.push_str("\x1b[");
            out.push_str(code);
            out.push('m');
            out.push_str(line);
            out.push_str("\x1b[0m");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(token, text)` for every token of `src`.
    fn lex(src: &str) -> Vec<(Token, &str)> {
        tokenize(src).iter().map(|t| (t.token, t.text(src))).collect()
    }

    fn kinds(src: &str) -> Vec<Token> {
        tokenize(src).iter().map(|t| t.token).collect()
    }

    #[test]
    fn every_keyword_is_a_keyword_and_longer_words_are_identifiers() {
        let words = "scene failure reward stages stage shape done bonus hold else penalty when success fn \
                     check on use let if then true false for props term include and or not";
        for (tok, text) in lex(words) {
            assert!(tok.is_keyword(), "{text} lexed as {tok:?}");
            let longer = format!("{text}x");
            assert_eq!(lex(&longer), vec![(Token::Ident, longer.as_str())]);
        }
        assert_eq!(kinds("steps _x a_1 Scene"), vec![Token::Ident; 4]);
    }

    #[test]
    fn units_are_glued_only_to_a_touching_number() {
        use Token::*;
        assert_eq!(lex("2cm"), vec![(Number, "2"), (Unit, "cm")]);
        assert_eq!(lex("1.5e-3m"), vec![(Number, "1.5e-3"), (Unit, "m")]);
        assert_eq!(lex("15deg 2rad 3ms 4mm 5s"), {
            let mut v = Vec::new();
            for (n, u) in [("15", "deg"), ("2", "rad"), ("3", "ms"), ("4", "mm"), ("5", "s")] {
                v.push((Number, n));
                v.push((Unit, u));
            }
            v
        });
        assert_eq!(lex("5 s"), vec![(Number, "5"), (Ident, "s")]);
        assert_eq!(lex("5 steps"), vec![(Number, "5"), (Ident, "steps")]);
        assert_eq!(lex("5steps"), vec![(Number, "5"), (Ident, "steps")]);
        assert_eq!(lex("5sx"), vec![(Number, "5"), (Ident, "sx")]);
        assert_eq!(lex("x cm"), vec![(Ident, "x"), (Ident, "cm")]);
    }

    #[test]
    fn number_forms_follow_the_grammar() {
        use Token::*;
        assert_eq!(lex("1e5"), vec![(Number, "1e5")]);
        assert_eq!(lex("2.5E+2"), vec![(Number, "2.5E+2")]);
        // An incomplete fraction or exponent is not part of the number.
        assert_eq!(lex("1."), vec![(Number, "1"), (Dot, ".")]);
        assert_eq!(lex("1.x"), vec![(Number, "1"), (Dot, "."), (Ident, "x")]);
        assert_eq!(lex("2e"), vec![(Number, "2"), (Ident, "e")]);
        assert_eq!(lex("2e+"), vec![(Number, "2"), (Ident, "e"), (Plus, "+")]);
    }

    #[test]
    fn comments_newlines_and_operators_are_tokens() {
        use Token::*;
        assert_eq!(
            lex("a // c \n/* b\n */ ->!=!-"),
            vec![
                (Ident, "a"),
                (LineComment, "// c "),
                (Newline, "\n"),
                (BlockComment, "/* b\n */"),
                (Arrow, "->"),
                (NotEq, "!="),
                (Bang, "!"),
                (Minus, "-"),
            ]
        );
        assert_eq!(
            kinds("{}()[],:.=;||&&==<=>=<>+*/"),
            vec![
                LBrace, RBrace, LParen, RParen, LBracket, RBracket, Comma, Colon, Dot, Assign, Semi, OrOr,
                AndAnd, EqEq, Le, Ge, Lt, Gt, Plus, Star, Slash
            ]
        );
        assert_eq!(kinds("a\r\n\tb"), vec![Ident, Newline, Ident]);
    }

    #[test]
    fn strings_have_no_escapes_and_end_on_their_line() {
        use Token::*;
        assert_eq!(lex(r#""a b" x"#), vec![(String, r#""a b""#), (Ident, "x")]);
        assert_eq!(lex("\"a\nb"), vec![(Error, "\"a"), (Newline, "\n"), (Ident, "b")]);
        assert_eq!(lex(r#""a\"b" x"#), vec![(Error, r#""a\""#), (Ident, "b"), (Error, "\" x")]);
        assert!(describe_error("\"a\\\"").contains("no escape"));
        assert!(describe_error("\"a").starts_with("unterminated string"));
    }

    #[test]
    fn errors_merge_and_respect_char_boundaries() {
        use Token::*;
        assert_eq!(lex("é@ x ü"), vec![(Error, "é@"), (Ident, "x"), (Error, "ü")]);
        assert_eq!(describe_error("é@"), "unexpected characters `é@`");
        assert_eq!(describe_error("@"), "unexpected character `@`");
        assert_eq!(lex("/* open"), vec![(Error, "/* open")]);
        assert!(describe_error("/* open").starts_with("unterminated block comment"));
    }

    #[test]
    fn prefix_minus_depends_on_the_previous_significant_token() {
        let src = "a - -b // c\n - (x) - !y";
        let toks = tokenize(src);
        let prefix: Vec<bool> = (0..toks.len()).map(|i| is_prefix_at(&toks, i)).collect();
        let marked: Vec<(&str, bool)> = toks.iter().map(|t| t.text(src)).zip(prefix).collect();
        assert_eq!(
            marked,
            vec![
                ("a", false),
                ("-", false),
                ("-", true),
                ("b", false),
                ("// c", false),
                ("\n", false),
                ("-", false), // after `b`, across the comment: binary
                ("(", false),
                ("x", false),
                (")", false),
                ("-", false),
                ("!", true),
                ("y", false),
            ]
        );
    }

    #[test]
    fn classes() {
        assert_eq!(Token::Stage.class(), Class::Keyword);
        assert_eq!(Token::Not.class(), Class::Keyword);
        assert_eq!(Token::Unit.class(), Class::Unit);
        assert_eq!(Token::Arrow.class(), Class::Operator);
        assert_eq!(Token::Colon.class(), Class::Punct);
        assert_eq!(Token::BlockComment.class(), Class::Comment);
        assert_eq!(Token::Newline.class(), Class::Whitespace);
    }

    #[test]
    fn highlighting_only_adds_escapes() {
        let src = "scene s { // hi\n  a: A } /* x\ny */ 2cm \"s\" @";
        let out = highlight_ansi(src);
        assert!(out.contains("\x1b[1;35mscene\x1b[0m"));
        assert!(out.contains("\x1b[36m2\x1b[0m\x1b[34mcm\x1b[0m"));
        assert!(out.contains("\x1b[90m/* x\x1b[0m\n\x1b[90my */\x1b[0m"));
        let mut plain = std::string::String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find('\x1b') {
            plain.push_str(&rest[..i]);
            let after = &rest[i..];
            let m = after.find('m').expect("escape ends with m");
            rest = &after[m + 1..];
        }
        plain.push_str(rest);
        assert_eq!(plain, src);
    }
}
