use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "002-Add-Email" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;",
};

fn main() {}
