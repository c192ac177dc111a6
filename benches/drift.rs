//! `drift`: what `MIGRATIONS.drift(&pool)` costs against one apply of the same history from
//! empty (its floor: drift replays the history), and what `verify`'s fingerprint check costs
//! against that drift, with its round trips.
//!
//! The history is crates.io's 285 real migrations (../shared/corpus), or, without the corpus,
//! 1,000 generated ones. Apply: a fresh database per sample, created before the clock starts.
//! Drift: on one database with the history applied (drift writes nothing there), the whole call:
//! status, scratch database created, history replayed, both schemas read and diffed, scratch
//! dropped. Interleaved, alternating which goes first. Fingerprint: `verify` minus `status`
//! (medians of interleaved runs: verify is status plus the one fingerprint query), round trips
//! counted by the tests' proxy.

mod common;

use std::path::Path;
use std::time::Duration;

use common::proxy::Proxy;
use common::{History, TestDb, median, ms, round3};
use migrate::Migrations;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// Crates.io drops a table named `schema_migrations` (its pre-diesel history).
const TABLE: &str = "migrate_history";
const REPS: usize = 5;
const CHECK_REPS: usize = 200;

async fn apply_once(list: &Migrations) -> Duration {
    let db = TestDb::new().await;
    let pool = db.pool_with(PgPoolOptions::new().max_connections(4)).await;
    let (elapsed, report) = common::time(list.migrator().table(TABLE).run(&pool)).await;
    let report = report.unwrap_or_else(|e| panic!("apply: {e}"));
    assert_eq!(report.applied.len(), list.len());
    pool.close().await;
    elapsed
}

async fn drift_once(list: &Migrations, pool: &PgPool) -> Duration {
    let (elapsed, drift) = common::time(list.migrator().table(TABLE).drift(pool)).await;
    let drift = drift.unwrap_or_else(|e| panic!("drift: {e}"));
    assert!(
        !drift.has_drift(),
        "an untouched database drifted:\n{drift}"
    );
    elapsed
}

async fn verify_once(list: &Migrations, pool: &PgPool) -> Duration {
    let (elapsed, result) = common::time(list.migrator().table(TABLE).verify(pool)).await;
    result.unwrap_or_else(|e| panic!("verify: {e}"));
    elapsed
}

async fn status_once(list: &Migrations, pool: &PgPool) -> Duration {
    let (elapsed, result) = common::time(list.migrator().table(TABLE).status(pool)).await;
    result.unwrap_or_else(|e| panic!("status: {e}"));
    elapsed
}

/// Round trips of `verify` and of `status` on a pool through the counting proxy.
async fn round_trips(list: &Migrations, db: &TestDb) -> (usize, usize) {
    let proxy = Proxy::start(common::server_addr().await.to_string()).await;
    let counted = common::counted_pool(db, &proxy, 1).await;
    let settle = || tokio::time::sleep(Duration::from_millis(100));
    verify_once(list, &counted).await;
    settle().await;
    proxy.reset();
    verify_once(list, &counted).await;
    settle().await;
    let verify = proxy.round_trips();
    proxy.reset();
    status_once(list, &counted).await;
    settle().await;
    let status = proxy.round_trips();
    counted.close().await;
    (verify, status)
}

#[tokio::main]
async fn main() {
    common::print_header("drift");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/crates.io");
    let dir = common::TempDir::new("drift");
    let (label, history) = if corpus.is_dir() {
        ("crates.io", common::load_crates_io(&corpus))
    } else {
        println!(
            "note: {} is absent; using 1,000 generated migrations instead",
            corpus.display()
        );
        common::generate::write_dir(dir.path(), 1000);
        ("generated", History::load(dir.path(), |l| l))
    };
    let list = &history.migrations;

    let db = TestDb::new().await;
    let pool = db.pool_with(PgPoolOptions::new().max_connections(4)).await;
    list.migrator()
        .table(TABLE)
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Warm-up: one of each.
    apply_once(list).await;
    drift_once(list, &pool).await;

    let (mut apply, mut drift) = (Vec::new(), Vec::new());
    for round in 0..REPS {
        if round % 2 == 0 {
            apply.push(apply_once(list).await);
            drift.push(drift_once(list, &pool).await);
        } else {
            drift.push(drift_once(list, &pool).await);
            apply.push(apply_once(list).await);
        }
    }
    let (mut verify, mut status) = (Vec::new(), Vec::new());
    for round in 0..CHECK_REPS {
        if round % 2 == 0 {
            verify.push(verify_once(list, &pool).await);
            status.push(status_once(list, &pool).await);
        } else {
            status.push(status_once(list, &pool).await);
            verify.push(verify_once(list, &pool).await);
        }
    }
    let (apply, drift) = (ms(median(&mut apply)), ms(median(&mut drift)));
    let (verify, status) = (ms(median(&mut verify)), ms(median(&mut status)));
    let fingerprint = (verify - status).max(0.0);
    let (verify_trips, status_trips) = round_trips(list, &db).await;
    pool.close().await;

    println!();
    println!("{label}: {} migrations", list.len());
    println!("| measured                               | median ms | runs |");
    println!("|----------------------------------------|----------:|-----:|");
    println!("| apply from empty (the floor)           | {apply:>9.1} | {REPS:>4} |");
    println!("| drift (replay + snapshots + diff)      | {drift:>9.1} | {REPS:>4} |");
    println!("| verify (status + fingerprint check)    | {verify:>9.2} | {CHECK_REPS:>4} |");
    println!("| status                                 | {status:>9.2} | {CHECK_REPS:>4} |");
    println!("| fingerprint check (verify - status)    | {fingerprint:>9.2} |      |");
    println!(
        "drift / apply = {:.2}x (target <= 1.3x); fingerprint / drift = {:.4} (target <= 0.02); round trips: verify {verify_trips}, status {status_trips}, fingerprint {} (target 1)",
        drift / apply,
        fingerprint / drift,
        verify_trips.saturating_sub(status_trips)
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "drift",
            "history": label,
            "migrations": list.len(),
            "apply_ms": round3(apply),
            "drift_ms": round3(drift),
            "verify_ms": round3(verify),
            "status_ms": round3(status),
            "fingerprint_ms": round3(fingerprint),
            "ratio_vs_apply": round3(drift / apply),
            "fingerprint_ratio_vs_drift": round3(fingerprint / drift),
            "fingerprint_round_trips": verify_trips.saturating_sub(status_trips),
        })
    );
}
