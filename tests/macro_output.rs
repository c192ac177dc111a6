//! The value `migrations!` expands to: order, lookups, every field of every entry.

use migrate::{Checksum, Migrations, TransactionMode, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "
        CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);
        ALTER TABLE users ADD COLUMN IF NOT EXISTS position TEXT;
    ",
    /// Doc comments document an entry and change nothing.
    "002_orders" => file("tests/ui/fixtures/002_orders.sql"),
    #[no_transaction]
    "9_users_email_idx" => r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_idx" ON users (email);"#,
    "10_after_nine" => "ALTER TABLE orders ADD COLUMN IF NOT EXISTS note TEXT;"
};

const ORDERS_SQL: &str = include_str!("ui/fixtures/002_orders.sql");

#[test]
fn keeps_declaration_order_and_numeric_numbers() {
    assert_eq!(MIGRATIONS.len(), 4);
    assert!(!MIGRATIONS.is_empty());
    let versions: Vec<&str> = MIGRATIONS.iter().map(|m| m.version()).collect();
    assert_eq!(
        versions,
        [
            "001_create_users",
            "002_orders",
            "9_users_email_idx",
            "10_after_nine"
        ]
    );
    let numbers: Vec<i64> = MIGRATIONS.iter().map(|m| m.number()).collect();
    assert_eq!(numbers, [1, 2, 9, 10]);
    let names: Vec<&str> = MIGRATIONS.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        ["create_users", "orders", "users_email_idx", "after_nine"]
    );
}

#[test]
fn get_finds_by_full_version_only() {
    let m = MIGRATIONS.get("9_users_email_idx").expect("present");
    assert_eq!(m.number(), 9);
    assert!(MIGRATIONS.get("009_users_email_idx").is_none());
    assert!(MIGRATIONS.get("users_email_idx").is_none());
    assert_eq!(
        MIGRATIONS.get_by_number(10).map(|m| m.version()),
        Some("10_after_nine")
    );
}

#[test]
fn sql_is_kept_exactly_as_written() {
    let first = MIGRATIONS.get("001_create_users").expect("present");
    assert_eq!(
        first.sql(),
        "\n        CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);\n        ALTER TABLE users ADD COLUMN IF NOT EXISTS position TEXT;\n    "
    );
    let raw = MIGRATIONS.get("9_users_email_idx").expect("present");
    assert_eq!(
        raw.sql(),
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"users_email_idx\" ON users (email);"
    );
}

#[test]
fn file_entries_hold_the_file_content() {
    let orders = MIGRATIONS.get("002_orders").expect("present");
    assert_eq!(orders.sql(), ORDERS_SQL);
    assert!(orders.sql().contains("orders_user_id_idx"));
}

#[test]
fn transaction_mode_follows_the_attribute() {
    let modes: Vec<TransactionMode> = MIGRATIONS.iter().map(|m| m.transaction_mode()).collect();
    assert_eq!(
        modes,
        [
            TransactionMode::Transaction,
            TransactionMode::Transaction,
            TransactionMode::NoTransaction,
            TransactionMode::Transaction
        ]
    );
    assert!(
        !MIGRATIONS
            .get("9_users_email_idx")
            .expect("present")
            .is_transactional()
    );
}

#[test]
fn checksum_is_the_core_checksum_of_the_sql() {
    for m in &MIGRATIONS {
        assert_eq!(m.checksum(), Checksum::of_sql(m.sql()), "{}", m.version());
    }
    let checksums: std::collections::HashSet<Checksum> =
        MIGRATIONS.iter().map(|m| m.checksum()).collect();
    assert_eq!(checksums.len(), MIGRATIONS.len());
}

#[cfg(feature = "check")]
#[test]
fn statements_are_the_checkers_spans() {
    for m in &MIGRATIONS {
        let expected = migrate_core_statements(m.sql(), m.transaction_mode());
        assert_eq!(m.statement_spans(), expected.as_slice(), "{}", m.version());
    }
}

#[test]
fn statements_text_is_split_at_build_time() {
    let first = MIGRATIONS.get("001_create_users").expect("present");
    let texts: Vec<(usize, u32, &str)> = first
        .statements()
        .map(|s| (s.number, s.line, s.sql.trim()))
        .collect();
    assert_eq!(
        texts,
        [
            (
                1,
                2,
                "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL)"
            ),
            (
                2,
                3,
                "ALTER TABLE users ADD COLUMN IF NOT EXISTS position TEXT"
            ),
        ]
    );
    let orders: Vec<&str> = MIGRATIONS
        .get("002_orders")
        .expect("present")
        .statements()
        .map(|s| s.sql)
        .collect();
    assert_eq!(orders.len(), 2);
    assert!(orders[1].contains("CREATE INDEX IF NOT EXISTS orders_user_id_idx"));
}

#[test]
fn an_empty_invocation_is_an_empty_list() {
    static NONE: Migrations = migrations! {};
    assert!(NONE.is_empty());
    assert_eq!(NONE.iter().count(), 0);
}

/// What the checker computes at run time, which the macro must have embedded unchanged.
#[cfg(feature = "check")]
fn migrate_core_statements(sql: &str, mode: TransactionMode) -> Vec<migrate::StatementSpan> {
    let options = migrate::check::EntryOptions {
        transaction: mode,
        allow: Vec::new(),
        deny: Vec::new(),
    };
    migrate::check::check_sql(sql, &options).statements
}
