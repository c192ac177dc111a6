// The example at the top of design.md, verbatim: it must compile without any diagnostic.
#![deny(warnings)]

use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    "001_initial_tables" => "
        CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);
    ",
    "002_user_position" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS position TEXT;",
    #[no_transaction]
    "003_users_email_idx" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
};

fn main() {
    assert_eq!(MIGRATIONS.len(), 3);
    assert!(
        !MIGRATIONS
            .get("003_users_email_idx")
            .unwrap()
            .is_transactional()
    );
}
