// A lock hazard (squawk's `require-concurrent-index-creation`) is a warning: a normal build
// passes (see tests/ui/pass/hazard_warnings.rs). Denying warnings records its exact text.
#![deny(deprecated)]

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint, email text);",
    "002_users_email_idx" => "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);",
};

fn main() {}
