//! What production does to a migration on one server: a busy table (lock timeouts, retried), a
//! concurrent index build killed half-way (an INVALID index, rebuilt), an invalid index made by
//! hand (reported by `verify`).

mod runtime_common;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runtime_common::*;

/// Holds `ACCESS EXCLUSIVE` on `table` from another session for `hold`, then commits.
async fn lock_table_for(
    db: &support::TestDb,
    table: &str,
    hold: Duration,
) -> tokio::task::JoinHandle<()> {
    let mut holder = db.connect().await;
    sqlx::raw_sql(&format!(
        "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
    ))
    .execute(&mut holder)
    .await
    .unwrap();
    tokio::spawn(async move {
        tokio::time::sleep(hold).await;
        sqlx::Executor::execute(&mut holder, "COMMIT")
            .await
            .unwrap();
    })
}

async fn setup_table(db: &support::TestDb) -> sqlx::PgPool {
    let pool = db.pool().await;
    sqlx::raw_sql("CREATE TABLE busy (id INT); CREATE TABLE executions (migration TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

async fn executions(pool: &sqlx::PgPool, migration: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM executions WHERE migration = $1")
        .bind(migration)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_table_is_retried_until_its_lock_is_free() {
    let db = support::TestDb::new().await;
    let pool = setup_table(&db).await;
    let migrations = list(vec![tx(
        "001_busy",
        "INSERT INTO executions VALUES ('001_busy');\nALTER TABLE busy ADD COLUMN IF NOT EXISTS a INT;",
    )]);
    let held = lock_table_for(&db, "busy", Duration::from_secs(3)).await;
    let started = Instant::now();
    let report = migrations
        .migrator()
        .lock_timeout(Duration::from_secs(1))
        .lock_timeout_retries(5, Duration::from_millis(500))
        .run(&pool)
        .await
        .expect("the run outlasts the lock with retries");
    held.await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "it ran only once the lock was free"
    );
    assert!(report.lock_timeout_retries >= 2, "{report:?}");
    assert!(report.to_string().contains("lock-timeout retr"), "{report}");
    assert_eq!(report.applied.len(), 1);
    // Rolled back on each timeout: the migration's effects are there once.
    assert_eq!(executions(&pool, "001_busy").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_transaction_migration_retries_only_the_statement_that_timed_out() {
    let db = support::TestDb::new().await;
    let pool = setup_table(&db).await;
    let migrations = list(vec![no_tx(
        "001_busy",
        "INSERT INTO executions VALUES ('001_busy');\nALTER TABLE busy ADD COLUMN IF NOT EXISTS a INT;",
    )]);
    let held = lock_table_for(&db, "busy", Duration::from_secs(3)).await;
    let report = migrations
        .migrator()
        .lock_timeout(Duration::from_secs(1))
        .lock_timeout_retries(5, Duration::from_millis(500))
        .run(&pool)
        .await
        .expect("the run outlasts the lock with retries");
    held.await.unwrap();
    assert!(report.lock_timeout_retries >= 2, "{report:?}");
    assert_eq!(
        executions(&pool, "001_busy").await,
        1,
        "statement 1 ran once"
    );
    assert_eq!(
        history(&pool, "schema_migrations").await,
        [("001_busy".to_owned(), "applied".to_owned(), 2)]
    );
}

const CHILD_ENV: &str = "MIGRATE_TEST_INDEX_CHILD_URL";

fn concurrent_index() -> migrate::Migrations {
    list(vec![
        tx(
            "001_items",
            "CREATE TABLE IF NOT EXISTS items (id INT, tag TEXT);",
        ),
        no_tx(
            "002_items_tag_idx",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS items_tag_idx ON items (tag);",
        ),
    ])
}

/// The process `a_killed_concurrent_index_build_is_rebuilt_by_the_next_run` kills.
#[tokio::test]
#[ignore = "the child process of a_killed_concurrent_index_build_is_rebuilt_by_the_next_run"]
async fn index_child() {
    let url = std::env::var(CHILD_ENV).expect("index_child runs only as a test's child process");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let _ = concurrent_index().run(&pool).await;
    unreachable!("the parent kills this process during the index build");
}

async fn index_valid(pool: &sqlx::PgPool, index: &str) -> Option<bool> {
    sqlx::query_scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)")
        .bind(index)
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn wait_for(pool: &sqlx::PgPool, what: &str, sql: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sqlx::query_scalar::<_, bool>(sql)
        .fetch_one(pool)
        .await
        .unwrap()
    {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The build is made slow deterministically: a transaction holding a snapshot older than the
/// build makes `CREATE INDEX CONCURRENTLY` wait (with its index INVALID) until it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_concurrent_index_build_is_rebuilt_by_the_next_run() {
    let db = support::TestDb::new().await;
    let admin = db.pool().await;
    list(vec![concurrent_index().as_slice()[0].clone()])
        .run(&admin)
        .await
        .unwrap();
    sqlx::raw_sql("INSERT INTO items SELECT g, 'tag' || g FROM generate_series(1, 1000) g")
        .execute(&admin)
        .await
        .unwrap();
    let mut old_snapshot = db.connect().await;
    sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM items")
        .execute(&mut old_snapshot)
        .await
        .unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "index_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, db.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let building = "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
                    AND query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock')";
    wait_for(
        &admin,
        "the index build waits for the old snapshot",
        building,
    )
    .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The server notices the dead client within a second and ends the build.
    let gone = "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
                AND query LIKE 'CREATE INDEX CONCURRENTLY%')";
    wait_for(&admin, "the killed build ends", gone).await;
    sqlx::raw_sql("COMMIT")
        .execute(&mut old_snapshot)
        .await
        .unwrap();
    assert_eq!(
        index_valid(&admin, "items_tag_idx").await,
        Some(false),
        "the kill left an INVALID index"
    );
    let status = concurrent_index().status(&admin).await.unwrap();
    assert!(!status.is_up_to_date(), "{status}");

    let report = concurrent_index().run(&admin).await.unwrap();
    assert_eq!(
        report.rebuilt_indexes,
        [migrate::IndexRebuild::new(
            "002_items_tag_idx",
            "public.items_tag_idx"
        )],
        "{report:?}"
    );
    assert!(
        report
            .to_string()
            .contains("rebuilt invalid index public.items_tag_idx"),
        "{report}"
    );
    assert_eq!(index_valid(&admin, "items_tag_idx").await, Some(true));
    concurrent_index().verify(&admin).await.unwrap();
}

#[tokio::test]
async fn verify_reports_an_invalid_index_made_by_hand_under_a_migrations_name() {
    let db = support::TestDb::new().await;
    let admin = db.pool().await;
    concurrent_index().run(&admin).await.unwrap();
    concurrent_index().verify(&admin).await.unwrap();
    // A failed unique build leaves an INVALID index under the migration's index name.
    sqlx::raw_sql("DROP INDEX items_tag_idx; INSERT INTO items VALUES (1, 'x'), (2, 'x')")
        .execute(&admin)
        .await
        .unwrap();
    let failed = sqlx::raw_sql("CREATE UNIQUE INDEX CONCURRENTLY items_tag_idx ON items (tag)")
        .execute(&admin)
        .await;
    assert!(failed.is_err());
    assert_eq!(index_valid(&admin, "items_tag_idx").await, Some(false));

    let err = concurrent_index().verify(&admin).await.unwrap_err();
    let migrate::Error::NotUpToDate { status } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        status.invalid_indexes,
        [migrate::InvalidIndex::new(
            "002_items_tag_idx",
            "public.items_tag_idx"
        )]
    );
    assert!(
        err.to_string()
            .contains("items_tag_idx of migration 002_items_tag_idx is INVALID"),
        "{err}"
    );
}
