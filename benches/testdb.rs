//! `testdb`: a suite of 50 tests, each on a fresh database holding crates.io's 285 migrations
//! (generated ones when ../shared/corpus is absent), each doing one query: our harness
//! (`migrate::testing::TestDatabase`, one template built once, then a clone per test) against
//! `#[sqlx::test]`-style per-test application (a new database, sqlx's `Migrator` over the same
//! SQL), with the floor: a bare `CREATE DATABASE` of an empty database per test.
//!
//! The contenders are interleaved test by test, on the server the harness chooses. Every test
//! pays the same lifecycle: an administrative connection, the database, a pool, one query,
//! dropping the database. Ours starts cold: its template is dropped first, so the suite's
//! total includes building it.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{History, median, ms, round3};
use migrate::testing::{Server, TestDatabase};
use sqlx::postgres::PgPoolOptions;
use sqlx::{ConnectOptions, Connection};

const TESTS: usize = 50;
/// Ours records history in `migrate_history`: crates.io's migration 136 drops a table named
/// `schema_migrations` (see BENCHMARKS.md).
const TABLE: &str = "migrate_history";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Contender {
    Ours,
    Sqlx,
    Floor,
}

impl Contender {
    fn label(self) -> &'static str {
        match self {
            Contender::Ours => "migrate::testing (ours)",
            Contender::Sqlx => "sqlx::test-style Migrator",
            Contender::Floor => "floor: CREATE DATABASE",
        }
    }
}

/// One test: its database, one query, the database dropped.
async fn one_test(contender: Contender, history: &History, server: &Server) -> Duration {
    let start = Instant::now();
    match contender {
        Contender::Ours => {
            let db = TestDatabase::with_migrator(history.migrations.migrator().table(TABLE))
                .await
                .unwrap_or_else(|e| panic!("ours: {e}"));
            the_query(db.pool(), history.len()).await;
            db.close().await.unwrap_or_else(|e| panic!("ours: {e}"));
        }
        Contender::Sqlx => {
            bare_test(server, |pool| async move {
                history
                    .sqlx_migrator()
                    .run(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("sqlx: {e}"));
                the_query(&pool, history.len()).await;
            })
            .await
        }
        Contender::Floor => {
            bare_test(server, |pool| async move {
                sqlx::query("SELECT 1").execute(&pool).await.unwrap();
            })
            .await
        }
    }
    start.elapsed()
}

/// What `#[sqlx::test]` does around a test: `CREATE DATABASE`, a pool, the body, `DROP`.
async fn bare_test<F, Fut>(server: &Server, body: F)
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "migrate_bench_testdb_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin = server.connect_options().connect().await.unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(server.connect_options().database(&name))
        .await
        .unwrap();
    body(pool.clone()).await;
    pool.close().await;
    let mut admin = server.connect_options().connect().await.unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
}

/// The test's one query: the history is all there.
async fn the_query(pool: &sqlx::PgPool, expected: usize) {
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(tables > 0 && expected > 0, "the migrations made tables");
}

/// Drops our template of `history`, so the measured suite builds it.
async fn drop_our_template(history: &History, server: &Server) {
    let db = TestDatabase::with_migrator(history.migrations.migrator().table(TABLE))
        .await
        .unwrap_or_else(|e| panic!("ours: {e}"));
    let template = db.template().expect("a template").to_owned();
    db.close().await.unwrap();
    let mut admin = server.connect_options().connect().await.unwrap();
    sqlx::raw_sql(&format!(
        "ALTER DATABASE \"{template}\" WITH IS_TEMPLATE false"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE \"{template}\""))
        .execute(&mut admin)
        .await
        .unwrap();
}

fn load_history() -> (String, History) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/crates.io");
    if corpus.is_dir() {
        let history = common::load_crates_io(&corpus);
        (
            format!("crates.io, {} real migrations", history.len()),
            history,
        )
    } else {
        println!(
            "note: {} is absent: measuring 285 generated migrations instead",
            corpus.display()
        );
        let dir = common::TempDir::new("testdb");
        common::generate::write_dir(dir.path(), 285);
        let history = History::load(dir.path(), |l| l);
        (format!("{} generated migrations", history.len()), history)
    }
}

#[tokio::main]
async fn main() {
    common::print_header("testdb");
    let server = Server::get().await.unwrap_or_else(|e| panic!("{e}"));
    let (what, history) = load_history();
    drop_our_template(&history, server).await;

    let contenders = [Contender::Ours, Contender::Sqlx, Contender::Floor];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    for test in 0..TESTS {
        for k in 0..contenders.len() {
            let i = (k + test) % contenders.len();
            samples[i].push(one_test(contenders[i], &history, server).await);
        }
    }
    let totals: Vec<Duration> = samples.iter().map(|s| s.iter().sum()).collect();
    // Ours' first test builds the template; its per-test cost is the clones after it.
    let first_ours = samples[0][0];
    let medians: Vec<Duration> = samples
        .iter_mut()
        .enumerate()
        .map(|(i, s)| median(if i == 0 { &mut s[1..] } else { &mut s[..] }))
        .collect();

    println!();
    println!("{TESTS} tests, each on a fresh database with {what}, one query each:");
    println!("| contender                  | suite ms | per test ms (median) | vs floor |");
    println!("|----------------------------|---------:|---------------------:|---------:|");
    for (i, c) in contenders.iter().enumerate() {
        println!(
            "| {:<26} | {:>8.1} | {:>20.2} | {:>7.2}x |",
            c.label(),
            ms(totals[i]),
            ms(medians[i]),
            ms(medians[i]) / ms(medians[2])
        );
    }
    let ratio_vs_sqlx = ms(totals[0]) / ms(totals[1]);
    let ratio_vs_floor = ms(medians[0]) / ms(medians[2]);
    println!(
        "ours' first test (builds the template): {:.1} ms",
        ms(first_ours)
    );
    println!(
        "suite, ours / sqlx::test-style = {ratio_vs_sqlx:.3}x (target <= 0.2x); \
         per test, ours / CREATE DATABASE = {ratio_vs_floor:.2}x (target <= 1.5x)"
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "testdb",
            "migrations": history.len(),
            "tests": TESTS,
            "ours_suite_ms": round3(ms(totals[0])),
            "sqlx_test_suite_ms": round3(ms(totals[1])),
            "create_database_suite_ms": round3(ms(totals[2])),
            "ours_template_build_test_ms": round3(ms(first_ours)),
            "ours_per_test_ms": round3(ms(medians[0])),
            "sqlx_test_per_test_ms": round3(ms(medians[1])),
            "create_database_per_test_ms": round3(ms(medians[2])),
            "ratio_vs_sqlx_test": round3(ratio_vs_sqlx),
            "ratio_vs_create_database": round3(ratio_vs_floor),
        })
    );
}
