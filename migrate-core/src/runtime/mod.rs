//! The PostgreSQL runtime: applies a [`Migrations`](crate::Migrations) list under a lock.
//!
//! [`Migrations::run`](crate::Migrations::run) is the one call an application makes at startup.
//! When everything is applied it costs one query; otherwise it takes the run lock (an advisory
//! lock on a dedicated connection, or a lease row through a transaction pooler), creates or
//! adopts the history table, checks the policies and applies what is pending, each
//! transactional migration in one round trip together with its history row. [`Migrations::status`](crate::Migrations::status), `verify` and `plan` only read.

mod adopt;
mod apply;
mod assess;
mod connect;
mod drift;
mod error;
mod fingerprint;
mod history;
mod index;
mod lock;
mod migrator;
mod policy;
mod report;
mod retry;
mod revert;
mod status;
pub(crate) mod table;

pub use connect::{Connect, connect};
pub use drift::Drift;
pub use error::{Error, PgErrorDetails};
pub use index::{IndexRebuild, InvalidIndex};
pub use lock::LockStrategy;
pub use migrator::Migrator;
pub use policy::{ChecksumPolicy, OutOfOrderPolicy, UnknownPolicy};
pub use report::{Applied, LockUse, LockWait, Report, Warning};
pub use revert::{RevertPlan, RevertStep};
pub use status::{
    MigrationState, MigrationStatus, PendingAdoption, Plan, PlanStep, PlanStepKind, Reversibility,
    Status,
};

/// Durations serialise as whole milliseconds.
#[cfg(feature = "serde")]
fn serde_millis<S: serde::Serializer>(
    duration: &std::time::Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}
