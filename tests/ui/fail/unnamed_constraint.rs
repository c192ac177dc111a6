use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_users_id_positive" => "ALTER TABLE users ADD CHECK (id > 0);",
};

fn main() {}
