//! What `migrate import` makes of a migration's down file: carried over (with the `#[allow]`
//! its idempotency findings need), or left out when the checker rejects it with a rule no
//! `#[allow]` covers (the rollback rules, syntax, transaction control).

use std::path::PathBuf;

use super::Entry;
use crate::check::{Allow, Diagnostic, EntryOptions, Family, Rule, Severity, check_down};

/// A down file as the tool keeps it: sqlx's `<version>_<name>.down.sql`, diesel's `down.sql`.
/// refinery has none.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownFile {
    /// The file.
    pub path: PathBuf,
    /// Its SQL.
    pub sql: String,
}

/// What an entry's down becomes in the imported list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reversal {
    /// No down: the tool has none, or only comments (diesel's template).
    None,
    /// Carried over as `#[down(…)]`.
    Carried {
        /// The idempotency rules the entry's `#[allow]` must cover for the down.
        allow: Vec<Rule>,
        /// The warnings it keeps (e.g. `down_drops_foreign`).
        warnings: Vec<Diagnostic>,
    },
    /// Left out: the checker rejects it and no `#[allow]` may cover the rule.
    LeftOut {
        /// The errors that reject it.
        errors: Vec<Diagnostic>,
    },
}

impl Reversal {
    /// The rules of the errors that left the down out, deduplicated.
    pub fn rules(&self) -> Vec<Rule> {
        match self {
            Reversal::LeftOut { errors } => distinct(errors.iter().map(|d| d.rule)),
            _ => Vec::new(),
        }
    }

    /// One line saying why the down was left out (empty unless [`Reversal::LeftOut`]).
    pub fn why_left_out(&self) -> String {
        let Reversal::LeftOut { errors } = self else {
            return String::new();
        };
        let first = errors
            .first()
            .map(|d| d.message.lines().next().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let ids: Vec<&str> = self.rules().iter().map(|r| r.id()).collect();
        let more = if errors.len() > 1 {
            format!(" (and {} more)", errors.len() - 1)
        } else {
            String::new()
        };
        format!("[{}] {first}{more}", ids.join(", "))
    }
}

/// Classifies `entry`'s down, given the rules the up's `#[allow]` already covers (an entry's
/// allow covers its down too).
pub(crate) fn reversal(entry: &Entry, up_allow: &[Rule]) -> Reversal {
    let Some(down) = &entry.down else {
        return Reversal::None;
    };
    if crate::check::statement_spans(&down.sql).is_empty() {
        return Reversal::None;
    }
    let mut options = EntryOptions {
        transaction: entry.transaction_mode(),
        allow: up_allow.iter().map(|r| Allow::Rule(*r)).collect(),
        ..EntryOptions::default()
    };
    let mut allow = idempotency_errors(&check_down(&entry.sql, &down.sql, &options).diagnostics);
    allow.retain(|r| !up_allow.contains(r));
    // The comparison with the up runs only once the down's own errors are silenced.
    options.allow.extend(allow.iter().map(|r| Allow::Rule(*r)));
    let checked = check_down(&entry.sql, &down.sql, &options);
    let (errors, warnings): (Vec<_>, Vec<_>) = checked
        .diagnostics
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    if errors.is_empty() {
        Reversal::Carried { allow, warnings }
    } else {
        Reversal::LeftOut { errors }
    }
}

/// The idempotency rules among the errors, sorted and deduplicated.
pub(crate) fn idempotency_errors(diagnostics: &[Diagnostic]) -> Vec<Rule> {
    distinct(
        diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.rule.family() == Family::NonIdempotent)
            .map(|d| d.rule),
    )
}

fn distinct(rules: impl Iterator<Item = Rule>) -> Vec<Rule> {
    let mut rules: Vec<Rule> = rules.collect();
    rules.sort();
    rules.dedup();
    rules
}
