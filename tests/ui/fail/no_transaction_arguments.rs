use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[no_transaction(true)]
    "001_users_email_idx" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
};

fn main() {}
