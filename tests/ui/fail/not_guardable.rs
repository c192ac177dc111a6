use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[no_transaction]
    "001_analytics_db" => "CREATE DATABASE analytics;",
};

fn main() {}
