use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => "
        DO $$
        BEGIN
            CREATE TABLE users (id bigint);
        END
        $$;
    ",
};

fn main() {}
