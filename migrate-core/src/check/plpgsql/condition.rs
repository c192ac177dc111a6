//! Reads `IF`/`ELSIF`/`WHILE`/`CASE WHEN` conditions: which catalog tests a branch's condition
//! settles, and whether the branch runs when the tested object is absent or present.
//!
//! The question asked of a condition is "if this condition evaluated to `value`, what do we
//! know about the catalog?". `NOT EXISTS (SELECT … FROM pg_type …)` being true tells us the type
//! is absent; `a AND b` being true tells us everything both sides tell; `a OR b` being true tells
//! us nothing, while being false tells us what both sides being false tell. That one rule covers
//! `THEN` (true), `ELSE` (all conditions false) and `ELSIF` (its own true, the previous false).

use std::collections::HashMap;

use squawk_syntax::ast::{self, AstNode, BinOp, LitKind, PostfixOp, PrefixOp};
use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::parse::fold_name;
use super::{CatalogCheck, Presence};

/// What a catalog test looked at, before we know the branch's polarity.
#[derive(Debug, Clone)]
pub(super) struct Probe {
    catalogs: Vec<String>,
    names: Vec<String>,
    range: std::ops::Range<usize>,
}

impl Probe {
    fn check(&self, runs_when: Presence) -> CatalogCheck {
        CatalogCheck {
            runs_when,
            catalogs: self.catalogs.clone(),
            names: self.names.clone(),
            range: self.range.clone(),
        }
    }
}

/// What a PL/pgSQL variable is known to hold (single assignment, straight-line code).
#[derive(Debug, Clone)]
pub(super) enum Binding {
    /// `SELECT count(*) INTO n FROM pg_…`: zero means absent.
    Count(Probe),
    /// `SELECT x INTO v FROM pg_…`: NULL (no row) means absent.
    Row(Probe),
    /// `b := EXISTS (…)` or `SELECT NOT EXISTS (…) INTO b`: the expression itself.
    Bool(SyntaxNode),
}

/// Variables and `FOUND` as known at one point of the body.
#[derive(Debug, Clone, Default)]
pub(super) struct Env {
    pub vars: HashMap<String, Binding>,
    /// Set after a `PERFORM`/`SELECT … INTO` over a catalog: `FOUND` means present.
    pub found: Option<Probe>,
}

impl Env {
    pub fn forget(&mut self, names: &[String]) {
        for name in names {
            self.vars.remove(name);
        }
    }
}

/// The catalog facts known when `cond` evaluated to `value`.
pub(super) fn facts(cond: &SyntaxNode, value: bool, env: &Env) -> Vec<CatalogCheck> {
    facts_depth(cond, value, env, 0)
}

/// Bound on following variable bindings, so `b := NOT b`-like chains cannot loop.
const MAX_DEPTH: usize = 16;

fn facts_depth(node: &SyntaxNode, value: bool, env: &Env, depth: usize) -> Vec<CatalogCheck> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let Some(expr) = single_expr(node) else {
        return Vec::new();
    };
    let absent_if = |is_absent: bool| {
        if is_absent {
            Presence::Absent
        } else {
            Presence::Present
        }
    };
    match &expr {
        ast::Expr::ParenExpr(paren) => paren
            .syntax()
            .children()
            .next()
            .map(|inner| facts_depth(&inner, value, env, depth + 1))
            .unwrap_or_default(),
        ast::Expr::PrefixExpr(prefix) => match prefix.op() {
            Some(PrefixOp::Not(_)) => prefix
                .syntax()
                .children()
                .next()
                .map(|inner| facts_depth(&inner, !value, env, depth + 1))
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        ast::Expr::CallExpr(call) => {
            // `EXISTS (subquery)`: true means present.
            match exists_probe(call.syntax()) {
                Some(probe) => vec![probe.check(absent_if(!value))],
                None => Vec::new(),
            }
        }
        ast::Expr::NameRef(name) => {
            let name = fold_name(&name.syntax().text().to_string());
            if name == "found" {
                return match &env.found {
                    Some(probe) => vec![probe.check(absent_if(!value))],
                    None => Vec::new(),
                };
            }
            match env.vars.get(&name) {
                Some(Binding::Bool(bound)) => facts_depth(bound, value, env, depth + 1),
                _ => Vec::new(),
            }
        }
        ast::Expr::PostfixExpr(postfix) => {
            let Some(operand) = postfix.syntax().children().next() else {
                return Vec::new();
            };
            match postfix.op() {
                Some(PostfixOp::IsNull(_)) => null_test(&operand, value, env),
                Some(PostfixOp::NotNull(_)) => null_test(&operand, !value, env),
                _ => Vec::new(),
            }
        }
        ast::Expr::BinExpr(bin) => {
            let (Some(lhs), Some(rhs), Some(op)) = (bin.lhs(), bin.rhs(), bin.op()) else {
                return Vec::new();
            };
            let (lhs, rhs) = (lhs.syntax().clone(), rhs.syntax().clone());
            match op {
                BinOp::And(_) if value => {
                    let mut both = facts_depth(&lhs, true, env, depth + 1);
                    both.extend(facts_depth(&rhs, true, env, depth + 1));
                    both
                }
                BinOp::Or(_) if !value => {
                    let mut both = facts_depth(&lhs, false, env, depth + 1);
                    both.extend(facts_depth(&rhs, false, env, depth + 1));
                    both
                }
                BinOp::Is(_) if is_null_literal(&rhs) => null_test(&lhs, value, env),
                BinOp::IsNot(_) if is_null_literal(&rhs) => null_test(&lhs, !value, env),
                _ => count_test(&lhs, &op, &rhs, value, env),
            }
        }
        _ => Vec::new(),
    }
}

/// The expression of a `PLPGSQL_EXPR` (a one-target select list), or the node itself.
fn single_expr(node: &SyntaxNode) -> Option<ast::Expr> {
    if node.kind() != SyntaxKind::PLPGSQL_EXPR {
        return ast::Expr::cast(node.clone());
    }
    only_target(&ast::PlpgsqlExpr::cast(node.clone())?)
}

/// The one expression of a PL/pgSQL expression that is nothing but a select list of one target
/// (no FROM, no WHERE): `x = 0`, `'CREATE …'`.
pub(super) fn only_target(expr: &ast::PlpgsqlExpr) -> Option<ast::Expr> {
    if expr.from_clause().is_some() || expr.where_clause().is_some() {
        return None;
    }
    let mut targets = expr.target_list()?.targets();
    let target = targets.next()?;
    if targets.next().is_some() {
        return None;
    }
    target.expr()
}

/// Facts from `<operand> IS NULL` evaluating to `value`.
fn null_test(operand: &SyntaxNode, value: bool, env: &Env) -> Vec<CatalogCheck> {
    let probe = match ast::Expr::cast(operand.clone()) {
        Some(ast::Expr::CallExpr(call)) => to_reg_probe(call.syntax()),
        Some(ast::Expr::NameRef(name)) => {
            match env.vars.get(&fold_name(&name.syntax().text().to_string())) {
                Some(Binding::Row(probe)) => Some(probe.clone()),
                _ => None,
            }
        }
        Some(ast::Expr::ParenExpr(paren)) => scalar_subquery(paren.syntax()).and_then(probe_of),
        _ => None,
    };
    let presence = if value {
        Presence::Absent
    } else {
        Presence::Present
    };
    probe.map(|p| vec![p.check(presence)]).unwrap_or_default()
}

/// Facts from comparing a catalog count (`n`, `(SELECT count(*) FROM pg_…)`) with 0 or 1.
fn count_test(
    lhs: &SyntaxNode,
    op: &BinOp,
    rhs: &SyntaxNode,
    value: bool,
    env: &Env,
) -> Vec<CatalogCheck> {
    let (probe, number, count_on_left) = match (count_probe(lhs, env), int_literal(rhs)) {
        (Some(probe), Some(n)) => (probe, n, true),
        _ => match (count_probe(rhs, env), int_literal(lhs)) {
            (Some(probe), Some(n)) => (probe, n, false),
            _ => return Vec::new(),
        },
    };
    // Normalise to `count <op> number`.
    let op = match (op, count_on_left) {
        (BinOp::Eq(_), _) => Cmp::Eq,
        (BinOp::Neq(_) | BinOp::Neqb(_), _) => Cmp::Ne,
        (BinOp::RAngle(_), true) | (BinOp::LAngle(_), false) => Cmp::Gt,
        (BinOp::Gteq(_), true) | (BinOp::Lteq(_), false) => Cmp::Ge,
        (BinOp::LAngle(_), true) | (BinOp::RAngle(_), false) => Cmp::Lt,
        (BinOp::Lteq(_), true) | (BinOp::Gteq(_), false) => Cmp::Le,
        _ => return Vec::new(),
    };
    // Whether the comparison being true means "count is zero".
    let true_means_absent = match (op, number) {
        (Cmp::Eq, 0) | (Cmp::Lt, 1) | (Cmp::Le, 0) => true,
        (Cmp::Ne, 0) | (Cmp::Gt, 0) | (Cmp::Ge, 1) => false,
        _ => return Vec::new(),
    };
    let presence = if value == true_means_absent {
        Presence::Absent
    } else {
        Presence::Present
    };
    vec![probe.check(presence)]
}

#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

fn count_probe(node: &SyntaxNode, env: &Env) -> Option<Probe> {
    match ast::Expr::cast(node.clone())? {
        ast::Expr::NameRef(name) => {
            match env.vars.get(&fold_name(&name.syntax().text().to_string())) {
                Some(Binding::Count(probe)) => Some(probe.clone()),
                _ => None,
            }
        }
        ast::Expr::ParenExpr(paren) => {
            let select = scalar_subquery(paren.syntax())?;
            is_count_select(&select).then(|| probe_of(select)).flatten()
        }
        _ => None,
    }
}

fn int_literal(node: &SyntaxNode) -> Option<u64> {
    let literal = ast::Literal::cast(node.clone())?;
    match literal.kind()? {
        LitKind::IntNumber(token) => token.text().parse().ok(),
        _ => None,
    }
}

fn is_null_literal(node: &SyntaxNode) -> bool {
    ast::Literal::cast(node.clone())
        .and_then(|l| l.kind())
        .is_some_and(|kind| matches!(kind, LitKind::Null(_)))
}

/// The `SELECT` inside `(SELECT …)`.
fn scalar_subquery(paren: &SyntaxNode) -> Option<SyntaxNode> {
    paren.children().find(|child| is_select(child.kind()))
}

fn is_select(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::SELECT | SyntaxKind::COMPOUND_SELECT | SyntaxKind::PAREN_SELECT
    )
}

/// Whether a select's single output is `count(…)`.
fn is_count_select(select: &SyntaxNode) -> bool {
    let Some(targets) = select
        .descendants()
        .find(|n| n.kind() == SyntaxKind::TARGET_LIST)
    else {
        return false;
    };
    let mut targets = targets.children();
    let (Some(target), None) = (targets.next(), targets.next()) else {
        return false;
    };
    target
        .children()
        .find_map(ast::CallExpr::cast)
        .and_then(|call| call_name(call.syntax()))
        .is_some_and(|name| name == "count")
}

/// `EXISTS (subquery)` over a catalog.
fn exists_probe(call: &SyntaxNode) -> Option<Probe> {
    let exists = call
        .children()
        .find(|c| c.kind() == SyntaxKind::EXISTS_FN)?;
    let select = exists.children().find(|c| is_select(c.kind()))?;
    probe_of(select)
}

/// `to_regclass('…')` and its siblings.
fn to_reg_probe(call: &SyntaxNode) -> Option<Probe> {
    let name = call_name(call)?;
    if !name.starts_with("to_reg") {
        return None;
    }
    Some(Probe {
        catalogs: vec![name],
        names: string_literals(call),
        range: range_of(call),
    })
}

/// The lower-cased function name of a call (schema prefix dropped).
fn call_name(call: &SyntaxNode) -> Option<String> {
    let name = call.children().find(|c| {
        matches!(
            c.kind(),
            SyntaxKind::NAME_REF | SyntaxKind::FIELD_EXPR | SyntaxKind::PATH_REF
        )
    })?;
    let text = name.text().to_string();
    let last = text.rsplit('.').next().unwrap_or(&text);
    Some(fold_name(last.trim()))
}

/// What a query consults, when it consults the catalog: `pg_*` relations (optionally
/// `pg_catalog.`-qualified), `information_schema.*` views, or `to_reg*` calls.
pub(super) fn probe_of(select: SyntaxNode) -> Option<Probe> {
    let mut catalogs = Vec::new();
    for node in select.descendants() {
        let name = match node.kind() {
            SyntaxKind::RELATION_NAME_REF => catalog_relation(&node),
            SyntaxKind::CALL_EXPR => call_name(&node).filter(|n| n.starts_with("to_reg")),
            _ => None,
        };
        if let Some(name) = name
            && !catalogs.contains(&name)
        {
            catalogs.push(name);
        }
    }
    if catalogs.is_empty() {
        return None;
    }
    Some(Probe {
        catalogs,
        names: string_literals(&select),
        range: range_of(&select),
    })
}

fn catalog_relation(relation: &SyntaxNode) -> Option<String> {
    let text: String = relation
        .text()
        .to_string()
        .split('.')
        .map(|part| fold_name(part.trim()))
        .collect::<Vec<_>>()
        .join(".");
    let unqualified = text.strip_prefix("pg_catalog.").unwrap_or(&text);
    if unqualified.starts_with("pg_") && !unqualified.contains('.') {
        return Some(unqualified.to_owned());
    }
    text.starts_with("information_schema.").then_some(text)
}

fn string_literals(node: &SyntaxNode) -> Vec<String> {
    node.descendants()
        .filter_map(ast::Literal::cast)
        .filter(|literal| {
            matches!(
                literal.kind(),
                Some(
                    LitKind::String(_)
                        | LitKind::EscString(_)
                        | LitKind::DollarQuotedString(_)
                        | LitKind::UnicodeEscString(_)
                )
            )
        })
        .filter_map(|literal| literal.string_value())
        .collect()
}

pub(super) fn range_of(node: &SyntaxNode) -> std::ops::Range<usize> {
    let range = node.text_range();
    usize::from(range.start())..usize::from(range.end())
}

/// What assigning `expr` to a variable binds it to (for `v := expr` and `DECLARE v … := expr`).
pub(super) fn binding_of_expr(expr: &SyntaxNode, env: &Env) -> Option<Binding> {
    let inner = single_expr(expr)?;
    if let ast::Expr::ParenExpr(paren) = &inner
        && let Some(select) = scalar_subquery(paren.syntax())
    {
        if is_count_select(&select) {
            return probe_of(select).map(Binding::Count);
        }
        return probe_of(select).map(Binding::Row);
    }
    let node = inner.syntax().clone();
    let known = !facts(&node, true, env).is_empty() || !facts(&node, false, env).is_empty();
    known.then_some(Binding::Bool(node))
}

/// What `SELECT <targets> INTO <var> FROM …` binds its single target variable to.
pub(super) fn binding_of_select_into(select: &SyntaxNode, env: &Env) -> Option<Binding> {
    let has_from = select
        .children()
        .any(|c| c.kind() == SyntaxKind::FROM_CLAUSE);
    if !has_from {
        // `SELECT EXISTS (…) INTO b`: the single target is the whole value.
        let target_list = select
            .descendants()
            .find(|n| n.kind() == SyntaxKind::TARGET_LIST)?;
        let mut targets = target_list.children();
        let (Some(target), None) = (targets.next(), targets.next()) else {
            return None;
        };
        let expr = target.children().find_map(ast::Expr::cast)?;
        return binding_of_expr(expr.syntax(), env);
    }
    let probe = probe_of(select.clone())?;
    if is_count_select(select) {
        Some(Binding::Count(probe))
    } else {
        Some(Binding::Row(probe))
    }
}
