//! The model, checker and runtime behind the [`migrate`](https://docs.rs/migrate) crate.
//!
//! Depend on `migrate`, not on this crate: it re-exports everything here together with the
//! `migrations!` macro. This crate exists so that the macro, the runtime and the `migrate lint`
//! command share one implementation of version parsing, checksums and the SQL rules.
//!
//! Features: `check` (the SQL checker, pulls in the parser, no driver), `runtime` (the
//! PostgreSQL runtime, pulls in sqlx and tokio, no parser) and `testing` (a fresh migrated
//! database per test, on top of `runtime`).

#![warn(missing_docs)]

mod checksum;
pub mod list;
pub mod lock_file;
mod migration;
mod migrations;
mod tool;
mod version;
mod version_text;

#[cfg(feature = "check")]
pub mod check;
#[cfg(feature = "check")]
pub mod import;
#[cfg(feature = "check")]
pub mod load;
#[cfg(feature = "check")]
pub mod pipeline;
#[cfg(feature = "runtime")]
mod runtime;
#[cfg(feature = "runtime")]
pub mod schema;
#[cfg(feature = "testing")]
pub mod testing;

/// Paths the facade's macros expand to. Not public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "testing")]
    pub use crate::testing::run::{run_plain, run_test};
}

pub use checksum::{Checksum, ChecksumParseError};
pub use migration::{Down, Migration, Statement, StatementSpan, TransactionMode};
pub use migrations::Migrations;
pub use tool::{Tool, UnknownTool};
pub use version::{Version, VersionError};
pub use version_text::VersionText;

#[cfg(feature = "runtime")]
pub use runtime::{
    Applied, ChecksumPolicy, Connect, Drift, Error, IndexRebuild, InvalidIndex, LockStrategy,
    LockUse, LockWait, MigrationState, MigrationStatus, Migrator, OutOfOrderPolicy,
    PendingAdoption, PgErrorDetails, Plan, PlanStep, PlanStepKind, Report, Reversibility,
    RevertPlan, RevertStep, Status, UnknownPolicy, Warning, connect,
};
