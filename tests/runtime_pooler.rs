//! Through PgBouncer in transaction pooling mode with 4 server connections: the run finds the
//! pooling, locks with a lease row, and every migration runs exactly once, also with sixteen
//! replicas at once, a failing migration, and runners killed at random points.

mod runtime_common;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runtime_common::*;
use sqlx::postgres::PgPoolOptions;
use support::pgbouncer::PgBouncer;

const SERVER_CONNECTIONS: u32 = 4;

/// Transactional migrations that count their executions (a second one would show), a slow one
/// for runners to wait on, and a concurrent index build.
fn counted() -> migrate::Migrations {
    list(vec![
        tx(
            "001_items",
            "CREATE TABLE IF NOT EXISTS items (id BIGSERIAL PRIMARY KEY, tag TEXT);\nINSERT INTO executions VALUES ('001_items');",
        ),
        tx(
            "002_slow",
            "INSERT INTO executions VALUES ('002_slow');\nSELECT pg_sleep(0.3);\nALTER TABLE items ADD COLUMN IF NOT EXISTS note TEXT;",
        ),
        no_tx(
            "003_items_tag_idx",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS items_tag_idx ON items (tag);",
        ),
        tx("004_after", "INSERT INTO executions VALUES ('004_after');"),
    ])
}

const COUNTED: [&str; 3] = ["001_items", "002_slow", "004_after"];

/// A fresh database with the `executions` table, and a direct pool on it for the checks.
async fn database() -> (support::TestDb, sqlx::PgPool) {
    let db = support::TestDb::new().await;
    let direct = db.pool().await;
    sqlx::raw_sql("CREATE TABLE executions (migration TEXT NOT NULL)")
        .execute(&direct)
        .await
        .unwrap();
    (db, direct)
}

/// A pool through PgBouncer, as an application would open it.
async fn pooled(bouncer: &PgBouncer, db: &support::TestDb, size: u32) -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(size)
        .connect_with(bouncer.options(db.name()))
        .await
        .unwrap()
}

/// What a run must leave behind: each counted migration executed once, all four applied, no
/// advisory lock and no lease row.
async fn assert_converged(direct: &sqlx::PgPool) {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT migration, count(*) FROM executions GROUP BY migration ORDER BY migration",
    )
    .fetch_all(direct)
    .await
    .unwrap();
    let expected: Vec<(String, i64)> = COUNTED.iter().map(|m| (m.to_string(), 1)).collect();
    assert_eq!(counts, expected, "every migration executed exactly once");
    let applied: Vec<_> = history(direct, "schema_migrations")
        .await
        .into_iter()
        .map(|(v, state, _)| (v, state))
        .collect();
    assert_eq!(applied.len(), 4, "{applied:?}");
    assert!(applied.iter().all(|(_, s)| s == "applied"), "{applied:?}");
    assert_eq!(
        leftovers(direct).await,
        (0, 0),
        "(advisory locks, lease rows) left"
    );
    let valid: bool = sqlx::query_scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_tag_idx'::regclass",
    )
    .fetch_one(direct)
    .await
    .unwrap();
    assert!(valid);
}

/// Advisory locks held in the database, and lease rows in the lock table.
async fn leftovers(direct: &sqlx::PgPool) -> (i64, i64) {
    let locks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(direct)
    .await
    .unwrap();
    let leases: i64 = if exists(direct, "schema_migrations_lock").await {
        sqlx::query_scalar("SELECT count(*) FROM schema_migrations_lock")
            .fetch_one(direct)
            .await
            .unwrap()
    } else {
        0
    };
    (locks, leases)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_run_and_a_rerun_through_a_transaction_pooler() {
    let bouncer = PgBouncer::start(SERVER_CONNECTIONS).await;
    let (db, direct) = database().await;
    let pool = pooled(&bouncer, &db, 5).await;
    let report = counted()
        .run(&pool)
        .await
        .expect("the run works through the pooler");
    assert_eq!(report.applied.len(), 4, "{report:?}");
    assert_eq!(
        report.lock_strategy,
        Some(migrate::LockStrategy::Lease),
        "the pooling was found"
    );
    let again = counted().run(&pool).await.unwrap();
    assert!(again.is_noop());
    assert_eq!(again.lock, migrate::LockUse::NotNeeded);
    assert_converged(&direct).await;
    // A direct connection keeps the advisory lock.
    let (db2, direct2) = database().await;
    let report = counted().run(&db2.pool().await).await.unwrap();
    assert_eq!(report.lock_strategy, Some(migrate::LockStrategy::Advisory));
    assert_converged(&direct2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_replicas_ten_rounds_through_a_transaction_pooler() {
    let bouncer = PgBouncer::start(SERVER_CONNECTIONS).await;
    let (mut applied_total, mut hangs, mut errors, mut advisory) = (0, 0, 0, 0);
    for round in 0..10 {
        let round_started = Instant::now();
        let (db, direct) = database().await;
        let mut runners = Vec::new();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(16));
        for _ in 0..16 {
            let pool = pooled(&bouncer, &db, 2).await;
            let barrier = barrier.clone();
            runners.push(tokio::spawn(async move {
                barrier.wait().await;
                let migrations = counted();
                let run = migrations
                    .migrator()
                    .lease_ttl(Duration::from_secs(5))
                    .run(&pool);
                tokio::time::timeout(Duration::from_secs(90), run).await
            }));
        }
        for runner in runners {
            match runner.await.unwrap() {
                Err(_hung) => hangs += 1,
                Ok(Err(e)) => {
                    eprintln!("round {round}: {e}");
                    errors += 1;
                }
                Ok(Ok(report)) => {
                    assert_eq!(report.applied.len() + report.already_applied.len(), 4);
                    if report.lock_strategy != Some(migrate::LockStrategy::Lease) {
                        advisory += 1;
                    }
                    applied_total += report.applied.len();
                }
            }
        }
        assert_converged(&direct).await;
        println!("round {round}: {} ms", round_started.elapsed().as_millis());
    }
    println!(
        "16 replicas x 10 rounds: {applied_total} migrations applied, {errors} errors, {hangs} hangs, {advisory} runs that missed the pooling"
    );
    assert_eq!((errors, hangs, advisory), (0, 0, 0));
    assert_eq!(
        applied_total, 40,
        "each migration applied by exactly one replica per round"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_migration_through_a_transaction_pooler_leaves_no_lease() {
    let bouncer = PgBouncer::start(SERVER_CONNECTIONS).await;
    let (db, direct) = database().await;
    let pool = pooled(&bouncer, &db, 3).await;
    let mut failing: Vec<_> = counted().iter().cloned().collect();
    failing.push(tx(
        "005_fails",
        "INSERT INTO executions VALUES ('005_fails');\nSELECT 1 / 0;",
    ));
    let err = list(failing).run(&pool).await.unwrap_err();
    assert!(
        matches!(&err, migrate::Error::Migration { version, statement: 2, source, .. }
            if version == "005_fails" && source.code == "22012"),
        "{err:?}"
    );
    assert_converged(&direct).await;
    assert_eq!(
        counted().run(&pool).await.unwrap().lock,
        migrate::LockUse::NotNeeded
    );
}

/// A pooler on the server's own port (PgBouncer on 127.0.0.2, the server on 127.0.0.1, same
/// port), where only the backend test can tell: sixteen replicas, three rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "known gap: on a loaded machine the backend test can miss a same-port pooler and leave an advisory lock on a server connection; run with --ignored"]
async fn a_pooler_on_the_servers_own_port_is_found_by_its_backends() {
    let cluster = tokio::task::spawn_blocking(support::cluster::Cluster::start)
        .await
        .unwrap();
    let bouncer = PgBouncer::start_in_front_of(
        "127.0.0.1",
        cluster.port(),
        "127.0.0.2",
        cluster.port(),
        SERVER_CONNECTIONS,
    )
    .await;
    let (mut lease, mut other) = (0, Vec::new());
    for round in 0..3 {
        let database = format!("same_port_{round}");
        let mut admin =
            <sqlx::PgConnection as sqlx::Connection>::connect_with(&cluster.options("postgres"))
                .await
                .unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE {database}; "))
            .execute(&mut admin)
            .await
            .unwrap();
        let direct = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(cluster.options(&database))
            .await
            .unwrap();
        sqlx::raw_sql("CREATE TABLE executions (migration TEXT NOT NULL)")
            .execute(&direct)
            .await
            .unwrap();
        let mut runners = Vec::new();
        for _ in 0..16 {
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect_with(bouncer.options(&database))
                .await
                .unwrap();
            runners.push(tokio::spawn(async move {
                let migrations = counted();
                let run = migrations
                    .migrator()
                    .lease_ttl(Duration::from_secs(5))
                    .run(&pool);
                tokio::time::timeout(Duration::from_secs(90), run).await
            }));
        }
        for runner in runners {
            match runner.await.unwrap() {
                Ok(Ok(report)) if report.lock_strategy == Some(migrate::LockStrategy::Lease) => {
                    lease += 1
                }
                outcome => other.push(format!("round {round}: {outcome:?}")),
            }
        }
        assert_converged(&direct).await;
        direct.close().await;
    }
    println!("same-port pooler: {lease} of 48 runs used the lease; others: {other:?}");
    assert!(other.is_empty(), "{other:#?}");
}

const CHILD_ENV: &str = "MIGRATE_TEST_POOLER_CHILD_URL";

/// The process `runners_killed_at_random_points_through_a_pooler_converge` kills.
#[tokio::test]
#[ignore = "the child process of runners_killed_at_random_points_through_a_pooler_converge"]
async fn pooler_child() {
    let url = std::env::var(CHILD_ENV).expect("pooler_child runs only as a test's child process");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let _ = counted()
        .migrator()
        .lease_ttl(Duration::from_secs(1))
        .run(&pool)
        .await;
}

/// A small seeded generator (xorshift), so a failing round can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Twenty rounds, each on a fresh database: a runner killed (SIGKILL) at a random point, then
/// a run that must finish the work once the killed holder's lease has run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runners_killed_at_random_points_through_a_pooler_converge() {
    let bouncer = PgBouncer::start(SERVER_CONNECTIONS).await;
    let seed = std::env::var("MIGRATE_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_u64);
    println!("seed {seed} (set MIGRATE_FAULT_SEED to replay)");
    let mut rng = Rng(seed);
    let (mut killed_mid_run, mut stale_leases, mut expired_left) = (0, 0, 0);
    for round in 0..20 {
        let (db, direct) = database().await;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "pooler_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, bouncer.url(db.name()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = Duration::from_millis(50 + rng.below(450));
        tokio::time::sleep(delay).await;
        let alive = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let left = if exists(&direct, "schema_migrations").await {
            history(&direct, "schema_migrations").await
        } else {
            Vec::new()
        };
        if alive && left.iter().filter(|(_, s, _)| s == "applied").count() < 4 {
            killed_mid_run += 1;
        }
        stale_leases += leftovers(&direct).await.1;
        let pool = pooled(&bouncer, &db, 3).await;
        let report = tokio::time::timeout(
            Duration::from_secs(30),
            counted()
                .migrator()
                .lease_ttl(Duration::from_secs(1))
                .run(&pool),
        )
        .await
        .unwrap_or_else(|_| panic!("round {round} (seed {seed}): the run after the kill hung"))
        .unwrap_or_else(|e| panic!("round {round} (seed {seed}): {e}"));
        println!("round {round}: killed after {delay:?}, then {report}");
        pool.close().await;
        if report.lock == migrate::LockUse::NotNeeded {
            // Killed after its last commit, before giving the lease back: nothing is left to
            // do, so nothing takes the lease over (a no-op run only reads). It must be the
            // killed runner's and run out on its own; the next run that needs the lock takes it.
            tokio::time::sleep(Duration::from_millis(1_100)).await;
            let unexpired: i64 = if exists(&direct, "schema_migrations_lock").await {
                sqlx::query_scalar(
                    "SELECT count(*) FROM schema_migrations_lock WHERE expires_at > now()",
                )
                .fetch_one(&direct)
                .await
                .unwrap()
            } else {
                0
            };
            assert_eq!(
                unexpired, 0,
                "round {round}: a live lease after a no-op run"
            );
            expired_left += leftovers(&direct).await.1;
            sqlx::raw_sql("DELETE FROM schema_migrations_lock WHERE expires_at <= now()")
                .execute(&direct)
                .await
                .ok();
        }
        assert_converged(&direct).await;
    }
    println!(
        "20 kills: {killed_mid_run} mid-run, {stale_leases} stale lease(s), of which \
         {expired_left} left expired by a holder killed after its last commit"
    );
    assert!(
        killed_mid_run >= 10,
        "too few kills landed during a run to prove anything"
    );
}
