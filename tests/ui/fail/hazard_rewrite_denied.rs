// One hazard denied by name (the Rust spelling of squawk's `adding-field-with-default`) fails
// the build.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #![deny(adding_field_with_default)]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint, email text);",
    "002_users_token" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();",
};

fn main() {}
