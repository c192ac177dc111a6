//! Several runners at once, and a runner killed in the middle of a migration.

mod runtime_common;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runtime_common::*;
use sqlx::postgres::PgPoolOptions;

/// A slow migration that counts its executions in a side table created beforehand (the
/// insert is deliberately not idempotent: a second execution would show).
fn slow() -> migrate::Migrations {
    list(vec![
        tx(
            "001_slow",
            "CREATE TABLE IF NOT EXISTS slow_a (id INT);\nINSERT INTO executions (migration) VALUES ('001_slow');\nSELECT pg_sleep(2);\nCREATE TABLE IF NOT EXISTS slow_b (id INT);",
        ),
        tx(
            "002_after",
            "INSERT INTO executions (migration) VALUES ('002_after')",
        ),
    ])
}

/// A fresh database with the `executions` table the slow migrations write to, and a pool on it.
async fn with_executions_table() -> (support::TestDb, sqlx::PgPool) {
    let db = support::TestDb::new().await;
    let admin = db.pool().await;
    sqlx::raw_sql("CREATE TABLE executions (migration TEXT NOT NULL)")
        .execute(&admin)
        .await
        .unwrap();
    (db, admin)
}

async fn executions(pool: &sqlx::PgPool) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT migration, count(*) FROM executions GROUP BY migration ORDER BY migration",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_runners_apply_each_migration_once() {
    let (db, admin) = with_executions_table().await;
    let migrations = slow();
    let mut pools = Vec::new();
    for _ in 0..16 {
        pools.push(
            PgPoolOptions::new()
                .max_connections(1)
                .connect_with(db.options())
                .await
                .unwrap(),
        );
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(16));
    let mut runners = Vec::new();
    for pool in pools {
        let migrations = migrations.clone();
        let barrier = barrier.clone();
        runners.push(tokio::spawn(async move {
            barrier.wait().await;
            migrations.run(&pool).await
        }));
    }
    let (mut applied, mut notified) = (0, 0);
    for runner in runners {
        let report = runner.await.unwrap().expect("every runner returns Ok");
        applied += report.applied.len();
        assert!(report.applied.len() + report.already_applied.len() == 2);
        // Only the runner that applied took the lock; the others saw the work done when it
        // let go, without queueing for the lock one after the other.
        if report.applied.is_empty() {
            assert_ne!(report.lock, migrate::LockUse::Taken, "{report:?}");
            let wait = report
                .lock_wait
                .expect("a runner that found the lock held waited");
            notified += wait.notifications;
        } else {
            assert_eq!(report.lock, migrate::LockUse::Taken, "{report:?}");
            assert_eq!(report.lock_wait, None, "the applier got the lock at once");
        }
    }
    assert_eq!(applied, 2, "each migration applied by exactly one runner");
    // The applier's unlock notifies the waiters. (Any one waiter may instead have looked at the
    // lock in the instant between the unlock and the notification: hence no exact count.)
    assert!(
        notified > 0,
        "no waiter was woken by the applier's notification"
    );
    assert_eq!(
        executions(&admin).await,
        [("001_slow".to_owned(), 1), ("002_after".to_owned(), 1)]
    );
    assert_eq!(history(&admin, "schema_migrations").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_runner_times_out_naming_the_holder() {
    let (db, _admin) = with_executions_table().await;
    let migrations = slow();
    let pool = db.pool().await;
    let first = {
        let migrations = migrations.clone();
        let pool = pool.clone();
        tokio::spawn(async move { migrations.run(&pool).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let err = migrations
        .migrator()
        .lock_wait(Duration::from_millis(300))
        .run(&db.pool().await)
        .await
        .unwrap_err();
    match &err {
        migrate::Error::LockTimeout { holder, .. } => {
            assert!(
                holder.as_deref().is_some_and(|h| h.contains("pid")),
                "{err}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(first.await.unwrap().unwrap().applied.len(), 2);
}

/// Starts `slow()` on its own pool and returns once its slow migration is running.
async fn start_slow_runner(
    db: &support::TestDb,
    admin: &sqlx::PgPool,
) -> tokio::task::JoinHandle<Result<migrate::Report, migrate::Error>> {
    let pool = db.pool().await;
    let first = tokio::spawn(async move { slow().run(&pool).await });
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                    AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(2)%' AND state = 'active'";
    let deadline = Instant::now() + Duration::from_secs(20);
    while sqlx::query_scalar::<_, i64>(sleeping)
        .fetch_one(admin)
        .await
        .unwrap()
        == 0
    {
        assert!(Instant::now() < deadline, "the first runner never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first
}

async fn advisory_locks(admin: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(admin)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiter_whose_work_another_run_did_returns_without_the_lock() {
    let (db, admin) = with_executions_table().await;
    let first = start_slow_runner(&db, &admin).await;
    // One connection: the waiter polls on it, and the pool must still work afterwards.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.options())
        .await
        .unwrap();
    let report = slow().run(&pool).await.unwrap();
    assert!(report.applied.is_empty(), "{report:?}");
    assert_eq!(report.already_applied, ["001_slow", "002_after"]);
    assert_eq!(report.lock, migrate::LockUse::FinishedByAnotherRun);

    let winner = first.await.unwrap().unwrap();
    assert_eq!(winner.applied.len(), 2);
    assert_eq!(winner.lock, migrate::LockUse::Taken);
    assert_eq!(
        executions(&admin).await,
        [("001_slow".to_owned(), 1), ("002_after".to_owned(), 1)]
    );
    assert_eq!(advisory_locks(&admin).await, 0, "no lock left behind");
    let again = slow().run(&pool).await.unwrap();
    assert_eq!(again.lock, migrate::LockUse::NotNeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiter_with_more_to_do_takes_the_lock_after_the_holder() {
    let (db, admin) = with_executions_table().await;
    let first = start_slow_runner(&db, &admin).await;
    // A newer release of the application: one migration more than the running one.
    let mut newer: Vec<_> = slow().iter().cloned().collect();
    newer.push(tx(
        "003_later",
        "INSERT INTO executions (migration) VALUES ('003_later')",
    ));
    let report = list(newer).run(&db.pool().await).await.unwrap();
    let applied: Vec<&str> = report.applied.iter().map(|a| a.version.as_str()).collect();
    assert_eq!(applied, ["003_later"]);
    assert_eq!(report.already_applied, ["001_slow", "002_after"]);
    assert_eq!(report.lock, migrate::LockUse::Taken);
    assert_eq!(first.await.unwrap().unwrap().applied.len(), 2);
    assert_eq!(
        executions(&admin).await,
        [
            ("001_slow".to_owned(), 1),
            ("002_after".to_owned(), 1),
            ("003_later".to_owned(), 1)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiter_after_a_failed_holder_takes_the_lock_and_reports_the_failure() {
    let (db, admin) = with_executions_table().await;
    let failing = || {
        list(vec![tx(
            "001_fails_slowly",
            "INSERT INTO executions (migration) VALUES ('001_fails_slowly');\nSELECT pg_sleep(2);\nSELECT 1 / 0;",
        )])
    };
    let pool = db.pool().await;
    let first = tokio::spawn(async move { failing().run(&pool).await });
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                    AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(2)%' AND state = 'active'";
    while sqlx::query_scalar::<_, i64>(sleeping)
        .fetch_one(&admin)
        .await
        .unwrap()
        == 0
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = failing().run(&db.pool().await).await.unwrap_err();
    assert!(
        matches!(second, migrate::Error::Migration { statement: 3, .. }),
        "{second:?}"
    );
    assert!(matches!(
        first.await.unwrap().unwrap_err(),
        migrate::Error::Migration { statement: 3, .. }
    ));
    // Both ran it (each rolled back): the waiter did not take the failure for completion.
    assert!(executions(&admin).await.is_empty());
    assert!(history(&admin, "schema_migrations").await.is_empty());
}

/// The SQL of the plan's step of this kind (one simple query each).
fn step_sql(plan: &migrate::Plan, wanted: fn(&migrate::PlanStepKind) -> bool) -> Vec<String> {
    plan.steps
        .iter()
        .filter(|s| wanted(&s.kind))
        .flat_map(|s| s.sql.clone())
        .collect()
}

/// The notification alone wakes a waiter: the lock is held by hand on another connection,
/// which does the work (the plan's SQL) and sends the unlock's NOTIFY while still holding the
/// lock. No look at the lock can find it free, so the waiter can only return because it was
/// notified; without the notification it would fail with `LockTimeout`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiter_is_woken_by_the_holders_notification() {
    let db = support::TestDb::new().await;
    let admin = db.pool().await;
    let migrations = list(vec![tx(
        "001_woken",
        "CREATE TABLE IF NOT EXISTS woken (id INT)",
    )]);
    let plan = migrations.plan(&admin).await.unwrap();
    let lock = step_sql(&plan, |k| matches!(k, migrate::PlanStepKind::Lock));
    let work = step_sql(&plan, |k| {
        matches!(
            k,
            migrate::PlanStepKind::SetupHistory | migrate::PlanStepKind::Migration { .. }
        )
    });
    let unlock = step_sql(&plan, |k| matches!(k, migrate::PlanStepKind::Unlock));
    let notify = unlock
        .iter()
        .flat_map(|sql| sql.split(';'))
        .map(str::trim)
        .find(|s| s.starts_with("NOTIFY "))
        .expect("the unlock notifies the waiters")
        .to_owned();

    let mut holder = db.connect().await;
    let taken: bool = sqlx::query_scalar(&lock[0])
        .fetch_one(&mut holder)
        .await
        .unwrap();
    assert!(taken);
    // One connection: the waiter listens and looks at the lock on it.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.options())
        .await
        .unwrap();
    let waiter = {
        let (migrations, pool) = (migrations.clone(), pool.clone());
        tokio::spawn(async move {
            migrations
                .migrator()
                .lock_wait(Duration::from_secs(20))
                .run(&pool)
                .await
        })
    };
    // The waiter looks at the lock only after its LISTEN: once a look shows, it listens.
    let looking = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND pid <> pg_backend_pid() AND state = 'idle' \
                   AND query LIKE '%pg_try_advisory_lock_shared%'";
    let deadline = Instant::now() + Duration::from_secs(20);
    while sqlx::query_scalar::<_, i64>(looking)
        .fetch_one(&admin)
        .await
        .unwrap()
        == 0
    {
        assert!(Instant::now() < deadline, "the waiter never waited");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for sql in &work {
        sqlx::raw_sql(sql).execute(&mut holder).await.unwrap();
    }
    sqlx::raw_sql(&notify).execute(&mut holder).await.unwrap();

    let report = waiter
        .await
        .unwrap()
        .expect("the notified waiter returns Ok");
    assert_eq!(
        report.lock,
        migrate::LockUse::FinishedByAnotherRun,
        "{report:?}"
    );
    assert_eq!(report.already_applied, ["001_woken"]);
    let wait = report.lock_wait.expect("the run waited");
    assert_eq!(wait.notifications, 1, "{wait:?}");
    assert_eq!(
        advisory_locks(&admin).await,
        1,
        "the lock was held all along"
    );

    sqlx::raw_sql(&unlock[0])
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(advisory_locks(&admin).await, 0);
    // The listener's connection went back to the pool, no longer listening.
    let again = migrations.run(&pool).await.unwrap();
    assert_eq!(again.lock, migrate::LockUse::NotNeeded);
    let mut conn = pool.acquire().await.unwrap();
    let channels: Vec<String> = sqlx::query_scalar("SELECT pg_listening_channels()")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(channels.is_empty(), "{channels:?}");
}

const CHILD_ENV: &str = "MIGRATE_TEST_KILL_CHILD_URL";

/// The process `killed_runner_leaves_no_lock_and_no_half_state` kills: ignored, so that only
/// that test runs it (with `--ignored` and the database's URL in the environment).
#[tokio::test]
#[ignore = "the child process of killed_runner_leaves_no_lock_and_no_half_state"]
async fn kill_child() {
    let url = std::env::var(CHILD_ENV).expect(
        "kill_child runs only as the child of killed_runner_leaves_no_lock_and_no_half_state",
    );
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let _ = slow().run(&pool).await;
    unreachable!("the parent kills this process during the slow migration");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runner_leaves_no_lock_and_no_half_state() {
    let (db, admin) = with_executions_table().await;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, db.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                    AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(2)%' AND state = 'active'";
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n: i64 = sqlx::query_scalar(sleeping)
            .fetch_one(&admin)
            .await
            .unwrap();
        if n > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the child never reached pg_sleep"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n: i64 = sqlx::query_scalar(locks).fetch_one(&admin).await.unwrap();
        if n == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the advisory lock outlived the killed runner"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // No half state: the killed transaction left nothing.
    assert!(!exists(&admin, "slow_a").await);
    assert!(executions(&admin).await.is_empty());

    let report = slow().run(&admin).await.unwrap();
    assert_eq!(report.applied.len(), 2);
    assert!(exists(&admin, "slow_b").await);
    assert_eq!(
        executions(&admin).await,
        [("001_slow".to_owned(), 1), ("002_after".to_owned(), 1)]
    );
}
