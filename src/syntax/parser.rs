//! Text -> [`ast::File`]: the pest grammar plus a Pratt parser for operators.
//!
//! One `parse_<rule>` function per grammar rule. Syntax errors become
//! diagnostics with the expected rules named in words. Parsing is
//! item-by-item: after a syntax error the parser skips to the next top-level
//! keyword and carries on, so one file reports every broken item at once.

use super::ast::*;
use super::limits;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::types::Unit;
use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::cell::RefCell;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/rwd.pest"]
struct RwdGrammar;

/// Deepest operator tree accepted; deeper input gets E0002 (the recursive
/// passes after parsing must not overflow the stack on hostile input).
pub const MAX_EXPR_DEPTH: u32 = 256;

/// Parses one file. Always returns a tree (possibly partial) and the syntax errors.
pub fn parse(file: FileId, src: &str) -> (File, Vec<Diagnostic>) {
    if let Err(e) = limits::check_limits(src) {
        let span = Span::new(file, e.start, e.end);
        let diag = Diagnostic::error(Code::Limit, span, e.message).label("here").with_help(e.help);
        return (File::default(), vec![diag]);
    }
    let tokens = Tokens::new(src);
    let mut items = Vec::new();
    let mut diags = Vec::new();
    for (start, end) in item_chunks(src, &tokens) {
        let chunk = &src[start..end];
        match RwdGrammar::parse(Rule::file, chunk) {
            Ok(mut pairs) => {
                let builder = Builder { file, src, base: start, tokens: &tokens, diags: RefCell::new(Vec::new()), pratt: pratt() };
                if let Some(file_pair) = pairs.next() {
                    for pair in kids(file_pair) {
                        if pair.as_rule() != Rule::EOI {
                            items.push(builder.item(pair));
                        }
                    }
                }
                diags.extend(builder.diags.into_inner());
            }
            Err(err) => diags.push(syntax_error(file, src, &tokens, (start, end), &err)),
        }
    }
    (File { items }, diags)
}

/// The source's tokens other than comments and line breaks (whitespace is
/// not a token), as absolute byte ranges in source order: what spans are
/// trimmed to and what a syntax error reports as found.
struct Tokens {
    kinds: Vec<super::lexer::Token>,
    spans: Vec<(usize, usize)>,
    /// More `{` than `}` in the whole file (counted once: a file may have
    /// one syntax error per item).
    unbalanced_braces: bool,
}

impl Tokens {
    fn new(src: &str) -> Tokens {
        let all = super::lexer::tokenize(src);
        let significant = all.iter().filter(|t| !t.token.is_trivia());
        let kinds: Vec<super::lexer::Token> = significant.clone().map(|t| t.token).collect();
        let count = |k: super::lexer::Token| kinds.iter().filter(|t| **t == k).count();
        let unbalanced_braces = count(super::lexer::Token::LBrace) > count(super::lexer::Token::RBrace);
        Tokens { spans: significant.map(|t| (t.start, t.end)).collect(), kinds, unbalanced_braces }
    }

    /// The first token that ends after `pos` (the one `pos` is in, or the next).
    fn first_ending_after(&self, pos: usize) -> Option<(usize, usize)> {
        let i = self.spans.partition_point(|&(_, e)| e <= pos);
        self.spans.get(i).copied()
    }

    /// The end of `start..end` without the whitespace and comments it ends
    /// with: the end of its last token. (pest's implicit whitespace before an
    /// optional or repeated part stays in a rule's span when that part is
    /// absent.) A range ending inside a token is left alone.
    fn trim_end(&self, start: usize, end: usize) -> usize {
        // The last token that ends at or before `end`.
        let i = self.spans.partition_point(|&(_, e)| e <= end);
        if let Some(&(next_start, _)) = self.spans.get(i)
            && next_start < end
        {
            return end; // `end` is inside a token (e.g. `2` of `2cm`)
        }
        match i.checked_sub(1).map(|j| self.spans[j]) {
            Some((_, last_end)) if last_end > start => last_end,
            _ => end,
        }
    }
}

/// Splits the source into chunks that each start at a top-level keyword
/// (`scene`, `reward`, ...) at bracket depth 0. Each chunk is parsed on its
/// own, which is the parser's error recovery.
fn item_chunks(src: &str, tokens: &Tokens) -> Vec<(usize, usize)> {
    use super::lexer::Token;
    let mut starts = vec![0usize];
    let mut depth = 0i64;
    let mut first = true;
    let mut after_use = false;
    for (&token, &(start, _)) in tokens.kinds.iter().zip(&tokens.spans) {
        // `use stages`: a keyword right after `use` names a module, not an item.
        let module_name = std::mem::replace(&mut after_use, token == Token::Use);
        if module_name {
            continue;
        }
        match token {
            Token::LBrace | Token::LParen | Token::LBracket => depth += 1,
            Token::RBrace | Token::RParen | Token::RBracket => depth -= 1,
            Token::Scene | Token::Failure | Token::Reward | Token::Check | Token::Fn | Token::Stages | Token::Use
                if depth == 0 =>
            {
                if !first {
                    starts.push(start);
                }
                first = false;
            }
            _ => {}
        }
        if depth < 0 {
            depth = 0;
        }
    }
    let mut chunks: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    chunks.push((*starts.last().unwrap_or(&0), src.len()));
    chunks
}

fn pratt() -> PrattParser<Rule> {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left) | Op::infix(Rule::op_word_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left) | Op::infix(Rule::op_word_and, Assoc::Left))
        .op(Op::infix(Rule::op_eq, Assoc::Left) | Op::infix(Rule::op_ne, Assoc::Left))
        .op(Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::infix(Rule::op_pow, Assoc::Right))
        .op(Op::prefix(Rule::op_neg) | Op::prefix(Rule::op_not) | Op::prefix(Rule::op_word_not))
        .op(Op::postfix(Rule::field_access))
}

/// Human words for grammar rules, used in "expected ..." messages.
fn rule_words(rule: Rule) -> &'static str {
    match rule {
        Rule::ident => "a name",
        Rule::scene_name => "a scene name",
        Rule::entity_name => "an entity name",
        Rule::kind_name => "an entity kind (Gripper, Object, Drawer, Hinged, Site)",
        Rule::prop_name => "a property name",
        Rule::type_name => "a type",
        Rule::failure_name => "a failure name",
        Rule::reward_name => "a reward name",
        Rule::stage_name => "a stage name",
        Rule::template_name => "a stage template name",
        Rule::check_name => "a check name",
        Rule::fn_name => "a function name",
        Rule::param_name => "a parameter name",
        Rule::let_name => "a binding name",
        Rule::term_name => "a term name",
        Rule::output_name => "an output name",
        Rule::field_name => "a field name",
        Rule::module_name => "a module name",
        Rule::number | Rule::quantity => "a number",
        Rule::integer => "a whole number",
        Rule::unit => "a unit",
        Rule::bool_lit => "true or false",
        Rule::string => "a string",
        Rule::expr | Rule::paren | Rule::call | Rule::if_expr | Rule::done_expr => "an expression",
        Rule::op_or | Rule::op_and | Rule::op_eq | Rule::op_ne | Rule::op_le | Rule::op_ge | Rule::op_lt
        | Rule::op_gt | Rule::op_add | Rule::op_sub | Rule::op_mul | Rule::op_div | Rule::op_word_and
        | Rule::op_word_or | Rule::op_pow => "an operator",
        Rule::op_neg | Rule::op_not | Rule::op_word_not => "an operator",
        Rule::field_access => "`.field`",
        Rule::args => "arguments",
        Rule::use_decl => "`use`",
        Rule::scene_decl => "`scene`",
        Rule::failure_decl => "`failure`",
        Rule::reward_decl => "`reward`",
        Rule::check_decl => "`check`",
        Rule::fn_decl => "`fn`",
        Rule::stages_decl => "`stages`",
        Rule::entity_decl => "an entity (`name: Kind`)",
        Rule::props_block => "`props { ... }`",
        Rule::prop_decl => "a property (`name: type`)",
        Rule::type_expr => "a type",
        Rule::on_scene => "`on SCENE`",
        Rule::for_failure => "`for FAILURE`",
        Rule::let_decl => "`let`",
        Rule::stage_decl => "`stage`",
        Rule::shape_clause => "`shape`",
        Rule::done_clause => "`done`",
        Rule::for_steps => "`for N steps`",
        Rule::bonus_clause => "`bonus`",
        Rule::hold_clause => "`hold`",
        Rule::include_decl => "`include`",
        Rule::term_decl => "`term`",
        Rule::when_clause => "`when`",
        Rule::penalty_decl => "`penalty`",
        Rule::success_decl => "`success`",
        Rule::output_decl => "an output (`name = expression`)",
        Rule::params | Rule::param => "a parameter (`name: type`)",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::equals => "`=`",
        Rule::colon => "`:`",
        Rule::EOI => "end of file",
        _ => "something else",
    }
}

/// Longest piece of the offending text quoted in a syntax error.
const MAX_FOUND: usize = 24;

/// A syntax error of the chunk `chunk` (byte range of `src`) as a diagnostic.
fn syntax_error(file: FileId, src: &str, tokens: &Tokens, chunk: (usize, usize), err: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (base, chunk_end) = chunk;
    let local = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let pos = (base + local).min(chunk_end);
    // What was found: the text from the error up to the next whitespace (at
    // most MAX_FOUND bytes, cut on a char boundary), or one char. When only
    // whitespace and comments are left of the chunk, the chunk was cut off by
    // the next item: that item's first token is what the parser found.
    let (found_at, rest) = match tokens.first_ending_after(pos) {
        Some((start, _)) if start < chunk_end => (start.max(pos), &src[start.max(pos)..chunk_end]),
        Some((start, _)) => (start, &src[start..]),
        None => (src.len(), ""),
    };
    let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let len = floor_char_boundary(rest, len.min(MAX_FOUND));
    let len = if len == 0 { rest.chars().next().map_or(0, char::len_utf8) } else { len };
    let found = if rest.is_empty() { "end of input".to_string() } else { format!("`{}`", &rest[..len]) };
    let span = Span::new(file, found_at, found_at + len);
    let message = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } if !positives.is_empty() => {
            let mut words: Vec<&str> = positives.iter().map(|r| rule_words(*r)).collect();
            words.sort_unstable();
            words.dedup();
            format!("expected {}, found {found}", join_or(&words))
        }
        ErrorVariant::ParsingError { .. } => format!("unexpected {found}"),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let mut diag = Diagnostic::error(Code::Syntax, span, message).label("here");
    if let Some(help) = syntax_help(rest, &src[base..found_at]) {
        diag = diag.with_help(help);
    }
    let positives: &[Rule] = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let at = Found { src, tokens, chunk_start: base, start: found_at, len, end_of_input: rest.is_empty() };
    syntax_fix(diag, &at, positives)
}

/// Where a syntax error was found: the offending token's start and length
/// (`end_of_input` when the item ran out).
struct Found<'a> {
    src: &'a str,
    tokens: &'a Tokens,
    chunk_start: usize,
    start: usize,
    len: usize,
    end_of_input: bool,
}

impl Found<'_> {
    /// The significant tokens of the chunk before the error (found by
    /// binary search: a file may have one error per item, so this must not
    /// walk the whole file).
    fn tokens_before(&self) -> impl Iterator<Item = (super::lexer::Token, (usize, usize))> + '_ {
        let spans = &self.tokens.spans;
        let from = spans.partition_point(|&(s, _)| s < self.chunk_start);
        let to = spans.partition_point(|&(s, _)| s < self.start).max(from);
        self.tokens.kinds[from..to].iter().copied().zip(spans[from..to].iter().copied())
    }

    fn token_here(&self) -> Option<super::lexer::Token> {
        let i = self.tokens.spans.partition_point(|&(s, _)| s < self.start);
        self.tokens.kinds.get(i).copied().filter(|_| self.tokens.spans[i].0 == self.start)
    }
}

/// Python module prefixes on a call: `np.tanh(`, `math.sqrt(`,
/// `np.linalg.norm(`. rwd's functions have no module: the prefix goes (E0004).
fn module_prefix(at: &Found, file: FileId) -> Option<Diagnostic> {
    use super::lexer::Token;
    // Only the tokens just before the `(` matter; `a.b.c.d.e(` is the longest walked.
    let all: Vec<(Token, (usize, usize))> = at.tokens_before().collect();
    let before = &all[all.len().saturating_sub(16)..];
    let text = |(s, e): (usize, usize)| &at.src[s..e];
    // Walk back over `name . name . name` ending right before the `(`.
    let mut i = before.len();
    let mut names = Vec::new();
    while i > 0 && before[i - 1].0 == Token::Ident {
        names.push(before[i - 1].1);
        if i < 2 || before[i - 2].0 != Token::Dot {
            break;
        }
        i -= 2;
    }
    if names.len() < 2 {
        return None;
    }
    let function = names[0];
    let module = *names.last()?;
    if !matches!(text(module), "np" | "numpy" | "math" | "torch" | "jnp") {
        return None;
    }
    let prefix = Span::new(file, module.0, function.0);
    let prefix_text = &at.src[module.0..function.0];
    Some(
        Diagnostic::error(Code::PythonSyntax, prefix, format!("`{prefix_text}` is a Python module prefix"))
            .label("rwd functions have no module")
            .with_help(format!("call `{}` directly", text(function)))
            .with_suggestion(prefix, "", true),
    )
}

/// Mistakes with one right spelling get a specific message and a certain
/// replacement: Python's `elif` and `#` comments (E0004), a space between a
/// number and its unit, a missing `}` before the next declaration.
fn syntax_fix(diag: Diagnostic, at: &Found, positives: &[Rule]) -> Diagnostic {
    use super::lexer::Token;
    let file = diag.primary.span.file;
    let here = Span::new(file, at.start, at.start + at.len);
    let word = &at.src[at.start..at.start + at.len];
    let rest = &at.src[at.start..];
    if word == "elif" || word == "elsif" {
        return Diagnostic::error(Code::PythonSyntax, here, format!("`{word}` is not rwd"))
            .label("write `else if`")
            .with_help("`if a then x else if b then y else z`")
            .with_suggestion(here, "else if", true);
    }
    if rest.starts_with('#') {
        let hash = Span::new(file, at.start, at.start + 1);
        return Diagnostic::error(Code::PythonSyntax, hash, "`#` does not start a comment in rwd")
            .label("write `//`")
            .with_suggestion(hash, "//", true);
    }
    if rest.starts_with(';') {
        let semicolon = Span::new(file, at.start, at.start + 1);
        return diag.with_help("rwd has no `;`: declarations and clauses end where the next one starts").with_suggestion(semicolon, "", true);
    }
    // 'name': a string in single quotes (rwd strings use double quotes).
    if let Some(body) = rest.strip_prefix('\'')
        && let Some(close) = body.find(['\'', '\n', '"']).filter(|&i| body[i..].starts_with('\''))
    {
        let quoted = Span::new(file, at.start, at.start + close + 2);
        return diag.with_help("strings are written in double quotes").with_suggestion(quoted, format!("\"{}\"", &body[..close]), true);
    }
    let previous = at.tokens_before().last();
    if rest.starts_with('(')
        && let Some(fix) = module_prefix(at, file)
    {
        return fix;
    }
    let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    if matches!(&rest[..name_len], "cm" | "mm" | "m" | "deg" | "rad" | "s" | "ms")
        && let Some((Token::Number, (_, number_end))) = previous
    {
        let gap = Span::new(file, number_end, at.start);
        return diag.with_suggestion(gap, "", true);
    }
    // `x = value` where a declaration must start: Python's assignment. In a
    // reward it may also have been a `term`, so the fix is a guess.
    let after_name = rest[name_len..].trim_start();
    if name_len > 0 && positives.contains(&Rule::let_decl) && after_name.starts_with('=') && !after_name.starts_with("==") {
        let name = &rest[..name_len];
        let span = Span::new(file, at.start, at.start + name_len);
        return Diagnostic::error(Code::Syntax, span, format!("`{name} = ...` is not a declaration"))
            .label(format!("write `let {name} = ...`"))
            .with_help("bindings are written `let name = value` (a number added to the reward is `term name = value`)")
            .with_suggestion(Span::new(file, at.start, at.start), "let ", false);
    }
    if positives.contains(&Rule::rbrace) {
        let mut open: Vec<usize> = Vec::new();
        for (token, (start, _)) in at.tokens_before() {
            match token {
                Token::LBrace => open.push(start),
                Token::RBrace => {
                    open.pop();
                }
                _ => {}
            }
        }
        if let (Some(&brace), Some((_, (_, last_end)))) = (open.last(), previous) {
            let line_start = at.src[..brace].rfind('\n').map_or(0, |i| i + 1);
            let opener = at.src[line_start..brace].trim();
            let indent: String = at.src[line_start..brace].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            // Only a declaration that cannot be inside the open block, in a
            // file with more `{` than `}`, proves where the `}` belongs (with
            // balanced braces, a `let` inside a stage is the mistake).
            let certain = at.tokens.unbalanced_braces && (at.end_of_input
                || matches!(
                    at.token_here(),
                    Some(Token::Scene | Token::Failure | Token::Reward | Token::Stages | Token::Stage | Token::Penalty | Token::Success | Token::Fn | Token::Check | Token::Use | Token::Let | Token::Term | Token::Include)
                ));
            if !certain {
                // Something else may be wrong here (`=` for `==`): keep the plain error.
                return diag;
            }
            let found = if at.end_of_input { "the end of the file".to_string() } else { format!("`{word}`") };
            let insert = Span::new(file, last_end, last_end);
            return Diagnostic::error(Code::Syntax, here, format!("missing `}}`: `{opener}` is not closed before {found}"))
                .label("expected `}` before this")
                .with_secondary(Span::new(file, brace, brace + 1), "this `{` is not closed")
                .with_suggestion(insert, format!("\n{indent}}}"), true);
        }
    }
    diag
}

/// The largest char boundary of `s` at or before `i`.
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Extra advice for mistakes models make often. `rest` is the text from the
/// error on, `before` the text of the item before it.
fn syntax_help(rest: &str, before: &str) -> Option<&'static str> {
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    // `return` lexes as a name, so the parser fails just after it.
    let previous = before.trim_end().rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("");
    match word.as_str() {
        "cm" | "mm" | "m" | "deg" | "rad" | "s" | "ms" => Some("a unit is written right after its number, without a space: `2cm`"),
        "elif" | "elsif" => Some("write `if a then x else if b then y else z`"),
        "return" => Some(RETURN_HELP),
        "let" => Some("`let` goes directly inside a `reward` or `check`, before it is used: not inside a stage, not at the top level"),
        _ if previous == "return" => Some(RETURN_HELP),
        _ if rest.starts_with('=') && !rest.starts_with("==") => Some("to compare, write `==`; bindings are `let name = value`"),
        _ if rest.starts_with(':') => Some("types are written only on `fn` parameters and scene entries"),
        _ => None,
    }
}

const RETURN_HELP: &str = "functions are single expressions: `fn f(x: length) = 2 * x`";

fn join_or(words: &[&str]) -> String {
    match words {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The children of a pair without its punctuation (`{`, `=`, ...): the
/// grammar names punctuation only so that syntax errors can name it.
type Kids<'i> = std::iter::Filter<Pairs<'i, Rule>, fn(&Pair<'i, Rule>) -> bool>;

fn kids(pair: Pair<'_, Rule>) -> Kids<'_> {
    pair.into_inner().filter(|p| !matches!(p.as_rule(), Rule::lbrace | Rule::rbrace | Rule::lparen | Rule::rparen | Rule::equals | Rule::colon))
}

struct Builder<'t> {
    file: FileId,
    /// The whole source, to quote operands in suggested replacements.
    src: &'t str,
    base: usize,
    tokens: &'t Tokens,
    diags: RefCell<Vec<Diagnostic>>,
    pratt: PrattParser<Rule>,
}

impl Builder<'_> {
    /// The span of a pair, ending at its last token (not at the whitespace
    /// or comments pest skipped before an absent optional part).
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        let (start, end) = (self.base + s.start(), self.base + s.end());
        Span::new(self.file, start, self.tokens.trim_end(start, end))
    }

    fn name(&self, pair: Pair<Rule>) -> Name {
        Name { text: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn error(&self, diag: Diagnostic) {
        self.diags.borrow_mut().push(diag);
    }

    fn item(&self, pair: Pair<Rule>) -> Item {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = kids(pair);
        match rule {
            Rule::use_decl => Item::Use(UseDecl { module: self.next_name(&mut inner, span), span }),
            Rule::scene_decl => Item::Scene(self.scene(inner, span)),
            Rule::failure_decl => {
                let name = self.next_name(&mut inner, span);
                let mut scene = None;
                let mut cond = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::on_scene => scene = kids(p).next().map(|n| self.name(n)),
                        Rule::expr => cond = Some(self.expr(p)),
                        _ => {}
                    }
                }
                Item::Failure(FailureDecl { name, scene, cond: cond.unwrap_or_else(|| error_expr(span)), span })
            }
            Rule::reward_decl => Item::Reward(self.reward(inner, span)),
            Rule::check_decl => Item::Check(self.check(inner, span)),
            Rule::fn_decl => Item::Fn(self.function(inner, span)),
            Rule::stages_decl => {
                let name = self.next_name(&mut inner, span);
                let mut params = Vec::new();
                let mut stages = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::params => params = self.params(p),
                        Rule::stage_decl => stages.push(self.stage(p)),
                        _ => {}
                    }
                }
                Item::Stages(StagesDecl { name, params, stages, span })
            }
            _ => unreachable_rule(rule),
        }
    }

    fn next_name(&self, inner: &mut Kids<'_>, fallback: Span) -> Name {
        inner.next().map_or(Name { text: String::new(), span: fallback }, |p| self.name(p))
    }

    fn scene(&self, mut inner: Kids<'_>, span: Span) -> SceneDecl {
        let name = self.next_name(&mut inner, span);
        let mut entities = Vec::new();
        let mut props = Vec::new();
        for member in inner {
            match member.as_rule() {
                Rule::entity_decl => {
                    let mut parts = kids(member);
                    let name = self.next_name(&mut parts, span);
                    let kind = self.next_name(&mut parts, span);
                    entities.push(EntityDecl { name, kind });
                }
                Rule::props_block => {
                    for prop in kids(member) {
                        props.push(self.prop(prop, span));
                    }
                }
                _ => {}
            }
        }
        SceneDecl { name, entities, props, span }
    }

    fn prop(&self, pair: Pair<Rule>, span: Span) -> PropDecl {
        let mut owner = None;
        let mut name = None;
        let mut ty = None;
        for p in kids(pair) {
            match p.as_rule() {
                Rule::entity_name => owner = Some(self.name(p)),
                Rule::prop_name => name = Some(self.name(p)),
                Rule::type_expr => ty = Some(self.type_expr(p)),
                _ => {}
            }
        }
        let name = name.unwrap_or(Name { text: String::new(), span });
        let ty = ty.unwrap_or_else(|| TypeExpr { name: name.clone(), arg: None, span });
        PropDecl { owner, name, ty }
    }

    fn type_expr(&self, pair: Pair<Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut inner = kids(pair);
        let name = self.next_name(&mut inner, span);
        let arg = inner.next().map(|p| (self.integer(&p), self.span(&p)));
        TypeExpr { name, arg, span }
    }

    /// A whole number; one too large for u64 is u64::MAX (the checker
    /// reports it as out of range, like any other value over its limit).
    fn integer(&self, pair: &Pair<Rule>) -> u64 {
        pair.as_str().parse().unwrap_or(u64::MAX)
    }

    fn reward(&self, mut inner: Kids<'_>, span: Span) -> RewardDecl {
        let name = self.next_name(&mut inner, span);
        let mut target = None;
        let mut items = Vec::new();
        for p in inner {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::for_failure => target = kids(p).next().map(|n| RewardTarget::Failure(self.name(n))),
                Rule::on_scene => target = kids(p).next().map(|n| RewardTarget::Scene(self.name(n))),
                Rule::let_decl => items.push(RewardItem::Let(self.let_decl(p))),
                Rule::stage_decl => items.push(RewardItem::Stage(self.stage(p))),
                Rule::include_decl => {
                    let mut parts = kids(p);
                    let template = self.next_name(&mut parts, pspan);
                    let args = parts.next().map(|a| self.args(a)).unwrap_or_default();
                    items.push(RewardItem::Include(IncludeDecl { template, args, span: pspan }));
                }
                Rule::term_decl => {
                    let mut parts = kids(p);
                    let name = self.next_name(&mut parts, pspan);
                    let value = parts.next().map_or_else(|| error_expr(pspan), |e| self.expr(e));
                    let when = parts.next().and_then(|w| kids(w).next()).map(|e| self.expr(e));
                    items.push(RewardItem::Term(TermDecl { name, value, when, span: pspan }));
                }
                Rule::penalty_decl => {
                    let mut name = None;
                    let mut value = None;
                    let mut when = None;
                    for part in kids(p) {
                        match part.as_rule() {
                            Rule::term_name => name = Some(self.name(part)),
                            Rule::expr => value = Some(self.expr(part)),
                            Rule::when_clause => when = kids(part).next().map(|e| self.expr(e)),
                            _ => {}
                        }
                    }
                    items.push(RewardItem::Penalty(PenaltyDecl {
                        name,
                        value: value.unwrap_or_else(|| error_expr(pspan)),
                        when: when.unwrap_or_else(|| error_expr(pspan)),
                        span: pspan,
                    }));
                }
                Rule::success_decl => {
                    let mut value = None;
                    let mut when = None;
                    for part in kids(p) {
                        match part.as_rule() {
                            Rule::expr => value = Some(self.expr(part)),
                            Rule::when_clause => when = kids(part).next().map(|e| self.expr(e)),
                            _ => {}
                        }
                    }
                    let when = when.unwrap_or_else(|| error_expr(pspan));
                    items.push(RewardItem::Success(SuccessDecl { value, when, span: pspan }));
                }
                _ => {}
            }
        }
        RewardDecl { name, target, items, span }
    }

    fn let_decl(&self, pair: Pair<Rule>) -> LetDecl {
        let span = self.span(&pair);
        let mut parts = kids(pair);
        let name = self.next_name(&mut parts, span);
        let value = parts.next().map_or_else(|| error_expr(span), |e| self.expr(e));
        LetDecl { name, value }
    }

    fn stage(&self, pair: Pair<Rule>) -> StageDecl {
        let span = self.span(&pair);
        let mut inner = kids(pair);
        let name = self.next_name(&mut inner, span);
        let mut clauses = Vec::new();
        for clause in inner {
            let cspan = self.span(&clause);
            let rule = clause.as_rule();
            let mut parts = kids(clause);
            let first = parts.next().map_or_else(|| error_expr(cspan), |e| self.expr(e));
            clauses.push(match rule {
                Rule::shape_clause => StageClause::Shape { value: first, span: cspan },
                Rule::bonus_clause => StageClause::Bonus { value: first, span: cspan },
                Rule::done_clause => {
                    let steps = parts.next().and_then(|f| kids(f).next()).map(|n| (self.integer(&n), self.span(&n)));
                    StageClause::Done { cond: first, steps, span: cspan }
                }
                Rule::hold_clause => {
                    let target = self.next_name(&mut parts, cspan);
                    StageClause::Hold { cond: first, target, span: cspan }
                }
                other => unreachable_rule(other),
            });
        }
        StageDecl { name, clauses, span }
    }

    fn check(&self, mut inner: Kids<'_>, span: Span) -> CheckDecl {
        let name = self.next_name(&mut inner, span);
        let mut scene = None;
        let mut items = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::on_scene => scene = kids(p).next().map(|n| self.name(n)),
                Rule::let_decl => items.push(CheckItem::Let(self.let_decl(p))),
                Rule::output_decl => {
                    let pspan = self.span(&p);
                    let mut parts = kids(p);
                    let name = self.next_name(&mut parts, pspan);
                    let value = parts.next().map_or_else(|| error_expr(pspan), |e| self.expr(e));
                    items.push(CheckItem::Output { name, value });
                }
                _ => {}
            }
        }
        CheckDecl { name, scene, items, span }
    }

    fn function(&self, mut inner: Kids<'_>, span: Span) -> FnDecl {
        let name = self.next_name(&mut inner, span);
        let mut params = Vec::new();
        let mut ret = None;
        let mut body = None;
        for p in inner {
            match p.as_rule() {
                Rule::params => params = self.params(p),
                Rule::type_expr => ret = Some(self.type_expr(p)),
                Rule::expr => body = Some(self.expr(p)),
                _ => {}
            }
        }
        FnDecl { name, params, ret, body: body.unwrap_or_else(|| error_expr(span)), span }
    }

    fn params(&self, pair: Pair<Rule>) -> Vec<Param> {
        kids(pair)
            .map(|param| {
                let span = self.span(&param);
                let mut parts = kids(param);
                let name = self.next_name(&mut parts, span);
                let ty = parts.next().map_or(TypeExpr { name: name.clone(), arg: None, span }, |t| self.type_expr(t));
                Param { name, ty }
            })
            .collect()
    }

    fn args(&self, pair: Pair<Rule>) -> Vec<Expr> {
        kids(pair).map(|e| self.expr(e)).collect()
    }

    /// Folds an `expr` pair's flat operand/operator sequence by precedence.
    fn expr(&self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let too_deep = RefCell::new(false);
        let (expr, _) = self
            .pratt
            .map_primary(|p| (self.primary(p), 1u32))
            .map_prefix(|op, (operand, depth)| {
                let op_span = self.span(&op);
                let unop = match op.as_rule() {
                    Rule::op_neg => UnOp::Neg,
                    Rule::op_not => UnOp::Not,
                    _ => UnOp::WordNot,
                };
                let span = op_span.to(operand.span);
                self.deepen(&too_deep, span, depth, |operand| ExprKind::Unary { op: unop, op_span, operand }, operand)
            })
            .map_postfix(|(base, depth), op| {
                let field = kids(op).next().map_or(Name { text: String::new(), span }, |n| self.name(n));
                let span = base.span.to(field.span);
                self.deepen(&too_deep, span, depth, |base| ExprKind::Field { base, field }, base)
            })
            .map_infix(|(lhs, ld), op, (rhs, rd)| {
                let op_span = self.span(&op);
                let span = lhs.span.to(rhs.span);
                let depth = ld.max(rd);
                if depth >= MAX_EXPR_DEPTH {
                    self.report_depth(&too_deep, span);
                    return (error_expr(span), 1);
                }
                if op.as_rule() == Rule::op_pow {
                    return (self.power(lhs, op_span, rhs), depth + 2);
                }
                let binop = binop(op.as_rule());
                (Expr { kind: ExprKind::Binary { op: binop, op_span, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span }, depth + 1)
            })
            .parse(pair.into_inner());
        expr
    }

    /// Python's `a ** b` (E0004): reported with its rwd spelling, `a * a`
    /// for a small whole exponent (which keeps the dimension right), else
    /// `pow(a, b)`, and parsed as that so checking goes on.
    fn power(&self, lhs: Expr, op_span: Span, rhs: Expr) -> Expr {
        let span = lhs.span.to(rhs.span);
        let text = |e: &Expr| self.src.get(e.span.start as usize..e.span.end as usize).unwrap_or("").to_string();
        let (base, exponent) = (text(&lhs), text(&rhs));
        let atomic = matches!(lhs.kind, ExprKind::Name(_) | ExprKind::Field { .. } | ExprKind::Call { .. } | ExprKind::Number { .. })
            || (base.starts_with('(') && base.ends_with(')'));
        let times = match (&rhs.kind, exponent.as_str()) {
            (ExprKind::Number { unit: None, .. }, "2") => Some(2),
            (ExprKind::Number { unit: None, .. }, "3") => Some(3),
            _ => None,
        };
        let (replacement, expr) = match times {
            Some(n) => {
                let factor = if atomic { base.clone() } else { format!("({base})") };
                let mut e = lhs.clone();
                for _ in 1..n {
                    e = Expr { kind: ExprKind::Binary { op: BinOp::Mul, op_span, lhs: Box::new(e), rhs: Box::new(lhs.clone()) }, span };
                }
                (vec![factor; n].join(" * "), e)
            }
            None => {
                let callee = Name { text: "pow".to_string(), span: op_span };
                (format!("pow({base}, {exponent})"), Expr { kind: ExprKind::Call { callee, args: vec![lhs, rhs] }, span })
            }
        };
        self.error(
            Diagnostic::error(Code::PythonSyntax, op_span, "`**` is not an rwd operator")
                .label(format!("write `{replacement}`"))
                .with_help("rwd has no power operator: multiply, or call `pow(x, y)` (dimensionless x and y)")
                .with_suggestion(span, replacement, true),
        );
        expr
    }

    /// Wraps `inner` in a one-child node unless that makes the tree too deep.
    fn deepen(
        &self,
        too_deep: &RefCell<bool>,
        span: Span,
        depth: u32,
        make: impl FnOnce(Box<Expr>) -> ExprKind,
        inner: Expr,
    ) -> (Expr, u32) {
        if depth >= MAX_EXPR_DEPTH {
            self.report_depth(too_deep, span);
            return (error_expr(span), 1);
        }
        (Expr { kind: make(Box::new(inner)), span }, depth + 1)
    }

    fn report_depth(&self, too_deep: &RefCell<bool>, span: Span) {
        if !too_deep.replace(true) {
            self.error(
                Diagnostic::error(Code::Limit, span, format!("expression nested deeper than {MAX_EXPR_DEPTH} operators"))
                    .label("this expression")
                    .with_help("split it into `let` bindings"),
            );
        }
    }

    fn primary(&self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => return kids(pair).next().map_or_else(|| error_expr(span), |e| self.expr(e)),
            Rule::expr => return self.expr(pair),
            Rule::quantity => self.quantity(pair, span),
            Rule::bool_lit => ExprKind::Bool(pair.as_str() == "true"),
            Rule::string => ExprKind::Str(kids(pair).next().map_or(String::new(), |s| s.as_str().to_string())),
            Rule::ident => ExprKind::Name(pair.as_str().to_string()),
            Rule::call => {
                let mut parts = kids(pair);
                let callee = self.next_name(&mut parts, span);
                let args = parts.next().map(|a| self.args(a)).unwrap_or_default();
                ExprKind::Call { callee, args }
            }
            Rule::done_expr => ExprKind::Done(self.next_name(&mut kids(pair), span)),
            Rule::if_expr => {
                let mut parts = kids(pair).map(|e| Box::new(self.expr(e)));
                let mut next = || parts.next().unwrap_or_else(|| Box::new(error_expr(span)));
                let (cond, then, otherwise) = (next(), next(), next());
                ExprKind::If { cond, then, otherwise }
            }
            other => unreachable_rule(other),
        };
        Expr { kind, span }
    }

    fn quantity(&self, pair: Pair<Rule>, span: Span) -> ExprKind {
        let mut parts = kids(pair);
        let number = parts.next().map_or("0", |p| p.as_str());
        let unit = parts.next().and_then(|u| Unit::parse(u.as_str()));
        let raw: f64 = number.parse().unwrap_or(f64::NAN);
        let value = raw * unit.map_or(1.0, Unit::to_si);
        if !value.is_finite() {
            self.error(Diagnostic::error(Code::Syntax, span, "number too large").label("not a finite f64"));
            return ExprKind::Error;
        }
        ExprKind::Number { value, unit }
    }
}

fn binop(rule: Rule) -> BinOp {
    match rule {
        Rule::op_or => BinOp::Or,
        Rule::op_and => BinOp::And,
        Rule::op_eq => BinOp::Eq,
        Rule::op_ne => BinOp::Ne,
        Rule::op_lt => BinOp::Lt,
        Rule::op_le => BinOp::Le,
        Rule::op_gt => BinOp::Gt,
        Rule::op_ge => BinOp::Ge,
        Rule::op_add => BinOp::Add,
        Rule::op_sub => BinOp::Sub,
        Rule::op_mul => BinOp::Mul,
        Rule::op_div => BinOp::Div,
        Rule::op_word_and => BinOp::WordAnd,
        _ => BinOp::WordOr,
    }
}

fn error_expr(span: Span) -> Expr {
    Expr { kind: ExprKind::Error, span }
}

/// The grammar guarantees which rules appear where; reaching this is a bug in
/// this file, not bad input, so it names the rule to make the bug obvious.
fn unreachable_rule(rule: Rule) -> ! {
    panic!("parser bug: unexpected grammar rule {rule:?}")
}
