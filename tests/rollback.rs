//! Rollback against real PostgreSQL: downs revert to the exact earlier schema, an older binary
//! reverts newer migrations from the stored downs, a failing down rolls back its own step.

mod support;

use migrate::Reversibility;
use migrate::{Error, Migrations, migrations};
use sqlx::PgPool;
use support::rollback::{
    assert_each_step_equals_prefix, assert_round_trip, prefix, snapshot, versions,
};

/// One of every object kind the down check knows, each with its down.
static FULL: Migrations = migrations! {
    #[down("DROP SCHEMA IF EXISTS app;")]
    "001_schema" => "CREATE SCHEMA IF NOT EXISTS app;",
    #[down("DROP TABLE IF EXISTS app.accounts;")]
    "002_table" => "CREATE TABLE IF NOT EXISTS app.accounts (id bigint PRIMARY KEY, active boolean);",
    #[down("ALTER TABLE app.accounts DROP COLUMN IF EXISTS email;")]
    "003_column" => "ALTER TABLE app.accounts ADD COLUMN IF NOT EXISTS email text;",
    #[allow(hazards, reason = "a test table, empty")]
    #[down("DROP INDEX IF EXISTS app.accounts_email_idx;")]
    "004_index" => "CREATE INDEX IF NOT EXISTS accounts_email_idx ON app.accounts (email);",
    #[allow(hazards, reason = "a test table, empty")]
    #[down("ALTER TABLE app.accounts DROP CONSTRAINT IF EXISTS accounts_email_check;")]
    "005_constraint" => "
        DO $$ BEGIN
            ALTER TABLE app.accounts ADD CONSTRAINT accounts_email_check CHECK (email <> '');
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
    ",
    #[down("DROP TYPE IF EXISTS app.mood;")]
    "006_type" => "
        DO $$ BEGIN
            CREATE TYPE app.mood AS ENUM ('sad', 'ok');
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
    ",
    #[down("DROP FUNCTION IF EXISTS app.touch;")]
    "007_function" => "
        CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RETURN NEW; END $$;
    ",
    #[down("DROP VIEW IF EXISTS app.active_accounts;")]
    "008_view" => "CREATE OR REPLACE VIEW app.active_accounts AS SELECT id FROM app.accounts WHERE active;",
    #[down("DROP TRIGGER IF EXISTS accounts_touch ON app.accounts;")]
    "009_trigger" => "
        CREATE OR REPLACE TRIGGER accounts_touch BEFORE UPDATE ON app.accounts
        FOR EACH ROW EXECUTE FUNCTION app.touch();
    ",
    #[down("DROP SEQUENCE IF EXISTS app.invoice_numbers;")]
    "010_sequence" => "CREATE SEQUENCE IF NOT EXISTS app.invoice_numbers;",
    #[down("DROP POLICY IF EXISTS accounts_active ON app.accounts;")]
    "011_policy" => "
        DO $$ BEGIN
            CREATE POLICY accounts_active ON app.accounts USING (active);
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
    ",
    #[no_transaction]
    #[down("DROP INDEX CONCURRENTLY IF EXISTS app.accounts_active_idx;")]
    "012_concurrent_index" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_active_idx ON app.accounts (active);",
};

/// The newer release: migrations 1–5.
static NEWER: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS a;")]
    "001_a" => "CREATE TABLE IF NOT EXISTS a (id bigint);",
    #[down("DROP TABLE IF EXISTS b;")]
    "002_b" => "CREATE TABLE IF NOT EXISTS b (id bigint);",
    #[down("DROP TABLE IF EXISTS c;")]
    "003_c" => "CREATE TABLE IF NOT EXISTS c (id bigint);",
    #[down("ALTER TABLE c DROP COLUMN IF EXISTS note;")]
    "004_c_note" => "ALTER TABLE c ADD COLUMN IF NOT EXISTS note text;",
    #[allow(hazards, reason = "a test table, empty")]
    #[down("DROP INDEX IF EXISTS c_note_idx;")]
    "005_c_note_idx" => "CREATE INDEX IF NOT EXISTS c_note_idx ON c (note);",
};

/// The previous release: only migrations 1–3 of the same list.
static OLDER: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS a;")]
    "001_a" => "CREATE TABLE IF NOT EXISTS a (id bigint);",
    #[down("DROP TABLE IF EXISTS b;")]
    "002_b" => "CREATE TABLE IF NOT EXISTS b (id bigint);",
    #[down("DROP TABLE IF EXISTS c;")]
    "003_c" => "CREATE TABLE IF NOT EXISTS c (id bigint);",
};

#[tokio::test]
async fn up_down_to_zero_up_gives_the_same_schema() {
    let first = assert_round_trip(&FULL).await;
    assert!(first.len() > 10, "one of every object kind was created");
}

#[tokio::test]
async fn each_step_down_equals_applying_only_the_prefix() {
    assert_each_step_equals_prefix(&FULL).await;
}

#[tokio::test]
async fn an_older_binary_reverts_newer_migrations_from_the_stored_downs() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    NEWER.run(&pool).await.unwrap();

    // The plan says where each down comes from, and runs nothing.
    let plan = OLDER.migrator().revert_plan(&pool, "003_c").await.unwrap();
    let steps: Vec<(&str, bool)> = plan
        .steps
        .iter()
        .map(|s| (s.version.as_str(), s.from_history))
        .collect();
    assert_eq!(steps, [("005_c_note_idx", true), ("004_c_note", true)]);
    assert_eq!(
        plan.steps[0].statements,
        ["DROP INDEX IF EXISTS c_note_idx"]
    );
    assert_eq!(versions(&pool).await.len(), 5);

    OLDER.migrator().revert_to(&pool, "003_c").await.unwrap();
    assert_eq!(versions(&pool).await, ["001_a", "002_b", "003_c"]);
    let fresh = support::TestDb::new().await;
    let fresh_pool = fresh.pool().await;
    OLDER.run(&fresh_pool).await.unwrap();
    assert_eq!(
        snapshot(&OLDER, &pool).await,
        snapshot(&OLDER, &fresh_pool).await
    );
    // And the older binary's own run finds nothing to do.
    let report = OLDER.run(&pool).await.unwrap();
    assert!(report.applied.is_empty());
    fresh_pool.close().await;
    pool.close().await;
}

#[tokio::test]
async fn verify_catches_drift_right_after_a_rollback() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    NEWER.run(&pool).await.unwrap();
    OLDER.migrator().revert_to(&pool, "003_c").await.unwrap();
    // The rollback recorded the reverted schema's fingerprint: it matches, and a change made
    // by hand afterwards is drift (a fingerprint left from before the rollback would count as
    // not recorded, and verify could not tell).
    OLDER.verify(&pool).await.unwrap();
    sqlx::raw_sql("ALTER TABLE c ADD COLUMN hotfix text")
        .execute(&pool)
        .await
        .unwrap();
    let err = OLDER.verify(&pool).await.unwrap_err();
    assert!(matches!(err, Error::Drifted { .. }), "{err}");
    pool.close().await;
}

#[tokio::test]
async fn a_range_with_an_unrevertable_migration_reverts_nothing() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    NEWER.run(&pool).await.unwrap();
    // A row without a stored down, as baselined and adopted rows are.
    sqlx::query("UPDATE schema_migrations SET down_sql = NULL, down_checksum = NULL WHERE version = '004_c_note'")
        .execute(&pool)
        .await
        .unwrap();
    let err = OLDER.migrator().revert_to(&pool, "0").await.unwrap_err();
    let Error::RevertRefused { problems, .. } = &err else {
        panic!("expected RevertRefused, got {err}");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("004_c_note: "), "{}", problems[0]);
    assert!(err.to_string().contains("baselined"), "{err}");
    assert_eq!(versions(&pool).await.len(), 5, "nothing was reverted");

    // A stored down that differs from the code's is refused too.
    sqlx::query("UPDATE schema_migrations SET down_sql = 'SELECT 1', down_checksum = repeat('0', 64) WHERE version = '002_b'")
        .execute(&pool)
        .await
        .unwrap();
    let err = NEWER
        .migrator()
        .revert_to(&pool, "001_a")
        .await
        .unwrap_err();
    let Error::RevertRefused { problems, .. } = &err else {
        panic!("expected RevertRefused, got {err}");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("002_b: its down in the code"),
        "{}",
        problems[0]
    );
    assert_eq!(versions(&pool).await.len(), 5);
    pool.close().await;
}

#[tokio::test]
async fn a_failing_down_rolls_back_its_step_and_names_migration_statement_sqlstate() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    NEWER.run(&pool).await.unwrap();
    // A view on c.note makes the down of 004 fail (2BP01: other objects depend on it).
    sqlx::raw_sql("CREATE VIEW notes AS SELECT note FROM c")
        .execute(&pool)
        .await
        .unwrap();
    let err = NEWER
        .migrator()
        .revert_to(&pool, "003_c")
        .await
        .unwrap_err();
    match &err {
        Error::RevertFailed {
            version,
            statement,
            sqlstate,
            excerpt,
            ..
        } => {
            assert_eq!(version, "004_c_note");
            assert_eq!(*statement, 1);
            assert_eq!(sqlstate.as_deref(), Some("2BP01"));
            assert_eq!(excerpt, "ALTER TABLE c DROP COLUMN IF EXISTS note");
        }
        other => panic!("expected RevertFailed, got {other}"),
    }
    // 005 was reverted before; 004 is still applied with its column.
    assert_eq!(
        versions(&pool).await,
        ["001_a", "002_b", "003_c", "004_c_note"]
    );
    let has_note: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'c' AND column_name = 'note')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(has_note);
    pool.close().await;
}

#[tokio::test]
async fn an_older_history_table_gains_the_down_columns_and_stores_each_down() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    // The table as releases before rollback support created it, with 001 applied.
    let checksum = NEWER.iter().next().unwrap().checksum().to_string();
    sqlx::raw_sql(&format!(
        "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, checksum TEXT, \
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_ms BIGINT, \
         state TEXT NOT NULL DEFAULT 'applied', progress INTEGER NOT NULL DEFAULT 0, error TEXT); \
         CREATE TABLE a (id bigint); \
         INSERT INTO schema_migrations (version, checksum, progress) VALUES ('001_a', '{checksum}', 1);"
    ))
    .execute(&pool)
    .await
    .unwrap();
    NEWER.run(&pool).await.unwrap();
    let stored: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT version, down_sql, down_checksum FROM schema_migrations ORDER BY version",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(stored.len(), 5);
    assert_eq!(
        (stored[0].1.as_deref(), stored[0].2.as_deref()),
        (None, None)
    );
    let b = NEWER.get("002_b").unwrap().down().unwrap();
    assert_eq!(stored[1].1.as_deref(), Some(b.sql()));
    assert_eq!(stored[1].2, Some(b.checksum().to_string()));
    // 001 has no stored down, but the code's down reverts it.
    NEWER.migrator().revert_to(&pool, "0").await.unwrap();
    assert!(versions(&pool).await.is_empty());
}

/// A `#[no_transaction]` down of two statements, the second of which a view can block.
static RESUMABLE: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS r;")]
    "001_r" => "CREATE TABLE IF NOT EXISTS r (id bigint);",
    #[no_transaction]
    #[down("
        DROP INDEX CONCURRENTLY IF EXISTS r_c_idx;
        ALTER TABLE r DROP COLUMN IF EXISTS c;
    ")]
    "002_r_c" => "
        ALTER TABLE r ADD COLUMN IF NOT EXISTS c integer;
        CREATE INDEX CONCURRENTLY IF NOT EXISTS r_c_idx ON r (c);
    ",
};

async fn exists(pool: &PgPool, relation: &str) -> bool {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(relation)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_no_transaction_down_that_fails_at_statement_2_resumes_there() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    RESUMABLE.run(&pool).await.unwrap();
    // A view on r.c makes statement 2 fail (2BP01) after statement 1 dropped the index.
    sqlx::raw_sql("CREATE VIEW r_c AS SELECT c FROM r")
        .execute(&pool)
        .await
        .unwrap();
    let err = RESUMABLE
        .migrator()
        .revert_to(&pool, "001_r")
        .await
        .unwrap_err();
    let Error::RevertStopped {
        version,
        statement,
        sqlstate,
        ..
    } = &err
    else {
        panic!("expected RevertStopped, got {err}");
    };
    assert_eq!(
        (version.as_str(), *statement, sqlstate.as_deref()),
        ("002_r_c", 2, Some("2BP01"))
    );
    assert!(err.to_string().contains("resumes at statement 2"), "{err}");
    assert!(!exists(&pool, "r_c_idx").await, "statement 1 ran");
    let (state, progress, error): (String, i32, Option<String>) = sqlx::query_as(
        "SELECT state, progress, error FROM schema_migrations WHERE version = '002_r_c'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((state.as_str(), progress), ("reverting", 1));
    assert!(error.unwrap().contains("statement 2"));

    // The schema is between two versions: status says so, and a run refuses.
    let status = RESUMABLE.status(&pool).await.unwrap();
    assert!(
        matches!(
            status.migrations[1].state,
            migrate::MigrationState::Reverting { progress: 1, .. }
        ),
        "{status}"
    );
    assert!(
        status.to_string().contains("`migrate down` resumes it"),
        "{status}"
    );
    let refused = RESUMABLE.run(&pool).await.unwrap_err();
    assert!(
        matches!(&refused, Error::RevertUnfinished { version, done: 1 } if version == "002_r_c"),
        "{refused}"
    );

    // The plan resumes at statement 2 and shows only what is left.
    let plan = RESUMABLE
        .migrator()
        .revert_plan(&pool, "001_r")
        .await
        .unwrap();
    assert_eq!(plan.steps[0].resume_after, 1);
    let text = plan.to_string();
    assert!(text.contains("resumes at statement 2"), "{text}");
    assert!(!text.contains("DROP INDEX"), "{text}");

    // Had statement 1 run again, it would drop this index (on another column, so statement 2
    // leaves it): the resumed rollback must skip it.
    sqlx::raw_sql("DROP VIEW r_c; CREATE INDEX r_c_idx ON r (id)")
        .execute(&pool)
        .await
        .unwrap();
    RESUMABLE
        .migrator()
        .revert_to(&pool, "001_r")
        .await
        .unwrap();
    assert_eq!(versions(&pool).await, ["001_r"]);
    let has_c: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'r' AND column_name = 'c')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!has_c, "statement 2 ran on the resumed rollback");
    assert!(
        exists(&pool, "r_c_idx").await,
        "statement 1 did not run again"
    );
    pool.close().await;
}

static WITH_IRREVERSIBLE: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS a;")]
    "001_a" => "CREATE TABLE IF NOT EXISTS a (id bigint);",
    #[irreversible(reason = "copies data out of a")]
    "002_a_copy" => "CREATE TABLE IF NOT EXISTS a_copy AS SELECT * FROM a;",
};

#[tokio::test]
async fn status_says_which_applied_migrations_are_reversible() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    NEWER.run(&pool).await.unwrap();

    // The older binary: its own three are reversible by its code, the newer two by their
    // stored downs.
    let status = OLDER.status(&pool).await.unwrap();
    let kinds: Vec<_> = status
        .migrations
        .iter()
        .map(|m| m.reversibility.clone())
        .collect();
    assert_eq!(kinds, vec![Some(Reversibility::Reversible); 3]);
    assert_eq!(status.unknown_reversible, ["004_c_note", "005_c_note_idx"]);
    let text = status.to_string();
    assert!(
        text.contains("005_c_note_idx  unknown    recorded in the database, not in this program; reversible: its down is stored"),
        "{text}"
    );

    // A down edited since it was applied is not reversible; nor is a row without a down.
    sqlx::raw_sql("UPDATE schema_migrations SET down_sql = 'SELECT 1', down_checksum = repeat('0', 64) WHERE version = '002_b'; \
                   UPDATE schema_migrations SET down_sql = NULL, down_checksum = NULL WHERE version = '005_c_note_idx'")
        .execute(&pool)
        .await
        .unwrap();
    let status = OLDER.status(&pool).await.unwrap();
    assert_eq!(
        status.migrations[1].reversibility,
        Some(Reversibility::DownChanged)
    );
    assert_eq!(status.unknown_reversible, ["004_c_note"]);

    // An #[irreversible] migration says why; a pending one has nothing to revert.
    let other = support::TestDb::new().await;
    let other_pool = other.pool().await;
    let first = prefix(&WITH_IRREVERSIBLE, 1);
    first.run(&other_pool).await.unwrap();
    let status = WITH_IRREVERSIBLE.status(&other_pool).await.unwrap();
    assert_eq!(status.migrations[1].reversibility, None);
    WITH_IRREVERSIBLE.run(&other_pool).await.unwrap();
    let status = WITH_IRREVERSIBLE.status(&other_pool).await.unwrap();
    assert_eq!(
        status.migrations[1].reversibility,
        Some(Reversibility::Irreversible {
            reason: Some("copies data out of a".to_owned())
        })
    );
    assert!(
        status
            .to_string()
            .contains("irreversible: copies data out of a"),
        "{status}"
    );
    other_pool.close().await;
    pool.close().await;
}
