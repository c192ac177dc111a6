//! A list checked against its lock file: appending a migration builds, and so does a locked
//! migration whose whitespace and comments changed (its checksum did not).

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #![lock("../../../../tests/ui/fixtures/three.lock")]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "002_notes" => "
        -- the notes users write
        CREATE TABLE IF NOT EXISTS notes (
            id bigint
        );
    ",
    "003_tags" => "CREATE TABLE IF NOT EXISTS tags (id bigint);",
    "004_labels" => "CREATE TABLE IF NOT EXISTS labels (id bigint);",
};

fn main() {
    assert_eq!(MIGRATIONS.len(), 4);
    assert!(MIGRATIONS.lock_file().is_some_and(|p| p.ends_with("tests/ui/fixtures/three.lock")));
}
