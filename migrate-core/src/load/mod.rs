//! Building a [`Migrations`] list at run time from a directory of `.sql` files.
//!
//! For projects whose history lives in files rather than in a `migrations!` call: the same
//! types as the macro's output, the same checker, the same runtime.
//!
//! # Layout
//!
//! - One file per migration, named `<version>.sql` or `<version>.up.sql`, where the version is
//!   `<digits>_<lower_snake_name>` (e.g. `006_add_user_position.sql`). Files are ordered by
//!   their number (as integers: `9_a` before `10_b`); two files with the same number are an error.
//!   Names written for other tools (`146_2017-08-31-230457_invitations.up.sql`) load with
//!   [`VersionNames::Normalize`].
//! - Ignored: `*.down.sql` (reverse migrations are never applied), files not ending in `.sql`
//!   (READMEs, diesel's `metadata.toml`), hidden files and subdirectories. Diesel's
//!   one-directory-per-migration layout is not read.
//! - The whole file is the migration's SQL; a UTF-8 byte order mark is dropped.
//!
//! # Directives
//!
//! Comment lines at the top of a file, before the first statement, stand in for the macro's
//! entry attributes:
//!
//! - `-- migrate:no_transaction`: like `#[no_transaction]`, the statements run one by one
//!   outside a transaction (for `CREATE INDEX CONCURRENTLY` and friends).
//! - `-- migrate:allow <rule> reason="…"`: like `#[allow(<rule>, reason = "…")]`; `<rule>` is
//!   `non_idempotent` or one idempotency rule id (e.g. `unnamed_index`); the reason is mandatory.
//!   One rule per line; repeat the line for several.
//!
//! A `-- migrate:` line after the first statement, or one that is not understood, is an error.
//! The lines are read by [`Entry::from_sql_file`](crate::pipeline::Entry::from_sql_file), so
//! `migrate lint` honours them exactly as the loader does.
//!
//! # Example
//!
//! ```
//! use migrate_core::load::{CheckFailure, Loader};
//!
//! let dir = std::env::temp_dir().join(format!("migrate_load_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("001_users.sql"), "CREATE TABLE IF NOT EXISTS users (id bigint);").unwrap();
//! std::fs::write(
//!     dir.join("002_users_id_idx.up.sql"),
//!     "-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_id_idx ON users (id);",
//! )
//! .unwrap();
//! // The down beside its up is read with it, and checked like an up and against it.
//! std::fs::write(
//!     dir.join("002_users_id_idx.down.sql"),
//!     "DROP INDEX CONCURRENTLY IF EXISTS users_id_idx;",
//! )
//! .unwrap();
//!
//! let loaded = Loader::new(&dir).on_check_failure(CheckFailure::Reject).load().unwrap();
//! let versions: Vec<_> = loaded.migrations.iter().map(|m| m.version()).collect();
//! assert_eq!(versions, ["001_users", "002_users_id_idx"]);
//! assert!(!loaded.migrations.as_slice()[1].is_transactional());
//! let down = loaded.migrations.as_slice()[1].down().unwrap();
//! assert_eq!(down.sql(), "DROP INDEX CONCURRENTLY IF EXISTS users_id_idx;");
//!
//! // A down that forgets what its up creates is rejected, naming the missing drop.
//! std::fs::write(dir.join("002_users_id_idx.down.sql"), "SELECT 1;").unwrap();
//! let err = Loader::new(&dir).load().unwrap_err();
//! assert!(err.to_string().contains("DROP INDEX CONCURRENTLY IF EXISTS users_id_idx;"), "{err}");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod error;
mod file_name;

pub use error::{FileDiagnostic, LoadError, LoadProblem};
pub use file_name::{down_beside, ups_beside};

/// Reads a `.down.sql` file as the loader does: `None` when it does not exist or holds no
/// statement (diesel writes a comment-only down for every migration: that is no down at all);
/// a leading byte-order mark is dropped.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("migrate_read_down_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("001_t.down.sql"), "-- This file should undo anything in `up.sql`\n").unwrap();
/// assert_eq!(migrate_core::load::read_down(&dir.join("001_t.down.sql")).unwrap(), None);
/// std::fs::write(dir.join("001_t.down.sql"), "DROP TABLE IF EXISTS t;").unwrap();
/// assert!(migrate_core::load::read_down(&dir.join("001_t.down.sql")).unwrap().is_some());
/// assert_eq!(migrate_core::load::read_down(&dir.join("002_u.down.sql")).unwrap(), None);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn read_down(path: &std::path::Path) -> std::io::Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok((!crate::check::statement_spans(text).is_empty()).then(|| text.to_owned()))
}

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::check::{Allow, Family, Rule, Severity};
use crate::pipeline::{Entry, check_entry, check_list};
use crate::{Migration, Migrations, TransactionMode, Version};

use file_name::FileKind;

/// What [`Loader::load`] does when the checker finds errors.
///
/// Warnings never stop a load; they are returned in [`Loaded::diagnostics`].
///
/// ```
/// use migrate_core::load::CheckFailure;
/// assert_eq!(CheckFailure::default(), CheckFailure::Reject);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckFailure {
    /// Any error is a [`LoadError`], as the macro fails the build. The default.
    #[default]
    Reject,
    /// Idempotency findings (family `non_idempotent`) are returned in [`Loaded::diagnostics`]
    /// instead of failing the load; syntax, structure and transaction findings still fail it.
    /// A `.down.sql` with findings this policy would reject is left out instead (the migration
    /// loads without a down) and its findings are returned.
    /// For adopting an existing history written without guards, whose migrations will never
    /// run twice against the same database.
    AcceptNonIdempotent,
    /// Nothing fails the load: every finding is returned in [`Loaded::diagnostics`]. A migration
    /// the parser could not read keeps the statements it found, and will most likely fail when
    /// applied; use this only to apply SQL known to be good that the parser does not accept.
    AcceptAll,
}

impl CheckFailure {
    fn rejects(self, diagnostic: &crate::check::Diagnostic) -> bool {
        if diagnostic.severity != Severity::Error {
            return false;
        }
        match self {
            CheckFailure::Reject => true,
            CheckFailure::AcceptNonIdempotent => diagnostic.rule.family() != Family::NonIdempotent,
            CheckFailure::AcceptAll => false,
        }
    }
}

/// How file names become versions.
///
/// ```
/// use migrate_core::load::VersionNames;
/// assert_eq!(VersionNames::default(), VersionNames::Exact);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionNames {
    /// The file name (without `.sql` / `.up.sql`) must already be a version,
    /// `<digits>_<lower_snake_name>`. The default.
    #[default]
    Exact,
    /// Histories written for other tools (diesel's `2017-08-31-230457_invitations`, sqlx's
    /// `20240101_add-users`): the name is lower-cased and every run of characters other than
    /// `a-z0-9` becomes one `_`, so `146_2017-08-31-230457_Invitations.up.sql` is version
    /// `146_2017_08_31_230457_invitations`. The number is still the leading digits. The
    /// history table records the normalized version: keep the files' names unchanged.
    Normalize,
}

impl VersionNames {
    /// The version a file stem (the name without `.sql` / `.up.sql`) loads as; for naming
    /// migrations in [`Loader::no_transaction`] or matching them to files.
    ///
    /// ```
    /// use migrate_core::load::VersionNames;
    /// let stem = "146_2017-08-31-230457_Invitations";
    /// assert_eq!(VersionNames::Exact.version_for(stem), stem);
    /// assert_eq!(VersionNames::Normalize.version_for(stem), "146_2017_08_31_230457_invitations");
    /// ```
    pub fn version_for(self, file_stem: &str) -> String {
        match self {
            VersionNames::Exact => file_stem.to_owned(),
            VersionNames::Normalize => file_name::normalize(file_stem),
        }
    }
}

/// The result of a successful [`Loader::load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The migrations, in version order, ready for the runtime.
    pub migrations: Migrations,
    /// Findings that did not fail the load: warnings, and the errors the [`CheckFailure`]
    /// policy accepted. Show them to the user.
    pub diagnostics: Vec<FileDiagnostic>,
}

/// Loads a directory of migration files (see the [module documentation](self) for the layout).
///
/// ```
/// use migrate_core::load::{CheckFailure, Loader};
///
/// let loader = Loader::new("migrations")
///     .on_check_failure(CheckFailure::AcceptNonIdempotent)
///     .no_transaction("015_orders_concurrent_idx");
/// # let _ = loader;
/// ```
#[derive(Debug, Clone)]
pub struct Loader {
    dir: PathBuf,
    on_check_failure: CheckFailure,
    version_names: VersionNames,
    no_transaction: BTreeSet<String>,
    deny: Vec<Allow>,
}

/// One migration file, before checking.
struct SourceFile {
    path: PathBuf,
    version: String,
    number: i64,
}

impl Loader {
    /// A loader for the `.sql` files directly inside `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Loader {
            dir: dir.into(),
            on_check_failure: CheckFailure::Reject,
            version_names: VersionNames::Exact,
            no_transaction: BTreeSet::new(),
            deny: Vec::new(),
        }
    }

    /// What to do when the checker finds errors (default [`CheckFailure::Reject`]).
    pub fn on_check_failure(mut self, policy: CheckFailure) -> Self {
        self.on_check_failure = policy;
        self
    }

    /// How file names become versions (default [`VersionNames::Exact`]).
    pub fn version_names(mut self, names: VersionNames) -> Self {
        self.version_names = names;
        self
    }

    /// Runs the migration with this version outside a transaction, as if its file started with
    /// `-- migrate:no_transaction`. `version` is the migration's version (after
    /// [`VersionNames::Normalize`] when that is used). For histories whose transaction mode is recorded elsewhere
    /// (e.g. diesel's `metadata.toml` with `run_in_transaction = false`); a version that matches
    /// no file fails the load.
    pub fn no_transaction(mut self, version: impl Into<String>) -> Self {
        self.no_transaction.insert(version.into());
        self
    }

    /// Reports the zero-downtime hazards `deny` covers as errors, as a list's
    /// `#![deny(hazards)]` does: `Allow::Family(Family::Hazard)` for all of them. Without it,
    /// hazards are warnings in [`Loaded::diagnostics`].
    ///
    /// ```
    /// use migrate_core::check::{Allow, Family};
    /// use migrate_core::load::Loader;
    ///
    /// let dir = std::env::temp_dir().join(format!("migrate_deny_doc_{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let sql = "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);";
    /// std::fs::write(dir.join("002_users_email_idx.sql"), sql).unwrap();
    ///
    /// let loaded = Loader::new(&dir).load().unwrap();
    /// assert_eq!(loaded.diagnostics[0].diagnostic.rule.id(), "require-concurrent-index-creation");
    /// let denied = Loader::new(&dir).deny(Allow::Family(Family::Hazard)).load().unwrap_err();
    /// assert_eq!(denied.diagnostics().count(), 1);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn deny(mut self, deny: Allow) -> Self {
        self.deny.push(deny);
        self
    }

    /// Reads, checks and orders the files. Reports every problem found, not only the first.
    pub fn load(&self) -> Result<Loaded, LoadError> {
        let mut problems = Vec::new();
        let mut files = self.list_files(&mut problems);
        files.sort_by(|a, b| (a.number, &a.version).cmp(&(b.number, &b.version)));

        for found in check_list(files.iter().map(|f| f.version.as_str())) {
            // Sorting leaves only duplicates: the names themselves were validated while listing.
            if let (Rule::DuplicateVersion, Some(first)) = (found.diagnostic.rule, found.first_use)
            {
                problems.push(LoadProblem::DuplicateVersion {
                    file: files[found.entry].path.clone(),
                    first: files[first.entry].path.clone(),
                    number: files[found.entry].number,
                });
            }
        }
        for version in &self.no_transaction {
            if !files.iter().any(|f| &f.version == version) {
                problems.push(LoadProblem::UnknownNoTransaction {
                    dir: self.dir.clone(),
                    version: version.clone(),
                });
            }
        }

        let mut migrations = Vec::with_capacity(files.len());
        let mut accepted = Vec::new();
        for file in &files {
            if let Some(migration) = self.load_file(file, &mut problems, &mut accepted) {
                migrations.push(migration);
            }
        }
        if !problems.is_empty() {
            return Err(LoadError::new(&self.dir, problems));
        }
        // Unreachable in practice (numbers were checked above), but the list type re-checks.
        let migrations = Migrations::from_vec(migrations).map_err(|error| {
            let problems = error
                .issues()
                .iter()
                .map(|issue| LoadProblem::DuplicateVersion {
                    file: files[issue.index].path.clone(),
                    first: files[issue.index].path.clone(),
                    number: files[issue.index].number,
                })
                .collect();
            LoadError::new(&self.dir, problems)
        })?;
        Ok(Loaded {
            migrations,
            diagnostics: accepted,
        })
    }

    /// Lists the migration files with valid version names.
    fn list_files(&self, problems: &mut Vec<LoadProblem>) -> Vec<SourceFile> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(source) => {
                problems.push(LoadProblem::ReadDir {
                    dir: self.dir.clone(),
                    source,
                });
                return Vec::new();
            }
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = match entry {
                Ok(entry) => entry.path(),
                Err(source) => {
                    problems.push(LoadProblem::ReadDir {
                        dir: self.dir.clone(),
                        source,
                    });
                    continue;
                }
            };
            if path.is_dir() {
                continue;
            }
            let version = match file_name::classify(&path) {
                FileKind::Up(stem) => self.version_names.version_for(&stem),
                FileKind::Ignored => {
                    if path.file_name().and_then(|n| n.to_str()).is_none()
                        && path.extension().is_some_and(|e| e == "sql")
                    {
                        problems.push(LoadProblem::BadFileName {
                            file: path,
                            error: crate::VersionError::BadName,
                        });
                    }
                    continue;
                }
            };
            match Version::parse(&version) {
                Ok(parsed) => {
                    let number = parsed.number();
                    files.push(SourceFile {
                        path,
                        version,
                        number,
                    });
                }
                Err(error) => problems.push(LoadProblem::BadFileName { file: path, error }),
            }
        }
        files
    }

    /// Reads and checks one file; its problems go to `problems`, accepted findings to `accepted`.
    fn load_file(
        &self,
        file: &SourceFile,
        problems: &mut Vec<LoadProblem>,
        accepted: &mut Vec<FileDiagnostic>,
    ) -> Option<Migration> {
        let bytes = match std::fs::read(&file.path) {
            Ok(bytes) => bytes,
            Err(source) => {
                problems.push(LoadProblem::ReadFile {
                    file: file.path.clone(),
                    source,
                });
                return None;
            }
        };
        let Ok(text) = String::from_utf8(bytes) else {
            problems.push(LoadProblem::NotUtf8 {
                file: file.path.clone(),
            });
            return None;
        };
        let mut entry = match Entry::from_sql_file(&file.path, &file.version, &text) {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(LoadProblem::Directive {
                    file: file.path.clone(),
                    line: e.line(),
                    message: e.message().to_owned(),
                });
                return None;
            }
        };
        if self.no_transaction.contains(&file.version) {
            entry = entry.with_transaction(TransactionMode::NoTransaction);
        }
        for deny in &self.deny {
            entry = entry.with_deny(*deny);
        }
        let down_path = file_name::down_beside(&file.path);
        if let Some(down_path) = &down_path {
            match read_down(down_path) {
                Ok(Some(down)) => entry = entry.with_down(down),
                Ok(None) => {}
                Err(source) => {
                    problems.push(LoadProblem::ReadFile {
                        file: down_path.clone(),
                        source,
                    });
                    return None;
                }
            }
        }
        let checked = check_entry(entry);
        let mut rejected = false;
        let mut drop_down = false;
        for diagnostic in checked.diagnostics {
            let mut reject = self.on_check_failure.rejects(&diagnostic);
            // Under an accepting policy (an existing directory being adopted) a down the policy
            // would reject costs the migration its down, not its up: it loads irreversible,
            // the finding is returned, and `revert_to` refuses to cross it.
            if reject && diagnostic.in_down && self.on_check_failure != CheckFailure::Reject {
                reject = false;
                drop_down = true;
            }
            let in_file = match &down_path {
                Some(down) if diagnostic.in_down => down.clone(),
                _ => file.path.clone(),
            };
            let found = FileDiagnostic {
                file: in_file,
                version: file.version.clone(),
                diagnostic,
            };
            if reject {
                rejected = true;
                problems.push(LoadProblem::Check(found));
            } else {
                accepted.push(found);
            }
        }
        if rejected {
            return None;
        }
        // The version was validated while listing, so the pipeline built the migration.
        if checked.migration.is_none()
            && let Err(error) = Version::parse(&file.version)
        {
            problems.push(LoadProblem::BadFileName {
                file: file.path.clone(),
                error,
            });
        }
        if drop_down {
            return checked.migration.map(|m| m.with_checked_down(None, None));
        }
        checked.migration
    }
}
