// `#[allow]` with a reason: the whole idempotency family, one rule, several stacked.
#![deny(warnings)]

use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    #[allow(non_idempotent, reason = "runs once on a fresh database created by the installer")]
    "001_bootstrap" => "
        CREATE TABLE users (id bigint);
        CREATE INDEX ON users (id);
    ",
    #[allow(missing_if_not_exists, reason = "fails loudly on purpose if a stray table exists")]
    "002_audit" => "CREATE TABLE audit (id bigint);",
    #[allow(unnamed_index, reason = "legacy index, kept as originally deployed")]
    #[allow(insert_without_on_conflict, reason = "the table is truncated by the previous step")]
    #[allow(require_concurrent_index_creation, reason = "users is small")]
    "003_seed" => "
        CREATE INDEX ON users (id);
        INSERT INTO audit (id) VALUES (1);
    ",
    #[allow(missing_if_not_exists, unnamed_index, reason = "several rules in one attribute")]
    #[no_transaction]
    "004_concurrent" => "CREATE INDEX CONCURRENTLY ON audit (id);",
};

fn main() {
    assert_eq!(MIGRATIONS.len(), 4);
    assert!(!MIGRATIONS.get("004_concurrent").unwrap().is_transactional());
}
