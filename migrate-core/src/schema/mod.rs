//! The schema of a live database as a normalized model, and the differences between two.
//!
//! A [`Snapshot`] is read from the catalog in one query: schemas, tables (kind, persistence,
//! row-level security, partitioning), columns (type as `format_type` prints it, nullability,
//! default, identity, generated expression, collation), constraints (`pg_get_constraintdef`,
//! `NOT VALID` included), indexes (`pg_get_indexdef`, validity), views and materialized views
//! (definitions), sequences (parameters), functions, procedures and aggregates
//! (`pg_get_functiondef`), triggers (definition, enabled or not), policies, enum labels in
//! order, domains, composite types and extensions.
//!
//! Left out: `pg_catalog`, `information_schema`, `pg_toast`, objects created by extensions,
//! and everything that is not schema: OIDs, statistics, sequence values, column order,
//! ownership, privileges, comments, storage parameters and tablespaces. Objects are identified
//! by name only, so two databases built by the same statements compare equal.
//!
//! [`Snapshot::diff`] lists what differs, each [`Difference`] naming the object and reading in
//! one line; [`Migrator::drift`](crate::runtime::Migrator::drift) uses it to compare a live
//! database with its migrations replayed.
//!
//! ```no_run
//! # async fn demo(staging: sqlx::PgPool, production: sqlx::PgPool) -> Result<(), migrate_core::Error> {
//! use migrate_core::schema::Snapshot;
//!
//! let expected = Snapshot::read(&staging).await?;
//! let actual = Snapshot::read(&production).await?;
//! for difference in expected.diff(&actual).iter() {
//!     println!("{difference}");
//! }
//! # Ok(()) }
//! ```

mod diff;
mod display;
pub(crate) mod read;
mod snapshot;

pub use diff::{Change, Diff, Difference};
#[cfg(feature = "testing")]
pub(crate) use display::Headline;
pub use snapshot::{Object, ObjectId, ObjectKind, Snapshot};
