// Renaming and dropping a column break the running release: denied, they fail the build. A
// rename has no guard syntax, so it sits in a guarding DO block, where squawk cannot see it:
// `#[allow(unguarded_statement)]` keeps it at top level for this case.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #![deny(hazards)]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint, nickname text, name text);",
    #[allow(unguarded_statement, reason = "a ui case: the rename itself is the point")]
    "002_rename_name" => "ALTER TABLE users RENAME COLUMN name TO full_name;",
    "003_drop_nickname" => "ALTER TABLE users DROP COLUMN IF EXISTS nickname;",
};

fn main() {}
