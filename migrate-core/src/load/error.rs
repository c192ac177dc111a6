//! What can go wrong when loading a directory, always naming the file.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::VersionError;
use crate::check::{Diagnostic, Severity};

/// One checker finding in one migration file.
///
/// ```
/// use migrate_core::check::{Diagnostic, Rule};
/// use migrate_core::load::FileDiagnostic;
///
/// let d = FileDiagnostic {
///     file: "migrations/001_init.sql".into(),
///     version: "001_init".into(),
///     diagnostic: Diagnostic::about_entry(Rule::MissingIfNotExists, "CREATE TABLE without IF NOT EXISTS")
///         .at(1, 2, 1, 10..40)
///         .with_help("CREATE TABLE IF NOT EXISTS t (id int)"),
/// };
/// assert!(d.to_string().starts_with(
///     "migrations/001_init.sql:2:1: error[missing_if_not_exists]: migration `001_init`, statement 1 (line 2)"
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiagnostic {
    /// The migration file.
    pub file: PathBuf,
    /// The migration's version (the file name without `.sql` / `.up.sql`).
    pub version: String,
    /// The finding; its line and column are those of the file, since the whole file is the
    /// migration's SQL.
    pub diagnostic: Diagnostic,
}

impl FileDiagnostic {
    /// `true` for error diagnostics, `false` for warnings.
    pub fn is_error(&self) -> bool {
        self.diagnostic.severity == Severity::Error
    }
}

impl fmt::Display for FileDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.diagnostic.line,
            self.diagnostic.column,
            self.diagnostic.render(&self.version)
        )
    }
}

/// One reason a directory could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadProblem {
    /// The directory (or one of its entries) could not be listed.
    #[error("cannot read directory `{}`: {source} (check that it exists and is readable)", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A migration file could not be read.
    #[error("cannot read `{}`: {source}", file.display())]
    ReadFile {
        /// The file.
        file: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A migration file is not UTF-8 text.
    #[error("`{}` is not valid UTF-8: save it as UTF-8 (PostgreSQL migrations are text)", file.display())]
    NotUtf8 {
        /// The file.
        file: PathBuf,
    },
    /// A `.sql` file whose name is not `<version>.sql` or `<version>.up.sql`.
    #[error(
        "`{}` is not named `<version>.sql` (or `<version>.up.sql`): {error}; rename it, e.g. `006_add_user_position.sql`, or load with `VersionNames::Normalize`",
        file.display()
    )]
    BadFileName {
        /// The file.
        file: PathBuf,
        /// Why its name is not a version.
        error: VersionError,
    },
    /// A `-- migrate:` directive that could not be understood.
    #[error("{}:{line}: {message}", file.display())]
    Directive {
        /// The file.
        file: PathBuf,
        /// 1-based line of the directive.
        line: u32,
        /// What is wrong and how to write it.
        message: String,
    },
    /// Two files with the same version number (even with different names).
    #[error(
        "`{}` and `{}` both have number {number}: give one of them the next free number",
        first.display(),
        file.display()
    )]
    DuplicateVersion {
        /// The later file.
        file: PathBuf,
        /// The file that has the number too.
        first: PathBuf,
        /// The shared number.
        number: i64,
    },
    /// [`Loader::no_transaction`](super::Loader::no_transaction) named a version no file has.
    #[error(
        "`no_transaction(\"{version}\")` names no migration in `{}`: check the version's spelling",
        dir.display()
    )]
    UnknownNoTransaction {
        /// The directory.
        dir: PathBuf,
        /// The version that matched no file.
        version: String,
    },
    /// The checker rejected a migration.
    #[error("{0}")]
    Check(FileDiagnostic),
}

/// Why [`Loader::load`](super::Loader::load) failed: every problem found, not only the first.
///
/// ```
/// use migrate_core::load::Loader;
///
/// let err = Loader::new("/no/such/dir").load().unwrap_err();
/// assert_eq!(err.problems().len(), 1);
/// assert!(err.to_string().contains("cannot read directory `/no/such/dir`"));
/// ```
#[derive(Debug)]
pub struct LoadError {
    dir: PathBuf,
    problems: Vec<LoadProblem>,
}

impl LoadError {
    pub(crate) fn new(dir: &Path, problems: Vec<LoadProblem>) -> Self {
        LoadError {
            dir: dir.to_owned(),
            problems,
        }
    }

    /// The directory that was loaded.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every problem, files in version order.
    pub fn problems(&self) -> &[LoadProblem] {
        &self.problems
    }

    /// The checker's findings among the problems.
    pub fn diagnostics(&self) -> impl Iterator<Item = &FileDiagnostic> {
        self.problems.iter().filter_map(|p| match p {
            LoadProblem::Check(d) => Some(d),
            _ => None,
        })
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "cannot load migrations from `{}`: {count} problem{}",
            self.dir.display(),
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}
