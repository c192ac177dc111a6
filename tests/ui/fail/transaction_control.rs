use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "
        BEGIN;
        CREATE TABLE IF NOT EXISTS users (id bigint);
        COMMIT;
    ",
};

fn main() {}
