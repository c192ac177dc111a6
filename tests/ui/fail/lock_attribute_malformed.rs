use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #![lock]
    #![locked("migrations.lock")]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
};

fn main() {}
