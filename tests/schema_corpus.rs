//! Drift on real histories (../shared/corpus): crates.io's 285 migrations (functions,
//! triggers, views, enums) and docs.rs's, applied through the loader and the runtime, report no
//! drift and verify; one hand change is then reported, once.

mod corpus_common;
mod support;

use migrate::Error;
use migrate::load::Loader;
use migrate::schema::{Difference, ObjectKind};

/// Applies the history, checks that nothing drifted, makes `hand_change`, and checks that
/// drift reports exactly it (a column missing) and verify reports `Drifted`.
async fn untouched_then_one_change(
    loader: Loader,
    expected_len: usize,
    hand_change: &str,
    column: &str,
) {
    let list = loader.load().unwrap_or_else(|e| panic!("{e}")).migrations;
    assert_eq!(list.len(), expected_len);
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    // crates.io drops a table named `schema_migrations`; the same name for docs.rs is harmless.
    let migrator = || list.migrator().table("migrate_history");
    migrator()
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let snapshot = migrator().snapshot(&pool).await.unwrap();
    for kind in [ObjectKind::Table, ObjectKind::Index, ObjectKind::Function] {
        assert!(
            snapshot.iter().any(|o| o.id.kind == kind),
            "no {kind} in the snapshot"
        );
    }
    let drift = migrator()
        .drift(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(drift.differences.is_empty(), "{drift}");
    assert_eq!(drift.replayed, expected_len);
    migrator()
        .verify(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    sqlx::raw_sql(hand_change).execute(&pool).await.unwrap();
    let drift = migrator().drift(&pool).await.unwrap();
    assert_eq!(drift.differences.len(), 1, "{drift}");
    let d = &drift.differences.differences[0];
    assert!(matches!(d, Difference::Missing { .. }), "{d}");
    assert_eq!(
        (d.id().kind, d.id().name.as_str()),
        (ObjectKind::Column, column)
    );
    assert!(matches!(
        migrator().verify(&pool).await,
        Err(Error::Drifted { .. })
    ));
}

#[tokio::test]
async fn crates_io_has_no_drift_until_a_column_is_dropped() {
    let Some(loader) = corpus_common::crates_io_loader() else {
        return;
    };
    untouched_then_one_change(
        loader,
        285,
        "ALTER TABLE crates DROP COLUMN homepage",
        "crates.homepage",
    )
    .await;
}

#[tokio::test]
async fn docs_rs_has_no_drift_until_a_column_is_dropped() {
    let Some(loader) = corpus_common::docs_rs_loader() else {
        return;
    };
    untouched_then_one_change(
        loader,
        33,
        "ALTER TABLE releases DROP COLUMN description",
        "releases.description",
    )
    .await;
}
