//! Rollback against real PostgreSQL: downs revert to the exact earlier schema, an older binary
//! reverts newer migrations from the stored downs, a failing down rolls back its own step.

mod support;

use migrate::{Error, Migrations, migrations};
use sqlx::PgPool;

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

async fn snapshot(list: &Migrations, pool: &PgPool) -> migrate::schema::Snapshot {
    list.migrator().snapshot(pool).await.unwrap()
}

async fn versions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The first `n` migrations of `list`, as a list of their own.
fn prefix(list: &Migrations, n: usize) -> Migrations {
    Migrations::from_vec(list.iter().take(n).cloned().collect()).unwrap()
}

#[tokio::test]
async fn up_down_to_zero_up_gives_the_same_schema() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let empty = snapshot(&FULL, &pool).await;
    FULL.run(&pool).await.unwrap();
    let first = snapshot(&FULL, &pool).await;
    assert!(
        first.len() > empty.len() + 10,
        "the list created its objects"
    );

    let plan = FULL.migrator().revert_to(&pool, "0").await.unwrap();
    assert_eq!(plan.steps.len(), 12);
    assert_eq!(plan.steps[0].version, "012_concurrent_index");
    assert!(!plan.steps[0].transactional);
    assert_eq!(
        snapshot(&FULL, &pool).await,
        empty,
        "down to zero restores the empty schema"
    );
    assert!(versions(&pool).await.is_empty());

    FULL.run(&pool).await.unwrap();
    assert_eq!(
        snapshot(&FULL, &pool).await,
        first,
        "up again gives the first up's schema"
    );
}

#[tokio::test]
async fn each_step_down_equals_applying_only_the_prefix() {
    let full = support::TestDb::new().await;
    let pool = full.pool().await;
    FULL.run(&pool).await.unwrap();
    let versions_in_order: Vec<String> = FULL.iter().map(|m| m.version().to_owned()).collect();
    for n in (1..FULL.len()).rev() {
        FULL.migrator()
            .revert_to(&pool, &versions_in_order[n - 1])
            .await
            .unwrap();
        let reverted = snapshot(&FULL, &pool).await;

        let fresh = support::TestDb::new().await;
        let fresh_pool = fresh.pool().await;
        let only = prefix(&FULL, n);
        only.run(&fresh_pool).await.unwrap();
        let applied = snapshot(&only, &fresh_pool).await;
        fresh_pool.close().await;
        assert_eq!(
            reverted,
            applied,
            "down to {} ≠ applying 1..{n}",
            versions_in_order[n - 1]
        );
    }
    pool.close().await;
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
