//! `apply`: from an empty database, apply (a) 1,000 generated idempotent migrations and (b) the
//! crates.io corpus (285 real migrations, when ../shared/corpus is present), with our runtime,
//! sqlx's `Migrator`, psql (one `psql -1 -f` per file) and the floor (one simple-query message
//! `BEGIN; <sql>; COMMIT;` per migration, no bookkeeping).
//!
//! Every measurement runs on a fresh database, created before the clock starts and dropped
//! after it stops; ours and sqlx's get a connected pool, the floor one open connection, psql
//! connects per file (as it does by hand).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{History, TestDb, median, ms, round3};
use sqlx::postgres::PgPoolOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Contender {
    Ours,
    Sqlx,
    Psql,
    Floor,
}

impl Contender {
    fn label(self) -> &'static str {
        match self {
            Contender::Ours => "migrate (ours)",
            Contender::Sqlx => "sqlx Migrator",
            Contender::Psql => "psql -1 -f, per file",
            Contender::Floor => "floor (BEGIN;sql;COMMIT)",
        }
    }
}

/// One timed apply of the whole history on a fresh database.
async fn apply_once(contender: Contender, history: &History) -> Duration {
    let db = TestDb::new().await;
    let elapsed = match contender {
        Contender::Ours => {
            let pool = db.pool_with(PgPoolOptions::new().max_connections(4)).await;
            // Not the default `schema_migrations`: crates.io's migration 136 drops a table of
            // that name (its pre-diesel history).
            let run = history
                .migrations
                .migrator()
                .table("migrate_history")
                .run(&pool);
            let (elapsed, report) = common::time(run).await;
            let report = report.unwrap_or_else(|e| panic!("ours: {e}"));
            assert_eq!(
                report.applied.len(),
                history.len(),
                "ours applied everything"
            );
            pool.close().await;
            elapsed
        }
        Contender::Sqlx => {
            let pool = db.pool_with(PgPoolOptions::new().max_connections(4)).await;
            let migrator = history.sqlx_migrator();
            let (elapsed, result) = common::time(migrator.run(&pool)).await;
            result.unwrap_or_else(|e| panic!("sqlx: {e}"));
            pool.close().await;
            elapsed
        }
        Contender::Floor => {
            let mut conn = db.connect().await;
            let (elapsed, ()) = common::time(common::floor_apply(&mut conn, &history.files)).await;
            elapsed
        }
        Contender::Psql => {
            let url = db.url();
            let files = history.files.clone();
            let start = std::time::Instant::now();
            tokio::task::spawn_blocking(move || common::psql_apply(&url, &files))
                .await
                .expect("psql task panicked");
            start.elapsed()
        }
    };
    drop(db);
    elapsed
}

struct Row {
    contender: Contender,
    median: Duration,
    min: Duration,
    samples: usize,
}

/// Interleaves the contenders, `reps` rounds, rotating who goes first; psql, ten times slower
/// than the rest, runs in the first round only.
async fn measure(history: &History, contenders: &[Contender], reps: usize) -> Vec<Row> {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); contenders.len()];
    for round in 0..reps {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            if contenders[i] == Contender::Psql && round > 0 {
                continue;
            }
            samples[i].push(apply_once(contenders[i], history).await);
        }
    }
    contenders
        .iter()
        .zip(samples.iter_mut())
        .map(|(&contender, s)| Row {
            contender,
            median: median(s),
            min: s.iter().copied().min().unwrap_or_default(),
            samples: s.len(),
        })
        .collect()
}

fn figure(rows: &[Row], c: Contender) -> Option<f64> {
    rows.iter().find(|r| r.contender == c).map(|r| ms(r.median))
}

fn print_table(title: &str, rows: &[Row]) -> serde_json::Value {
    let floor = figure(rows, Contender::Floor).unwrap_or(f64::NAN);
    println!();
    println!("{title}");
    println!("| contender                  | median ms | min ms  | vs floor | runs |");
    println!("|----------------------------|----------:|--------:|---------:|-----:|");
    for r in rows {
        println!(
            "| {:<26} | {:>9.1} | {:>7.1} | {:>7.2}x | {:>4} |",
            r.contender.label(),
            ms(r.median),
            ms(r.min),
            ms(r.median) / floor,
            r.samples
        );
    }
    let ours = figure(rows, Contender::Ours).unwrap_or(f64::NAN);
    let sqlx = figure(rows, Contender::Sqlx).unwrap_or(f64::NAN);
    println!(
        "ours / floor = {:.2}x (target <= 1.10x); ours / sqlx = {:.2}x (target < 1)",
        ours / floor,
        ours / sqlx
    );
    serde_json::json!({
        "ours_ms": round3(ours),
        "sqlx_ms": round3(sqlx),
        "psql_ms": figure(rows, Contender::Psql).map(round3),
        "floor_ms": round3(floor),
        "ratio_vs_floor": round3(ours / floor),
        "ratio_vs_sqlx": round3(ours / sqlx),
    })
}

#[tokio::main]
async fn main() {
    common::print_header("apply");
    let mut contenders = vec![
        Contender::Ours,
        Contender::Sqlx,
        Contender::Floor,
        Contender::Psql,
    ];
    if !common::psql_available() {
        println!("note: psql is not installed; its column is left out");
        contenders.retain(|&c| c != Contender::Psql);
    }
    let reps = 5;

    let dir = common::TempDir::new("apply");
    common::generate::write_dir(dir.path(), 1000);
    let generated = History::load(dir.path(), |l| l);
    let rows = measure(&generated, &contenders, reps).await;
    let mut json = print_table(
        "(a) 1,000 generated idempotent migrations, from an empty database",
        &rows,
    );

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/crates.io");
    let corpus_json = if corpus.is_dir() {
        let history = common::load_crates_io(&corpus);
        let no_tx = history.files.iter().filter(|f| !f.transactional).count();
        let rows = measure(&history, &contenders, reps).await;
        let mut j = print_table(
            &format!(
                "(b) crates.io: {} real migrations ({no_tx} non-transactional), from an empty database",
                history.len()
            ),
            &rows,
        );
        j["migrations"] = history.len().into();
        j
    } else {
        println!("note: {} is absent; corpus case skipped", corpus.display());
        serde_json::Value::Null
    };

    let object = json.as_object_mut().expect("a JSON object");
    let mut out = serde_json::Map::new();
    out.insert("bench".into(), "apply".into());
    out.insert("migrations".into(), generated.len().into());
    out.append(object);
    out.insert("crates_io".into(), corpus_json);
    println!("{}", serde_json::Value::Object(out));
}
