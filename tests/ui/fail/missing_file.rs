use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_create_users" => file("migrations/001_create_users.sql"),
};

fn main() {}
