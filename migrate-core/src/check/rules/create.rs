//! `CREATE …` of objects that have `IF NOT EXISTS` (catalogue rows tagged [G]), unnamed
//! `CREATE INDEX`, and `ALTER TYPE … ADD VALUE`.

use squawk_syntax::{SyntaxKind as K, SyntaxNode, SyntaxToken};

use super::{Condition, Cx, DUPLICATE_OBJECT, DUPLICATE_SCHEMA, DUPLICATE_TABLE, fails};
use crate::check::Rule;
use crate::check::fix::{self, Insert};
use crate::check::tree;

/// Object kind written in messages, the keyword after which `IF NOT EXISTS` goes, what a second
/// run raises, and the server's message for an object named `{}`.
struct Guardable {
    what: &'static str,
    keyword: K,
    condition: Condition,
    exists: &'static str,
}

fn guardable(kind: K) -> Option<Guardable> {
    let g = |what, keyword, condition, exists| Guardable {
        what,
        keyword,
        condition,
        exists,
    };
    Some(match kind {
        K::CREATE_TABLE => g(
            "CREATE TABLE",
            K::TABLE_KW,
            DUPLICATE_TABLE,
            "relation \"{}\" already exists",
        ),
        K::CREATE_TABLE_AS => g(
            "CREATE TABLE … AS",
            K::TABLE_KW,
            DUPLICATE_TABLE,
            "relation \"{}\" already exists",
        ),
        K::CREATE_FOREIGN_TABLE => g(
            "CREATE FOREIGN TABLE",
            K::TABLE_KW,
            DUPLICATE_TABLE,
            "relation \"{}\" already exists",
        ),
        K::CREATE_MATERIALIZED_VIEW => g(
            "CREATE MATERIALIZED VIEW",
            K::VIEW_KW,
            DUPLICATE_TABLE,
            "relation \"{}\" already exists",
        ),
        K::CREATE_SEQUENCE => g(
            "CREATE SEQUENCE",
            K::SEQUENCE_KW,
            DUPLICATE_TABLE,
            "relation \"{}\" already exists",
        ),
        K::CREATE_SCHEMA => g(
            "CREATE SCHEMA",
            K::SCHEMA_KW,
            DUPLICATE_SCHEMA,
            "schema \"{}\" already exists",
        ),
        K::CREATE_EXTENSION => g(
            "CREATE EXTENSION",
            K::EXTENSION_KW,
            DUPLICATE_OBJECT,
            "extension \"{}\" already exists",
        ),
        K::CREATE_STATISTICS => g(
            "CREATE STATISTICS",
            K::STATISTICS_KW,
            DUPLICATE_OBJECT,
            "statistics object \"{}\" already exists",
        ),
        K::CREATE_SERVER => g(
            "CREATE SERVER",
            K::SERVER_KW,
            DUPLICATE_OBJECT,
            "server \"{}\" already exists",
        ),
        K::CREATE_USER_MAPPING => g(
            "CREATE USER MAPPING",
            K::MAPPING_KW,
            DUPLICATE_OBJECT,
            "user mapping for \"{}\" already exists",
        ),
        K::CREATE_COLLATION => g(
            "CREATE COLLATION",
            K::COLLATION_KW,
            DUPLICATE_OBJECT,
            "collation \"{}\" already exists",
        ),
        K::CREATE_INDEX => g(
            "CREATE INDEX",
            K::INDEX_KW,
            DUPLICATE_TABLE,
            "relation \"{}\" already exists",
        ),
        _ => return None,
    })
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    if node.kind() == K::ALTER_TYPE {
        add_value(node, cx);
        return;
    }
    let Some(g) = guardable(node.kind()) else {
        return;
    };
    if tree::has(node, K::IF_NOT_EXISTS) {
        return;
    }
    let Some(keyword) = keyword_end(node, g.keyword) else {
        return;
    };
    let Some(next) = next_significant(node, &keyword) else {
        return;
    };
    let range = tree::statement_range(node);
    let name_node = node
        .children()
        .find(|c| tree::range(c).start >= tree::token_range(&keyword).end);

    if node.kind() == K::CREATE_INDEX && next.kind() == K::ON_KW {
        unnamed_index(node, &next, range, cx);
        return;
    }
    let name = name_node.as_ref().map(tree::last_name).unwrap_or_default();
    if let Some(drop_kind) = dropping_kind(node.kind())
        && let Some(dropped) = cx.dropped_before(drop_kind, &name, None)
    {
        // DROP … IF EXISTS then CREATE re-runs cleanly; it is harmless for derived objects
        // and destroys data for stateful ones.
        if matches!(
            node.kind(),
            K::CREATE_TABLE | K::CREATE_TABLE_AS | K::CREATE_SEQUENCE
        ) {
            let statement = dropped.statement;
            let message = format!(
                "DROP … IF EXISTS {name} (statement {statement}) followed by {} {name}: every re-run \
                 throws away the {} written since the first run",
                g.what,
                if node.kind() == K::CREATE_SEQUENCE {
                    "sequence position"
                } else {
                    "rows"
                },
            );
            let help = fix::with_insert(node, tree::token_range(&next).start, "IF NOT EXISTS ");
            cx.report(
                Rule::DestructiveRerun,
                range,
                message,
                Some(format!("remove the DROP and keep only {help}")),
                None,
            );
        }
        return;
    }
    let message = fails(
        &format!("{} without IF NOT EXISTS", g.what),
        g.condition,
        &g.exists.replace("{}", &name),
    );
    let help = if node.kind() == K::CREATE_SCHEMA && has_schema_elements(node) {
        format!(
            "CREATE SCHEMA IF NOT EXISTS {} cannot include schema elements: create the schema \
             with it, then each element as its own guarded statement",
            name_node
                .as_ref()
                .map(tree::source_name)
                .unwrap_or_default()
        )
    } else {
        fix::with_insert(node, tree::token_range(&next).start, "IF NOT EXISTS ")
    };
    cx.report(
        Rule::MissingIfNotExists,
        range,
        message,
        Some(help),
        Some(g.condition),
    );
}

/// The keyword after which `IF NOT EXISTS` goes (`CONCURRENTLY` follows `INDEX`).
fn keyword_end(node: &SyntaxNode, keyword: K) -> Option<SyntaxToken> {
    let kw = tree::token(node, keyword)?;
    if keyword == K::INDEX_KW {
        return Some(tree::token(node, K::CONCURRENTLY_KW).unwrap_or(kw));
    }
    Some(kw)
}

fn next_significant(node: &SyntaxNode, after: &SyntaxToken) -> Option<SyntaxToken> {
    let end = tree::token_range(after).end;
    tree::significant_tokens(node).find(|t| tree::token_range(t).start >= end)
}

fn has_schema_elements(node: &SyntaxNode) -> bool {
    node.children().any(|c| {
        matches!(
            c.kind(),
            K::CREATE_TABLE
                | K::CREATE_VIEW
                | K::CREATE_INDEX
                | K::CREATE_SEQUENCE
                | K::CREATE_TRIGGER
                | K::GRANT
        )
    })
}

/// The `DROP` whose earlier `IF EXISTS` form makes this `CREATE` re-run cleanly. For indexes
/// and materialized views that is the usual way to change a definition.
fn dropping_kind(kind: K) -> Option<K> {
    Some(match kind {
        K::CREATE_TABLE | K::CREATE_TABLE_AS => K::DROP_TABLE,
        K::CREATE_SEQUENCE => K::DROP_SEQUENCE,
        K::CREATE_INDEX => K::DROP_INDEX,
        K::CREATE_MATERIALIZED_VIEW => K::DROP_MATERIALIZED_VIEW,
        _ => return None,
    })
}

fn unnamed_index(node: &SyntaxNode, on: &SyntaxToken, range: std::ops::Range<usize>, cx: &mut Cx) {
    let name = index_name(node);
    let message = format!(
        "CREATE INDEX without a name: a second run silently builds a duplicate index \
         (PostgreSQL names it {name}1, {name}2, …)"
    );
    let help = fix::render(
        node,
        &[Insert::new(
            tree::token_range(on).start,
            format!("IF NOT EXISTS {name} "),
        )],
    );
    cx.report(Rule::UnnamedIndex, range, message, Some(help), None);
}

/// The name PostgreSQL would choose: `<table>_<column or function>…_idx`.
pub(crate) fn index_name(node: &SyntaxNode) -> String {
    let table = tree::child(node, K::TABLE_RELATION_NAME)
        .map(|n| tree::last_name(&n))
        .unwrap_or_else(|| "table".to_owned());
    let mut parts = vec![table];
    if let Some(list) = tree::child(node, K::PARTITION_ITEM_LIST) {
        for item in tree::children(&list, &[K::PARTITION_ITEM]) {
            let column = match item.first_child() {
                Some(n) if n.kind() == K::NAME_REF => tree::last_name(&n),
                Some(n) if n.kind() == K::CALL_EXPR => tree::child(&n, K::NAME_REF)
                    .map(|f| tree::last_name(&f))
                    .unwrap_or_else(|| "expr".to_owned()),
                _ => "expr".to_owned(),
            };
            parts.push(column);
        }
    }
    parts.push("idx".to_owned());
    parts.join("_")
}

/// `ALTER TYPE … ADD VALUE` without `IF NOT EXISTS`.
fn add_value(node: &SyntaxNode, cx: &mut Cx) {
    for action in tree::children(node, &[K::ADD_VALUE]) {
        if tree::has(&action, K::IF_NOT_EXISTS) {
            continue;
        }
        let Some(value) = tree::token(&action, K::VALUE_KW) else {
            continue;
        };
        let Some(next) = next_significant(&action, &value) else {
            continue;
        };
        let label = next.text().trim_matches('\'').to_owned();
        let message = fails(
            "ALTER TYPE … ADD VALUE without IF NOT EXISTS",
            DUPLICATE_OBJECT,
            &format!("enum label \"{label}\" already exists"),
        );
        let help = fix::with_insert(node, tree::token_range(&next).start, "IF NOT EXISTS ");
        cx.report(
            Rule::MissingIfNotExists,
            tree::range(&action),
            message,
            Some(help),
            Some(DUPLICATE_OBJECT),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{clean, fires};
    use crate::check::Rule;

    #[test]
    fn create_table_needs_if_not_exists() {
        let d = fires(
            "CREATE TABLE users (id bigint);",
            Rule::MissingIfNotExists,
            "CREATE TABLE IF NOT EXISTS users (id bigint)",
        );
        assert_eq!(
            d.message,
            "CREATE TABLE without IF NOT EXISTS: a second run fails with 42P07 (relation \"users\" already exists)"
        );
        clean("CREATE TABLE IF NOT EXISTS users (id bigint);");
    }

    #[test]
    fn the_other_guardable_creates() {
        let cases = [
            (
                "CREATE TEMP TABLE t (a int)",
                "CREATE TEMP TABLE IF NOT EXISTS t (a int)",
            ),
            (
                "CREATE TABLE t2 AS SELECT 1 AS a",
                "CREATE TABLE IF NOT EXISTS t2 AS SELECT 1 AS a",
            ),
            (
                "CREATE SEQUENCE public.s",
                "CREATE SEQUENCE IF NOT EXISTS public.s",
            ),
            ("CREATE SCHEMA app", "CREATE SCHEMA IF NOT EXISTS app"),
            (
                "CREATE EXTENSION pg_trgm",
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            ),
            (
                "CREATE MATERIALIZED VIEW m AS SELECT 1",
                "CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT 1",
            ),
            (
                "CREATE STATISTICS st ON a, b FROM t",
                "CREATE STATISTICS IF NOT EXISTS st ON a, b FROM t",
            ),
            (
                "CREATE SERVER sv FOREIGN DATA WRAPPER f",
                "CREATE SERVER IF NOT EXISTS sv FOREIGN DATA WRAPPER f",
            ),
            (
                "CREATE USER MAPPING FOR r SERVER sv",
                "CREATE USER MAPPING IF NOT EXISTS FOR r SERVER sv",
            ),
            (
                "CREATE COLLATION c (locale = 'C')",
                "CREATE COLLATION IF NOT EXISTS c (locale = 'C')",
            ),
            (
                "CREATE FOREIGN TABLE ft (a int) SERVER sv",
                "CREATE FOREIGN TABLE IF NOT EXISTS ft (a int) SERVER sv",
            ),
            (
                "CREATE INDEX users_email_idx ON users (email)",
                "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email)",
            ),
            (
                "ALTER TYPE mood ADD VALUE 'happy' AFTER 'ok'",
                "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'happy' AFTER 'ok'",
            ),
        ];
        for (bad, good) in cases {
            fires(&format!("{bad};"), Rule::MissingIfNotExists, good);
            clean(&format!("{good};"));
        }
    }

    #[test]
    fn concurrent_index_gets_the_guard_after_concurrently() {
        let d = super::super::test_support::diagnostics_no_tx(
            "CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].help.as_deref(),
            Some("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email)")
        );
    }

    #[test]
    fn unnamed_index_gets_postgres_name() {
        fires(
            "CREATE INDEX ON users (email);",
            Rule::UnnamedIndex,
            "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email)",
        );
        fires(
            "CREATE UNIQUE INDEX ON public.users (lower(email), id);",
            Rule::UnnamedIndex,
            "CREATE UNIQUE INDEX IF NOT EXISTS users_lower_id_idx ON public.users (lower(email), id)",
        );
    }

    #[test]
    fn drop_index_if_exists_then_create_is_accepted() {
        clean("DROP INDEX IF EXISTS i; CREATE INDEX i ON t (a);");
        clean("DROP MATERIALIZED VIEW IF EXISTS m; CREATE MATERIALIZED VIEW m AS SELECT 1;");
    }

    #[test]
    fn drop_table_then_create_destroys_data() {
        let d = super::super::test_support::only(
            "DROP TABLE IF EXISTS users; CREATE TABLE users (id bigint);",
            Rule::DestructiveRerun,
        );
        assert_eq!(d.statement, Some(2));
        assert!(d.message.contains("(statement 1)"), "{}", d.message);
        assert_eq!(
            d.help.as_deref(),
            Some("remove the DROP and keep only CREATE TABLE IF NOT EXISTS users (id bigint)")
        );
    }

    #[test]
    fn schema_with_elements_explains_the_split() {
        let d = super::super::test_support::only(
            "CREATE SCHEMA s CREATE TABLE IF NOT EXISTS t (a int);",
            Rule::MissingIfNotExists,
        );
        assert!(d.help.unwrap().contains("cannot include schema elements"));
    }
}
