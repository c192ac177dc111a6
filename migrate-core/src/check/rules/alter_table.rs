//! `ALTER TABLE` sub-commands (catalogue §2.B): `ADD COLUMN`, `DROP COLUMN / CONSTRAINT /
//! IDENTITY / EXPRESSION`, `ADD CONSTRAINT` (named or not), renames, partitions, inheritance —
//! and the table-level `IF EXISTS` that guards none of them.

use squawk_syntax::{SyntaxKind as K, SyntaxNode, SyntaxToken};

use super::{
    Condition, Cx, DUPLICATE_COLUMN, DUPLICATE_OBJECT, DUPLICATE_TABLE, INVALID_TABLE_DEFINITION,
    NOT_IN_PREREQUISITE_STATE, UNDEFINED_COLUMN, UNDEFINED_OBJECT, UNDEFINED_TABLE,
    WRONG_OBJECT_TYPE, fails,
};
use crate::check::Rule;
use crate::check::fix::{self, Insert};
use crate::check::tree::{self, quote_literal};

/// The table a statement alters: its source text (for catalog lookups), what follows
/// `ALTER TABLE` in generated statements (`ONLY` kept), and its folded name.
struct Table {
    source: String,
    target: String,
    name: String,
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    if !matches!(node.kind(), K::ALTER_TABLE | K::ALTER_FOREIGN_TABLE) {
        return;
    }
    let Some(relation) = tree::child(node, K::TABLE_RELATION_NAME) else {
        return;
    };
    let table = table(&relation);
    let table_if_exists = tree::has(node, K::IF_EXISTS);
    let mut dropped_here: Vec<String> = Vec::new();
    for action in node.children() {
        match action.kind() {
            K::ADD_COLUMN => add_column(node, &action, &table, table_if_exists, cx),
            K::DROP_COLUMN | K::DROP_CONSTRAINT => {
                if action.kind() == K::DROP_CONSTRAINT
                    && tree::has(&action, K::IF_EXISTS)
                    && let Some(name) = tree::child(&action, K::CONSTRAINT_NAME_REF)
                {
                    dropped_here.push(tree::last_name(&name));
                }
                drop_sub(node, &action, &table, table_if_exists, cx);
            }
            K::ALTER_COLUMN => alter_column(node, &action, &table, table_if_exists, cx),
            K::ADD_CONSTRAINT => add_constraint(node, &action, &table, &dropped_here, cx),
            K::RENAME_COLUMN | K::RENAME_CONSTRAINT => rename(&action, &table, table_if_exists, cx),
            K::TABLE_RENAME_TO if !table_if_exists => rename_table(node, &action, &table, cx),
            K::SET_SCHEMA if !table_if_exists => set_schema(node, &table, cx),
            K::ATTACH_PARTITION | K::DETACH_PARTITION | K::INHERIT_TABLE | K::NO_INHERIT_TABLE => {
                partition(&action, &table, cx)
            }
            _ => {}
        }
    }
}

/// The altered table; `ONLY` (no recursion into inheritors) stays in generated statements and
/// out of catalog lookups.
fn table(relation: &SyntaxNode) -> Table {
    let (mut source, mut only) = (String::new(), None);
    let _ = tree::walk_tokens(relation, false, |leaf| {
        if leaf.kind == K::ONLY_KW {
            only = Some(leaf.text.to_owned());
        } else if !tree::is_trivia(leaf.kind) {
            source.push_str(leaf.text);
        }
        std::ops::ControlFlow::Continue(())
    });
    Table {
        target: match only {
            Some(only) => format!("{only} {source}"),
            None => source.clone(),
        },
        source,
        name: tree::last_name(relation),
    }
}

/// `IF NOT EXISTS ` (or `COLUMN IF NOT EXISTS `) before the first token after `keyword`.
fn insert_after(scope: &SyntaxNode, keyword: &SyntaxToken, text: &str) -> Insert {
    let end = tree::token_range(keyword).end;
    match tree::significant_tokens(scope)
        .find(|t| tree::token_range(t).start >= end && t.kind() != K::SEMICOLON)
    {
        Some(next) => Insert::new(tree::token_range(&next).start, format!("{text} ")),
        None => Insert::new(tree::statement_range(scope).end, format!(" {text}")),
    }
}

fn wrong_level(table: &Table, sub: &str) -> String {
    format!(
        "ALTER TABLE IF EXISTS {} guards only the table, not its {sub}",
        table.source
    )
}

fn add_column(stmt: &SyntaxNode, action: &SyntaxNode, table: &Table, wrong: bool, cx: &mut Cx) {
    if tree::has(action, K::IF_NOT_EXISTS) {
        return;
    }
    let column = tree::child(action, K::COLUMN_NAME)
        .map(|c| tree::last_name(&c))
        .unwrap_or_default();
    let insert = match (
        tree::token(action, K::COLUMN_KW),
        tree::token(action, K::ADD_KW),
    ) {
        (Some(kw), _) => insert_after(action, &kw, "IF NOT EXISTS"),
        (None, Some(add)) => insert_after(action, &add, "COLUMN IF NOT EXISTS"),
        (None, None) => return,
    };
    let (rule, what) = if wrong {
        (Rule::IfExistsWrongLevel, wrong_level(table, "ADD COLUMN"))
    } else {
        (
            Rule::MissingIfNotExists,
            "ADD COLUMN without IF NOT EXISTS".to_owned(),
        )
    };
    let server = format!(
        "column \"{column}\" of relation \"{}\" already exists",
        table.name
    );
    cx.report(
        rule,
        tree::range(action),
        fails(&what, DUPLICATE_COLUMN, &server),
        Some(fix::render(stmt, &[insert])),
        Some(DUPLICATE_COLUMN),
    );
}

fn drop_sub(stmt: &SyntaxNode, action: &SyntaxNode, table: &Table, wrong: bool, cx: &mut Cx) {
    if tree::has(action, K::IF_EXISTS) {
        return;
    }
    let (sub, condition, server, insert) = if action.kind() == K::DROP_COLUMN {
        let column = tree::child(action, K::COLUMN_NAME_REF)
            .map(|c| tree::last_name(&c))
            .unwrap_or_default();
        let insert = match (
            tree::token(action, K::COLUMN_KW),
            tree::token(action, K::DROP_KW),
        ) {
            (Some(kw), _) => insert_after(action, &kw, "IF EXISTS"),
            (None, Some(drop)) => insert_after(action, &drop, "COLUMN IF EXISTS"),
            (None, None) => return,
        };
        let server = format!(
            "column \"{column}\" of relation \"{}\" does not exist",
            table.name
        );
        ("DROP COLUMN", UNDEFINED_COLUMN, server, insert)
    } else {
        let name = tree::child(action, K::CONSTRAINT_NAME_REF)
            .map(|c| tree::last_name(&c))
            .unwrap_or_default();
        let Some(kw) = tree::token(action, K::CONSTRAINT_KW) else {
            return;
        };
        let server = format!(
            "constraint \"{name}\" of relation \"{}\" does not exist",
            table.name
        );
        (
            "DROP CONSTRAINT",
            UNDEFINED_OBJECT,
            server,
            insert_after(action, &kw, "IF EXISTS"),
        )
    };
    let (rule, what) = if wrong {
        (Rule::IfExistsWrongLevel, wrong_level(table, sub))
    } else {
        (Rule::MissingIfExists, format!("{sub} without IF EXISTS"))
    };
    cx.report(
        rule,
        tree::range(action),
        fails(&what, condition, &server),
        Some(fix::render(stmt, &[insert])),
        Some(condition),
    );
}

fn alter_column(stmt: &SyntaxNode, action: &SyntaxNode, table: &Table, wrong: bool, cx: &mut Cx) {
    let column = tree::child(action, K::COLUMN_NAME_REF)
        .map(|c| tree::last_name(&c))
        .unwrap_or_default();
    for sub in action.children() {
        let (keyword, what, state) = match sub.kind() {
            K::DROP_IDENTITY => (K::IDENTITY_KW, "DROP IDENTITY", "is not an identity column"),
            K::DROP_EXPRESSION => (
                K::EXPRESSION_KW,
                "DROP EXPRESSION",
                "is not a stored generated column",
            ),
            K::ADD_GENERATED => {
                add_identity(action, &sub, table, &column, cx);
                continue;
            }
            K::SET_TYPE => {
                retype_using(stmt, &sub, table, &column, cx);
                continue;
            }
            _ => continue,
        };
        if tree::has(&sub, K::IF_EXISTS) {
            continue;
        }
        let Some(kw) = tree::token(&sub, keyword) else {
            continue;
        };
        let (rule, what) = if wrong {
            (Rule::IfExistsWrongLevel, wrong_level(table, what))
        } else {
            (Rule::MissingIfExists, format!("{what} without IF EXISTS"))
        };
        let server = format!("column \"{column}\" of relation \"{}\" {state}", table.name);
        cx.report(
            rule,
            tree::range(&sub),
            fails(&what, NOT_IN_PREREQUISITE_STATE, &server),
            Some(fix::render(stmt, &[insert_after(stmt, &kw, "IF EXISTS")])),
            Some(NOT_IN_PREREQUISITE_STATE),
        );
    }
}

fn add_identity(action: &SyntaxNode, sub: &SyntaxNode, table: &Table, column: &str, cx: &mut Cx) {
    let _ = sub;
    let statement = format!("ALTER TABLE {} {}", table.target, fix::render(action, &[]));
    let condition = format!(
        "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND attidentity = '')",
        quote_literal(&table.source),
        quote_literal(column)
    );
    let server = format!(
        "column \"{column}\" of relation \"{}\" is already an identity column",
        table.name
    );
    cx.report(
        Rule::UnguardedStatement,
        tree::range(action),
        fails(
            "ADD GENERATED … AS IDENTITY has no IF NOT EXISTS",
            NOT_IN_PREREQUISITE_STATE,
            &server,
        ),
        Some(fix::do_if(&condition, &statement)),
        Some(NOT_IN_PREREQUISITE_STATE),
    );
}

/// `ALTER COLUMN c TYPE t USING <expression>`: retyping to the same type again is a no-op,
/// but the `USING` expression was written for the old type, and a second run applies it to
/// the new one: it fails (`CASE WHEN c THEN …` on a column no longer boolean, SQLSTATE 42804)
/// or converts the data a second time (`USING c * 100`). No exception guard covers the second
/// case, so the fix tests the column's current type.
fn retype_using(
    stmt: &SyntaxNode,
    set_type: &SyntaxNode,
    table: &Table,
    column: &str,
    cx: &mut Cx,
) {
    let Some(using) = tree::child(set_type, K::USING_EXPR) else {
        return;
    };
    let Some(new_type) = set_type
        .children()
        .find(|c| c.kind() != K::USING_EXPR && c.kind() != K::COLLATE)
    else {
        return;
    };
    let condition = format!(
        "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND atttypid <> {}::regtype)",
        quote_literal(&table.source),
        quote_literal(column),
        quote_literal(&fix::render(&new_type, &[]))
    );
    cx.report(
        Rule::UnguardedStatement,
        tree::range(&using),
        format!(
            "ALTER COLUMN … TYPE … USING converts from the column's old type: a second run \
             applies the USING expression to the new type, and fails (SQLSTATE 42804 when the \
             expression no longer fits) or converts the data again; column \"{column}\" of \
             relation \"{}\"",
            table.name
        ),
        Some(fix::do_if(&condition, &fix::render(stmt, &[]))),
        None,
    );
}

/// `DROP CONSTRAINT IF EXISTS c …, ADD CONSTRAINT c … USING INDEX i`: dropping first makes a
/// plain `ADD CONSTRAINT` re-runnable, but not this one. The first run renamed index `i` to
/// `c`; a second run drops the constraint with that index, then finds no `i` (42704). The
/// statement can only run while `i` still exists under its own name.
fn reattach_using_index(stmt: &SyntaxNode, using_index: &SyntaxNode, cx: &mut Cx) {
    let index = tree::last_name(using_index);
    if index.is_empty() {
        return;
    }
    let condition = format!("to_regclass({}) IS NOT NULL", quote_literal(&index));
    cx.report(
        Rule::UnguardedStatement,
        tree::range(using_index),
        fails(
            "ADD CONSTRAINT … USING INDEX renames the index to the constraint, so the DROP CONSTRAINT before it does not make it re-runnable",
            UNDEFINED_OBJECT,
            &format!("index \"{index}\" does not exist"),
        ),
        Some(fix::do_if(&condition, &fix::render(stmt, &[]))),
        None,
    );
}

/// The constraint kinds of `ADD …`, and the suffix PostgreSQL uses when it names one.
fn constraint_suffix(kind: K) -> Option<&'static str> {
    Some(match kind {
        K::CHECK_CONSTRAINT => "check",
        K::FOREIGN_KEY_CONSTRAINT => "fkey",
        K::UNIQUE_CONSTRAINT => "key",
        K::PRIMARY_KEY_CONSTRAINT => "pkey",
        K::EXCLUDE_CONSTRAINT => "excl",
        K::NOT_NULL_CONSTRAINT => "not_null",
        _ => return None,
    })
}

/// The guard that makes `ADD CONSTRAINT name …` re-runnable.
pub(crate) fn constraint_guard(table_source: &str, name: &str, statement: &str) -> String {
    let condition = format!(
        "NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({}) AND conname = {})",
        quote_literal(table_source),
        quote_literal(name)
    );
    fix::do_if(&condition, statement)
}

fn add_constraint(
    stmt: &SyntaxNode,
    action: &SyntaxNode,
    table: &Table,
    dropped_here: &[String],
    cx: &mut Cx,
) {
    let Some(constraint) = action
        .children()
        .find(|c| constraint_suffix(c.kind()).is_some())
    else {
        return;
    };
    let kind = constraint.kind();
    let suffix = constraint_suffix(kind).unwrap_or("check");
    let named = tree::child(&constraint, K::CONSTRAINT_NAME_CLAUSE)
        .and_then(|c| tree::child(&c, K::CONSTRAINT_NAME))
        .map(|n| tree::last_name(&n));
    let name = match &named {
        Some(n) => n.clone(),
        None => generated_constraint_name(&table.name, &constraint, suffix),
    };
    if dropped_here.contains(&name)
        || cx
            .dropped
            .iter()
            .any(|d| d.kind == K::DROP_CONSTRAINT && d.name == name)
    {
        if let Some(index) = tree::child(&constraint, K::USING_INDEX_NAME) {
            reattach_using_index(stmt, &index, cx);
        }
        return;
    }
    let inserts = match &named {
        Some(_) => Vec::new(),
        None => vec![Insert::new(
            tree::range(&constraint).start,
            format!("CONSTRAINT {name} "),
        )],
    };
    let statement = format!(
        "ALTER TABLE {} {}",
        table.target,
        fix::render(action, &inserts)
    );
    let help = constraint_guard(&table.source, &name, &statement);
    let (condition, server) = match kind {
        K::PRIMARY_KEY_CONSTRAINT => (
            INVALID_TABLE_DEFINITION,
            format!(
                "multiple primary keys for table \"{}\" are not allowed",
                table.name
            ),
        ),
        K::UNIQUE_CONSTRAINT | K::EXCLUDE_CONSTRAINT => (
            DUPLICATE_TABLE,
            format!("relation \"{name}\" already exists"),
        ),
        _ => (
            DUPLICATE_OBJECT,
            format!(
                "constraint \"{name}\" for relation \"{}\" already exists",
                table.name
            ),
        ),
    };
    if named.is_none() && kind != K::PRIMARY_KEY_CONSTRAINT {
        let message = format!(
            "ADD CONSTRAINT without a name: a second run silently adds a duplicate constraint \
             (PostgreSQL names it {name}1, {name}2, …)"
        );
        cx.report(
            Rule::UnnamedConstraint,
            tree::range(action),
            message,
            Some(help),
            None,
        );
        return;
    }
    cx.report(
        Rule::UnguardedStatement,
        tree::range(action),
        fails(
            "ADD CONSTRAINT has no IF NOT EXISTS and is not inside a guarding DO block",
            condition,
            &server,
        ),
        Some(help),
        Some(condition),
    );
}

/// PostgreSQL's choice: `<table>_<column>_<suffix>` when the constraint names one column
/// (`<table>_<suffix>` otherwise; `<table>_pkey` always).
fn generated_constraint_name(table: &str, constraint: &SyntaxNode, suffix: &str) -> String {
    if suffix == "pkey" {
        return format!("{table}_pkey");
    }
    let mut columns: Vec<String> = Vec::new();
    let scope = match constraint.kind() {
        K::FOREIGN_KEY_CONSTRAINT => tree::child(constraint, K::FOREIGN_KEY_COLUMN_LIST),
        _ => Some(constraint.clone()),
    };
    if let Some(scope) = scope {
        for n in scope.descendants() {
            if matches!(n.kind(), K::NAME_REF | K::COLUMN_NAME_REF)
                && n.parent().is_none_or(|p| p.kind() != K::CALL_EXPR)
            {
                let name = tree::last_name(&n);
                if !columns.contains(&name) {
                    columns.push(name);
                }
            }
        }
    }
    match (constraint.kind(), columns.as_slice()) {
        (K::CHECK_CONSTRAINT, [one]) => format!("{table}_{one}_{suffix}"),
        (K::CHECK_CONSTRAINT, _) | (_, []) => format!("{table}_{suffix}"),
        (_, many) => format!("{table}_{}_{suffix}", many.join("_")),
    }
}

fn rename(action: &SyntaxNode, table: &Table, wrong: bool, cx: &mut Cx) {
    let column = action.kind() == K::RENAME_COLUMN;
    let old_kind = if column {
        K::COLUMN_NAME_REF
    } else {
        K::CONSTRAINT_NAME_REF
    };
    let old = tree::child(action, old_kind)
        .map(|n| tree::last_name(&n))
        .unwrap_or_default();
    let statement = format!("ALTER TABLE {} {}", table.target, fix::render(action, &[]));
    let (sub, condition, server, check) = if column {
        (
            "RENAME COLUMN",
            UNDEFINED_COLUMN,
            format!("column \"{old}\" does not exist"),
            format!(
                "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND NOT attisdropped)",
                quote_literal(&table.source),
                quote_literal(&old)
            ),
        )
    } else {
        (
            "RENAME CONSTRAINT",
            UNDEFINED_OBJECT,
            format!(
                "constraint \"{old}\" for table \"{}\" does not exist",
                table.name
            ),
            format!(
                "EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass({}) AND conname = {})",
                quote_literal(&table.source),
                quote_literal(&old)
            ),
        )
    };
    let (rule, what) = if wrong {
        (Rule::IfExistsWrongLevel, wrong_level(table, sub))
    } else {
        (
            Rule::UnguardedStatement,
            format!("{sub} has no IF EXISTS and is not inside a guarding DO block"),
        )
    };
    cx.report(
        rule,
        tree::range(action),
        fails(&what, condition, &server),
        Some(fix::do_if(&check, &statement)),
        Some(condition),
    );
}

fn rename_table(stmt: &SyntaxNode, action: &SyntaxNode, table: &Table, cx: &mut Cx) {
    let Some(table_kw) = tree::token(stmt, K::TABLE_KW) else {
        return;
    };
    let _ = action;
    let help = fix::render(stmt, &[insert_after(stmt, &table_kw, "IF EXISTS")]);
    let server = format!("relation \"{}\" does not exist", table.name);
    cx.report(
        Rule::UnguardedStatement,
        tree::statement_range(stmt),
        fails(
            "ALTER TABLE … RENAME TO without IF EXISTS",
            UNDEFINED_TABLE,
            &server,
        ),
        Some(help),
        Some(UNDEFINED_TABLE),
    );
}

fn set_schema(stmt: &SyntaxNode, table: &Table, cx: &mut Cx) {
    let Some(table_kw) = tree::token(stmt, K::TABLE_KW) else {
        return;
    };
    let help = fix::render(stmt, &[insert_after(stmt, &table_kw, "IF EXISTS")]);
    let server = format!("relation \"{}\" does not exist", table.name);
    cx.report(
        Rule::MissingIfExists,
        tree::statement_range(stmt),
        fails(
            "ALTER TABLE … SET SCHEMA without IF EXISTS",
            UNDEFINED_TABLE,
            &server,
        ),
        Some(help),
        Some(UNDEFINED_TABLE),
    );
}

fn partition(action: &SyntaxNode, table: &Table, cx: &mut Cx) {
    if action.kind() == K::DETACH_PARTITION && tree::has(action, K::DETACH_CONCURRENTLY) {
        // Cannot run in a DO block: reported as not guardable.
        return;
    }
    let Some(other) = tree::child(action, K::TABLE_NAME_REF) else {
        return;
    };
    let other_source = tree::source_name(&other);
    let other_name = tree::last_name(&other);
    let (child, parent) = match action.kind() {
        K::INHERIT_TABLE | K::NO_INHERIT_TABLE => (&table.source, &other_source),
        _ => (&other_source, &table.source),
    };
    let link = format!(
        "EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass({}) AND inhparent = to_regclass({}))",
        quote_literal(child),
        quote_literal(parent)
    );
    let (what, condition, server, check): (&str, Condition, String, String) = match action.kind() {
        K::ATTACH_PARTITION => (
            "ATTACH PARTITION",
            WRONG_OBJECT_TYPE,
            format!("\"{other_name}\" is already a partition"),
            format!("NOT {link}"),
        ),
        K::DETACH_PARTITION => (
            "DETACH PARTITION",
            UNDEFINED_TABLE,
            format!(
                "relation \"{other_name}\" is not a partition of relation \"{}\"",
                table.name
            ),
            link,
        ),
        K::INHERIT_TABLE => (
            "INHERIT",
            DUPLICATE_TABLE,
            format!("relation \"{other_name}\" would be inherited from more than once"),
            format!("NOT {link}"),
        ),
        _ => (
            "NO INHERIT",
            UNDEFINED_TABLE,
            format!(
                "relation \"{other_name}\" is not a parent of relation \"{}\"",
                table.name
            ),
            link,
        ),
    };
    let statement = format!("ALTER TABLE {} {}", table.target, fix::render(action, &[]));
    cx.report(
        Rule::UnguardedStatement,
        tree::range(action),
        fails(
            &format!("{what} has no guard syntax and is not inside a guarding DO block"),
            condition,
            &server,
        ),
        Some(fix::do_if(&check, &statement)),
        Some(condition),
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{clean, diagnostics, fires, only};
    use crate::check::Rule;

    #[test]
    fn retyping_with_using_is_guarded_on_the_current_type() {
        let d = fires(
            "ALTER TABLE builds ALTER build_status TYPE build_status USING CASE WHEN build_status THEN 'success'::build_status ELSE 'failure' END;",
            Rule::UnguardedStatement,
            "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('builds') AND attname = 'build_status' AND atttypid <> 'build_status'::regtype) THEN\n    ALTER TABLE builds ALTER build_status TYPE build_status USING CASE WHEN build_status THEN 'success'::build_status ELSE 'failure' END;\n  END IF;\nEND $$;",
        );
        assert!(d.message.contains("42804"), "{}", d.message);
        // Without USING a second run is a no-op; guarded, the statement is clean.
        clean("ALTER TABLE t ALTER COLUMN c TYPE bigint;");
        clean(&d.help.unwrap());
    }

    #[test]
    fn reattaching_a_constraint_using_an_index_is_guarded_on_the_index() {
        let sql = "ALTER TABLE version_downloads DROP CONSTRAINT IF EXISTS version_downloads_pkey, ADD CONSTRAINT version_downloads_pkey PRIMARY KEY USING INDEX version_downloads_unique, DROP COLUMN IF EXISTS id;";
        let d = fires(
            sql,
            Rule::UnguardedStatement,
            &format!(
                "DO $$\nBEGIN\n  IF to_regclass('version_downloads_unique') IS NOT NULL THEN\n    {}\n  END IF;\nEND $$;",
                sql
            ),
        );
        assert!(d.message.contains("42704"), "{}", d.message);
        clean(&d.help.unwrap());
    }

    #[test]
    fn add_column_needs_if_not_exists() {
        let d = fires(
            "ALTER TABLE users ADD COLUMN position text;",
            Rule::MissingIfNotExists,
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS position text",
        );
        assert_eq!(
            d.message,
            "ADD COLUMN without IF NOT EXISTS: a second run fails with 42701 (column \"position\" of relation \"users\" already exists)"
        );
        fires(
            "ALTER TABLE users ADD position text;",
            Rule::MissingIfNotExists,
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS position text",
        );
        clean("ALTER TABLE users ADD COLUMN IF NOT EXISTS position text;");
    }

    #[test]
    fn every_sub_command_is_reported() {
        let d = diagnostics("ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int, DROP COLUMN c;");
        let rules: Vec<Rule> = d.iter().map(|d| d.rule).collect();
        assert_eq!(
            rules,
            [
                Rule::MissingIfNotExists,
                Rule::MissingIfNotExists,
                Rule::MissingIfExists
            ]
        );
        assert_eq!(
            d[1].help.as_deref(),
            Some("ALTER TABLE t ADD COLUMN a int, ADD COLUMN IF NOT EXISTS b int, DROP COLUMN c")
        );
    }

    #[test]
    fn drops_of_sub_objects_need_if_exists() {
        fires(
            "ALTER TABLE t DROP COLUMN c;",
            Rule::MissingIfExists,
            "ALTER TABLE t DROP COLUMN IF EXISTS c",
        );
        fires(
            "ALTER TABLE t DROP CONSTRAINT k;",
            Rule::MissingIfExists,
            "ALTER TABLE t DROP CONSTRAINT IF EXISTS k",
        );
        fires(
            "ALTER TABLE t ALTER COLUMN c DROP IDENTITY;",
            Rule::MissingIfExists,
            "ALTER TABLE t ALTER COLUMN c DROP IDENTITY IF EXISTS",
        );
        clean("ALTER TABLE t DROP COLUMN IF EXISTS c, DROP CONSTRAINT IF EXISTS k;");
    }

    #[test]
    fn table_level_if_exists_is_the_wrong_level() {
        let d = fires(
            "ALTER TABLE IF EXISTS t ADD COLUMN c int;",
            Rule::IfExistsWrongLevel,
            "ALTER TABLE IF EXISTS t ADD COLUMN IF NOT EXISTS c int",
        );
        assert!(d.message.starts_with(
            "ALTER TABLE IF EXISTS t guards only the table, not its ADD COLUMN: a second run fails with 42701"
        ));
        only(
            "ALTER TABLE IF EXISTS t RENAME COLUMN a TO b;",
            Rule::IfExistsWrongLevel,
        );
        clean("ALTER TABLE IF EXISTS t ADD COLUMN IF NOT EXISTS c int;");
    }

    #[test]
    fn unnamed_constraints_get_postgres_names_and_a_guard() {
        let d = only("ALTER TABLE t ADD CHECK (a > 0);", Rule::UnnamedConstraint);
        assert_eq!(
            d.help.as_deref(),
            Some(
                "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('t') AND conname = 't_a_check') THEN\n    ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0);\n  END IF;\nEND $$;"
            )
        );
        let d = only(
            "ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);",
            Rule::UnnamedConstraint,
        );
        assert!(
            d.help
                .unwrap()
                .contains("ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY")
        );
    }

    #[test]
    fn named_constraints_need_a_guard() {
        let d = only(
            "ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0);",
            Rule::UnguardedStatement,
        );
        assert!(
            d.message
                .contains("42710 (constraint \"k\" for relation \"t\" already exists)")
        );
        clean("ALTER TABLE t DROP CONSTRAINT IF EXISTS k, ADD CONSTRAINT k CHECK (a > 0);");
        clean(
            "ALTER TABLE t DROP CONSTRAINT IF EXISTS k; ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0);",
        );
    }

    #[test]
    fn renames_and_partitions_need_a_guard() {
        let d = only(
            "ALTER TABLE t RENAME COLUMN a TO b;",
            Rule::UnguardedStatement,
        );
        assert_eq!(
            d.help.as_deref(),
            Some(
                "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('t') AND attname = 'a' AND NOT attisdropped) THEN\n    ALTER TABLE t RENAME COLUMN a TO b;\n  END IF;\nEND $$;"
            )
        );
        only(
            "ALTER TABLE t RENAME CONSTRAINT a TO b;",
            Rule::UnguardedStatement,
        );
        only(
            "ALTER TABLE t ATTACH PARTITION p FOR VALUES IN (1);",
            Rule::UnguardedStatement,
        );
        fires(
            "ALTER TABLE t RENAME TO u;",
            Rule::UnguardedStatement,
            "ALTER TABLE IF EXISTS t RENAME TO u",
        );
        clean("ALTER TABLE IF EXISTS t RENAME TO u;");
    }
}
