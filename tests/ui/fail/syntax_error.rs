use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "
        CREATE TABLE IF NOT EXISTS users (
            id bigint,
            email text
        ;
    ",
};

fn main() {}
