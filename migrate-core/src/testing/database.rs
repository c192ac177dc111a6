//! One test's database: created fresh (empty, or cloned from the list's template), dropped
//! when the value goes away — also when the test panics.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use super::template::Template;
use super::{Error, Server};
use crate::{Migrations, Migrator};

/// How long a `Drop` waits for its `DROP DATABASE` before letting it finish in the background.
const DROP_WAIT: Duration = Duration::from_secs(5);

/// A fresh database for one test, on the process's [`Server`], with a pool on it.
///
/// [`TestDatabase::new`] clones a template database that has the list applied (built once per
/// list digest, reused across tests, test binaries and runs); [`TestDatabase::empty`] creates
/// an empty one. The database is dropped (`WITH (FORCE)`) when the value is dropped, including
/// during a panic's unwinding; [`TestDatabase::close`] does the same without blocking a thread.
///
/// ```no_run
/// # async fn demo() -> Result<(), migrate_core::testing::Error> {
/// use migrate_core::testing::TestDatabase;
///
/// # let migrations = migrate_core::Migrations::from_vec(vec![]).unwrap();
/// let db = TestDatabase::new(&migrations).await?;
/// let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
///     .fetch_one(db.pool())
///     .await
///     .expect("a query");
/// db.close().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    server: &'static Server,
    pool: PgPool,
    template: Option<String>,
    dropped: bool,
}

impl TestDatabase {
    /// A fresh database with `migrations` applied (default migrator options).
    ///
    /// The template of a list is identified by its versions and checksums. When it is built,
    /// the templates of older versions of the list are dropped: those of the same crate with
    /// the same first migration and history table.
    pub async fn new(migrations: &Migrations) -> Result<TestDatabase, Error> {
        TestDatabase::with_migrator(migrations.migrator()).await
    }

    /// A fresh database with the list applied by `migrator` (its history table and options;
    /// the table name is part of the template's identity).
    pub async fn with_migrator(migrator: Migrator<'_>) -> Result<TestDatabase, Error> {
        let server = Server::get().await?;
        let template = Template::new(&migrator);
        let name = unique_name();
        template.clone_into(server, &migrator, &name).await?;
        Ok(TestDatabase::created(server, name, Some(template.name())))
    }

    /// A fresh, empty database (cloned from the server's default template, `template1`).
    pub async fn empty() -> Result<TestDatabase, Error> {
        let server = Server::get().await?;
        let name = unique_name();
        let sql = format!("CREATE DATABASE \"{name}\"");
        let mut admin = server.admin().await?;
        sqlx::raw_sql(&sql)
            .execute(&mut admin)
            .await
            .map_err(|e| server.error(sql, e))?;
        let _ = admin.close().await;
        Ok(TestDatabase::created(server, name, None))
    }

    fn created(server: &'static Server, name: String, template: Option<String>) -> TestDatabase {
        let options = server.connect_options().database(&name);
        // Lazy: a test that opens its own connections pays for none here.
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect_lazy_with(options);
        TestDatabase {
            name,
            server,
            pool,
            template,
            dropped: false,
        }
    }

    /// A pool on the database (up to 5 connections, opened on first use).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// One new connection to the database.
    pub async fn connection(&self) -> Result<PgConnection, Error> {
        self.connect_options().connect().await.map_err(|e| {
            self.server
                .error(format!("connecting to `{}`", self.name), e)
        })
    }

    /// The database's name (unique on the server).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template database this one was cloned from (`None` for an empty one). Templates
    /// persist on the server for later runs; tests of the harness itself drop theirs.
    pub fn template(&self) -> Option<&str> {
        self.template.as_deref()
    }

    /// Connect options for the database, to build other pools or connections.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.server.connect_options().database(&self.name)
    }

    /// A URL for the database, for programs under test that take `DATABASE_URL`.
    pub fn url(&self) -> String {
        self.server.url_for(&self.name)
    }

    /// The server the database lives on.
    pub fn server(&self) -> &'static Server {
        self.server
    }

    /// Closes the pool and drops the database.
    pub async fn close(mut self) -> Result<(), Error> {
        self.dropped = true;
        self.pool.close().await;
        drop_database(self.server, &self.name).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (server, name) = (self.server, self.name.clone());
        // Drop may run inside a runtime (even one shutting down, or unwinding from a panic):
        // the statement runs on a thread of its own with its own runtime. The wait is
        // bounded: on a server with password authentication, `DROP DATABASE` waits for every
        // backend still authenticating, and one of them may be a connection of this very
        // thread's runtime, which cannot answer while the thread waits here.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let dropped = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|rt| {
                    rt.block_on(drop_database(server, &name))
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = &dropped {
                eprintln!("migrate::testing: dropping a test database: {e}");
            }
            let _ = done.send(());
        });
        let _ = finished.recv_timeout(DROP_WAIT);
    }
}

async fn drop_database(server: &Server, name: &str) -> Result<(), Error> {
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    let mut admin = server.admin().await?;
    let result = sqlx::raw_sql(&sql).execute(&mut admin).await;
    let _ = admin.close().await;
    result.map(drop).map_err(|e| server.error(sql, e))
}

/// `migrate_test_<pid>_<counter>_<nanos>`: unique among concurrent processes and reruns.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "migrate_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
