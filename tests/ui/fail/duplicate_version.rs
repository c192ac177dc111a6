use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "006_feature_a" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS a text;",
    "006_feature_b" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS b text;",
};

fn main() {}
