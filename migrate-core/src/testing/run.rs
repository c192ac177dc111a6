//! What `#[migrate::test]` expands to: a tokio runtime per test, the test's database prepared
//! before the body runs and dropped after it, also when it panics. Not public API: reached by
//! the macro through `migrate::__private`.

use std::future::Future;

use sqlx::{PgConnection, PgPool};

use super::{Error, TestDatabase};
use crate::Migrations;

/// What a `#[migrate::test]` function may take: `PgPool` or `PgConnection`.
#[diagnostic::on_unimplemented(
    message = "a `#[migrate::test]` function takes a `PgPool` or a `PgConnection`, not `{Self}`"
)]
pub trait TestArgument: Sized {
    /// The argument for a test on `db`.
    fn from_database(db: &TestDatabase) -> impl Future<Output = Result<Self, Error>>;
}

impl TestArgument for PgPool {
    async fn from_database(db: &TestDatabase) -> Result<Self, Error> {
        Ok(db.pool().clone())
    }
}

impl TestArgument for PgConnection {
    async fn from_database(db: &TestDatabase) -> Result<Self, Error> {
        db.connection().await
    }
}

/// Runs `test` on a fresh database: `migrations` applied, or empty for `None`.
pub fn run_test<A, F, Fut>(migrations: Option<&Migrations>, test: F) -> Fut::Output
where
    A: TestArgument,
    F: FnOnce(A) -> Fut,
    Fut: Future,
{
    runtime().block_on(async move {
        let db = match migrations {
            Some(list) => TestDatabase::new(list).await,
            None => TestDatabase::empty().await,
        };
        let db = db.unwrap_or_else(|e| fail(e));
        let argument = A::from_database(&db).await.unwrap_or_else(|e| fail(e));
        // A panic unwinds through here: `db`'s Drop drops the database.
        let output = test(argument).await;
        db.close().await.unwrap_or_else(|e| fail(e));
        output
    })
}

/// Runs a test that takes no database.
pub fn run_plain<Fut: Future>(test: impl FnOnce() -> Fut) -> Fut::Output {
    runtime().block_on(test())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("migrate::test: cannot start a tokio runtime: {e}"))
}

fn fail(e: Error) -> ! {
    panic!("migrate::test: {e}")
}
