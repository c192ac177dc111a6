use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);",
};

fn main() {}
