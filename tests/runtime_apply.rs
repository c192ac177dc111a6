//! Applying migrations: fresh databases, the one-query fast path, transactional failures,
//! databases that predate the history.

#[path = "support/proxy.rs"]
mod proxy;
mod runtime_common;
mod support;

use std::time::{Duration, Instant};

use migrate::Error;
use runtime_common::*;
use sqlx::postgres::PgPoolOptions;

#[tokio::test]
async fn fresh_database_gets_everything_then_one_query() {
    let db = support::TestDb::new().await;
    let proxy = proxy::Proxy::start(proxy::target_of(&db.options())).await;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(db.options().host("127.0.0.1").port(proxy.port()))
        .await
        .unwrap();
    let migrations = basic();

    let report = migrations.run(&pool).await.unwrap();
    let applied: Vec<&str> = report.applied.iter().map(|a| a.version.as_str()).collect();
    assert_eq!(
        applied,
        ["001_users", "002_user_position", "003_users_position_idx"]
    );
    assert_eq!(report.applied[1].statements, 2);
    assert!(report.already_applied.is_empty());
    assert!(
        report.to_string().starts_with("applied 3 migrations in "),
        "{report}"
    );
    assert!(exists(&pool, "users_position_idx").await);
    type Row = (String, Option<String>, String, i32, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT version, checksum, state, progress, execution_ms FROM schema_migrations ORDER BY version",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 3);
    for (row, m) in rows.iter().zip(migrations.iter()) {
        assert_eq!(row.0, m.version());
        assert_eq!(row.1.as_deref(), Some(m.checksum().to_string().as_str()));
        assert_eq!(row.2, "applied");
        assert_eq!(row.3 as usize, m.statement_spans().len());
        assert!(row.4.is_some_and(|ms| ms >= 0));
    }

    proxy.reset();
    let again = migrations.run(&pool).await.unwrap();
    assert!(again.is_noop());
    assert_eq!(again.already_applied.len(), 3);
    assert_eq!(
        proxy.queries(),
        1,
        "an up-to-date database must cost exactly one query"
    );
    assert_eq!(again.to_string(), "nothing to apply; 3 already applied");
}

#[tokio::test]
async fn adding_a_migration_applies_only_it() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    basic().run(&pool).await.unwrap();
    let mut more: Vec<_> = basic().iter().cloned().collect();
    more.push(tx(
        "004_orders",
        "CREATE TABLE IF NOT EXISTS orders (id BIGSERIAL PRIMARY KEY, user_id BIGINT)",
    ));
    let report = list(more).run(&pool).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, "004_orders");
    assert_eq!(report.already_applied.len(), 3);
    assert!(exists(&pool, "orders").await);
}

#[tokio::test]
async fn transactional_failure_at_third_statement_leaves_nothing() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = list(vec![
        tx("001_ok", "CREATE TABLE IF NOT EXISTS ok_table (id INT)"),
        tx(
            "002_broken",
            "CREATE TABLE IF NOT EXISTS part_one (id INT);\nCREATE TABLE IF NOT EXISTS part_two (id INT);\nINSERT INTO part_one (id)\n  SELECT id FROM missing_table;\nCREATE TABLE IF NOT EXISTS part_three (id INT);",
        ),
    ]);

    let started = Instant::now();
    let err = migrations.run(&pool).await.unwrap_err();
    let first = started.elapsed();
    let Error::Migration {
        version,
        statement,
        line,
        column,
        excerpt,
        source,
        ..
    } = &err
    else {
        panic!("expected a migration error, got {err:?}");
    };
    assert_eq!(version, "002_broken");
    assert_eq!(*statement, 3);
    assert_eq!(*line, 4, "the error position (missing_table) is on line 4");
    assert_eq!(*column, Some(18));
    assert_eq!(
        excerpt,
        "INSERT INTO part_one (id) SELECT id FROM missing_table"
    );
    assert_eq!(source.code, "42P01");
    let text = err.to_string();
    assert!(
        text.contains("002_broken") && text.contains("statement 3"),
        "{text}"
    );
    assert!(
        text.contains("42P01") && text.contains("missing_table"),
        "{text}"
    );

    // 001 committed on its own; nothing of 002 remains, no row for it.
    assert!(exists(&pool, "ok_table").await);
    assert!(!exists(&pool, "part_one").await);
    assert!(!exists(&pool, "part_two").await);
    let rows = history(&pool, "schema_migrations").await;
    assert_eq!(rows, [("001_ok".to_owned(), "applied".to_owned(), 1)]);

    // The lock was released: an immediate second run fails the same way, without waiting.
    let started = Instant::now();
    let again = migrations.run(&pool).await.unwrap_err();
    assert!(
        matches!(&again, Error::Migration { statement: 3, .. }),
        "{again:?}"
    );
    assert!(
        started.elapsed() < first + Duration::from_secs(2),
        "second run took {:?}",
        started.elapsed()
    );
    let locks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(locks, 0);
}

#[tokio::test]
async fn runtime_error_without_position_names_the_statement_by_count() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = list(vec![tx(
        "001_div",
        "CREATE TABLE IF NOT EXISTS a (id INT);\nCREATE TABLE IF NOT EXISTS b (id INT);\nSELECT 1 / 0;\nCREATE TABLE IF NOT EXISTS c (id INT);",
    )]);
    let err = migrations.run(&pool).await.unwrap_err();
    match &err {
        Error::Migration {
            statement,
            line,
            source,
            ..
        } => {
            assert_eq!((*statement, *line), (3, 3));
            assert_eq!(source.code, "22012");
        }
        other => panic!("{other:?}"),
    }
    assert!(!exists(&pool, "a").await);
}

#[tokio::test]
async fn existing_tables_without_history_are_recorded() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL, position TEXT);
         CREATE INDEX users_email_idx ON users (email);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let report = basic().run(&pool).await.unwrap();
    assert_eq!(report.applied.len(), 3);
    let rows = history(&pool, "schema_migrations").await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.1 == "applied"));
}

#[tokio::test]
async fn legacy_history_table_is_adopted() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);
         CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
         INSERT INTO schema_migrations (version, applied_at) VALUES ('001_users', '2020-01-02 03:04:05+00'), ('000_before_us', '2019-01-01 00:00:00+00');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let migrations = basic();
    let report = migrations.run(&pool).await.unwrap();
    assert_eq!(report.already_applied, ["001_users"]);
    assert_eq!(report.applied.len(), 2);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("000_before_us"))
    );
    let (checksum, applied_at): (Option<String>, String) = sqlx::query_as(
        "SELECT checksum, applied_at::text FROM schema_migrations WHERE version = '001_users'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        checksum,
        Some(migrations.get("001_users").unwrap().checksum().to_string())
    );
    assert!(applied_at.starts_with("2020-01-02"), "{applied_at}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM schema_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 4, "the unknown legacy row is kept");
    // Adopted: the next run is the one-query fast path again.
    assert!(migrations.run(&pool).await.unwrap().is_noop());
}

#[tokio::test]
async fn legacy_numeric_versions_are_adopted() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);
         CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
         INSERT INTO schema_migrations (version) VALUES (1);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let report = basic().run(&pool).await.unwrap();
    assert_eq!(report.already_applied, ["001_users"]);
    let versions = history(&pool, "schema_migrations").await;
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0].0, "001_users");
}

#[tokio::test]
async fn schema_qualified_table_and_invalid_names() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let report = basic()
        .migrator()
        .table("app.history")
        .run(&pool)
        .await
        .unwrap();
    assert_eq!(report.applied.len(), 3);
    assert_eq!(history(&pool, "app.history").await.len(), 3);
    assert!(!exists(&pool, "schema_migrations").await);

    let err = basic()
        .migrator()
        .table("x\"; DROP TABLE users; --")
        .run(&pool)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTable { .. }), "{err:?}");
    assert!(exists(&pool, "users").await);
}

#[tokio::test]
async fn lock_timeout_applies_to_migration_statements() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql("CREATE TABLE busy (id INT)")
        .execute(&pool)
        .await
        .unwrap();
    let mut holder = db.connect().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE;")
        .execute(&mut holder)
        .await
        .unwrap();
    let migrations = list(vec![tx(
        "001_alter_busy",
        "ALTER TABLE busy ADD COLUMN IF NOT EXISTS name TEXT",
    )]);
    let started = Instant::now();
    let err = migrations
        .migrator()
        .lock_timeout(Duration::from_millis(300))
        .lock_timeout_retries(0, Duration::ZERO)
        .run(&pool)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    match &err {
        Error::Migration { source, .. } => assert_eq!(source.code, "55P03"),
        other => panic!("{other:?}"),
    }
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    migrations.run(&pool).await.unwrap();
}
