use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_active_users" => "CREATE VIEW active_users AS SELECT id FROM users;",
};

fn main() {}
