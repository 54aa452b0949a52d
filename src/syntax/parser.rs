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
    let mut items = Vec::new();
    let mut diags = Vec::new();
    for (start, end) in item_chunks(src) {
        let chunk = &src[start..end];
        match RwdGrammar::parse(Rule::file, chunk) {
            Ok(mut pairs) => {
                let builder = Builder { file, base: start, diags: RefCell::new(Vec::new()), pratt: pratt() };
                if let Some(file_pair) = pairs.next() {
                    for pair in file_pair.into_inner() {
                        if pair.as_rule() != Rule::EOI {
                            items.push(builder.item(pair));
                        }
                    }
                }
                diags.extend(builder.diags.into_inner());
            }
            Err(err) => diags.push(syntax_error(file, start, chunk, &err)),
        }
    }
    (File { items }, diags)
}

/// Splits the source into chunks that each start at a top-level keyword
/// (`scene`, `reward`, ...) at bracket depth 0. Each chunk is parsed on its
/// own, which is the parser's error recovery.
fn item_chunks(src: &str) -> Vec<(usize, usize)> {
    use super::lexer::{Token, tokenize};
    let mut starts = vec![0usize];
    let mut depth = 0i64;
    let mut first = true;
    let mut after_use = false;
    for tok in tokenize(src) {
        if tok.token.is_trivia() {
            continue;
        }
        // `use stages`: a keyword right after `use` names a module, not an item.
        let module_name = std::mem::replace(&mut after_use, tok.token == Token::Use);
        if module_name {
            continue;
        }
        match tok.token {
            Token::LBrace | Token::LParen | Token::LBracket => depth += 1,
            Token::RBrace | Token::RParen | Token::RBracket => depth -= 1,
            Token::Scene | Token::Failure | Token::Reward | Token::Check | Token::Fn | Token::Stages | Token::Use
                if depth == 0 =>
            {
                if !first {
                    starts.push(tok.start);
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
        | Rule::op_word_or => "an operator",
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
        Rule::EOI => "end of file",
        _ => "something else",
    }
}

fn syntax_error(file: FileId, base: usize, chunk: &str, err: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // Point at the offending token (up to the next whitespace), or one char at EOF.
    let rest = &chunk[pos.min(chunk.len())..];
    let len = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len()).clamp(0, 24);
    let len = if len == 0 { rest.chars().next().map_or(0, char::len_utf8) } else { len };
    let found = if rest.is_empty() { "end of input".to_string() } else { format!("`{}`", &rest[..len]) };
    let span = Span::new(file, base + pos, base + pos + len);
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
    if let Some(help) = syntax_help(rest) {
        diag = diag.with_help(help);
    }
    diag
}

/// Extra advice for mistakes models make often.
fn syntax_help(rest: &str) -> Option<&'static str> {
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    match word.as_str() {
        "cm" | "mm" | "m" | "deg" | "rad" | "s" | "ms" => Some("a unit is written right after its number, without a space: `2cm`"),
        "elif" | "elsif" => Some("write `if a then x else if b then y else z`"),
        "return" => Some("functions are single expressions: `fn f(x: length) = 2 * x`"),
        _ if rest.starts_with('=') && !rest.starts_with("==") => Some("to compare, write `==`; bindings are `let name = value`"),
        _ if rest.starts_with(':') => Some("types are written only on `fn` parameters and scene entries"),
        _ => None,
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

struct Builder {
    file: FileId,
    base: usize,
    diags: RefCell<Vec<Diagnostic>>,
    pratt: PrattParser<Rule>,
}

impl Builder {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
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
        let mut inner = pair.into_inner();
        match rule {
            Rule::use_decl => Item::Use(UseDecl { module: self.next_name(&mut inner, span), span }),
            Rule::scene_decl => Item::Scene(self.scene(inner, span)),
            Rule::failure_decl => {
                let name = self.next_name(&mut inner, span);
                let mut scene = None;
                let mut cond = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::on_scene => scene = p.into_inner().next().map(|n| self.name(n)),
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

    fn next_name(&self, inner: &mut Pairs<Rule>, fallback: Span) -> Name {
        inner.next().map_or(Name { text: String::new(), span: fallback }, |p| self.name(p))
    }

    fn scene(&self, mut inner: Pairs<Rule>, span: Span) -> SceneDecl {
        let name = self.next_name(&mut inner, span);
        let mut entities = Vec::new();
        let mut props = Vec::new();
        for member in inner {
            match member.as_rule() {
                Rule::entity_decl => {
                    let mut parts = member.into_inner();
                    let name = self.next_name(&mut parts, span);
                    let kind = self.next_name(&mut parts, span);
                    entities.push(EntityDecl { name, kind });
                }
                Rule::props_block => {
                    for prop in member.into_inner() {
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
        for p in pair.into_inner() {
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
        let mut inner = pair.into_inner();
        let name = self.next_name(&mut inner, span);
        let arg = inner.next().map(|p| (self.integer(&p), self.span(&p)));
        TypeExpr { name, arg, span }
    }

    fn integer(&self, pair: &Pair<Rule>) -> u64 {
        pair.as_str().parse().unwrap_or_else(|_| {
            self.error(Diagnostic::error(Code::Syntax, self.span(pair), "whole number too large").label("here"));
            0
        })
    }

    fn reward(&self, mut inner: Pairs<Rule>, span: Span) -> RewardDecl {
        let name = self.next_name(&mut inner, span);
        let mut target = None;
        let mut items = Vec::new();
        for p in inner {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::for_failure => target = p.into_inner().next().map(|n| RewardTarget::Failure(self.name(n))),
                Rule::on_scene => target = p.into_inner().next().map(|n| RewardTarget::Scene(self.name(n))),
                Rule::let_decl => items.push(RewardItem::Let(self.let_decl(p))),
                Rule::stage_decl => items.push(RewardItem::Stage(self.stage(p))),
                Rule::include_decl => {
                    let mut parts = p.into_inner();
                    let template = self.next_name(&mut parts, pspan);
                    let args = parts.next().map(|a| self.args(a)).unwrap_or_default();
                    items.push(RewardItem::Include(IncludeDecl { template, args, span: pspan }));
                }
                Rule::term_decl => {
                    let mut parts = p.into_inner();
                    let name = self.next_name(&mut parts, pspan);
                    let value = parts.next().map_or_else(|| error_expr(pspan), |e| self.expr(e));
                    let when = parts.next().and_then(|w| w.into_inner().next()).map(|e| self.expr(e));
                    items.push(RewardItem::Term(TermDecl { name, value, when, span: pspan }));
                }
                Rule::penalty_decl => {
                    let mut name = None;
                    let mut value = None;
                    let mut when = None;
                    for part in p.into_inner() {
                        match part.as_rule() {
                            Rule::term_name => name = Some(self.name(part)),
                            Rule::expr => value = Some(self.expr(part)),
                            Rule::when_clause => when = part.into_inner().next().map(|e| self.expr(e)),
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
                    for part in p.into_inner() {
                        match part.as_rule() {
                            Rule::expr => value = Some(self.expr(part)),
                            Rule::when_clause => when = part.into_inner().next().map(|e| self.expr(e)),
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
        let mut parts = pair.into_inner();
        let name = self.next_name(&mut parts, span);
        let value = parts.next().map_or_else(|| error_expr(span), |e| self.expr(e));
        LetDecl { name, value }
    }

    fn stage(&self, pair: Pair<Rule>) -> StageDecl {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.next_name(&mut inner, span);
        let mut clauses = Vec::new();
        for clause in inner {
            let cspan = self.span(&clause);
            let rule = clause.as_rule();
            let mut parts = clause.into_inner();
            let first = parts.next().map_or_else(|| error_expr(cspan), |e| self.expr(e));
            clauses.push(match rule {
                Rule::shape_clause => StageClause::Shape { value: first, span: cspan },
                Rule::bonus_clause => StageClause::Bonus { value: first, span: cspan },
                Rule::done_clause => {
                    let steps = parts.next().and_then(|f| f.into_inner().next()).map(|n| (self.integer(&n), self.span(&n)));
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

    fn check(&self, mut inner: Pairs<Rule>, span: Span) -> CheckDecl {
        let name = self.next_name(&mut inner, span);
        let mut scene = None;
        let mut items = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::on_scene => scene = p.into_inner().next().map(|n| self.name(n)),
                Rule::let_decl => items.push(CheckItem::Let(self.let_decl(p))),
                Rule::output_decl => {
                    let pspan = self.span(&p);
                    let mut parts = p.into_inner();
                    let name = self.next_name(&mut parts, pspan);
                    let value = parts.next().map_or_else(|| error_expr(pspan), |e| self.expr(e));
                    items.push(CheckItem::Output { name, value });
                }
                _ => {}
            }
        }
        CheckDecl { name, scene, items, span }
    }

    fn function(&self, mut inner: Pairs<Rule>, span: Span) -> FnDecl {
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
        pair.into_inner()
            .map(|param| {
                let span = self.span(&param);
                let mut parts = param.into_inner();
                let name = self.next_name(&mut parts, span);
                let ty = parts.next().map_or(TypeExpr { name: name.clone(), arg: None, span }, |t| self.type_expr(t));
                Param { name, ty }
            })
            .collect()
    }

    fn args(&self, pair: Pair<Rule>) -> Vec<Expr> {
        pair.into_inner().map(|e| self.expr(e)).collect()
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
                let field = op.into_inner().next().map_or(Name { text: String::new(), span }, |n| self.name(n));
                let span = base.span.to(field.span);
                self.deepen(&too_deep, span, depth, |base| ExprKind::Field { base, field }, base)
            })
            .map_infix(|(lhs, ld), op, (rhs, rd)| {
                let op_span = self.span(&op);
                let binop = binop(op.as_rule());
                let span = lhs.span.to(rhs.span);
                let depth = ld.max(rd);
                if depth >= MAX_EXPR_DEPTH {
                    self.report_depth(&too_deep, span);
                    return (error_expr(span), 1);
                }
                (Expr { kind: ExprKind::Binary { op: binop, op_span, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span }, depth + 1)
            })
            .parse(pair.into_inner());
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
            Rule::paren => return pair.into_inner().next().map_or_else(|| error_expr(span), |e| self.expr(e)),
            Rule::expr => return self.expr(pair),
            Rule::quantity => self.quantity(pair, span),
            Rule::bool_lit => ExprKind::Bool(pair.as_str() == "true"),
            Rule::string => ExprKind::Str(pair.into_inner().next().map_or(String::new(), |s| s.as_str().to_string())),
            Rule::ident => ExprKind::Name(pair.as_str().to_string()),
            Rule::call => {
                let mut parts = pair.into_inner();
                let callee = self.next_name(&mut parts, span);
                let args = parts.next().map(|a| self.args(a)).unwrap_or_default();
                ExprKind::Call { callee, args }
            }
            Rule::done_expr => ExprKind::Done(self.next_name(&mut pair.into_inner(), span)),
            Rule::if_expr => {
                let mut parts = pair.into_inner().map(|e| Box::new(self.expr(e)));
                let mut next = || parts.next().unwrap_or_else(|| Box::new(error_expr(span)));
                let (cond, then, otherwise) = (next(), next(), next());
                ExprKind::If { cond, then, otherwise }
            }
            other => unreachable_rule(other),
        };
        Expr { kind, span }
    }

    fn quantity(&self, pair: Pair<Rule>, span: Span) -> ExprKind {
        let mut parts = pair.into_inner();
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
