use migrate::{Migrations, migrations};

// Every problem is reported in one build, each at its own entry.
static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "1_again" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS a text;",
    #[allow(non_idempotent)]
    "003_b" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS b text;",
    "2_c" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS c text;",
    "four_d" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS d text;",
    #[retry]
    "005_e" => file("missing/005_e.sql"),
};

fn main() {}
