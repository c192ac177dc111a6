use migrate::{Migrations, migrations};

const SQL: &str = "CREATE TABLE IF NOT EXISTS users (id bigint);";

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => SQL,
};

fn main() {}
