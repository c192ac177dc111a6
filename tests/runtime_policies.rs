//! Each policy, default and option.

mod runtime_common;
mod support;

use migrate::{ChecksumPolicy, Error, OutOfOrderPolicy, UnknownPolicy, Warning};
use runtime_common::*;

fn original() -> migrate::Migrations {
    list(vec![
        tx("001_a", "CREATE TABLE IF NOT EXISTS a (id INT)"),
        tx("002_b", "CREATE TABLE IF NOT EXISTS b (id INT)"),
    ])
}

fn edited() -> migrate::Migrations {
    list(vec![
        tx("001_a", "CREATE TABLE IF NOT EXISTS a (id BIGINT)"),
        tx("002_b", "CREATE TABLE IF NOT EXISTS b (id INT)"),
    ])
}

async fn recorded_checksum(pool: &sqlx::PgPool, version: &str) -> String {
    sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = $1")
        .bind(version)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn checksum_mismatch_is_an_error_by_default() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    original().run(&pool).await.unwrap();
    let err = edited().run(&pool).await.unwrap_err();
    let old = original().get("001_a").unwrap().checksum().to_string();
    let new = edited().get("001_a").unwrap().checksum().to_string();
    match &err {
        Error::ChecksumMismatch {
            version,
            recorded,
            current,
        } => {
            assert_eq!(version, "001_a");
            assert_eq!((recorded, current), (&old, &new));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(&old) && err.to_string().contains(&new));
}

#[tokio::test]
async fn checksum_mismatch_warn_keeps_the_recorded_checksum() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    original().run(&pool).await.unwrap();
    let report = edited()
        .migrator()
        .on_checksum_mismatch(ChecksumPolicy::Warn)
        .run(&pool)
        .await
        .unwrap();
    assert!(report.is_noop());
    assert!(matches!(
        &report.warnings[..],
        [Warning::ChecksumMismatch {
            accepted: false,
            ..
        }]
    ));
    let old = original().get("001_a").unwrap().checksum().to_string();
    assert_eq!(recorded_checksum(&pool, "001_a").await, old);
}

#[tokio::test]
async fn checksum_mismatch_accept_records_the_new_checksum() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    original().run(&pool).await.unwrap();
    let report = edited()
        .migrator()
        .on_checksum_mismatch(ChecksumPolicy::Accept)
        .run(&pool)
        .await
        .unwrap();
    assert!(matches!(
        &report.warnings[..],
        [Warning::ChecksumMismatch { accepted: true, .. }]
    ));
    let new = edited().get("001_a").unwrap().checksum().to_string();
    assert_eq!(recorded_checksum(&pool, "001_a").await, new);
    // Accepted: the default policy is now satisfied.
    assert!(edited().run(&pool).await.unwrap().warnings.is_empty());
}

#[tokio::test]
async fn unknown_versions_warn_by_default_and_can_fail() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    original().run(&pool).await.unwrap();
    let older = list(vec![tx("001_a", "CREATE TABLE IF NOT EXISTS a (id INT)")]);
    let report = older.run(&pool).await.unwrap();
    assert_eq!(
        report.warnings,
        [Warning::UnknownVersions {
            versions: vec!["002_b".into()]
        }]
    );
    let err = older
        .migrator()
        .on_unknown_versions(UnknownPolicy::Error)
        .run(&pool)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownVersions { versions } if versions == &["002_b"]),
        "{err:?}"
    );
    assert!(err.to_string().contains("002_b"));
    let status = older.status(&pool).await.unwrap();
    assert_eq!(status.unknown, ["002_b"]);
    assert!(status.is_up_to_date());
}

fn with_gap() -> migrate::Migrations {
    list(vec![
        tx("001_a", "CREATE TABLE IF NOT EXISTS a (id INT)"),
        tx("003_c", "CREATE TABLE IF NOT EXISTS c (id INT)"),
    ])
}

fn gap_filled() -> migrate::Migrations {
    list(vec![
        tx("001_a", "CREATE TABLE IF NOT EXISTS a (id INT)"),
        tx("002_b", "CREATE TABLE IF NOT EXISTS b (id INT)"),
        tx("003_c", "CREATE TABLE IF NOT EXISTS c (id INT)"),
    ])
}

#[tokio::test]
async fn out_of_order_is_applied_with_a_warning_by_default() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    with_gap().run(&pool).await.unwrap();
    let report = gap_filled().run(&pool).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, "002_b");
    assert_eq!(
        report.warnings,
        [Warning::OutOfOrder {
            version: "002_b".into(),
            latest_applied: "003_c".into()
        }]
    );
    assert!(exists(&pool, "b").await);
}

#[tokio::test]
async fn out_of_order_can_be_refused() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    with_gap().run(&pool).await.unwrap();
    let err = gap_filled()
        .migrator()
        .on_out_of_order(OutOfOrderPolicy::Error)
        .run(&pool)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::OutOfOrder { versions, latest_applied } if versions == &["002_b"] && latest_applied == "003_c"),
        "{err:?}"
    );
    assert!(!exists(&pool, "b").await);
}
