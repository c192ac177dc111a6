//! status, verify, plan (read-only: no lock, no DDL, a SELECT-only role is enough) and baseline.

mod runtime_common;
mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use migrate::{Error, MigrationState, PlanStepKind};
use runtime_common::*;
use sqlx::postgres::PgPoolOptions;

fn states(status: &migrate::Status) -> Vec<&'static str> {
    status
        .migrations
        .iter()
        .map(|m| match &m.state {
            MigrationState::Applied { .. } => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Modified { .. } => "modified",
            MigrationState::Failed { .. } => "failed",
            other => panic!("a state this test does not know: {other:?}"),
        })
        .collect()
}

fn first_two() -> migrate::Migrations {
    list(basic().iter().take(2).cloned().collect())
}

#[tokio::test]
async fn fresh_database() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = basic();
    let status = migrations.status(&pool).await.unwrap();
    assert!(!status.history_table_exists);
    assert_eq!(states(&status), ["pending", "pending", "pending"]);
    assert!(status.to_string().contains("no history table yet"));
    let err = migrations.verify(&pool).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotUpToDate { status } if status.pending().len() == 3),
        "{err:?}"
    );
    let plan = migrations.plan(&pool).await.unwrap();
    assert_eq!(
        plan.migrations(),
        ["001_users", "002_user_position", "003_users_position_idx"]
    );
    let script = plan.to_string();
    for expected in [
        "pg_try_advisory_lock(",
        "CREATE TABLE IF NOT EXISTS \"schema_migrations\"",
        "BEGIN;\nSET LOCAL lock_timeout = '5000ms';\nCREATE TABLE IF NOT EXISTS users",
        "INSERT INTO \"schema_migrations\"",
        "COMMIT;",
        "SET lock_timeout = '5000ms';",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_position_idx ON users (position);",
        "UPDATE \"schema_migrations\" SET progress = 1 WHERE version = '003_users_position_idx';",
        "pg_advisory_unlock(",
    ] {
        assert!(
            script.contains(expected),
            "missing {expected:?} in:\n{script}"
        );
    }
    // Nothing was written by any of them.
    assert!(!exists(&pool, "schema_migrations").await);
    assert!(!exists(&pool, "users").await);
}

#[tokio::test]
async fn partial_and_complete_database() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    first_two().run(&pool).await.unwrap();
    let migrations = basic();
    let status = migrations.status(&pool).await.unwrap();
    assert!(status.history_table_exists);
    assert_eq!(states(&status), ["applied", "applied", "pending"]);
    assert!(migrations.verify(&pool).await.is_err());
    let plan = migrations.plan(&pool).await.unwrap();
    assert_eq!(plan.migrations(), ["003_users_position_idx"]);
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s.kind, PlanStepKind::SetupHistory))
    );

    migrations.run(&pool).await.unwrap();
    let status = migrations.verify(&pool).await.unwrap();
    assert_eq!(states(&status), ["applied", "applied", "applied"]);
    assert!(
        status.to_string().contains("3 applied, 0 pending"),
        "{status}"
    );
    let plan = migrations.plan(&pool).await.unwrap();
    assert!(plan.is_noop(), "{plan}");
    assert_eq!(plan.steps.len(), 1);
}

#[tokio::test]
async fn modified_migration_fails_verify() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    first_two().run(&pool).await.unwrap();
    let edited = list(vec![
        tx(
            "001_users",
            "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT)",
        ),
        basic().get("002_user_position").unwrap().clone(),
    ]);
    let status = edited.status(&pool).await.unwrap();
    assert_eq!(states(&status), ["modified", "applied"]);
    assert!(matches!(
        edited.verify(&pool).await,
        Err(Error::NotUpToDate { .. })
    ));
    assert!(matches!(
        edited.plan(&pool).await,
        Err(Error::ChecksumMismatch { .. })
    ));
}

/// A role that may only connect and SELECT; dropped with its grants on drop.
struct ReadOnlyRole {
    name: String,
    admin: sqlx::PgPool,
}

impl ReadOnlyRole {
    async fn new(db: &support::TestDb, admin: sqlx::PgPool) -> ReadOnlyRole {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("migrate_ro_{}_{nanos}", std::process::id());
        sqlx::raw_sql(&format!(
            "CREATE ROLE {name} LOGIN; GRANT CONNECT ON DATABASE \"{}\" TO {name}; \
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            db.name()
        ))
        .execute(&admin)
        .await
        .unwrap();
        ReadOnlyRole { name, admin }
    }

    async fn pool(&self, db: &support::TestDb) -> sqlx::PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .connect_with(db.options().username(&self.name))
            .await
            .unwrap()
    }

    async fn drop(self) {
        sqlx::raw_sql(&format!("DROP OWNED BY {0}; DROP ROLE {0}", self.name))
            .execute(&self.admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn read_only_role() {
    let db = support::TestDb::new().await;
    let admin = db.pool().await;
    let role = ReadOnlyRole::new(&db, admin.clone()).await;
    let migrations = basic();
    {
        let ro = role.pool(&db).await;
        // No history table yet.
        let status = migrations.status(&ro).await.unwrap();
        assert!(!status.history_table_exists);
        assert!(migrations.verify(&ro).await.is_err());
        assert_eq!(migrations.plan(&ro).await.unwrap().migrations().len(), 3);
        // A run needs to write: it fails, saying so.
        assert!(migrations.run(&ro).await.is_err());

        first_two().run(&admin).await.unwrap();
        sqlx::raw_sql(&format!(
            "GRANT SELECT ON schema_migrations TO {}",
            role.name
        ))
        .execute(&admin)
        .await
        .unwrap();
        let status = migrations.status(&ro).await.unwrap();
        assert_eq!(states(&status), ["applied", "applied", "pending"]);
        assert_eq!(
            migrations.plan(&ro).await.unwrap().migrations(),
            ["003_users_position_idx"]
        );
        migrations.run(&admin).await.unwrap();
        migrations.verify(&ro).await.unwrap();
        // Up to date: even a run is only the read, so the read-only role can make it.
        assert!(migrations.run(&ro).await.unwrap().is_noop());
        ro.close().await;
    }
    role.drop().await;
}

#[tokio::test]
async fn baseline_records_without_running() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = basic();
    let err = migrations.baseline(&pool, "009_nope").await.unwrap_err();
    assert!(matches!(err, Error::BaselineUnknownVersion { .. }));

    let report = migrations
        .baseline(&pool, "002_user_position")
        .await
        .unwrap();
    assert_eq!(report.baselined, ["001_users", "002_user_position"]);
    assert!(report.applied.is_empty());
    assert!(!exists(&pool, "users").await, "baseline runs nothing");
    let status = migrations.status(&pool).await.unwrap();
    assert_eq!(states(&status), ["applied", "applied", "pending"]);
    // The objects predate tracking; create them as the old system would have.
    sqlx::raw_sql("CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email TEXT, position TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    let report = migrations.run(&pool).await.unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, "003_users_position_idx");
}
