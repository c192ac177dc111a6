//! Reading another tool's migrations directory (sqlx, diesel, refinery) into entries with our
//! versions, and writing them out as a `migrations!` module (`migrate import`).
//!
//! Versions keep the tool's number, so the runtime can adopt that tool's history table by
//! number: sqlx's `20210425153745_create_history` stays as it is, diesel's
//! `2021-04-25-153745_create_history` becomes `20210425153745_create_history`, refinery's
//! `V1__initial` becomes `1_initial`.
//!
//! ```
//! use migrate_core::Tool;
//! use migrate_core::import::read_dir;
//!
//! let dir = std::env::temp_dir().join(format!("migrate_import_doc_{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("2021-04-25-153745_create_users")).unwrap();
//! std::fs::write(dir.join("2021-04-25-153745_create_users/up.sql"), "CREATE TABLE users (id bigint);").unwrap();
//! std::fs::write(dir.join("2021-04-25-153745_create_users/down.sql"), "DROP TABLE users;").unwrap();
//!
//! let source = read_dir(&dir, None).unwrap();
//! assert_eq!(source.tool, Tool::Diesel);
//! assert_eq!(source.entries[0].version, "20210425153745_create_users");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod down;
mod error;
mod module;
mod read;
mod version;

pub use down::{DownFile, Reversal};
pub use error::ImportError;
pub use module::{Module, ModuleOptions, write_module};
pub use read::{detect, read_dir};

use std::path::PathBuf;

use crate::check::{EntryOptions, Fixed, check_sql, fix_sql};
use crate::{Migration, Migrations, Tool, TransactionMode};

/// A directory of another tool's migrations, read in that tool's order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Source {
    /// The tool whose layout the directory has.
    pub tool: Tool,
    /// The directory read.
    pub dir: PathBuf,
    /// One entry per migration, in apply order (by number).
    pub entries: Vec<Entry>,
}

/// One migration of a [`Source`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// Our version: the tool's number, `_`, the name in lower snake case.
    pub version: String,
    /// The file holding the up SQL.
    pub path: PathBuf,
    /// The up SQL.
    pub sql: String,
    /// The tool runs it outside a transaction (sqlx's `-- no-transaction` first line, diesel's
    /// `run_in_transaction = false`).
    pub no_transaction: bool,
    /// The down file beside it (sqlx's `<version>_<name>.down.sql`, diesel's `down.sql`).
    pub down: Option<DownFile>,
}

/// What [`Source::fix`] did to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryFixed {
    /// The up's fixes.
    pub up: Fixed,
    /// The down's fixes, when the entry has a down file.
    pub down: Option<Fixed>,
}

impl Entry {
    /// The entry's transaction mode.
    pub fn transaction_mode(&self) -> TransactionMode {
        if self.no_transaction {
            TransactionMode::NoTransaction
        } else {
            TransactionMode::Transaction
        }
    }
}

impl Source {
    /// Applies the checker's machine-applicable fixes to every entry's SQL and down SQL (in
    /// memory; write the changed ones back to [`Entry::path`] and [`DownFile::path`]); returns
    /// each entry's result, in order.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("migrate_import_fix_doc_{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("V1__initial.sql"), "CREATE TABLE t (id int);").unwrap();
    /// let mut source = migrate_core::import::read_dir(&dir, None).unwrap();
    /// let fixed = source.fix();
    /// assert!(fixed[0].up.changed());
    /// assert_eq!(source.entries[0].sql, "CREATE TABLE IF NOT EXISTS t (id int);");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn fix(&mut self) -> Vec<EntryFixed> {
        self.entries
            .iter_mut()
            .map(|entry| {
                let options = EntryOptions {
                    transaction: entry.transaction_mode(),
                    ..EntryOptions::default()
                };
                let up = fix_sql(&entry.sql, &options);
                entry.sql.clone_from(&up.sql);
                let down = entry.down.as_mut().map(|down| {
                    let fixed = fix_sql(&down.sql, &options);
                    down.sql.clone_from(&fixed.sql);
                    fixed
                });
                EntryFixed { up, down }
            })
            .collect()
    }

    /// The entries as a list the runtime can apply, exactly as the tool would run them (the
    /// checker only splits the statements: an imported history was written without guards).
    /// Entries with no statement are left out, as [`write_module`] leaves them out; each
    /// carries the down [`write_module`] carries (a down it leaves out makes the entry
    /// irreversible here too).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("migrate_import_list_doc_{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("V1__initial.sql"), "CREATE TABLE t (id int); CREATE INDEX ON t (id);").unwrap();
    /// let list = migrate_core::import::read_dir(&dir, None).unwrap().migrations().unwrap();
    /// assert_eq!(list.as_slice()[0].version(), "1_initial");
    /// assert_eq!(list.as_slice()[0].statement_spans().len(), 2);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn migrations(&self) -> Result<Migrations, ImportError> {
        let mut list = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            let options = EntryOptions {
                transaction: entry.transaction_mode(),
                ..EntryOptions::default()
            };
            let checked = check_sql(&entry.sql, &options);
            if checked.statements.is_empty() {
                // As in the module: an entry with no statement is left out.
                continue;
            }
            let migration = Migration::new(
                entry.version.clone(),
                entry.sql.clone(),
                entry.transaction_mode(),
            )
            .map_err(|error| ImportError::BadName {
                path: entry.path.clone(),
                reason: error.to_string(),
            })?;
            let up_allow = down::idempotency_errors(&checked.diagnostics);
            let migration = match (down::reversal(entry, &up_allow), &entry.down) {
                (Reversal::Carried { .. }, Some(down)) => migration.with_down(down.sql.clone()),
                (left @ Reversal::LeftOut { .. }, _) => migration
                    .with_checked_down(None, Some(module::irreversible_reason(self.tool, &left))),
                _ => migration,
            };
            list.push(migration);
        }
        Migrations::from_vec(list).map_err(|error| ImportError::BadName {
            path: self.dir.clone(),
            reason: error.to_string(),
        })
    }
}
