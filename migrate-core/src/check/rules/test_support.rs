//! Helpers for the rule unit tests.

use crate::TransactionMode;
use crate::check::{Allow, Diagnostic, EntryOptions, Family, Rule, check_sql};

/// The checker's own rules only: the hazards (squawk's) have their own tests.
fn own_rules(transaction: TransactionMode) -> EntryOptions {
    EntryOptions {
        transaction,
        allow: vec![Allow::Family(Family::Hazard)],
        deny: Vec::new(),
    }
}

pub(crate) fn diagnostics(sql: &str) -> Vec<Diagnostic> {
    check_sql(sql, &own_rules(TransactionMode::Transaction)).diagnostics
}

pub(crate) fn diagnostics_no_tx(sql: &str) -> Vec<Diagnostic> {
    check_sql(sql, &own_rules(TransactionMode::NoTransaction)).diagnostics
}

/// Asserts `sql` yields exactly one diagnostic, of `rule`, and returns it.
#[track_caller]
pub(crate) fn only(sql: &str, rule: Rule) -> Diagnostic {
    let found = diagnostics(sql);
    assert_eq!(
        found.iter().map(|d| d.rule).collect::<Vec<_>>(),
        vec![rule],
        "{sql}\n{found:#?}"
    );
    found.into_iter().next().unwrap()
}

/// Asserts `sql` yields exactly one diagnostic, of `rule`, with this help text.
#[track_caller]
pub(crate) fn fires(sql: &str, rule: Rule, help: &str) -> Diagnostic {
    let d = only(sql, rule);
    assert_eq!(d.help.as_deref(), Some(help), "{sql}");
    d
}

/// Asserts `sql` yields no diagnostic at all.
#[track_caller]
pub(crate) fn clean(sql: &str) {
    let found = diagnostics(sql);
    assert!(found.is_empty(), "{sql}\n{found:#?}");
}
