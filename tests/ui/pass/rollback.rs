// One entry per object kind the down is checked for, each with the down that reverts it; a
// down from a file; a parent's drop covering its children; `#[irreversible]`.
use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    #[down("DROP SCHEMA IF EXISTS app;")]
    "001_schema" => "CREATE SCHEMA IF NOT EXISTS app;",
    #[down("DROP TABLE IF EXISTS accounts;")]
    "002_table" => "CREATE TABLE IF NOT EXISTS accounts (id bigint PRIMARY KEY, active boolean);",
    #[down("ALTER TABLE accounts DROP COLUMN IF EXISTS email;")]
    "003_column" => "ALTER TABLE accounts ADD COLUMN IF NOT EXISTS email text;",
    #[down("DROP INDEX IF EXISTS accounts_email_idx;")]
    "004_index" => "CREATE INDEX IF NOT EXISTS accounts_email_idx ON accounts (email);",
    #[down("ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_email_check;")]
    "005_constraint" => "
        DO $$ BEGIN
            ALTER TABLE accounts ADD CONSTRAINT accounts_email_check CHECK (email <> '');
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
    ",
    #[down("DROP TYPE IF EXISTS mood;")]
    "006_type" => "
        DO $$ BEGIN
            CREATE TYPE mood AS ENUM ('sad', 'ok');
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
    ",
    #[down("DROP FUNCTION IF EXISTS touch;")]
    "007_function" => "
        CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RETURN NEW; END $$;
    ",
    #[down(file("../../../../tests/ui/fixtures/rollback_view.down.sql"))]
    "008_view" => "CREATE OR REPLACE VIEW active_accounts AS SELECT id FROM accounts WHERE active;",
    #[down("DROP TRIGGER IF EXISTS accounts_touch ON accounts;")]
    "009_trigger" => "
        CREATE OR REPLACE TRIGGER accounts_touch BEFORE UPDATE ON accounts
        FOR EACH ROW EXECUTE FUNCTION touch();
    ",
    #[down("DROP SEQUENCE IF EXISTS invoice_numbers;")]
    "010_sequence" => "CREATE SEQUENCE IF NOT EXISTS invoice_numbers;",
    #[down("DROP POLICY IF EXISTS accounts_active ON accounts;")]
    "011_policy" => "
        DO $$ BEGIN
            CREATE POLICY accounts_active ON accounts USING (active);
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
    ",
    // The table's drop removes its column, index and constraint with it.
    #[down("DROP TABLE IF EXISTS notes;")]
    "012_parent" => "
        CREATE TABLE IF NOT EXISTS notes (id bigint);
        ALTER TABLE notes ADD COLUMN IF NOT EXISTS body text;
        CREATE INDEX IF NOT EXISTS notes_body_idx ON notes (body);
    ",
    // A schema's drop with CASCADE removes what the up created in it.
    #[down("DROP SCHEMA IF EXISTS audit CASCADE;")]
    "013_schema_contents" => "
        CREATE SCHEMA IF NOT EXISTS audit;
        CREATE TABLE IF NOT EXISTS audit.events (id bigint);
    ",
    #[no_transaction]
    #[down("DROP INDEX CONCURRENTLY IF EXISTS accounts_active_idx;")]
    "014_concurrent_index" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_active_idx ON accounts (active);",
    #[irreversible(reason = "backfills data the old code cannot tell apart")]
    "015_backfill" => "UPDATE accounts SET active = true WHERE active IS NULL;",
};

fn main() {
    let list: Vec<_> = MIGRATIONS.iter().collect();
    assert_eq!(list.len(), 15);
    assert_eq!(list[1].down().unwrap().sql(), "DROP TABLE IF EXISTS accounts;");
    assert_eq!(
        list[7].down().unwrap().statements().next().unwrap().sql,
        "DROP VIEW IF EXISTS active_accounts"
    );
    assert!(list[14].down().is_none());
    assert_eq!(
        list[14].irreversible_reason(),
        Some("backfills data the old code cannot tell apart")
    );
}
