//! `concurrent`: 16 runners (as 16 replicas would: each its own pool) started together against
//! a fresh database, total wall time until all have returned, against one runner alone on a
//! fresh database. One of the 16 applies everything; the others wait on the lock, then find
//! nothing to do.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{History, TestDb, median, ms, round3};
use sqlx::postgres::PgPoolOptions;
use std::sync::Barrier;

const RUNNERS: usize = 16;
const SIZES: [usize; 2] = [100, 1000];
const REPS: usize = 3;

/// Wall time of `runners` concurrent `run` calls on a fresh database, from the moment all are
/// connected and released together until the last one returns. Each runner is a thread with
/// its own tokio runtime and pool, as separate replicas would be.
async fn race(history: &Arc<History>, runners: usize) -> (Duration, Vec<Duration>) {
    let db = TestDb::new().await;
    let options = db.options();
    let barrier = Arc::new(Barrier::new(runners + 1));
    let mut threads = Vec::with_capacity(runners);
    for _ in 0..runners {
        let (history, barrier, options) = (history.clone(), barrier.clone(), options.clone());
        threads.push(std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runner runtime");
            rt.block_on(async move {
                // Room for the runtime's lock connection and the connections it works on.
                let pool = PgPoolOptions::new()
                    .max_connections(3)
                    .connect_with(options)
                    .await
                    .expect("runner cannot connect");
                barrier.wait();
                let report = history
                    .migrations
                    .run(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("runner: {e}"));
                let finished = Instant::now();
                pool.close().await;
                (report.applied.len(), finished)
            })
        }));
    }
    let barrier_main = barrier.clone();
    tokio::task::spawn_blocking(move || barrier_main.wait())
        .await
        .expect("barrier");
    let start = Instant::now();
    let results: Vec<(usize, Instant)> = tokio::task::spawn_blocking(move || {
        threads
            .into_iter()
            .map(|t| t.join().expect("runner thread panicked"))
            .collect()
    })
    .await
    .expect("join");
    let elapsed = start.elapsed();
    let applied: usize = results.iter().map(|(n, _)| n).sum();
    let mut finishes: Vec<Duration> = results
        .iter()
        .map(|(_, at)| at.saturating_duration_since(start))
        .collect();
    finishes.sort();
    assert_eq!(
        applied,
        history.len(),
        "each migration applied exactly once across the runners"
    );
    drop(db);
    (elapsed, finishes)
}

#[tokio::main]
async fn main() {
    common::print_header("concurrent");
    let mut rows = Vec::new();
    for n in SIZES {
        let dir = common::TempDir::new("concurrent");
        common::generate::write_dir(dir.path(), n);
        let history = Arc::new(History::load(dir.path(), |l| l));
        let (mut single, mut many) = (Vec::new(), Vec::new());
        let mut finishes = Vec::new();
        for _ in 0..REPS {
            single.push(race(&history, 1).await.0);
            let (elapsed, f) = race(&history, RUNNERS).await;
            many.push(elapsed);
            finishes = f;
        }
        println!(
            "N={n}: when each of the {RUNNERS} runners returned (ms after release, last round): {}",
            finishes
                .iter()
                .map(|d| format!("{:.0}", ms(*d)))
                .collect::<Vec<_>>()
                .join(" ")
        );
        rows.push((n, median(&mut single), median(&mut many)));
    }
    println!();
    println!(
        "fresh database each time; wall time from release to the last runner's return, median of {REPS}"
    );
    println!("| migrations | 1 runner ms | {RUNNERS} runners ms | ratio |");
    println!("|-----------:|------------:|-------------:|------:|");
    for (n, single, many) in &rows {
        println!(
            "| {n:>10} | {:>11.1} | {:>12.1} | {:>4.2}x |",
            ms(*single),
            ms(*many),
            ms(*many) / ms(*single)
        );
    }
    println!("target: {RUNNERS} runners within 1.3x of one");
    let sizes: Vec<_> = rows
        .iter()
        .map(|(n, single, many)| {
            serde_json::json!({
                "migrations": n,
                "single_ms": round3(ms(*single)),
                "concurrent_ms": round3(ms(*many)),
                "ratio_vs_single": round3(ms(*many) / ms(*single)),
            })
        })
        .collect();
    let (n, single, many) = rows[0];
    let json = serde_json::json!({
        "bench": "concurrent",
        "runners": RUNNERS,
        "migrations": n,
        "single_ms": round3(ms(single)),
        "concurrent_ms": round3(ms(many)),
        "ratio_vs_single": round3(ms(many) / ms(single)),
        "sizes": sizes,
    });
    println!("{json}");
}
