//! History rows are parsed into types when read: `status`, `verify`, `plan` and `run` agree on
//! what a row means, and a value the runtime does not understand is an error, not a default.

mod runtime_common;
mod support;

use migrate::{Error, MigrationState};
use runtime_common::*;

async fn set(pool: &sqlx::PgPool, assignment: &str, version: &str) {
    sqlx::query(&format!(
        "UPDATE schema_migrations SET {assignment} WHERE version = $1"
    ))
    .bind(version)
    .execute(pool)
    .await
    .unwrap();
}

/// A database with [`basic`] applied.
async fn applied() -> (support::TestDb, sqlx::PgPool, migrate::Migrations) {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let list = basic();
    list.run(&pool).await.unwrap();
    (db, pool, list)
}

#[tokio::test]
async fn an_upper_case_checksum_is_the_same_checksum_everywhere() {
    let (_db, pool, list) = applied().await;
    set(&pool, "checksum = upper(checksum)", "001_users").await;

    list.verify(&pool).await.unwrap();
    let status = list.status(&pool).await.unwrap();
    assert!(status.is_up_to_date(), "{status}");
    assert!(matches!(
        status.migrations[0].state,
        MigrationState::Applied { .. }
    ));
    assert!(list.plan(&pool).await.unwrap().is_noop());
    let report = list.run(&pool).await.unwrap();
    assert!(report.applied.is_empty(), "{report}");
    assert!(report.warnings.is_empty(), "{report}");

    // An edit is still an edit, whatever the case of what was recorded.
    let edited = list_with_edited_first();
    let status = edited.status(&pool).await.unwrap();
    assert!(
        matches!(status.migrations[0].state, MigrationState::Modified { .. }),
        "{status}"
    );
    assert!(matches!(
        edited.verify(&pool).await,
        Err(Error::NotUpToDate { .. })
    ));
    assert!(matches!(
        edited.run(&pool).await,
        Err(Error::ChecksumMismatch { .. })
    ));
}

fn list_with_edited_first() -> migrate::Migrations {
    let mut migrations: Vec<migrate::Migration> = basic().iter().cloned().collect();
    migrations[0] = tx(
        "001_users",
        "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT);",
    );
    list(migrations)
}

/// A state a typo or a newer release wrote is not read as "applied".
#[tokio::test]
async fn an_unknown_state_is_a_clear_error() {
    let (_db, pool, list) = applied().await;
    set(&pool, "state = 'rolled_back'", "002_user_position").await;

    let status = list.status(&pool).await.unwrap_err();
    let verify = list.verify(&pool).await.unwrap_err();
    let plan = list.plan(&pool).await.unwrap_err();
    let run = list.run(&pool).await.unwrap_err();
    for err in [&status, &verify, &plan, &run] {
        match err {
            Error::InvalidHistoryRow {
                version,
                column,
                value,
                ..
            } => {
                assert_eq!((version.as_str(), *column), ("002_user_position", "state"));
                assert_eq!(value, "rolled_back");
            }
            other => panic!("expected InvalidHistoryRow, got {other:?}"),
        }
    }
    let text = run.to_string();
    assert!(
        text.contains("schema_migrations")
            && text.contains("\"002_user_position\"")
            && text.contains("\"rolled_back\"")
            && text.contains("'applied', 'running', 'failed' or 'reverting'"),
        "{text}"
    );
}

#[tokio::test]
async fn a_checksum_or_progress_that_does_not_parse_is_an_error() {
    let (_db, pool, list) = applied().await;

    set(&pool, "checksum = 'not a checksum'", "001_users").await;
    match list.run(&pool).await.unwrap_err() {
        Error::InvalidHistoryRow { column, value, .. } => {
            assert_eq!((column, value.as_str()), ("checksum", "not a checksum"));
        }
        other => panic!("{other:?}"),
    }
    set(&pool, "checksum = NULL", "001_users").await;

    // `progress` is an INTEGER in the table this crate creates; an adopted table may hold text.
    sqlx::query("ALTER TABLE schema_migrations ALTER COLUMN progress TYPE text")
        .execute(&pool)
        .await
        .unwrap();
    set(
        &pool,
        "state = 'failed', progress = 'two'",
        "003_users_position_idx",
    )
    .await;
    match list.status(&pool).await.unwrap_err() {
        Error::InvalidHistoryRow {
            version,
            column,
            value,
            ..
        } => {
            assert_eq!(version, "003_users_position_idx");
            assert_eq!((column, value.as_str()), ("progress", "two"));
        }
        other => panic!("{other:?}"),
    }
}
