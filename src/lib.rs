//! PostgreSQL migrations declared in Rust, checked when the program is built, applied safely
//! every time it starts.
//!
//! # 1. Declare the migrations
//!
//! ```
//! use migrate::{Migrations, migrations};
//!
//! pub static MIGRATIONS: Migrations = migrations! {
//!     "001_initial_tables" => "
//!         CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);
//!     ",
//!     "002_user_position" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS position TEXT;",
//!     #[no_transaction]
//!     "003_users_email_idx" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
//! };
//!
//! assert_eq!(MIGRATIONS.len(), 3);
//! let m = MIGRATIONS.get("002_user_position").unwrap();
//! assert_eq!((m.number(), m.name()), (2, "user_position"));
//! assert!(!MIGRATIONS.get("003_users_email_idx").unwrap().is_transactional());
//! ```
//!
//! Versions are `<digits>_<lower_snake_name>`, in increasing numeric order. Each entry is one
//! migration (one or more statements); `file("path.sql")` can replace the SQL literal, and
//! `#[allow(<rule>, reason = "…")]` silences one rule for one entry.
//!
//! # 2. Let the build check them
//!
//! [`migrations!`] parses every entry as PostgreSQL at compile time. The build fails on a
//! malformed, duplicate or out-of-order version, a syntax error, transaction control inside an
//! entry, a statement that cannot run in a transaction without `#[no_transaction]`, and any
//! statement that is not **idempotent** — that would fail or change data when run again on a
//! database where its objects already exist:
//!
//! ```compile_fail
//! static MIGRATIONS: migrate::Migrations = migrate::migrations! {
//!     // error: [missing_if_not_exists] … CREATE TABLE without IF NOT EXISTS: a second run
//!     // fails with 42P07 (relation "users" already exists)
//!     //   help: CREATE TABLE IF NOT EXISTS users (id bigint)
//!     "001_users" => "CREATE TABLE users (id bigint);",
//! };
//! ```
//!
//! The `check` module (feature `check`) runs the same rules on SQL at run time, and the
//! `migrate lint FILE…` binary (feature `cli`) on `.sql` files.
//!
//! # 3. Apply them at startup
//!
//! ```no_run
//! # static MIGRATIONS: migrate::Migrations = migrate::migrations! {
//! #     "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY);",
//! # };
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Retries while the database starts; the password never appears in errors or logs.
//! let pool = migrate::connect("postgres://app:secret@db:5432/app").await?;
//! let report = MIGRATIONS.run(&pool).await?; // pending ones, in order, once, under a lock
//! println!("{report}");
//! // … then start serving.
//! # Ok(()) }
//! ```
//!
//! [`Migrations::run`] applies what is pending, each migration in its own transaction together
//! with its history row (`#[no_transaction]` ones statement by statement, resumable), while a
//! PostgreSQL advisory lock keeps concurrent starters waiting. When nothing is pending it costs
//! one query.
//!
//! # 4. Inspect, gate, adopt
//!
//! ```no_run
//! # static MIGRATIONS: migrate::Migrations = migrate::migrations! {
//! #     "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY);",
//! # };
//! # async fn demo(pool: sqlx::PgPool) -> Result<(), migrate::Error> {
//! use std::time::Duration;
//!
//! println!("{}", MIGRATIONS.status(&pool).await?); // applied / pending / modified / failed
//! println!("{}", MIGRATIONS.plan(&pool).await?); // the exact SQL a run would send
//! match MIGRATIONS.verify(&pool).await {
//!     Ok(_) => println!("up to date"),
//!     Err(migrate::Error::NotUpToDate { status }) => println!("behind:\n{status}"),
//!     // The schema changed since the last run: `drift` says how.
//!     Err(e @ migrate::Error::Drifted { .. }) => println!("{e}\n{}", MIGRATIONS.drift(&pool).await?),
//!     Err(e) => return Err(e),
//! }
//! // Adopt a database whose tables predate the tracking: record without running.
//! MIGRATIONS.migrator().baseline(&pool, "001_users").await?;
//! // Options: history table, waits, policies.
//! MIGRATIONS
//!     .migrator()
//!     .table("app.schema_migrations")
//!     .lock_wait(Duration::from_secs(60))
//!     .run(&pool)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! `status`, `verify` and `plan` take no lock and write nothing: call them from health checks
//! and deploy gates.
//!
//! # 5. Give operators a command
//!
//! With the `cli` feature, the `cli` module turns the application binary into
//! `myapp migrate status|up|plan|verify|drift|baseline <version>` for its own list (exit codes 0 ok,
//! 1 pending, 2 error).
//!
//! # Features
//!
//! - `runtime` (default): [`Migrations::run`] and friends, on sqlx + tokio.
//! - `check`: the SQL checker at run time (`check`, and `Loader` for directories of `.sql` files).
//! - `serde`: `Serialize` for [`Report`], [`Status`] and [`Plan`].
//! - `cli`: the `cli` module and the `migrate lint` binary.
//! - `testing`: the `testing` module and `#[migrate::test]`: a fresh migrated database per
//!   test, cloned from a template database, on `DATABASE_URL`, a local server or a throwaway
//!   server started from the PostgreSQL binaries;
//!   and `testing::assert_idempotent`, the proof that every migration can run twice in a row
//!   and change nothing.
//!
//! The run lock is a session advisory lock, or a lease row when the connection turns out to be
//! pooled per transaction (PgBouncer in transaction mode); see [`LockStrategy`]. A lost
//! connection is retried ([`Migrator::reconnect_within`]). The repository's README covers
//! rules, replicas, poolers, restarts and a comparison with other tools; `examples/` has a
//! quickstart, an axum service with a health endpoint, and the embedded CLI.

#![warn(missing_docs)]

pub use migrate_core::*;
pub use migrate_macros::migrations;
#[cfg(feature = "testing")]
pub use migrate_macros::test;

#[cfg(feature = "cli")]
pub mod cli;

/// Paths used by the `migrations!` expansion. Not public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "testing")]
    pub use migrate_core::__private::*;
    pub use migrate_core::{Down, Migration, Migrations, StatementSpan, TransactionMode};
}
