//! What can go wrong reading another tool's directory or writing the module.

use std::path::PathBuf;

use crate::Tool;

/// Why `migrate import` could not read a directory or write its module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The directory (or a migration subdirectory) cannot be listed.
    #[error("cannot read directory {}: {source}", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A migration file cannot be read, or is not UTF-8.
    #[error("cannot read {}: {reason}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Nothing in the directory looks like a sqlx, diesel or refinery migration.
    #[error(
        "{} holds no sqlx (`<version>_<name>.sql`), diesel (`<version>_<name>/up.sql`) or refinery (`V<n>__<name>.sql`) migration; pass the migrations directory itself, or name the tool with --from",
        dir.display()
    )]
    NotDetected {
        /// The directory.
        dir: PathBuf,
    },
    /// The directory mixes layouts, so the tool cannot be guessed.
    #[error(
        "{} looks like both {first} and {second}; name the tool with --from",
        dir.display()
    )]
    Ambiguous {
        /// The directory.
        dir: PathBuf,
        /// One layout found.
        first: Tool,
        /// Another layout found.
        second: Tool,
    },
    /// A file or directory name is not a migration name of the tool.
    #[error("{} is not a migration name: {reason}", path.display())]
    BadName {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Two migrations have the same number.
    #[error(
        "{} and {} both have number {number}; the tool would refuse them too: renumber one",
        first.display(),
        second.display()
    )]
    DuplicateNumber {
        /// The number.
        number: i64,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A `file(…)` entry needs a path relative to the crate root, and this file is not under it.
    #[error(
        "{} is not under the crate root {}: `file(…)` paths are relative to CARGO_MANIFEST_DIR; run the import from the crate's directory, pass --crate-root, or use --inline",
        path.display(),
        root.display()
    )]
    OutsideCrate {
        /// The migration file.
        path: PathBuf,
        /// The crate root.
        root: PathBuf,
    },
    /// The checker found a problem that no `#[allow]` can silence (a syntax error, transaction
    /// control), so the module would not compile.
    #[error("migration {version} ({}) cannot be imported as it is:\n{messages}", path.display())]
    Unimportable {
        /// Our version of the migration.
        version: String,
        /// Its file.
        path: PathBuf,
        /// The checker's findings, rendered.
        messages: String,
    },
}
