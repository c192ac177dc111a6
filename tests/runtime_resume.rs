//! `#[no_transaction]` migrations: failure recorded with progress, resumed where it stopped.

mod runtime_common;
mod support;

use migrate::{Error, MigrationState, Warning};
use runtime_common::*;

#[tokio::test]
async fn failed_no_transaction_migration_resumes_at_the_failing_statement() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql("CREATE TABLE executions (step TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let migrations = list(vec![
        tx("001_first", "CREATE TABLE IF NOT EXISTS first (id INT)"),
        no_tx(
            "002_concurrent",
            "INSERT INTO executions (step) VALUES ('s1');\nINSERT INTO executions (step) VALUES ('s2');\nINSERT INTO needed (id)\n  VALUES (1);\nINSERT INTO executions (step) VALUES ('s4');",
        ),
        tx("003_last", "CREATE TABLE IF NOT EXISTS last (id INT)"),
    ]);

    let err = migrations.run(&pool).await.unwrap_err();
    match &err {
        Error::Migration {
            version,
            statement,
            line,
            transactional,
            source,
            ..
        } => {
            assert_eq!(version, "002_concurrent");
            assert_eq!((*statement, *line), (3, 3));
            assert!(!transactional);
            assert_eq!(source.code, "42P01");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("resumes at this statement"),
        "{err}"
    );
    let rows = history(&pool, "schema_migrations").await;
    assert_eq!(
        rows,
        [
            ("001_first".to_owned(), "applied".to_owned(), 1),
            ("002_concurrent".to_owned(), "failed".to_owned(), 2)
        ]
    );
    assert!(
        !exists(&pool, "last").await,
        "nothing after the failure ran"
    );

    let status = migrations.status(&pool).await.unwrap();
    match &status.migrations[1].state {
        MigrationState::Failed { progress, message } => {
            assert_eq!(*progress, 2);
            assert!(message.as_deref().unwrap_or("").contains("needed"));
        }
        other => panic!("{other:?}"),
    }
    assert!(migrations.verify(&pool).await.is_err());

    // Fix the cause; the next run completes from statement 3.
    sqlx::raw_sql("CREATE TABLE needed (id INT)")
        .execute(&pool)
        .await
        .unwrap();
    let plan = migrations.plan(&pool).await.unwrap();
    assert!(
        plan.to_string().contains("resuming after statement 2"),
        "{plan}"
    );
    let report = migrations.run(&pool).await.unwrap();
    let applied: Vec<(&str, usize)> = report
        .applied
        .iter()
        .map(|a| (a.version.as_str(), a.statements))
        .collect();
    assert_eq!(applied, [("002_concurrent", 2), ("003_last", 1)]);
    assert!(report.warnings.contains(&Warning::Resumed {
        version: "002_concurrent".into(),
        from_statement: 3
    }));
    let steps: Vec<(String, i64)> =
        sqlx::query_as("SELECT step, count(*) FROM executions GROUP BY step ORDER BY step")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        steps,
        [
            ("s1".to_owned(), 1),
            ("s2".to_owned(), 1),
            ("s4".to_owned(), 1)
        ],
        "statements done before the failure are not run again"
    );
    let rows = history(&pool, "schema_migrations").await;
    assert_eq!(
        rows[1],
        ("002_concurrent".to_owned(), "applied".to_owned(), 4)
    );
    migrations.verify(&pool).await.unwrap();
}

#[tokio::test]
async fn lock_timeout_is_reset_after_a_no_transaction_migration() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = list(vec![no_tx(
        "001_idx",
        "CREATE TABLE IF NOT EXISTS t (id INT);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_id_idx ON t (id);",
    )]);
    let report = migrations.run(&pool).await.unwrap();
    assert_eq!(report.applied[0].statements, 2);
    assert!(exists(&pool, "t_id_idx").await);
}
