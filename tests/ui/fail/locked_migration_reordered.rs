use migrate::{Migrations, migrations};

// The lock file holds 001_users, 002_notes and 003_tags as released. Here two locked
// migrations swapped places, and in the second list a new migration was slipped in before a
// locked one.
static MIGRATIONS: Migrations = migrations! {
    #![lock("../../../../tests/ui/fixtures/three.lock")]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "003_tags" => "CREATE TABLE IF NOT EXISTS tags (id bigint);",
    "002_notes" => "CREATE TABLE IF NOT EXISTS notes (id bigint);",
};

static INSERTED: Migrations = migrations! {
    #![lock("../../../../tests/ui/fixtures/three.lock")]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "002_notes" => "CREATE TABLE IF NOT EXISTS notes (id bigint);",
    "0025_labels" => "CREATE TABLE IF NOT EXISTS labels (id bigint);",
    "003_tags" => "CREATE TABLE IF NOT EXISTS tags (id bigint);",
};

fn main() {}
