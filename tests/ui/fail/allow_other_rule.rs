// An `#[allow]` for one rule silences that rule only: the CREATE TABLE is still reported.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[allow(unnamed_index, reason = "legacy index, kept as originally deployed")]
    "001_create_users" => "
        CREATE TABLE users (id bigint);
        CREATE INDEX ON users (id);
    ",
};

fn main() {}
