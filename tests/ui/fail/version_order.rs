use migrate::{Migrations, migrations};

// `9_` then `10_` is in order (numbers compare as integers); `8_` after `10_` is not.
static MIGRATIONS: Migrations = migrations! {
    "9_create_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "10_add_email" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;",
    "8_add_name" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS name text;",
};

fn main() {}
