//! A fresh, migrated PostgreSQL database for every test, in milliseconds (feature `testing`).
//!
//! [`TestDatabase::new`] gives a pool on a new database that has the list applied, and drops
//! the database when the value goes out of scope (also when the test panics). It works in any
//! test framework; `#[migrate::test(MIGRATIONS)]` wraps it for `async fn` tests.
//!
//! **Fast by construction.** The list is applied once, into a *template database* named by a
//! digest of the list (versions, checksums, transaction modes, history table); every test
//! clones it with `CREATE DATABASE … TEMPLATE`, which copies files instead of running SQL.
//! Templates are reused across tests, test binaries and runs while the digest matches; when a
//! list changes, the templates of its older versions (same crate, same history table, same
//! first migration) are dropped.
//! Concurrent builders of one template (parallel tests, parallel test binaries) wait on an
//! advisory lock and build it once.
//!
//! **Which server** ([`Server`]): `DATABASE_URL` when set; else PostgreSQL on
//! `127.0.0.1:5432` as user `postgres` when it answers; else a *throwaway server* started
//! from the PostgreSQL binaries on the machine (`pg_config --bindir`,
//! `/usr/lib/postgresql/*/bin`, `PATH`): `initdb` into a temporary directory, a unix socket in
//! that directory, stopped and deleted when the process exits, however it exits. As root it
//! runs as the `postgres` system user. `MIGRATE_TEST_SERVER=throwaway` forces it.
//!
//! [`assert_idempotent`] is the test every application should have: it proves on a real
//! PostgreSQL what the build-time checker can only infer, that each migration can run twice in
//! a row and change nothing.
//!
//! ```no_run
//! use migrate_core::testing::TestDatabase;
//!
//! # async fn demo(migrations: &migrate_core::Migrations) -> Result<(), Box<dyn std::error::Error>> {
//! let a = TestDatabase::new(migrations).await?;
//! let b = TestDatabase::new(migrations).await?;
//! sqlx::query("CREATE TABLE t (id int)").execute(a.pool()).await?;
//! assert!(sqlx::query("SELECT * FROM t").execute(b.pool()).await.is_err()); // separate databases
//! # Ok(()) }
//! ```

mod database;
mod error;
mod idempotent;
#[doc(hidden)]
pub mod run;
mod server;
mod template;
mod throwaway;

pub use database::TestDatabase;
pub use error::Error;
pub use idempotent::{
    NotIdempotent, Reason, assert_idempotent, check_idempotent, find_not_idempotent,
};
pub use server::{SERVER_VARIABLE, Server};
/// The pool and connection types a test receives (re-exported so tests need no sqlx import).
pub use sqlx::{PgConnection, PgPool};
