//! What goes into the pipeline: one migration as written, wherever it was written.

use std::path::{Path, PathBuf};

use super::header::{self, HeaderError};
use crate::TransactionMode;
use crate::check::{Allow, EntryOptions, Syntax};

/// Where an entry was written. It decides how help texts spell the entry's options, and lets a
/// front end point back at the source.
///
/// ```
/// use migrate_core::check::Syntax;
/// use migrate_core::pipeline::Origin;
///
/// assert_eq!(Origin::Macro.syntax(), Syntax::Attributes);
/// assert_eq!(Origin::SqlFile("db/001_users.sql".into()).syntax(), Syntax::Headers);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// An entry of a `migrations!` list; its options are attributes.
    Macro,
    /// A `.sql` file; its options are `-- migrate:` header lines.
    SqlFile(PathBuf),
}

impl Origin {
    /// How options are written there.
    pub fn syntax(&self) -> Syntax {
        match self {
            Origin::Macro => Syntax::Attributes,
            Origin::SqlFile(_) => Syntax::Headers,
        }
    }

    /// The file, for an entry read from one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::Macro => None,
            Origin::SqlFile(path) => Some(path),
        }
    }
}

/// One migration as written: its version text, its SQL, its options and where it came from.
///
/// Front ends build entries (the `migrations!` macro from its tokens, the loader and
/// `migrate lint` from files) and hand them to [`check_entry`](super::check_entry). The type
/// grows with the pipeline (a down migration, for instance), so it is built with [`Entry::new`]
/// or [`Entry::from_sql_file`] and adjusted with the `with_*` methods.
///
/// ```
/// use migrate_core::TransactionMode;
/// use migrate_core::pipeline::{Entry, Origin};
///
/// let entry = Entry::new("003_idx", "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);", Origin::Macro)
///     .with_transaction(TransactionMode::NoTransaction);
/// assert_eq!(entry.version(), "003_idx");
/// assert_eq!(entry.options().transaction, TransactionMode::NoTransaction);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    version: String,
    sql: String,
    options: EntryOptions,
    origin: Origin,
    down: Option<String>,
    irreversible: Option<String>,
}

impl Entry {
    /// An entry with default options (transactional, nothing allowed).
    pub fn new(version: impl Into<String>, sql: impl Into<String>, origin: Origin) -> Entry {
        Entry {
            version: version.into(),
            sql: sql.into(),
            options: EntryOptions::default(),
            origin,
            down: None,
            irreversible: None,
        }
    }

    /// The entry a `.sql` file holds: its whole text is the SQL (a UTF-8 byte order mark
    /// dropped), and its `-- migrate:` header lines are its options.
    ///
    /// ```
    /// use migrate_core::TransactionMode;
    /// use migrate_core::pipeline::Entry;
    ///
    /// let text = "-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);";
    /// let entry = Entry::from_sql_file("db/002_i.sql", "002_i", text).unwrap();
    /// assert_eq!(entry.options().transaction, TransactionMode::NoTransaction);
    ///
    /// let err = Entry::from_sql_file("db/002_i.sql", "002_i", "-- migrate:no_transactoin\n").unwrap_err();
    /// assert_eq!(err.line(), 1);
    /// assert!(err.message().contains("did you mean `-- migrate:no_transaction`"));
    /// ```
    pub fn from_sql_file(
        path: impl Into<PathBuf>,
        version: impl Into<String>,
        text: &str,
    ) -> Result<Entry, HeaderError> {
        let sql = text.strip_prefix('\u{feff}').unwrap_or(text);
        let version = version.into();
        let options = header::parse(sql, &version)?;
        Ok(Entry {
            version,
            sql: sql.to_owned(),
            options,
            origin: Origin::SqlFile(path.into()),
            down: None,
            irreversible: None,
        })
    }

    /// Replaces the options.
    pub fn with_options(mut self, options: EntryOptions) -> Entry {
        self.options = options;
        self
    }

    /// Sets the transaction mode (`#[no_transaction]`, `-- migrate:no_transaction`).
    pub fn with_transaction(mut self, mode: TransactionMode) -> Entry {
        self.options.transaction = mode;
        self
    }

    /// Adds an allowance (`#[allow(…)]`, `-- migrate:allow …`).
    pub fn with_allow(mut self, allow: Allow) -> Entry {
        self.options.allow.push(allow);
        self
    }

    /// Reports the hazards `deny` covers as errors (the list's `#![deny(…)]`, `--deny`).
    ///
    /// ```
    /// use migrate_core::check::{Allow, Family, Severity};
    /// use migrate_core::pipeline::{Entry, Origin, check_entry};
    ///
    /// let entry = Entry::new("002_i", "CREATE INDEX IF NOT EXISTS i ON t (a);", Origin::Macro);
    /// assert_eq!(check_entry(entry.clone()).diagnostics[0].severity, Severity::Warning);
    /// let denied = entry.with_deny(Allow::Family(Family::Hazard));
    /// assert_eq!(check_entry(denied).diagnostics[0].severity, Severity::Error);
    /// ```
    pub fn with_deny(mut self, deny: Allow) -> Entry {
        self.options.deny.push(deny);
        self
    }

    /// Gives the entry its down SQL (`#[down("…")]`, a `<version>.down.sql` file). It runs in
    /// the entry's transaction mode, and is checked like an up and against the up.
    ///
    /// ```
    /// use migrate_core::check::Rule;
    /// use migrate_core::pipeline::{Entry, Origin, check_entry};
    ///
    /// let up = "CREATE TABLE IF NOT EXISTS t (id int); ALTER TABLE t ADD COLUMN IF NOT EXISTS c int;";
    /// let entry = Entry::new("001_t", up, Origin::Macro).with_down("DROP TABLE IF EXISTS t;");
    /// let (migration, _) = check_entry(entry).into_migration().unwrap();
    /// assert_eq!(migration.down().unwrap().sql(), "DROP TABLE IF EXISTS t;");
    ///
    /// let up = "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int;";
    /// let entry = Entry::new("002_c", up, Origin::Macro).with_down("SELECT 1;");
    /// let errors = check_entry(entry).into_migration().unwrap_err();
    /// assert_eq!(errors[0].rule, Rule::DownLeavesObject);
    /// assert_eq!(errors[0].help.as_deref(), Some("ALTER TABLE t DROP COLUMN IF EXISTS c;"));
    /// ```
    pub fn with_down(mut self, sql: impl Into<String>) -> Entry {
        self.down = Some(sql.into());
        self
    }

    /// Marks the entry `#[irreversible(reason = "…")]`: it has no down on purpose.
    pub fn with_irreversible(mut self, reason: impl Into<String>) -> Entry {
        self.irreversible = Some(reason.into());
        self
    }

    /// The down SQL, when given.
    pub fn down(&self) -> Option<&str> {
        self.down.as_deref()
    }

    /// The reason the entry is irreversible, when marked so.
    pub fn irreversible(&self) -> Option<&str> {
        self.irreversible.as_deref()
    }

    /// The version as written, not yet validated (the list check does that).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The SQL exactly as it will run.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How the entry is to be checked and run.
    pub fn options(&self) -> &EntryOptions {
        &self.options
    }

    /// Where the entry was written.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub(crate) fn into_parts(self) -> (String, String, Option<String>, Option<String>) {
        (self.version, self.sql, self.down, self.irreversible)
    }
}
