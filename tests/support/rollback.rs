//! The rollback properties a migration list must have, checked on real databases: down to
//! zero and up again gives the first up's schema, and each step down gives the schema of
//! applying only the migrations below it.

use migrate::Migrations;
use migrate::schema::Snapshot;
use sqlx::PgPool;

use super::TestDb;

pub async fn snapshot(list: &Migrations, pool: &PgPool) -> Snapshot {
    list.migrator().snapshot(pool).await.unwrap()
}

pub async fn versions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The first `n` migrations of `list`, as a list of their own.
pub fn prefix(list: &Migrations, n: usize) -> Migrations {
    Migrations::from_vec(list.iter().take(n).cloned().collect()).unwrap()
}

/// up → down to zero → up: the empty schema in between, the first up's schema at the end.
/// Returns the first up's snapshot.
pub async fn assert_round_trip(list: &Migrations) -> Snapshot {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    let empty = snapshot(list, &pool).await;
    list.run(&pool).await.unwrap();
    let first = snapshot(list, &pool).await;
    assert!(first.len() > empty.len(), "the list created its objects");

    let plan = list.migrator().revert_to(&pool, "0").await.unwrap();
    assert_eq!(plan.steps.len(), list.len(), "every migration was reverted");
    let newest_first: Vec<&str> = list.iter().rev().map(|m| m.version()).collect();
    let reverted: Vec<&str> = plan.steps.iter().map(|s| s.version.as_str()).collect();
    assert_eq!(reverted, newest_first);
    assert_eq!(
        snapshot(list, &pool).await,
        empty,
        "down to zero restores the empty schema"
    );
    assert!(versions(&pool).await.is_empty());

    list.run(&pool).await.unwrap();
    assert_eq!(
        snapshot(list, &pool).await,
        first,
        "up again gives the first up's schema"
    );
    pool.close().await;
    first
}

/// Reverts `list` one migration at a time; after each step the schema equals a fresh
/// database's with only the migrations below applied.
pub async fn assert_each_step_equals_prefix(list: &Migrations) {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    list.run(&pool).await.unwrap();
    let in_order: Vec<&str> = list.iter().map(|m| m.version()).collect();
    for n in (1..list.len()).rev() {
        list.migrator()
            .revert_to(&pool, in_order[n - 1])
            .await
            .unwrap();
        let reverted = snapshot(list, &pool).await;

        let fresh = TestDb::new().await;
        let fresh_pool = fresh.pool().await;
        let only = prefix(list, n);
        only.run(&fresh_pool).await.unwrap();
        let applied = snapshot(&only, &fresh_pool).await;
        fresh_pool.close().await;
        assert_eq!(
            reverted,
            applied,
            "down to {} differs from applying 1..{n}",
            in_order[n - 1]
        );
        assert_eq!(versions(&pool).await, in_order[..n]);
    }
    pool.close().await;
}
