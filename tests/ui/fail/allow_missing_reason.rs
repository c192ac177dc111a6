use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[allow(non_idempotent)]
    "001_create_users" => "CREATE TABLE users (id bigint);",
};

fn main() {}
