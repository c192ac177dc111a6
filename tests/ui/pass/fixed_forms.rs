// The fixed form of every failing case in tests/ui/fail, in the same order: each compiles
// without a diagnostic.
#![deny(warnings)]

use migrate::{Migrations, migrations};

pub static FIXED: Migrations = migrations! {
    // syntax_error
    "001_create_users" => "
        CREATE TABLE IF NOT EXISTS users (
            id bigint,
            email text
        );
    ",
    // empty_migration: an entry holds at least one statement
    "002_todo" => "
        -- to be written
        SELECT 1;
    ",
    // transaction_control: the runner owns the transaction
    "003_create_accounts" => "CREATE TABLE IF NOT EXISTS accounts (id bigint);",
    // requires_no_transaction
    #[no_transaction]
    "004_users_email_idx" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
    // missing_if_not_exists
    "005_create_people" => "CREATE TABLE IF NOT EXISTS people (id bigint PRIMARY KEY, email text NOT NULL);",
    // missing_if_exists
    #[allow(ban_drop_table, reason = "no release reads legacy_users")]
    "006_drop_legacy" => "DROP TABLE IF EXISTS legacy_users;",
    // missing_or_replace
    "007_active_users" => "CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;",
    // unnamed_index
    #[allow(hazards, reason = "a ui case for the idempotent forms")]
    "008_users_email" => "CREATE INDEX IF NOT EXISTS users_email_lookup_idx ON users (email);",
    // unnamed_constraint (named, and guarded because ADD CONSTRAINT has no IF NOT EXISTS)
    #[allow(constraint_missing_not_valid, reason = "users is small")]
    "009_users_id_positive" => "
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('users') AND conname = 'users_id_check') THEN
            ALTER TABLE users ADD CONSTRAINT users_id_check CHECK (id > 0);
          END IF;
        END $$;
    ",
    // unguarded_statement
    "010_mood" => "
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood' AND typnamespace = current_schema()::regnamespace) THEN
            CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
          END IF;
        END $$;
    ",
    // if_exists_wrong_level
    "011_users_email" => "ALTER TABLE IF EXISTS users ADD COLUMN IF NOT EXISTS email text;",
    // insert_without_on_conflict
    "012_default_settings" => "INSERT INTO settings (key, value) VALUES ('theme', 'dark') ON CONFLICT (key) DO NOTHING;",
    // destructive_rerun: delete only what the migration means to delete
    "013_reset_audit" => "DELETE FROM audit_log WHERE created_at < '2024-01-01';",
    // not_guardable: databases are provisioned outside migrations; a schema is guardable
    "014_analytics_schema" => "CREATE SCHEMA IF NOT EXISTS analytics;",
    // unchecked_dynamic_sql: static SQL the checker can see
    "015_events" => "CREATE TABLE IF NOT EXISTS events_2026 (id bigint);",
    // unguarded DDL inside a DO block
    "016_create_members" => "
        DO $$
        BEGIN
            CREATE TABLE IF NOT EXISTS members (id bigint);
        END
        $$;
    ",
    // broad_exception_guard: catch only the condition a second run raises
    "017_feeling" => "
        DO $$
        BEGIN
            CREATE TYPE feeling AS ENUM ('sad', 'ok');
        EXCEPTION
            WHEN duplicate_object THEN NULL;
        END
        $$;
    ",
    // on_conflict_without_target: name the unique key
    "018_default_tags" => "INSERT INTO tags (name) VALUES ('new') ON CONFLICT (name) DO NOTHING;",
    // unguarded_statement: a retype whose USING reads the old type runs while the type is old
    #[allow(changing_column_type, reason = "builds is small")]
    "019_retype" => "
        DO $$
        BEGIN
          IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('builds') AND attname = 'ok' AND atttypid <> 'int'::regtype) THEN
            ALTER TABLE builds ALTER COLUMN ok TYPE int USING CASE WHEN ok THEN 1 ELSE 0 END;
          END IF;
        END $$;
    ",
    // unguarded_statement: a data move out of a table the entry drops runs while it exists
    #[allow(ban_drop_table, reason = "no release reads tokens")]
    "020_move_tokens" => "
        DO $$
        BEGIN
          IF to_regclass('tokens') IS NOT NULL THEN
            UPDATE emails SET token = tokens.token FROM tokens WHERE tokens.email_id = emails.id;
          END IF;
        END $$;
        DROP TABLE IF EXISTS tokens;
    ",
    // unguarded_statement: USING INDEX re-attaches only while the index has its own name
    #[allow(ban_drop_constraint, reason = "the new key replaces it at once")]
    "021_reattach_pk" => "
        DO $$
        BEGIN
          IF to_regclass('downloads_unique') IS NOT NULL THEN
            ALTER TABLE downloads DROP CONSTRAINT IF EXISTS downloads_pkey, ADD CONSTRAINT downloads_pkey PRIMARY KEY USING INDEX downloads_unique;
          END IF;
        END $$;
    ",
};

fn main() {
    assert_eq!(FIXED.len(), 21);
}
