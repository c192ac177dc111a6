use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[allow(missing_if_not_exists, reason = "  ")]
    "001_create_users" => "CREATE TABLE users (id bigint);",
};

fn main() {}
