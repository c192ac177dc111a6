//! A server restart in the middle of a run (a failover, a maintenance restart), on a throwaway
//! cluster the test starts itself: the interrupted run reconnects and finishes by itself.

mod runtime_common;
mod support;

use std::time::{Duration, Instant};

use runtime_common::*;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use support::cluster::Cluster;

/// A migration that sleeps at statement 2, where the restart hits it.
fn sleeping(version: &str, transactional: bool) -> migrate::Migrations {
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS before_{version} (id INT);\nSELECT pg_sleep(1.5);\nCREATE TABLE IF NOT EXISTS after_{version} (id INT);"
    );
    let m = if transactional {
        tx(version, &sql)
    } else {
        no_tx(version, &sql)
    };
    list(vec![m])
}

async fn create_database(cluster: &Cluster, name: &str) {
    let mut admin = PgConnection::connect_with(&cluster.options("postgres"))
        .await
        .unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
}

/// Runs the migration, restarts the server while it sleeps, and checks the run itself
/// succeeded once the server was back.
async fn restart_during(cluster: &Cluster, round: usize, transactional: bool) {
    let database = format!(
        "restart_{}_{round}",
        if transactional { "tx" } else { "notx" }
    );
    create_database(cluster, &database).await;
    let version = format!("001_r{round}");
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(cluster.options(&database))
        .await
        .unwrap();
    let runner = {
        let (pool, version) = (pool.clone(), version.clone());
        tokio::spawn(async move {
            sleeping(&version, transactional)
                .migrator()
                .reconnect_within(Duration::from_secs(30))
                .run(&pool)
                .await
        })
    };
    let mut watcher = PgConnection::connect_with(&cluster.options(&database))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let sleeping: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1.5)%' \
             AND state = 'active' AND pid <> pg_backend_pid())",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if sleeping {
            break;
        }
        assert!(Instant::now() < deadline, "the migration never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(watcher);
    cluster.restart();
    let report = runner
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("round {round} (transactional: {transactional}): {e}"));
    assert_eq!(report.applied.len(), 1, "{report:?}");
    assert!(report.reconnects >= 1, "{report:?}");
    assert!(exists(&pool, &format!("after_{version}")).await);
    assert_eq!(
        history(&pool, "schema_migrations").await,
        [(version.clone(), "applied".to_owned(), 3)]
    );
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_survives_server_restarts_during_its_migrations() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    for round in 0..5 {
        restart_during(&cluster, round, true).await;
        restart_during(&cluster, round, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stays_away_fails_the_run_naming_the_migration_in_flight() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    create_database(&cluster, "gone").await;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(cluster.options("gone"))
        .await
        .unwrap();
    let runner = {
        let pool = pool.clone();
        tokio::spawn(async move {
            sleeping("001_gone", false)
                .migrator()
                .reconnect_within(Duration::from_secs(2))
                .run(&pool)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    drop(cluster); // stopped for good
    let err = runner.await.unwrap().unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, migrate::Error::ServerGone { in_flight: Some(v), .. } if v == "001_gone"),
        "{err:?}"
    );
    assert!(
        text.contains("went away while migration 001_gone was running"),
        "{text}"
    );
    assert!(text.contains("run again and the run resumes"), "{text}");
}
