use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[allow(missing_if_not_exist, reason = "created by the platform team's bootstrap")]
    "001_create_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
};

fn main() {}
