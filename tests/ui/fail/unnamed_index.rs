use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_users_email" => "CREATE INDEX ON users (email);",
};

fn main() {}
