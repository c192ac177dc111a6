//! The lease strategy on a direct connection: a dead holder's lease is taken over only once it
//! has expired, and a run whose lease was taken over cannot commit.

mod runtime_common;
mod support;

use std::time::{Duration, Instant};

use migrate::LockStrategy;
use runtime_common::*;

fn one(sql: &str) -> migrate::Migrations {
    list(vec![tx("001_counted", sql)])
}

/// The lock key, as the plan's lock step shows it (the lease row uses the same key).
async fn lock_key(migrations: &migrate::Migrations, pool: &sqlx::PgPool) -> i64 {
    let plan = migrations.plan(pool).await.unwrap();
    let sql = plan
        .steps
        .iter()
        .find(|s| matches!(s.kind, migrate::PlanStepKind::Lock))
        .map(|s| s.sql[0].clone())
        .unwrap();
    let digits: String = sql
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().unwrap()
}

async fn setup() -> (support::TestDb, sqlx::PgPool) {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql("CREATE TABLE executions (migration TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    // A first run creates the lock table.
    list(vec![tx("000_first", "SELECT 1")])
        .migrator()
        .lock_strategy(LockStrategy::Lease)
        .run(&pool)
        .await
        .unwrap();
    (db, pool)
}

async fn lease_rows(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT holder FROM schema_migrations_lock")
        .fetch_all(pool)
        .await
        .unwrap()
}

fn with_first(sql: &str) -> migrate::Migrations {
    list(vec![
        tx("000_first", "SELECT 1"),
        one(sql).as_slice()[0].clone(),
    ])
}

#[tokio::test]
async fn a_dead_holders_lease_is_taken_over_once_it_expires() {
    let (_db, pool) = setup().await;
    let migrations = with_first("INSERT INTO executions VALUES ('001_counted')");
    assert!(
        lease_rows(&pool).await.is_empty(),
        "the first run gave its lease back"
    );
    let key = lock_key(&migrations, &pool).await;
    sqlx::raw_sql(&format!(
        "INSERT INTO schema_migrations_lock (key, holder, expires_at) \
         VALUES ({key}, 'a killed process', now() + interval '1500 milliseconds')"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let started = Instant::now();
    let report = migrations
        .migrator()
        .lock_strategy(LockStrategy::Lease)
        .run(&pool)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "took the lease before it expired"
    );
    assert_eq!(report.applied.len(), 1);
    assert!(report.lock_wait.is_some_and(|w| w.polls > 0), "{report:?}");
    assert_eq!(report.lock_strategy, Some(LockStrategy::Lease));
    assert!(lease_rows(&pool).await.is_empty());
}

#[tokio::test]
async fn a_waiter_gives_up_after_lock_wait_naming_the_lease_holder() {
    let (_db, pool) = setup().await;
    let migrations = with_first("SELECT 2");
    let key = lock_key(&migrations, &pool).await;
    sqlx::raw_sql(&format!(
        "INSERT INTO schema_migrations_lock (key, holder, expires_at) \
         VALUES ({key}, 'process 4242 (run 1)', now() + interval '1 minute')"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let err = migrations
        .migrator()
        .lock_strategy(LockStrategy::Lease)
        .lock_wait(Duration::from_millis(500))
        .run(&pool)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, migrate::Error::LockTimeout { .. }), "{err:?}");
    assert!(
        text.contains("process 4242 (run 1)") && text.contains("lease expires in"),
        "{text}"
    );
}

/// The run (or rollback) stopped with `LockLost`: its transaction rolled back (nothing in
/// `executions`), `rows` history rows left, the other run's lease untouched.
async fn assert_stopped_by_takeover(err: migrate::Error, pool: &sqlx::PgPool, rows: usize) {
    assert!(matches!(err, migrate::Error::LockLost { .. }), "{err:?}");
    let executed: i64 = sqlx::query_scalar("SELECT count(*) FROM executions")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(executed, 0, "the transaction was rolled back");
    assert_eq!(history(pool, "schema_migrations").await.len(), rows);
    assert_eq!(
        lease_rows(pool).await,
        ["another run"],
        "the other run's lease is untouched"
    );
}

/// Waits until a statement with `pg_sleep(1.5)` runs, then takes the lease over as another run
/// would after an expiry.
async fn take_over_while_sleeping(pool: &sqlx::PgPool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' \
         AND state = 'active' AND pid <> pg_backend_pid()",
    )
    .fetch_one(pool)
    .await
    .unwrap()
        == 0
    {
        assert!(Instant::now() < deadline, "the statement never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::raw_sql(
        "UPDATE schema_migrations_lock SET holder = 'another run', expires_at = now() + interval '1 minute'",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_lease_was_taken_over_cannot_commit() {
    let (_db, pool) = setup().await;
    let migrations =
        with_first("INSERT INTO executions VALUES ('001_counted');\nSELECT pg_sleep(1.5);");
    let runner = {
        let (migrations, pool) = (migrations.clone(), pool.clone());
        tokio::spawn(async move {
            migrations
                .migrator()
                .lock_strategy(LockStrategy::Lease)
                .run(&pool)
                .await
        })
    };
    take_over_while_sleeping(&pool).await;
    let err = runner.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("took it over"), "{err}");
    // Only 000_first is recorded.
    assert_stopped_by_takeover(err, &pool, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_whose_lease_was_taken_over_cannot_commit() {
    let (_db, pool) = setup().await;
    let counted = one("SELECT 1").as_slice()[0]
        .clone()
        .with_down("INSERT INTO executions VALUES ('down of 001');\nSELECT pg_sleep(1.5);");
    let migrations = list(vec![
        tx("000_first", "SELECT 1").with_down("SELECT 1"),
        counted,
    ]);
    migrations
        .migrator()
        .lock_strategy(LockStrategy::Lease)
        .run(&pool)
        .await
        .unwrap();
    let runner = {
        let (migrations, pool) = (migrations.clone(), pool.clone());
        tokio::spawn(async move {
            migrations
                .migrator()
                .lock_strategy(LockStrategy::Lease)
                .revert_to(&pool, "000_first")
                .await
        })
    };
    take_over_while_sleeping(&pool).await;
    let err = runner.await.unwrap().unwrap_err();
    // 001_counted is still applied.
    assert_stopped_by_takeover(err, &pool, 2).await;
}
