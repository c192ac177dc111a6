use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_drop_legacy" => "DROP TABLE legacy_users;",
};

fn main() {}
