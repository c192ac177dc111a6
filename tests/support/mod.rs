//! Shared test fixtures: a fresh PostgreSQL database per test, dropped afterwards — the
//! project's own test harness, `migrate::testing`, which also chooses the server
//! (`DATABASE_URL`, else 127.0.0.1:5432, else a throwaway server of the test process's own).
#![allow(dead_code)]

pub mod catalog;
pub mod cluster;
pub mod corpus;
pub mod pgbouncer;
pub mod rollback;

use migrate::testing::{Server, TestDatabase};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

/// The process's test server, chosen (or started) on first use.
pub async fn server() -> &'static Server {
    Server::get()
        .await
        .unwrap_or_else(|e| panic!("no PostgreSQL for the tests: {e}"))
}

/// The server's administrative URL (may hold a throwaway server's password: do not print).
/// Callable from sync and async code alike: the choice runs on a thread of its own.
pub fn server_url() -> String {
    std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(server())
            .url()
            .to_owned()
    })
    .join()
    .expect("choosing the test server panicked")
}

/// A fresh, empty database for one test, dropped (with `FORCE`) when the value is dropped.
pub struct TestDb(TestDatabase);

impl TestDb {
    /// Creates a fresh, empty database with a unique name.
    pub async fn new() -> TestDb {
        TestDb(
            TestDatabase::empty()
                .await
                .unwrap_or_else(|e| panic!("cannot create a test database: {e}")),
        )
    }

    /// A fresh database with `migrations` applied, cloned from their template database.
    pub async fn migrated(migrations: &migrate::Migrations) -> TestDb {
        TestDb(
            TestDatabase::new(migrations)
                .await
                .unwrap_or_else(|e| panic!("cannot create a test database: {e}")),
        )
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// Connect options for this database.
    pub fn options(&self) -> PgConnectOptions {
        self.0.connect_options()
    }

    /// A URL for this database (for CLIs and examples that take `DATABASE_URL`).
    pub fn url(&self) -> String {
        self.0.url()
    }

    /// A new pool on this database.
    pub async fn pool(&self) -> PgPool {
        self.pool_with(PgPoolOptions::new().max_connections(5))
            .await
    }

    /// A new pool on this database with the given options.
    pub async fn pool_with(&self, options: PgPoolOptions) -> PgPool {
        options
            .connect_with(self.options())
            .await
            .expect("cannot connect to the test database")
    }

    /// One connection on this database.
    pub async fn connect(&self) -> PgConnection {
        self.0
            .connection()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test database: {e}"))
    }
}
