use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[transactional(false)]
    "001_create_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
};

fn main() {}
