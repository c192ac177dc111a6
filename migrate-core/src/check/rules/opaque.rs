//! Statements whose effect lies in code the checker cannot read (catalogue row 128): `CALL`
//! runs a procedure body stored in the database, which may do anything and may `COMMIT`.
//! `EXECUTE` of run-time SQL inside `DO` blocks is the other such case (see `do_block.rs`).

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::Cx;
use crate::TransactionMode;
use crate::check::Rule;
use crate::check::tree;

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    if node.kind() != K::CALL {
        return;
    }
    let procedure = tree::child(node, K::PROCEDURE_NAME_REF)
        .map(|p| tree::source_name(&p))
        .unwrap_or_else(|| "the procedure".to_owned());
    // Outside a transaction block a procedure may commit; inside one (an ordinary entry, or
    // any DO block) a COMMIT in it is an error even on the first run.
    let commit = if cx.mode == TransactionMode::Transaction || cx.in_do {
        ", and a COMMIT or ROLLBACK in it fails here with 2D000 (invalid transaction termination)"
    } else {
        ""
    };
    cx.report(
        Rule::UncheckedDynamicSql,
        tree::statement_range(node),
        format!(
            "CALL {procedure}: the checker cannot see inside procedures, so it cannot tell whether \
             a second run succeeds or repeats its changes{commit}"
        ),
        Some(format!(
            "make {procedure} re-runnable (guarded DDL, ON CONFLICT inserts, absolute updates{}), \
             then {}",
            if commit.is_empty() { "" } else { ", no COMMIT" },
            cx.syntax.add_allow(Rule::UncheckedDynamicSql)
        )),
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics_no_tx, fires, only};
    use crate::check::{Allow, EntryOptions, Rule, check_sql};

    #[test]
    fn call_is_opaque() {
        let d = fires(
            "CALL app.backfill(1, 'x');",
            Rule::UncheckedDynamicSql,
            "make app.backfill re-runnable (guarded DDL, ON CONFLICT inserts, absolute updates, \
             no COMMIT), then add #[allow(unchecked_dynamic_sql, reason = \"…\")] to the entry",
        );
        assert_eq!(
            d.message,
            "CALL app.backfill: the checker cannot see inside procedures, so it cannot tell \
             whether a second run succeeds or repeats its changes, and a COMMIT or ROLLBACK in \
             it fails here with 2D000 (invalid transaction termination)"
        );
        only(
            "DO $$ BEGIN CALL backfill(); END $$;",
            Rule::UncheckedDynamicSql,
        );
    }

    #[test]
    fn call_may_commit_outside_a_transaction() {
        let found = diagnostics_no_tx("CALL backfill();");
        assert_eq!(found.len(), 1);
        assert!(!found[0].message.contains("2D000"), "{}", found[0].message);
        assert_eq!(
            found[0].help.as_deref(),
            Some(
                "make backfill re-runnable (guarded DDL, ON CONFLICT inserts, absolute updates), \
                 then add #[allow(unchecked_dynamic_sql, reason = \"…\")] to the entry"
            )
        );
    }

    #[test]
    fn the_allowance_silences_it() {
        let options = EntryOptions {
            allow: vec![Allow::Rule(Rule::UncheckedDynamicSql)],
            ..EntryOptions::default()
        };
        assert!(
            check_sql("CALL backfill();", &options)
                .diagnostics
                .is_empty()
        );
    }
}
