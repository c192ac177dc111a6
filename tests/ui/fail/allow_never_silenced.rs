use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[allow(syntax_error, reason = "PostgreSQL 18 syntax")]
    "001_create_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
};

fn main() {}
