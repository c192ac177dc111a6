use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_users_email" => "ALTER TABLE IF EXISTS users ADD COLUMN email text;",
};

fn main() {}
