//! Shared test fixtures: a fresh PostgreSQL database per test, dropped afterwards.
//!
//! `DATABASE_URL` if set, else `postgres://postgres@127.0.0.1:5432/postgres`, names the server;
//! each [`TestDb`] creates its own uniquely named database on it, so tests run in parallel and
//! leave nothing behind.
#![allow(dead_code)]

pub mod catalog;
pub mod corpus;

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

/// The server URL tests use.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn server_options() -> PgConnectOptions {
    PgConnectOptions::from_str(&server_url()).expect("DATABASE_URL is not a valid PostgreSQL URL")
}

/// A database created for one test and dropped (with `FORCE`) when the value is dropped.
pub struct TestDb {
    name: String,
}

impl TestDb {
    /// Creates a fresh, empty database with a unique name.
    pub async fn new() -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "migrate_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let mut admin = PgConnection::connect_with(&server_options())
            .await
            .expect("cannot reach PostgreSQL");
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE failed");
        admin.close().await.ok();
        TestDb { name }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connect options for this database.
    pub fn options(&self) -> PgConnectOptions {
        server_options().database(&self.name)
    }

    /// A URL for this database (for CLIs and examples that take `DATABASE_URL`).
    pub fn url(&self) -> String {
        let server = server_url();
        let (base, query) = match server.split_once('?') {
            Some((b, q)) => (b.to_owned(), format!("?{q}")),
            None => (server.clone(), String::new()),
        };
        let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
        let root = match base[authority_end..].find('/') {
            Some(i) => &base[..authority_end + i],
            None => &base[..],
        };
        format!("{root}/{}{query}", self.name)
    }

    /// A pool on this database.
    pub async fn pool(&self) -> PgPool {
        self.pool_with(PgPoolOptions::new().max_connections(5))
            .await
    }

    /// A pool on this database with the given options.
    pub async fn pool_with(&self, options: PgPoolOptions) -> PgPool {
        options
            .connect_with(self.options())
            .await
            .expect("cannot connect to the test database")
    }

    /// One connection on this database.
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect_with(&self.options())
            .await
            .expect("cannot connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside a runtime that is shutting down: use a thread with its own.
        let dropper = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let mut admin = PgConnection::connect_with(&server_options()).await.ok()?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        });
        let _ = dropper.join();
    }
}
