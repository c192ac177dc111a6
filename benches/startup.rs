//! `startup`: the cost of running migrations on every start when there is nothing to do.
//!
//! For N = 10, 100, 1000 generated migrations, all applied (by ours and by sqlx, each in its own
//! history table on the same database): the time of our `run` against sqlx's `Migrator::run`,
//! in the same process on the same warm pool, interleaved, median of many repetitions; a bare
//! `SELECT version FROM schema_migrations` and a one-row digest of the history for reference
//! (what a leaner fast path would cost the server); and the round trips each makes,
//! counted by the tests' proxy (`tests/support/proxy.rs`) on a pool without
//! `test_before_acquire` (so pool pings are not counted).

mod common;

use std::time::Duration;

use common::proxy::Proxy;
use common::{History, TestDb, median, ms, round3};
use sqlx::PgPool;

const SIZES: [usize; 3] = [10, 100, 1000];
const WARMUP: usize = 20;
const REPS: usize = 300;

struct Figures {
    n: usize,
    ours: Duration,
    sqlx: Duration,
    select: Duration,
    digest: Duration,
    ours_round_trips: usize,
    sqlx_round_trips: usize,
}

async fn ours_noop(history: &History, pool: &PgPool) {
    let report = history
        .migrations
        .run(pool)
        .await
        .unwrap_or_else(|e| panic!("ours: {e}"));
    assert!(report.applied.is_empty(), "nothing should be pending");
}

async fn sqlx_noop(migrator: &sqlx::migrate::Migrator, pool: &PgPool) {
    migrator
        .run(pool)
        .await
        .unwrap_or_else(|e| panic!("sqlx: {e}"));
}

async fn bare_select(pool: &PgPool) {
    let versions: Vec<(String,)> = sqlx::query_as("SELECT version FROM schema_migrations")
        .fetch_all(pool)
        .await
        .expect("SELECT of the versions");
    std::hint::black_box(versions);
}

/// For the record: what a one-row fast path would cost the server. The whole history folded
/// into one digest (compared against the same digest computed from the code's list), instead of
/// every row shipped and compared in the client.
const DIGEST_SQL: &str = "SELECT count(*), sha256(convert_to(coalesce(string_agg(\
    version || ' ' || coalesce(checksum, '') || ' ' || state, ',' ORDER BY version COLLATE \"C\"), ''), 'UTF8')) \
    FROM schema_migrations";

async fn digest_select(pool: &PgPool) {
    let row: (i64, Vec<u8>) = sqlx::query_as(DIGEST_SQL)
        .fetch_one(pool)
        .await
        .expect("digest of the history");
    std::hint::black_box(row);
}

async fn measure(n: usize, proxy: &Proxy) -> Figures {
    let dir = common::TempDir::new("startup");
    common::generate::write_dir(dir.path(), n);
    let history = History::load(dir.path(), |l| l);
    let migrator = history.sqlx_migrator();
    let db = TestDb::new().await;
    let pool = db.pool().await;
    history
        .migrations
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("ours, first run: {e}"));
    sqlx_noop(&migrator, &pool).await;

    for _ in 0..WARMUP {
        ours_noop(&history, &pool).await;
        sqlx_noop(&migrator, &pool).await;
        bare_select(&pool).await;
        digest_select(&pool).await;
    }
    let (mut ours, mut sqlx, mut select, mut digest) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..REPS {
        // Alternate who goes first, so neither always runs on a just-used connection.
        if round % 2 == 0 {
            ours.push(common::time(ours_noop(&history, &pool)).await.0);
            sqlx.push(common::time(sqlx_noop(&migrator, &pool)).await.0);
        } else {
            sqlx.push(common::time(sqlx_noop(&migrator, &pool)).await.0);
            ours.push(common::time(ours_noop(&history, &pool)).await.0);
        }
        select.push(common::time(bare_select(&pool)).await.0);
        digest.push(common::time(digest_select(&pool)).await.0);
    }
    pool.close().await;

    let counted = common::counted_pool(&db, proxy, 2).await;
    // Warm both (connections open, statements prepared, as in a running service), and let each
    // release's background ping land before counting.
    let settle = || tokio::time::sleep(Duration::from_millis(100));
    for _ in 0..3 {
        ours_noop(&history, &counted).await;
        settle().await;
        sqlx_noop(&migrator, &counted).await;
        settle().await;
    }
    proxy.reset();
    ours_noop(&history, &counted).await;
    settle().await;
    let ours_round_trips = proxy.round_trips();
    let ours_messages = proxy.message_kinds();
    proxy.reset();
    sqlx_noop(&migrator, &counted).await;
    settle().await;
    let sqlx_round_trips = proxy.round_trips();
    let sqlx_messages = proxy.message_kinds();
    println!(
        "N={n}: ours sent {ours_messages}; sqlx sent {sqlx_messages} (S without P/B/E = release ping)"
    );
    counted.close().await;
    drop(db);

    Figures {
        n,
        ours: median(&mut ours),
        sqlx: median(&mut sqlx),
        select: median(&mut select),
        digest: median(&mut digest),
        ours_round_trips,
        sqlx_round_trips,
    }
}

#[tokio::main]
async fn main() {
    common::print_header("startup");
    let proxy = Proxy::start(common::server_addr().await.to_string()).await;
    let mut all = Vec::new();
    for n in SIZES {
        all.push(measure(n, &proxy).await);
    }
    println!();
    println!(
        "no-op run, all migrations applied, warm pool; median of {REPS} interleaved runs each"
    );
    println!(
        "| migrations | ours ms | sqlx ms | ours/sqlx | bare SELECT ms | digest SELECT ms | ours round trips | sqlx round trips |"
    );
    println!(
        "|-----------:|--------:|--------:|----------:|---------------:|-----------------:|-----------------:|-----------------:|"
    );
    for f in &all {
        println!(
            "| {:>10} | {:>7.3} | {:>7.3} | {:>8.2}x | {:>14.3} | {:>16.3} | {:>16} | {:>16} |",
            f.n,
            ms(f.ours),
            ms(f.sqlx),
            ms(f.ours) / ms(f.sqlx),
            ms(f.select),
            ms(f.digest),
            f.ours_round_trips,
            f.sqlx_round_trips
        );
    }
    println!("targets at 1000: one round trip, ours/sqlx <= 0.5x");
    let last = all.last().expect("at least one size");
    let sizes: Vec<_> = all
        .iter()
        .map(|f| {
            serde_json::json!({
                "migrations": f.n,
                "ours_ms": round3(ms(f.ours)),
                "sqlx_ms": round3(ms(f.sqlx)),
                "select_ms": round3(ms(f.select)),
                "digest_select_ms": round3(ms(f.digest)),
                "ratio_vs_sqlx": round3(ms(f.ours) / ms(f.sqlx)),
                "round_trips": f.ours_round_trips,
                "sqlx_round_trips": f.sqlx_round_trips,
            })
        })
        .collect();
    let json = serde_json::json!({
        "bench": "startup",
        "migrations": last.n,
        "ours_ms": round3(ms(last.ours)),
        "sqlx_ms": round3(ms(last.sqlx)),
        "ratio_vs_sqlx": round3(ms(last.ours) / ms(last.sqlx)),
        "round_trips": last.ours_round_trips,
        "sqlx_round_trips": last.sqlx_round_trips,
        "select_ms": round3(ms(last.select)),
        "digest_select_ms": round3(ms(last.digest)),
        "sizes": sizes,
    });
    println!("{json}");
}
