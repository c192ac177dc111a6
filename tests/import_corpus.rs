//! `migrate import --fix` on the real histories of crates.io (diesel), docs.rs and atuin (sqlx).

mod support;

use std::collections::BTreeSet;

use migrate::check::{Diagnostic, EntryOptions, Family, Severity, check_sql, fix_sql};
use migrate::import::read_dir;
use support::corpus;

const PROJECTS: [&str; 3] = ["crates.io", "docs.rs", "atuin"];

/// The statements with an idempotency error.
fn flagged(diagnostics: &[Diagnostic]) -> BTreeSet<usize> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && d.rule.family() == Family::NonIdempotent)
        .filter_map(|d| d.statement)
        .collect()
}

#[test]
fn at_least_95_percent_of_flagged_statements_are_fixed() {
    let Some(root) = corpus::root("at_least_95_percent_of_flagged_statements_are_fixed") else {
        return;
    };
    for project in PROJECTS {
        let dir = corpus::tool_dir(&root, project, 1..=corpus::len(&root, project));
        let source = read_dir(dir.path(), None).unwrap();
        let (mut before, mut after, mut allowed) = (0, 0, 0);
        let mut left_rules = std::collections::BTreeMap::new();
        for entry in &source.entries {
            let options = EntryOptions {
                transaction: entry.transaction_mode(),
                ..EntryOptions::default()
            };
            let original = flagged(&check_sql(&entry.sql, &options).diagnostics);
            let fixed = fix_sql(&entry.sql, &options);
            let left = flagged(&fixed.left);
            before += original.len();
            after += left.len();
            if !left.is_empty() {
                allowed += 1;
            }
            for d in fixed.left.iter().filter(|d| d.severity == Severity::Error) {
                *left_rules.entry(d.rule.id()).or_insert(0) += 1;
            }
        }
        let fixed = before - after;
        println!(
            "{project}: {fixed}/{before} flagged statements fixed ({:.1}%), {allowed} migration(s) left with an allow; left: {left_rules:?}",
            100.0 * fixed as f64 / before as f64
        );
        assert!(
            fixed * 100 >= before * 95,
            "{project}: fewer than 95% fixed"
        );
    }
}
