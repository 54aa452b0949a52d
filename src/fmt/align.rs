//! The second pass of `rwd fmt`: column alignment, as gofmt does it.
//!
//! The printer (`mod.rs`) writes one space wherever a space goes; this pass
//! then widens some of those spaces so that, in a run of consecutive lines
//! at the same indentation (no blank line between):
//!
//! - members `name: Type` have their types in one column (scenes, `props`);
//! - bindings `name = expr`, `let name = expr` and `term name = expr` have
//!   their `=` in one column (checks, rewards; each form its own runs);
//! - clauses `hold`, `shape`, `done`, `bonus` have what follows the keyword
//!   in one column (stages);
//!
//! and then, in a run of consecutive lines at the same indentation that all
//! end with a `//` comment after code (no comment-only line between), the
//! comments start in one column.
//! A run has at least two aligned lines; comment-only lines at the same
//! indentation may sit between them (a comment on a clause does not split
//! its stage's column); a blank line or a line of another kind ends it.
//! Lines touched by a block comment that spans lines are left alone.
//!
//! Only spaces between two tokens on a line change, so the tokens and line
//! breaks are the printer's; and since the printer's output does not depend
//! on the input's spaces within a line, formatting stays idempotent.

use crate::syntax::lexer::{Spanned, Token, tokenize};

/// What a line is, for alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `name: Type`: pad before the type.
    Member,
    /// `name = expr`: pad before `=`.
    Binding,
    /// `let name = expr`: pad before `=`.
    Let,
    /// `term name = expr`: pad before `=`.
    Term,
    /// `hold x`, `shape x`, `done x`, `bonus x`: pad after the keyword.
    Clause,
    /// Code, then a `//` comment: pad before the comment.
    Commented,
}

/// One output line: where it starts, its indentation and its tokens.
struct Line {
    start: usize,
    indent: usize,
    tokens: Vec<Spanned>,
    /// False when a block comment spans into or out of it.
    alignable: bool,
}

/// Aligns `text`, the printer's output.
pub fn align(text: &str) -> String {
    let columns = align_with(text, kind_of);
    align_with(&columns, |line| trailing_comment(line).map(|pad| (Kind::Commented, pad)))
}

/// One alignment pass: `classify` names a line's kind and the index of the
/// token to move; runs of consecutive same-kind lines at the same indent
/// get that token at one column (one space past the widest text before it).
fn align_with(text: &str, classify: impl Fn(&Line) -> Option<(Kind, usize)>) -> String {
    let lines = lines_of(text);
    // Per line: its kind and the index of the token that moves.
    let marks: Vec<Option<(Kind, usize)>> = lines.iter().map(|l| if l.alignable { classify(l) } else { None }).collect();
    // Byte offset in `text` -> extra spaces to insert there.
    let mut inserts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((kind, _)) = marks[i] else {
            i += 1;
            continue;
        };
        // The run: lines of this kind at this indent, through comment-only
        // lines at the same indent (a comment on a clause does not split
        // its stage's column).
        let same_indent = |n: usize| lines[n].indent == lines[i].indent;
        let mut j = i + 1;
        let mut end = j;
        let through_comments = kind != Kind::Commented;
        while j < lines.len() && same_indent(j) && (marks[j].is_some_and(|(k, _)| k == kind) || (through_comments && comment_only(&lines[j]))) {
            j += 1;
            if marks[j - 1].is_some() {
                end = j;
            }
        }
        let j = end;
        let members: Vec<usize> = (i..j).filter(|&n| marks[n].is_some()).collect();
        if members.len() >= 2 {
            // The column of the moved token: one past the widest text before it.
            let width = |n: usize| {
                let (line, (_, pad)) = (&lines[n], marks[n].unwrap_or((kind, 0)));
                line.tokens[pad - 1].end - line.start + 1
            };
            let column = members.iter().map(|&n| width(n)).max().unwrap_or(0);
            for &n in &members {
                let (line, (_, pad)) = (&lines[n], marks[n].unwrap_or((kind, 0)));
                let at = line.tokens[pad].start;
                let now = at - line.start;
                if column > now {
                    inserts.push((at, column - now));
                }
            }
        }
        i = j;
    }
    let mut out = String::with_capacity(text.len() + inserts.iter().map(|(_, n)| n).sum::<usize>());
    let mut from = 0;
    for (at, spaces) in inserts {
        out.push_str(&text[from..at]);
        out.extend(std::iter::repeat_n(' ', spaces));
        from = at;
    }
    out.push_str(&text[from..]);
    out
}

/// The text's lines with their tokens (newlines dropped).
fn lines_of(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        let indent = piece.len() - piece.trim_start_matches(' ').len();
        lines.push(Line { start, indent, tokens: Vec::new(), alignable: true });
        start += piece.len();
    }
    let line_at = |offset: usize| lines.partition_point(|l: &Line| l.start <= offset).saturating_sub(1);
    let mut placed: Vec<(usize, usize, Spanned)> = Vec::new();
    for tok in tokenize(text).into_iter().filter(|t| t.token != Token::Newline) {
        let (first, last) = (line_at(tok.start), line_at(tok.end.saturating_sub(1).max(tok.start)));
        placed.push((first, last, tok));
    }
    for (first, last, tok) in placed {
        if first != last {
            for line in &mut lines[first..=last] {
                line.alignable = false;
            }
        }
        lines[first].tokens.push(tok);
    }
    lines
}

/// A line's alignment kind and the index of the token that moves.
fn kind_of(line: &Line) -> Option<(Kind, usize)> {
    let t = &line.tokens;
    let spaced = |k: usize| t.get(k).zip(t.get(k - 1)).is_some_and(|(b, a)| b.start > a.end);
    match (t.first()?.token, t.get(1)?.token) {
        (Token::Ident, Token::Colon) if t.len() >= 3 && spaced(2) => Some((Kind::Member, 2)),
        (Token::Ident, Token::Assign) if spaced(1) => Some((Kind::Binding, 1)),
        (Token::Let, Token::Ident) if t.get(2).is_some_and(|x| x.token == Token::Assign) && spaced(2) => Some((Kind::Let, 2)),
        (Token::Term, Token::Ident) if t.get(2).is_some_and(|x| x.token == Token::Assign) && spaced(2) => Some((Kind::Term, 2)),
        (Token::Hold | Token::Shape | Token::Done | Token::Bonus, _) if spaced(1) => Some((Kind::Clause, 1)),
        _ => None,
    }
}

/// A line of comments only (and not blank).
fn comment_only(line: &Line) -> bool {
    !line.tokens.is_empty() && line.tokens.iter().all(|t| matches!(t.token, Token::LineComment | Token::BlockComment))
}

/// The index of a `//` comment that ends a line after code.
fn trailing_comment(line: &Line) -> Option<usize> {
    let last = line.tokens.len().checked_sub(1)?;
    (last >= 1 && line.tokens[last].token == Token::LineComment).then_some(last)
}
