//! `migrate::testing::assert_idempotent` on real databases: the examples pass, a plain INSERT
//! (allowed by an `#[allow]`) fails naming its migration, and on crates.io's plain DDL it
//! fails at a migration the checker flags too.

mod corpus_common;
mod support;

#[allow(dead_code)]
#[path = "../examples/axum_service.rs"]
mod axum_service;
#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

use migrate::testing::{Reason, assert_idempotent, check_idempotent};
use migrate::{Migrations, migrations};

#[tokio::test]
async fn the_examples_are_idempotent() {
    for list in [&quickstart::MIGRATIONS, &axum_service::MIGRATIONS] {
        let db = support::TestDb::new().await;
        let pool = db.pool().await;
        assert_idempotent(list, &pool).await;
        // It applied the whole list, as a run would.
        assert!(list.verify(&pool).await.is_ok());
    }
}

static DOUBLED: Migrations = migrations! {
    "001_audit" => "CREATE TABLE IF NOT EXISTS audit_log (id BIGSERIAL PRIMARY KEY, event TEXT NOT NULL);",
    #[allow(insert_without_on_conflict, reason = "audit rows are meant to accumulate")]
    #[allow(require_concurrent_index_creation, reason = "test databases are empty")]
    "002_audit_seed" => "
        CREATE INDEX IF NOT EXISTS audit_log_event_idx ON audit_log (event);
        INSERT INTO audit_log (event) VALUES ('schema created');
    ",
    "003_later" => "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS at TIMESTAMPTZ;",
};

#[tokio::test]
async fn a_plain_insert_fails_naming_the_migration_the_statement_and_the_rows() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let err = check_idempotent(DOUBLED.migrator(), &pool)
        .await
        .unwrap_err();
    assert_eq!(err.version, "002_audit_seed");
    assert_eq!(
        err.statement,
        Some((
            2,
            "INSERT INTO audit_log (event) VALUES ('schema created')".to_owned()
        ))
    );
    let Reason::Changed { schema, data } = &err.reason else {
        panic!("{err}");
    };
    assert!(schema.is_empty(), "{schema}");
    assert_eq!(
        data,
        &["rows of table public.audit_log: 1 after the first run, 2 after the second"]
    );
    assert_eq!(
        err.to_string(),
        "migration 002_audit_seed is not idempotent: its second run changed the database at statement 2 (INSERT INTO audit_log (event) VALUES ('schema created')):\n  rows of table public.audit_log: 1 after the first run, 2 after the second"
    );
    // The check stopped there: the later migration was never applied.
    let status = DOUBLED.status(&pool).await.unwrap();
    assert_eq!(status.pending(), ["003_later"]);
}

#[tokio::test]
#[should_panic(expected = "migration 002_audit_seed is not idempotent")]
async fn assert_idempotent_panics_with_the_failure() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    assert_idempotent(&DOUBLED, &pool).await;
}

static SCHEMA_CHANGE: Migrations = migrations! {
    "001_t" => "CREATE TABLE IF NOT EXISTS t (id BIGINT);",
    #[allow(non_idempotent, reason = "test: a second run renames again")]
    "002_rename" => "
        DO $$ BEGIN
            EXECUTE format('CREATE TABLE IF NOT EXISTS t_%s (id BIGINT)', (SELECT count(*) FROM pg_class WHERE relname LIKE 't\\_%'));
        END $$;
    ",
};

#[tokio::test]
async fn a_second_run_that_creates_a_table_names_it() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let err = check_idempotent(SCHEMA_CHANGE.migrator(), &pool)
        .await
        .unwrap_err();
    assert_eq!(err.version, "002_rename");
    let Reason::Changed { schema, .. } = &err.reason else {
        panic!("{err}");
    };
    assert_eq!(schema.len(), 1, "{schema}");
    assert!(err.to_string().contains("table t_1: created"), "{err}");
}

/// crates.io's migrations are plain DDL (`CREATE TABLE` without `IF NOT EXISTS`): the check
/// fails at the first one whose second run errors, and the build-time checker flags that
/// migration too.
#[tokio::test]
async fn on_crates_io_it_fails_where_the_checker_flags_the_migration() {
    let Some(loader) = corpus_common::crates_io_loader() else {
        return;
    };
    let loaded = loader.load().unwrap_or_else(|e| panic!("{e}"));
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let err = check_idempotent(loaded.migrations.migrator().table("migrate_history"), &pool)
        .await
        .unwrap_err();
    println!("{err}");
    assert!(
        matches!(err.reason, Reason::SecondRunFailed { .. }),
        "{err}"
    );
    assert!(err.statement.is_some(), "{err}");
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.version == err.version && d.is_error()),
        "the checker did not flag {}",
        err.version
    );
}
