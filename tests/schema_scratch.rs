//! `drift`'s scratch database: gone after a cancelled drift and after a failed replay; a role
//! that may not create databases gets an error saying so, and `scratch_url` gets it through.

mod runtime_common;
mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use migrate::Error;
use runtime_common::*;
use sqlx::PgPool;

fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{tag}_{}_{nanos}", std::process::id())
}

/// Whether a database of this name exists on the server.
async fn database_exists(pool: &PgPool, name: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A migration that does `in_scratch` only when it runs in a drift's scratch database, so it
/// applies at once to the live one.
fn scratch_only(version: &str, in_scratch: &str) -> migrate::Migration {
    tx(
        version,
        &format!(
            "DO $$ BEGIN IF current_database() LIKE 'migrate_drift%' THEN {in_scratch}; END IF; END $$"
        ),
    )
}

#[tokio::test]
async fn a_cancelled_drift_leaves_no_scratch_database() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let marker = unique("drift_cancel_marker");
    let migrations = list(vec![
        tx("001_t", "CREATE TABLE t (id int)"),
        scratch_only("002_slow", &format!("PERFORM pg_sleep(60) /* {marker} */")),
    ]);
    migrations.run(&pool).await.unwrap();

    let task = {
        let pool = pool.clone();
        tokio::spawn(async move { migrations.drift(&pool).await })
    };
    // The scratch database is the one whose session sleeps with the marker.
    let started = Instant::now();
    let scratch: String = loop {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT datname::text FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' AND datname LIKE 'migrate_drift%'",
        )
        .bind(&marker)
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(name) = found {
            break name;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replay never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(database_exists(&pool, &scratch).await);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(
        !database_exists(&pool, &scratch).await,
        "{scratch} was left behind"
    );
}

#[tokio::test]
async fn a_failed_replay_drops_the_scratch_database_and_says_why() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = list(vec![
        tx("001_t", "CREATE TABLE t (id int)"),
        scratch_only(
            "002_fails",
            "RAISE EXCEPTION 'only in the scratch database'",
        ),
    ]);
    migrations.run(&pool).await.unwrap();
    let err = migrations.drift(&pool).await.unwrap_err();
    let Error::Replay { name, source } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(**source, Error::Migration { ref version, .. } if version == "002_fails"),
        "{source:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("only in the scratch database"),
        "{message}"
    );
    assert!(
        message.contains("the live database is untouched"),
        "{message}"
    );
    assert!(
        !database_exists(&pool, name).await,
        "{name} was left behind"
    );
}

/// A login role without CREATEDB, dropped at the end (after the databases it has grants in).
struct Role(String);

impl Drop for Role {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let pool = PgPool::connect(&support::server_url()).await.unwrap();
                sqlx::raw_sql(&format!("DROP ROLE IF EXISTS \"{name}\""))
                    .execute(&pool)
                    .await
                    .unwrap();
            })
        })
        .join();
    }
}

#[tokio::test]
async fn without_createdb_the_error_says_so_and_a_scratch_server_works() {
    let role = Role(unique("migrate_test_nocreatedb"));
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = basic();
    migrations.run(&pool).await.unwrap();
    sqlx::raw_sql(&format!(
        "CREATE ROLE \"{0}\" LOGIN NOCREATEDB; GRANT SELECT ON schema_migrations TO \"{0}\"",
        role.0
    ))
    .execute(&pool)
    .await
    .unwrap();
    let limited = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(db.options().username(&role.0))
        .await
        .unwrap();

    let err = migrations.drift(&limited).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Scratch {
                action: "create",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("may not create databases"), "{message}");
    assert!(message.contains("Migrator::scratch_url"), "{message}");

    let drift = migrations
        .migrator()
        .scratch_url(support::server_url())
        .drift(&limited)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(drift.differences.is_empty(), "{drift}");
    assert_eq!(drift.replayed, 3);
    limited.close().await;
    pool.close().await;
    drop(db);
}
