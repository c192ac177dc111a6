//! Transaction control inside an entry, and statements that cannot run in a transaction block
//! (catalogue §3.1: they fail with 25001, also inside a `DO` block).

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::Cx;
use crate::TransactionMode;
use crate::check::Rule;
use crate::check::tree;

/// The statement as users know it, when it manages transactions itself.
fn transaction_control(node: &SyntaxNode) -> Option<&'static str> {
    Some(match node.kind() {
        K::BEGIN => "BEGIN",
        K::COMMIT_TRANSACTION => "COMMIT",
        K::ROLLBACK_TRANSACTION => "ROLLBACK",
        K::SAVEPOINT_CREATE => "SAVEPOINT",
        K::RELEASE_SAVEPOINT => "RELEASE SAVEPOINT",
        K::ROLLBACK_TO_SAVEPOINT => "ROLLBACK TO SAVEPOINT",
        K::PREPARE_TRANSACTION => "PREPARE TRANSACTION",
        K::COMMIT_PREPARED => "COMMIT PREPARED",
        K::ROLLBACK_PREPARED => "ROLLBACK PREPARED",
        _ => return None,
    })
}

/// The statement as users know it, when it cannot run inside a transaction block.
pub(crate) fn needs_no_transaction(node: &SyntaxNode) -> Option<&'static str> {
    let concurrently = || tree::has(node, K::CONCURRENTLY_KW);
    Some(match node.kind() {
        K::CREATE_INDEX if concurrently() => "CREATE INDEX CONCURRENTLY",
        K::DROP_INDEX if concurrently() => "DROP INDEX CONCURRENTLY",
        K::REINDEX if tree::has_descendant(node, K::CONCURRENTLY_KW) => "REINDEX … CONCURRENTLY",
        K::REINDEX if tree::has(node, K::REINDEX_TARGET_SCHEMA) => "REINDEX SCHEMA",
        K::REINDEX if tree::has(node, K::REINDEX_TARGET_DATABASE) => "REINDEX DATABASE",
        K::REINDEX if tree::has(node, K::REINDEX_TARGET_SYSTEM) => "REINDEX SYSTEM",
        K::VACUUM => "VACUUM",
        K::CLUSTER
            if node
                .children()
                .all(|c| c.kind() == K::CLUSTER_LEGACY && c.children().next().is_none()) =>
        {
            "CLUSTER without a table"
        }
        K::ALTER_TABLE
            if tree::children(node, &[K::DETACH_PARTITION])
                .any(|d| tree::has(&d, K::DETACH_CONCURRENTLY)) =>
        {
            "DETACH PARTITION … CONCURRENTLY"
        }
        K::CREATE_DATABASE => "CREATE DATABASE",
        K::DROP_DATABASE => "DROP DATABASE",
        K::CREATE_TABLESPACE => "CREATE TABLESPACE",
        K::DROP_TABLESPACE => "DROP TABLESPACE",
        K::ALTER_SYSTEM => "ALTER SYSTEM",
        K::ALTER_DATABASE if tree::has(node, K::SET_TABLESPACE) => {
            "ALTER DATABASE … SET TABLESPACE"
        }
        K::DISCARD if tree::has(node, K::DISCARD_ALL) => "DISCARD ALL",
        K::CREATE_SUBSCRIPTION if !mentions_no_slot(node) => "CREATE SUBSCRIPTION",
        K::ALTER_SUBSCRIPTION if tree::has_descendant(node, K::REFRESH_KW) => {
            "ALTER SUBSCRIPTION … REFRESH PUBLICATION"
        }
        _ => return None,
    })
}

/// `WITH (create_slot = false)` lets CREATE SUBSCRIPTION run in a transaction.
fn mentions_no_slot(node: &SyntaxNode) -> bool {
    let text = node.text().to_string().to_lowercase();
    text.contains("create_slot") && text.contains("false")
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    let range = tree::statement_range(node);
    if let Some(what) = transaction_control(node) {
        cx.report(
            Rule::TransactionControl,
            range,
            format!(
                "{what} inside a migration: the runner runs each migration in its own transaction \
                 together with its history row, so a migration must not begin, end or split it"
            ),
            Some(format!(
                "remove it; for statements that cannot run in a transaction, {}",
                cx.syntax.make_no_transaction()
            )),
            None,
        );
        return;
    }
    let Some(what) = needs_no_transaction(node) else {
        return;
    };
    if cx.in_do {
        cx.report(
            Rule::RequiresNoTransaction,
            range,
            format!(
                "{what} inside a DO block can never run: it fails with 25001 \
                 ({what} cannot be executed from a function)"
            ),
            Some(format!(
                "move it out of the DO block into {}, guarded by its own IF [NOT] EXISTS",
                cx.syntax.own_no_transaction_entry()
            )),
            None,
        );
    } else if cx.mode == TransactionMode::Transaction {
        cx.report(
            Rule::RequiresNoTransaction,
            range,
            format!(
                "{what} cannot run inside a transaction block, and this entry runs in one: it \
                 fails with 25001 ({what} cannot run inside a transaction block)"
            ),
            Some(cx.syntax.put_in_no_transaction_entry().to_owned()),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, diagnostics_no_tx, only};
    use crate::check::Rule;

    #[test]
    fn transaction_control_is_rejected() {
        for sql in [
            "BEGIN",
            "START TRANSACTION",
            "COMMIT",
            "END",
            "ROLLBACK",
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "ROLLBACK TO SAVEPOINT a",
            "PREPARE TRANSACTION 'x'",
            "COMMIT PREPARED 'x'",
        ] {
            only(&format!("{sql};"), Rule::TransactionControl);
            let no_tx = diagnostics_no_tx(&format!("{sql};"));
            assert_eq!(no_tx.len(), 1, "{sql}");
        }
    }

    #[test]
    fn non_transactional_statements_need_no_transaction() {
        for sql in [
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)",
            "DROP INDEX CONCURRENTLY IF EXISTS i",
            "REINDEX INDEX CONCURRENTLY i",
            "REINDEX (CONCURRENTLY) TABLE t",
            "REINDEX SCHEMA s",
            "VACUUM t",
        ] {
            let d = only(&format!("{sql};"), Rule::RequiresNoTransaction);
            assert!(d.help.unwrap().contains("#[no_transaction]"), "{sql}");
            assert!(diagnostics_no_tx(&format!("{sql};")).is_empty(), "{sql}");
        }
    }

    #[test]
    fn transactional_lookalikes_pass() {
        for sql in [
            "REINDEX TABLE t",
            "ANALYZE t",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY m",
            "DISCARD PLANS",
        ] {
            assert!(diagnostics(&format!("{sql};")).is_empty(), "{sql}");
        }
    }
}
