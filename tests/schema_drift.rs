//! Drift: each hand change to an up-to-date database is reported once, naming the object, by
//! `drift` (against the migrations replayed) and by `verify` (through the fingerprint).

mod runtime_common;
mod support;

use migrate::Error;
use migrate::schema::{Difference, ObjectKind};
use runtime_common::*;

/// An application's schema with one of everything the cases touch.
fn app() -> migrate::Migrations {
    list(vec![
        tx(
            "001_documents",
            "CREATE TYPE doc_state AS ENUM ('new', 'done');
             CREATE TABLE owners (id bigserial PRIMARY KEY);
             CREATE TABLE pdfs (
                 id bigserial PRIMARY KEY,
                 owner_id bigint NOT NULL REFERENCES owners (id),
                 title text NOT NULL DEFAULT 'untitled',
                 state doc_state NOT NULL DEFAULT 'new',
                 pages integer CONSTRAINT pdfs_pages_positive CHECK (pages > 0),
                 processing_started_at timestamp,
                 updated_at timestamptz
             );
             CREATE INDEX pdfs_title_idx ON pdfs (title);",
        ),
        tx(
            "002_touch",
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
             CREATE TRIGGER pdfs_touch BEFORE UPDATE ON pdfs FOR EACH ROW EXECUTE FUNCTION touch();
             CREATE VIEW recent_pdfs AS SELECT id, title FROM pdfs WHERE state = 'new';",
        ),
    ])
}

/// A fresh database with `app()` applied.
async fn migrated() -> (support::TestDb, sqlx::PgPool) {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    app().run(&pool).await.unwrap();
    (db, pool)
}

#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Missing,
    Unexpected,
    /// Changed, in exactly these properties.
    Changed(&'static [&'static str]),
}

/// Applies `hand_change` to an up-to-date database; asserts that drift reports exactly one
/// difference, on this object, of this sort, and that verify reports `Drifted`.
async fn case(hand_change: &str, kind: ObjectKind, name: &str, expect: Expect) -> Difference {
    let (_db, pool) = migrated().await;
    sqlx::raw_sql(hand_change).execute(&pool).await.unwrap();
    let drift = app().drift(&pool).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drift.differences.len(), 1, "{drift}");
    let d = drift.differences.differences[0].clone();
    assert_eq!((d.id().kind, d.id().name.as_str()), (kind, name), "{d}");
    assert_eq!(d.id().schema.as_deref(), Some("public"));
    let got = match &d {
        Difference::Missing { .. } => Expect::Missing,
        Difference::Unexpected { .. } => Expect::Unexpected,
        Difference::Changed { changes, .. } => {
            let properties: Vec<&str> = changes.iter().map(|c| c.property.as_str()).collect();
            assert_eq!(
                properties,
                match &expect {
                    Expect::Changed(p) => p.to_vec(),
                    _ => vec![],
                },
                "{d}"
            );
            expect_changed(&expect)
        }
        other => panic!("unexpected difference {other:?}"),
    };
    assert_eq!(got, expect, "{d}");
    assert!(
        drift.has_drift() && drift.to_string().contains(&d.to_string()),
        "{drift}"
    );
    let err = app().verify(&pool).await.unwrap_err();
    assert!(matches!(err, Error::Drifted { .. }), "{err:?}");
    assert!(err.to_string().contains("migrate drift"), "{err}");
    d
}

fn expect_changed(expect: &Expect) -> Expect {
    match expect {
        Expect::Changed(p) => Expect::Changed(p),
        _ => Expect::Changed(&[]),
    }
}

#[tokio::test]
async fn an_untouched_database_has_no_drift_and_verifies() {
    let (_db, pool) = migrated().await;
    let drift = app().drift(&pool).await.unwrap();
    assert!(drift.differences.is_empty(), "{drift}");
    assert_eq!((drift.replayed, drift.pending.len()), (2, 0));
    assert_eq!(
        drift.to_string(),
        "no drift: the schema is what the 2 applied migrations make"
    );
    app().verify(&pool).await.unwrap();
    // Data is not schema: rows and sequence values change nothing.
    sqlx::raw_sql("INSERT INTO owners DEFAULT VALUES; INSERT INTO pdfs (owner_id) SELECT id FROM owners; ANALYZE pdfs;")
        .execute(&pool)
        .await
        .unwrap();
    app().verify(&pool).await.unwrap();
    assert!(app().drift(&pool).await.unwrap().differences.is_empty());
}

#[tokio::test]
async fn a_column_added_by_hand() {
    case(
        "ALTER TABLE pdfs ADD COLUMN note text",
        ObjectKind::Column,
        "pdfs.note",
        Expect::Unexpected,
    )
    .await;
}

#[tokio::test]
async fn a_column_dropped_by_hand_reads_as_the_incident() {
    let d = case(
        "ALTER TABLE pdfs DROP COLUMN processing_started_at",
        ObjectKind::Column,
        "pdfs.processing_started_at",
        Expect::Missing,
    )
    .await;
    assert_eq!(
        d.to_string(),
        "column pdfs.processing_started_at (timestamp without time zone): made by the migrations, missing in the database"
    );
}

#[tokio::test]
async fn a_column_type_changed() {
    let d = case(
        "ALTER TABLE pdfs ALTER COLUMN pages TYPE bigint",
        ObjectKind::Column,
        "pdfs.pages",
        Expect::Changed(&["type"]),
    )
    .await;
    assert_eq!(
        d.to_string(),
        "column pdfs.pages: type: the migrations make integer, the database has bigint"
    );
}

#[tokio::test]
async fn a_default_changed() {
    case(
        "ALTER TABLE pdfs ALTER COLUMN title SET DEFAULT 'none'",
        ObjectKind::Column,
        "pdfs.title",
        Expect::Changed(&["default"]),
    )
    .await;
}

#[tokio::test]
async fn a_not_null_dropped() {
    case(
        "ALTER TABLE pdfs ALTER COLUMN title DROP NOT NULL",
        ObjectKind::Column,
        "pdfs.title",
        Expect::Changed(&["not_null"]),
    )
    .await;
}

#[tokio::test]
async fn an_index_dropped() {
    case(
        "DROP INDEX pdfs_title_idx",
        ObjectKind::Index,
        "pdfs_title_idx",
        Expect::Missing,
    )
    .await;
}

#[tokio::test]
async fn an_index_added_by_hand() {
    case(
        "CREATE INDEX pdfs_pages_idx ON pdfs (pages)",
        ObjectKind::Index,
        "pdfs_pages_idx",
        Expect::Unexpected,
    )
    .await;
}

#[tokio::test]
async fn a_constraint_dropped() {
    case(
        "ALTER TABLE pdfs DROP CONSTRAINT pdfs_pages_positive",
        ObjectKind::Constraint,
        "pdfs.pdfs_pages_positive",
        Expect::Missing,
    )
    .await;
}

#[tokio::test]
async fn a_function_body_replaced() {
    let d = case(
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        ObjectKind::Function,
        "touch()",
        Expect::Changed(&["definition"]),
    )
    .await;
    assert!(
        d.to_string()
            .starts_with("function touch(): definition differs at line 4"),
        "{d}"
    );
}

#[tokio::test]
async fn an_enum_value_added() {
    let d = case(
        "ALTER TYPE doc_state ADD VALUE 'failed'",
        ObjectKind::Enum,
        "doc_state",
        Expect::Changed(&["labels"]),
    )
    .await;
    assert_eq!(
        d.to_string(),
        "enum doc_state: labels: the migrations make 'new', 'done', the database has 'new', 'done', 'failed'"
    );
}

#[tokio::test]
async fn an_extra_table_is_one_difference_not_one_per_part() {
    case(
        "CREATE TABLE scratch_notes (id bigserial PRIMARY KEY, body text NOT NULL, CHECK (body <> ''));
         CREATE INDEX scratch_notes_body_idx ON scratch_notes (body);",
        ObjectKind::Table,
        "scratch_notes",
        Expect::Unexpected,
    )
    .await;
}

#[tokio::test]
async fn a_trigger_disabled() {
    case(
        "ALTER TABLE pdfs DISABLE TRIGGER pdfs_touch",
        ObjectKind::Trigger,
        "pdfs.pdfs_touch",
        Expect::Changed(&["enabled"]),
    )
    .await;
}

#[tokio::test]
async fn a_trigger_dropped() {
    case(
        "DROP TRIGGER pdfs_touch ON pdfs",
        ObjectKind::Trigger,
        "pdfs.pdfs_touch",
        Expect::Missing,
    )
    .await;
}

#[tokio::test]
async fn a_view_redefined() {
    case(
        "CREATE OR REPLACE VIEW recent_pdfs AS SELECT id, title FROM pdfs WHERE state = 'done'",
        ObjectKind::View,
        "recent_pdfs",
        Expect::Changed(&["definition"]),
    )
    .await;
}

#[tokio::test]
async fn pending_migrations_are_not_replayed_and_are_counted() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let first = list(app().iter().take(1).cloned().collect());
    first.run(&pool).await.unwrap();
    let drift = app().drift(&pool).await.unwrap();
    assert!(drift.differences.is_empty(), "{drift}");
    assert_eq!(drift.replayed, 1);
    assert_eq!(drift.pending, ["002_touch"]);
    assert!(
        drift
            .to_string()
            .contains("1 pending migration(s) not replayed: 002_touch")
    );
}

#[tokio::test]
async fn an_edited_migration_shows_what_its_new_sql_would_make() {
    let (_db, pool) = migrated().await;
    let mut edited: Vec<_> = app().iter().cloned().collect();
    edited[1] = tx(
        "002_touch",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
         CREATE TRIGGER pdfs_touch BEFORE UPDATE ON pdfs FOR EACH ROW EXECUTE FUNCTION touch();
         CREATE VIEW recent_pdfs AS SELECT id, title FROM pdfs WHERE state = 'new';
         CREATE INDEX pdfs_state_idx ON pdfs (state);",
    );
    let drift = list(edited).drift(&pool).await.unwrap();
    assert_eq!(drift.differences.len(), 1, "{drift}");
    assert_eq!(
        drift.differences.differences[0].to_string(),
        "index pdfs_state_idx: made by the migrations, missing in the database"
    );
}

#[tokio::test]
async fn a_database_migrated_without_a_fingerprint_verifies() {
    let (_db, pool) = migrated().await;
    sqlx::raw_sql(
        "COMMENT ON TABLE schema_migrations IS NULL; ALTER TABLE pdfs ADD COLUMN note text",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Nothing recorded to compare with: verify cannot tell, drift still can.
    app().verify(&pool).await.unwrap();
    assert_eq!(app().drift(&pool).await.unwrap().differences.len(), 1);
}

#[tokio::test]
async fn the_next_run_records_the_fingerprint_of_the_schema_it_leaves() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let first = list(app().iter().take(1).cloned().collect());
    first.run(&pool).await.unwrap();
    sqlx::raw_sql("ALTER TABLE pdfs ADD COLUMN note text")
        .execute(&pool)
        .await
        .unwrap();
    assert!(matches!(
        first.verify(&pool).await,
        Err(Error::Drifted { .. })
    ));
    // A run that applies something records the schema as it leaves it, hand change included:
    // the fingerprint says "changed since the last run", drift says "differs from the migrations".
    app().run(&pool).await.unwrap();
    app().verify(&pool).await.unwrap();
    assert_eq!(app().drift(&pool).await.unwrap().differences.len(), 1);
}

#[path = "support/proxy.rs"]
mod proxy;

/// `verify` is `status` plus one round trip for the fingerprint (once prepared).
#[tokio::test]
async fn the_fingerprint_check_is_one_round_trip() {
    let (db, _pool) = migrated().await;
    let proxy = proxy::Proxy::start(proxy::target_of(&db.options())).await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(db.options().host("127.0.0.1").port(proxy.port()))
        .await
        .unwrap();
    let settle = || tokio::time::sleep(std::time::Duration::from_millis(100));
    app().verify(&pool).await.unwrap();
    settle().await;
    proxy.reset();
    app().status(&pool).await.unwrap();
    settle().await;
    let status = proxy.round_trips();
    proxy.reset();
    app().verify(&pool).await.unwrap();
    settle().await;
    assert_eq!(proxy.round_trips(), status + 1, "{}", proxy.message_kinds());
}

#[tokio::test]
async fn the_lease_strategys_lock_table_is_not_drift() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let migrations = app();
    let migrator = || {
        migrations
            .migrator()
            .lock_strategy(migrate::LockStrategy::Lease)
    };
    migrator().run(&pool).await.unwrap();
    let lock_table: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('schema_migrations_lock')::text")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(lock_table.is_some(), "the lease run made no lock table");
    let drift = migrator().drift(&pool).await.unwrap();
    assert!(drift.differences.is_empty(), "{drift}");
    migrator().verify(&pool).await.unwrap();
}
