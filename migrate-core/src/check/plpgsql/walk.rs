//! Walks the PL/pgSQL tree, carrying what guards the current position, and collects the SQL
//! statements it meets.

use squawk_syntax::ast::{self, AstNode, LitKind};
use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::condition::{self, Env, range_of};
use super::parse::{IntoClause, ParsedBody, fold_name};
use super::{CatalogCheck, Guard, Item};

pub(super) struct Walker<'a> {
    text: &'a str,
    into_clauses: &'a [IntoClause],
    items: Vec<Item>,
}

impl<'a> Walker<'a> {
    pub fn walk(parsed: &'a ParsedBody) -> Vec<Item> {
        let mut walker = Walker {
            text: &parsed.text,
            into_clauses: &parsed.into_clauses,
            items: Vec::new(),
        };
        let mut env = Env::default();
        for block in parsed
            .root
            .children()
            .filter(|n| n.kind() == SyntaxKind::PLPGSQL_BLOCK)
        {
            walker.stmt(&block, &Guard::default(), &mut env);
        }
        walker.items
    }

    fn body(&mut self, body: Option<SyntaxNode>, guard: &Guard, env: &mut Env) {
        let Some(body) = body else { return };
        for stmt in body.children() {
            self.stmt(&stmt, guard, env);
        }
    }

    fn stmt(&mut self, stmt: &SyntaxNode, guard: &Guard, env: &mut Env) {
        match stmt.kind() {
            SyntaxKind::PLPGSQL_BLOCK => self.block(stmt, guard, env),
            SyntaxKind::PLPGSQL_IF_STMT => self.if_stmt(stmt, guard, env),
            SyntaxKind::PLPGSQL_CASE_STMT => self.case_stmt(stmt, guard, env),
            SyntaxKind::PLPGSQL_LOOP_STMT
            | SyntaxKind::PLPGSQL_WHILE_STMT
            | SyntaxKind::PLPGSQL_FOR_I_STMT
            | SyntaxKind::PLPGSQL_FOR_QUERY_STMT
            | SyntaxKind::PLPGSQL_FOR_DYN_STMT
            | SyntaxKind::PLPGSQL_FOR_CURSOR_STMT
            | SyntaxKind::PLPGSQL_FOR_EACH_STMT => self.loop_stmt(stmt, guard, env),
            SyntaxKind::PLPGSQL_EXEC_SQL_STMT => self.exec_sql(stmt, guard, env),
            SyntaxKind::PLPGSQL_DYN_EXECUTE_STMT => {
                let query = stmt
                    .children()
                    .find(|c| c.kind() == SyntaxKind::PLPGSQL_EXPR);
                self.execute(stmt, query, guard);
                env.forget(&assigned_names(stmt, self.into_clauses));
            }
            // `CALL`, a nested `DO`, `COMMIT`, `ROLLBACK` are SQL the rules must see.
            SyntaxKind::PLPGSQL_CALL_STMT
            | SyntaxKind::PLPGSQL_DO_STMT
            | SyntaxKind::PLPGSQL_COMMIT_STMT
            | SyntaxKind::PLPGSQL_ROLLBACK_STMT => {
                self.push_sql(without_semicolon(stmt), guard);
                env.found = None;
            }
            SyntaxKind::PLPGSQL_PERFORM_STMT => {
                // PERFORM runs a query for its side effects only; as a catalog lookup it sets
                // FOUND, the `PERFORM 1 FROM pg_… ; IF NOT FOUND THEN` idiom.
                env.found = stmt
                    .children()
                    .find(|c| c.kind() == SyntaxKind::SELECT)
                    .and_then(condition::probe_of);
            }
            SyntaxKind::PLPGSQL_ASSIGN_STMT => self.assign(stmt, env),
            _ => env.forget(&assigned_names(stmt, self.into_clauses)),
        }
    }

    fn block(&mut self, block: &SyntaxNode, guard: &Guard, env: &mut Env) {
        let Some(block) = ast::PlpgsqlBlock::cast(block.clone()) else {
            return;
        };
        if let Some(declare) = block.declare_section() {
            for decl in declare.syntax().children() {
                self.declare(&decl, env);
            }
        }
        let mut inner = guard.clone();
        if let Some(section) = block.exception() {
            for handler in section.handlers() {
                for condition in handler.conditions() {
                    let name = condition_name(&condition);
                    if !name.is_empty() && !inner.handled_conditions.contains(&name) {
                        inner.handled_conditions.push(name);
                    }
                }
            }
        }
        self.body(block.body().map(|b| b.syntax().clone()), &inner, env);
        if let Some(section) = block.exception() {
            for handler in section.handlers() {
                // A handler runs after an error, when any variable may hold anything.
                let mut handler_env = Env::default();
                self.body(
                    handler.body().map(|b| b.syntax().clone()),
                    guard,
                    &mut handler_env,
                );
            }
        }
        env.forget(&assigned_names(block.syntax(), self.into_clauses));
        env.found = None;
    }

    fn declare(&mut self, decl: &SyntaxNode, env: &mut Env) {
        let Some(decl) = ast::PlpgsqlVarDecl::cast(decl.clone()) else {
            return;
        };
        let Some(name) = decl
            .name()
            .map(|n| fold_name(n.syntax().text().to_string().trim()))
        else {
            return;
        };
        let binding = decl
            .init()
            .and_then(|init| init.expr())
            .and_then(|expr| condition::binding_of_expr(expr.syntax(), env));
        match binding {
            Some(binding) => {
                env.vars.insert(name, binding);
            }
            None => {
                env.vars.remove(&name);
            }
        }
    }

    fn assign(&mut self, stmt: &SyntaxNode, env: &mut Env) {
        // The accessors squawk generates lack `target`/`value`: the target is the
        // PLPGSQL_ASSIGN_TARGET child, the value the PLPGSQL_EXPR child.
        let Some(target) = stmt
            .children()
            .find(|c| c.kind() == SyntaxKind::PLPGSQL_ASSIGN_TARGET)
        else {
            return;
        };
        let name = fold_name(target.text().to_string().trim());
        let binding = stmt
            .children()
            .find(|c| c.kind() == SyntaxKind::PLPGSQL_EXPR)
            .and_then(|value| condition::binding_of_expr(&value, env));
        match binding {
            Some(binding) => {
                env.vars.insert(name, binding);
            }
            None => {
                env.vars.remove(&name);
            }
        }
    }

    fn if_stmt(&mut self, stmt: &SyntaxNode, guard: &Guard, env: &mut Env) {
        let Some(if_stmt) = ast::PlpgsqlIfStmt::cast(stmt.clone()) else {
            return;
        };
        let mut branches = Vec::new();
        if let Some(cond) = if_stmt.cond() {
            branches.push((
                Some(cond.syntax().clone()),
                if_stmt.then_body().map(|b| b.syntax().clone()),
            ));
        }
        for elsif in if_stmt.elsifs() {
            branches.push((
                elsif.cond().map(|c| c.syntax().clone()),
                elsif.body().map(|b| b.syntax().clone()),
            ));
        }
        let else_body = if_stmt
            .else_clause()
            .and_then(|e| e.body())
            .map(|b| b.syntax().clone());
        self.branches(branches, else_body, guard, env);
        env.forget(&assigned_names(stmt, self.into_clauses));
        env.found = None;
    }

    fn case_stmt(&mut self, stmt: &SyntaxNode, guard: &Guard, env: &mut Env) {
        let Some(case) = ast::PlpgsqlCaseStmt::cast(stmt.clone()) else {
            return;
        };
        // `CASE x WHEN 1 THEN` compares values: only the searched form tests conditions.
        let searched = case.subject().is_none();
        let branches = case
            .whens()
            .map(|when| {
                (
                    when.cond().filter(|_| searched).map(|c| c.syntax().clone()),
                    when.body().map(|b| b.syntax().clone()),
                )
            })
            .collect();
        let else_body = case
            .else_clause()
            .and_then(|e| e.body())
            .map(|b| b.syntax().clone());
        self.branches(branches, else_body, guard, env);
        env.forget(&assigned_names(stmt, self.into_clauses));
        env.found = None;
    }

    /// Walks `IF … ELSIF … ELSE` (or searched `CASE`) branches: a branch runs when its own
    /// condition is true and every earlier one was false.
    fn branches(
        &mut self,
        branches: Vec<(Option<SyntaxNode>, Option<SyntaxNode>)>,
        else_body: Option<SyntaxNode>,
        guard: &Guard,
        env: &Env,
    ) {
        let mut earlier_false: Vec<CatalogCheck> = Vec::new();
        // Once a condition cannot be read, later branches lose what its falsity would say.
        let mut earlier_known = true;
        for (cond, body) in branches {
            let mut branch_guard = guard.clone();
            let mut own_true = Vec::new();
            if let Some(cond) = &cond {
                own_true = condition::facts(cond, true, env);
            }
            add_checks(&mut branch_guard, earlier_false.iter().cloned());
            add_checks(&mut branch_guard, own_true);
            self.body(body, &branch_guard, &mut env.clone());
            match &cond {
                Some(cond) if earlier_known => {
                    earlier_false.extend(condition::facts(cond, false, env));
                }
                _ => earlier_known = false,
            }
        }
        let mut else_guard = guard.clone();
        add_checks(&mut else_guard, earlier_false);
        self.body(else_body, &else_guard, &mut env.clone());
    }

    fn loop_stmt(&mut self, stmt: &SyntaxNode, guard: &Guard, env: &mut Env) {
        // A variable set anywhere in the loop may already hold a later iteration's value when
        // a condition reads it, so nothing assigned inside the loop is trusted.
        let assigned = assigned_names(stmt, self.into_clauses);
        env.forget(&assigned);
        env.found = None;
        let mut inner = guard.clone();
        match stmt.kind() {
            SyntaxKind::PLPGSQL_WHILE_STMT => {
                if let Some(cond) = stmt
                    .children()
                    .find(|c| c.kind() == SyntaxKind::PLPGSQL_EXPR)
                {
                    add_checks(&mut inner, condition::facts(&cond, true, env));
                }
            }
            SyntaxKind::PLPGSQL_FOR_QUERY_STMT => {
                if let Some(query) = stmt.children().find_map(ast::Stmt::cast) {
                    self.push_sql(range_of(query.syntax()), guard);
                }
            }
            SyntaxKind::PLPGSQL_FOR_DYN_STMT => {
                let query = stmt
                    .children()
                    .find(|c| c.kind() == SyntaxKind::PLPGSQL_EXPR);
                self.execute(stmt, query, guard);
            }
            _ => {}
        }
        let body = stmt
            .children()
            .find(|c| c.kind() == SyntaxKind::PLPGSQL_BODY);
        let mut loop_env = env.clone();
        self.body(body, &inner, &mut loop_env);
        env.forget(&assigned);
        env.found = None;
    }

    fn exec_sql(&mut self, stmt: &SyntaxNode, guard: &Guard, env: &mut Env) {
        let Some(sql) = stmt.children().find_map(ast::Stmt::cast) else {
            return;
        };
        let range = range_of(sql.syntax());
        self.push_sql(range.clone(), guard);
        let into = self
            .into_clauses
            .iter()
            .find(|c| c.range.start >= range.start && c.range.end <= range.end);
        let select = matches!(
            sql.syntax().kind(),
            SyntaxKind::SELECT | SyntaxKind::COMPOUND_SELECT
        )
        .then(|| sql.syntax().clone());
        match (into, &select) {
            (Some(into), Some(select)) => {
                let binding = match into.targets.as_slice() {
                    [_] => condition::binding_of_select_into(select, env),
                    _ => None,
                };
                env.forget(&into.targets);
                if let (Some(binding), [target]) = (binding, into.targets.as_slice()) {
                    env.vars.insert(target.clone(), binding);
                }
                env.found = condition::probe_of(select.clone());
            }
            (Some(into), None) => {
                env.forget(&into.targets);
                env.found = None;
            }
            (None, _) => env.found = None,
        }
    }

    /// `EXECUTE <query>` (or `FOR … IN EXECUTE <query>`): a lone string literal is static SQL.
    fn execute(&mut self, stmt: &SyntaxNode, query: Option<SyntaxNode>, guard: &Guard) {
        match query.as_ref().and_then(string_literal) {
            Some((range, sql)) => self.items.push(Item::Sql {
                range,
                sql,
                guard: guard.clone(),
            }),
            None => self.items.push(Item::DynamicSql {
                range: without_semicolon(stmt),
            }),
        }
    }

    fn push_sql(&mut self, range: std::ops::Range<usize>, guard: &Guard) {
        let Some(sql) = self.text.get(range.clone()) else {
            return;
        };
        self.items.push(Item::Sql {
            range,
            sql: sql.to_owned(),
            guard: guard.clone(),
        });
    }
}

fn add_checks(guard: &mut Guard, checks: impl IntoIterator<Item = CatalogCheck>) {
    for check in checks {
        if !guard.catalog_checks.contains(&check) {
            guard.catalog_checks.push(check);
        }
    }
    guard.catalog_check = !guard.catalog_checks.is_empty();
}

/// `duplicate_object`, or the SQLSTATE of `SQLSTATE '42P07'` (upper case).
fn condition_name(condition: &ast::PlpgsqlCondition) -> String {
    if condition.sqlstate_token().is_some()
        && let Some(code) = condition.string_token()
    {
        return code.text().trim_matches('\'').to_uppercase();
    }
    condition
        .syntax()
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| !t.kind().is_trivia())
        .map(|t| fold_name(t.text()))
        .unwrap_or_default()
}

/// The range of a statement without its closing `;`.
fn without_semicolon(stmt: &SyntaxNode) -> std::ops::Range<usize> {
    let range = range_of(stmt);
    let end = stmt
        .children_with_tokens()
        .filter(|e| !e.kind().is_trivia())
        .last()
        .filter(|e| e.kind() == SyntaxKind::SEMICOLON)
        .map(|e| usize::from(e.text_range().start()))
        .unwrap_or(range.end);
    let trimmed = stmt
        .children_with_tokens()
        .filter(|e| !e.kind().is_trivia() && usize::from(e.text_range().end()) <= end)
        .last()
        .map(|e| usize::from(e.text_range().end()))
        .unwrap_or(end);
    range.start..trimmed
}

/// The content range (inside the quotes) and unescaped text of a query that is one string
/// literal.
fn string_literal(query: &SyntaxNode) -> Option<(std::ops::Range<usize>, String)> {
    let expr = ast::PlpgsqlExpr::cast(query.clone())?;
    let ast::Expr::Literal(literal) = condition::only_target(&expr)? else {
        return None;
    };
    let opening = match literal.kind()? {
        LitKind::String(_) => 1,
        LitKind::EscString(_) => 2,
        LitKind::UnicodeEscString(_) => 3,
        LitKind::DollarQuotedString(token) => {
            let text = token.text();
            text[1..].find('$').map(|i| i + 2)?
        }
        _ => return None,
    };
    let tokens: Vec<_> = literal
        .syntax()
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .collect();
    let first = tokens.first()?;
    let last = tokens
        .iter()
        .take_while(|t| t.kind() != SyntaxKind::UESCAPE_KW)
        .last()?;
    let closing = if last.kind() == SyntaxKind::DOLLAR_QUOTED_STRING {
        opening
    } else {
        1
    };
    let start = usize::from(first.text_range().start()) + opening;
    let end = usize::from(last.text_range().end()).checked_sub(closing)?;
    let sql = literal.string_value()?;
    (start <= end).then_some((start..end, sql))
}

/// Variables a statement (or anything nested in it) may assign.
fn assigned_names(stmt: &SyntaxNode, into_clauses: &[IntoClause]) -> Vec<String> {
    let range = range_of(stmt);
    let mut names: Vec<String> = stmt
        .descendants()
        .filter(|n| {
            matches!(
                n.kind(),
                SyntaxKind::PLPGSQL_ASSIGN_TARGET
                    | SyntaxKind::PLPGSQL_INTO_TARGET
                    | SyntaxKind::PLPGSQL_FOR_VARIABLE
                    | SyntaxKind::PLPGSQL_DIAG_TARGET
                    | SyntaxKind::PLPGSQL_VAR_NAME
            )
        })
        .filter_map(|n| {
            n.children()
                .next()
                .map(|name| fold_name(name.text().to_string().trim()))
                .or_else(|| Some(fold_name(n.text().to_string().trim())))
        })
        .collect();
    for clause in into_clauses {
        if clause.range.start >= range.start && clause.range.end <= range.end {
            names.extend(clause.targets.iter().cloned());
        }
    }
    names
}
