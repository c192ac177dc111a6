//! Command-line tools: `migrate lint` for `.sql` files, and the `migrate` subcommand an
//! application embeds to manage its own migration list (`myapp migrate status|up|plan|verify|drift|baseline`).
//!
//! Enabled by the `cli` feature.
//!
//! Exit codes, everywhere: `0` ok, `1` pending migrations or a failed check, `2` could not run
//! (see [`Outcome`]).

mod command;
mod database;
mod fix;
mod format;
mod import;
mod lint;
mod lock;
mod outcome;

pub use command::{Cli, Command, Migrate, main};
pub use database::{DatabaseUrl, DatabaseUrlError};
pub use format::Format;
pub use import::Import;
pub use lint::{Finding, Lint, lint_sql, lint_sql_denying};
pub use lock::LockDir;
pub use outcome::Outcome;
