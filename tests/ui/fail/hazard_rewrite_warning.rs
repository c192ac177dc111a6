// A rewrite hazard (`changing-column-type`, `adding-field-with-default`) is a warning.
#![deny(deprecated)]

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id int, email text);",
    "002_users_id_bigint" => "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
};

fn main() {}
