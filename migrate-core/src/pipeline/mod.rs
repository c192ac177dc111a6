//! One pipeline from an entry to a checked [`Migration`], shared by every front end.
//!
//! The `migrations!` macro, the directory [`Loader`](crate::load::Loader) and `migrate lint`
//! only translate their input into [`Entry`]s (from tokens, from files) and the diagnostics
//! back into their output (compiler errors on spans, `file:line:column`, JSON). Everything in
//! between lives here, once: the header lines of `.sql` files, the list rules, the SQL checker
//! and the help texts in the syntax of where the entry was written.
//!
//! ```
//! use migrate_core::check::Rule;
//! use migrate_core::pipeline::{Entry, Origin, check_entry, check_list};
//!
//! let entries = [
//!     Entry::new("001_users", "CREATE TABLE IF NOT EXISTS users (id bigint);", Origin::Macro),
//!     Entry::from_sql_file(
//!         "db/002_users_id_idx.sql",
//!         "002_users_id_idx",
//!         "-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY users_id_idx ON users (id);",
//!     )
//!     .unwrap(),
//! ];
//! assert!(check_list(entries.iter().map(Entry::version)).is_empty());
//!
//! let (migration, warnings) = check_entry(entries[0].clone()).into_migration().unwrap();
//! assert_eq!((migration.number(), warnings.len()), (1, 0));
//!
//! let errors = check_entry(entries[1].clone()).into_migration().unwrap_err();
//! assert_eq!(errors[0].rule, Rule::MissingIfNotExists);
//! ```

mod entry;
mod header;
mod list;
mod suggest;

pub use entry::{Entry, Origin};
pub use header::HeaderError;
pub use list::{FirstUse, ListDiagnostic, check_list};
pub use suggest::{allow_named, deny_named, unknown_option};

use crate::Migration;
use crate::check::{Diagnostic, any_error, check_down_with, check_sql_with, statement_spans};
use crate::migration::Down;

/// What the pipeline made of one entry: its diagnostics and, when its version is well formed,
/// the migration.
///
/// The migration is built even when there are errors, for the front ends whose policy accepts
/// some of them (the loader's `CheckFailure`); [`CheckedEntry::into_migration`] is the strict
/// way out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckedEntry {
    /// Every finding in source order, already filtered by the entry's allowances.
    pub diagnostics: Vec<Diagnostic>,
    /// `None` when the version is malformed (the list check reports it).
    pub migration: Option<Migration>,
}

impl CheckedEntry {
    /// `true` when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        any_error(&self.diagnostics)
    }

    /// The migration with its warnings, or every diagnostic when one is an error or the
    /// version is malformed.
    pub fn into_migration(self) -> Result<(Migration, Vec<Diagnostic>), Vec<Diagnostic>> {
        match self.migration {
            Some(migration) if !self.has_errors() => Ok((migration, self.diagnostics)),
            _ => Err(self.diagnostics),
        }
    }
}

/// Checks one entry: splits its SQL into statements, applies every rule in the entry's
/// options, and builds its [`Migration`]. Help texts speak the syntax of the entry's
/// [`Origin`] (`#[no_transaction]` for the macro, `-- migrate:no_transaction` for a file).
///
/// ```
/// use migrate_core::pipeline::{Entry, Origin, check_entry};
///
/// let sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);";
/// let in_rust = check_entry(Entry::new("001_i", sql, Origin::Macro));
/// assert!(in_rust.diagnostics[0].help.as_deref().unwrap().contains("#[no_transaction]"));
/// let in_file = check_entry(Entry::new("001_i", sql, Origin::SqlFile("001_i.sql".into())));
/// assert!(in_file.diagnostics[0].help.as_deref().unwrap().contains("-- migrate:no_transaction"));
/// ```
pub fn check_entry(entry: Entry) -> CheckedEntry {
    let syntax = entry.origin().syntax();
    let checked = check_sql_with(entry.sql(), entry.options(), syntax);
    let mut diagnostics = checked.diagnostics;
    let down = entry.down().map(|down| {
        let checked_down = check_down_with(entry.sql(), down, entry.options(), syntax);
        diagnostics.extend(checked_down.diagnostics);
        checked_down.statements
    });
    let mode = entry.options().transaction;
    let (version, sql, down_sql, irreversible) = entry.into_parts();
    let down = down_sql.map(|sql| {
        let spans = down.unwrap_or_else(|| statement_spans(&sql));
        Down::from_checked(sql, spans)
    });
    CheckedEntry {
        diagnostics,
        migration: Migration::from_checked(version, sql, checked.statements, mode)
            .ok()
            .map(|m| m.with_checked_down(down, irreversible)),
    }
}
