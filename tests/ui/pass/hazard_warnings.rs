// Hazards are warnings: the list builds, the warnings are shown (see
// tests/ui/fail/hazard_*_warning.rs for their text).
use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id int, email text, nickname text);",
    "002_users_email_idx" => "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);",
    "003_users_id_bigint" => "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
    "004_drop_nickname" => "ALTER TABLE users DROP COLUMN IF EXISTS nickname;",
};

fn main() {
    assert_eq!(MIGRATIONS.len(), 4);
}
