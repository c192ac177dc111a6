use migrate::{Migrations, migrations};

// The lock file holds 001_users, 002_notes and 003_tags as released.
static MIGRATIONS: Migrations = migrations! {
    #![lock("../../../../tests/ui/fixtures/three.lock")]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "002_notes" => "CREATE TABLE IF NOT EXISTS notes (id bigint, body text);",
    "003_tags" => "CREATE TABLE IF NOT EXISTS tags (id bigint);",
};

fn main() {}
