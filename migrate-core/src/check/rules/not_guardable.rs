//! Statements that cannot be made idempotent inside a migration (catalogue rows tagged [X]).

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::{
    Condition, Cx, DUPLICATE_DATABASE, DUPLICATE_OBJECT, INVALID_CATALOG_NAME, UNDEFINED_TABLE,
};
use crate::check::Rule;
use crate::check::tree;

fn not_guardable(node: &SyntaxNode) -> Option<(&'static str, Option<Condition>, &'static str)> {
    Some(match node.kind() {
        K::CREATE_DATABASE => (
            "CREATE DATABASE has no IF NOT EXISTS and cannot run in a DO block: a second run fails with 42P04 (database already exists)",
            Some(DUPLICATE_DATABASE),
            "provision databases outside migrations",
        ),
        K::DROP_DATABASE => (
            "DROP DATABASE in a migration: it cannot run in a transaction or DO block and destroys a whole database",
            Some(INVALID_CATALOG_NAME),
            "never drop databases from migrations; do it by hand",
        ),
        K::ALTER_DATABASE if tree::has_descendant(node, K::RENAME_KW) => (
            "ALTER DATABASE … RENAME cannot be guarded: a second run fails with 3D000 (database does not exist)",
            Some(INVALID_CATALOG_NAME),
            "keep database-level DDL out of migrations (ALTER DATABASE … SET/RESET is fine)",
        ),
        K::ALTER_DATABASE if tree::has(node, K::SET_TABLESPACE) => (
            "ALTER DATABASE … SET TABLESPACE cannot run in a transaction or DO block and cannot be guarded",
            None,
            "keep database-level DDL out of migrations (ALTER DATABASE … SET/RESET is fine)",
        ),
        K::CREATE_TABLESPACE => (
            "CREATE TABLESPACE has no IF NOT EXISTS and cannot run in a DO block: a second run fails with 42710 (tablespace already exists)",
            Some(DUPLICATE_OBJECT),
            "provision tablespaces outside migrations",
        ),
        K::ALTER_SYSTEM => (
            "ALTER SYSTEM changes postgresql.auto.conf for the whole cluster and cannot run in a transaction block",
            None,
            "keep server configuration out of migrations",
        ),
        K::DISCARD if tree::has(node, K::DISCARD_ALL) => (
            "DISCARD ALL is not meaningful in a migration and cannot run in a transaction block",
            None,
            "remove it",
        ),
        K::CREATE_SUBSCRIPTION | K::ALTER_SUBSCRIPTION => (
            "subscriptions cannot be guarded in a migration: a second run fails with 42710 (subscription already exists), and with a slot they cannot run in a transaction block",
            Some(DUPLICATE_OBJECT),
            "keep subscriptions out of schema migrations",
        ),
        K::ALTER_TABLE
            if tree::children(node, &[K::DETACH_PARTITION])
                .any(|d| tree::has(&d, K::DETACH_CONCURRENTLY)) =>
        {
            (
                "DETACH PARTITION … CONCURRENTLY cannot be guarded (it cannot run in a DO block): a second run fails with 42P01 (relation is not a partition)",
                Some(UNDEFINED_TABLE),
                "detach by hand, or use plain DETACH PARTITION inside a DO block that checks pg_inherits",
            )
        }
        _ => return None,
    })
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    if let Some((message, condition, help)) = not_guardable(node) {
        cx.report(
            Rule::NotGuardable,
            tree::statement_range(node),
            message.to_owned(),
            Some(help.to_owned()),
            condition,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::diagnostics_no_tx;
    use crate::check::Rule;

    #[test]
    fn unguardable_statements_are_reported_even_without_transaction() {
        for sql in [
            "CREATE DATABASE d",
            "CREATE TABLESPACE ts LOCATION '/tmp'",
            "ALTER SYSTEM SET work_mem = '64MB'",
            "DISCARD ALL",
            "ALTER TABLE t DETACH PARTITION p CONCURRENTLY",
        ] {
            let rules: Vec<Rule> = diagnostics_no_tx(&format!("{sql};"))
                .iter()
                .map(|d| d.rule)
                .collect();
            assert_eq!(rules, [Rule::NotGuardable], "{sql}");
        }
    }
}
