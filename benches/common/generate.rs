//! Generated "realistic" migrations: what an application's history looks like after a few
//! years, written the idempotent way so the checker passes.
//!
//! Every tenth migration creates a table with several columns and a named index; the others
//! add a column and index it; every 25th adds a named CHECK constraint in a guarded `DO` block;
//! every 50th replaces a view; every 100th builds an index concurrently (non-transactional).

use std::path::Path;

/// The SQL of migration `i` (0-based) and whether it runs outside a transaction.
pub fn migration(i: usize) -> (String, String, bool) {
    let table = format!("t{:04}", i / 10);
    let number = i + 1;
    let (sql, name, no_tx) = if i % 100 == 99 {
        (
            format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_name_email_idx ON {table} (name, email);\n"
            ),
            format!("{table}_name_email_idx"),
            true,
        )
    } else if i.is_multiple_of(10) {
        (
            format!(
                "CREATE TABLE IF NOT EXISTS {table} (\n    \
                 id BIGSERIAL PRIMARY KEY,\n    \
                 name TEXT NOT NULL,\n    \
                 email TEXT,\n    \
                 status SMALLINT NOT NULL DEFAULT 0,\n    \
                 payload JSONB NOT NULL DEFAULT '{{}}'::jsonb,\n    \
                 created_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n    \
                 updated_at TIMESTAMPTZ\n\
             );\n\
             CREATE INDEX IF NOT EXISTS {table}_created_at_idx ON {table} (created_at);\n"
            ),
            format!("create_{table}"),
            false,
        )
    } else if i % 25 == 24 {
        (
            format!(
                "-- Status values are small and never negative.\n\
             DO $$\n\
             BEGIN\n    \
                 IF NOT EXISTS (\n        \
                     SELECT 1 FROM pg_constraint WHERE conname = '{table}_status_{number}_check'\n    \
                 ) THEN\n        \
                     ALTER TABLE {table} ADD CONSTRAINT {table}_status_{number}_check CHECK (status >= 0);\n    \
                 END IF;\n\
             END\n\
             $$;\n"
            ),
            format!("{table}_status_check"),
            false,
        )
    } else if i % 50 == 45 {
        (
            format!(
                "CREATE OR REPLACE VIEW {table}_active AS\n    \
                 SELECT id, name, email, created_at FROM {table} WHERE status = 0;\n"
            ),
            format!("{table}_active_view"),
            false,
        )
    } else {
        let column = format!("c{number}");
        let kind = [
            "TEXT",
            "BIGINT",
            "BOOLEAN NOT NULL DEFAULT false",
            "TIMESTAMPTZ",
        ][i % 4];
        (
            format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind};\n\
             CREATE INDEX IF NOT EXISTS {table}_{column}_idx ON {table} ({column});\n"
            ),
            format!("{table}_add_{column}"),
            false,
        )
    };
    (format!("{number:04}_{name}"), sql, no_tx)
}

/// Writes `n` generated migrations to `dir` as `<version>.sql` files (non-transactional ones
/// start with `-- migrate:no_transaction`).
pub fn write_dir(dir: &Path, n: usize) {
    for i in 0..n {
        let (version, sql, no_tx) = migration(i);
        let text = if no_tx {
            format!("-- migrate:no_transaction\n{sql}")
        } else {
            sql
        };
        std::fs::write(dir.join(format!("{version}.sql")), text)
            .expect("cannot write a generated migration");
    }
}
