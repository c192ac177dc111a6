// A realistic history: tables, indexes, a foreign key, a later ADD COLUMN, a concurrent index
// outside a transaction, raw strings, doc comments on entries, a trailing-comma-free list, and
// the same list as a `const`.
#![deny(warnings)]

use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    /// Accounts.
    "0001_create_users" => r#"
        CREATE TABLE IF NOT EXISTS users (
            id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            email      TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (lower(email));
    "#,
    "0002_create_orders" => r#"
        CREATE TABLE IF NOT EXISTS orders (
            id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id    BIGINT NOT NULL,
            total      NUMERIC(12, 2) NOT NULL,
            "placed at" TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
        );
        CREATE INDEX IF NOT EXISTS orders_user_id_idx ON orders (user_id);
    "#,
    "0003_create_order_items" => "
        CREATE TABLE IF NOT EXISTS order_items (
            order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
            sku      TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (order_id, sku)
        );
    ",
    #[allow(ban_drop_column, reason = "no release reads users.name since 0003")]
    "0004_users_display_name" => "
        ALTER TABLE users ADD COLUMN IF NOT EXISTS display_name TEXT;
        ALTER TABLE users DROP COLUMN IF EXISTS legacy_flag;
        CREATE OR REPLACE VIEW active_users AS SELECT id, email FROM users;
    ",
    #[no_transaction]
    "0005_orders_placed_at_idx" => r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_placed_at_idx ON orders ("placed at");"#,
    "0010_sessions" => "
        CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, user_id BIGINT NOT NULL);
        INSERT INTO schema_info (key, value) VALUES ('sessions', 'v1') ON CONFLICT (key) DO NOTHING;
    "
};

pub const AS_CONST: Migrations = migrations! {
    "1_a" => "CREATE SCHEMA IF NOT EXISTS app;",
};

fn main() {
    let numbers: Vec<i64> = MIGRATIONS.iter().map(|m| m.number()).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 10]);
    assert_eq!(AS_CONST.len(), 1);
}
