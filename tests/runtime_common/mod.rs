//! Helpers shared by the runtime tests: migrations built at run time from simple SQL.
#![allow(dead_code)]

use migrate::{Migration, Migrations, TransactionMode};

/// A transactional migration.
pub fn tx(version: &str, sql: &str) -> Migration {
    Migration::new(version, sql, TransactionMode::Transaction).unwrap()
}

/// A `#[no_transaction]` migration.
pub fn no_tx(version: &str, sql: &str) -> Migration {
    Migration::new(version, sql, TransactionMode::NoTransaction).unwrap()
}

/// A list, checked.
pub fn list(migrations: Vec<Migration>) -> Migrations {
    Migrations::from_vec(migrations).unwrap()
}

/// The history table's rows: (version, state, progress).
pub async fn history(pool: &sqlx::PgPool, table: &str) -> Vec<(String, String, i32)> {
    sqlx::query_as(&format!(
        "SELECT version, state, progress FROM {table} ORDER BY version"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Whether a relation exists.
pub async fn exists(pool: &sqlx::PgPool, relation: &str) -> bool {
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(relation)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The three migrations most tests use.
pub fn basic() -> Migrations {
    list(vec![
        tx(
            "001_users",
            "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);",
        ),
        tx(
            "002_user_position",
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS position TEXT;\nCREATE INDEX IF NOT EXISTS users_email_idx ON users (email);",
        ),
        no_tx(
            "003_users_position_idx",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_position_idx ON users (position);",
        ),
    ])
}
