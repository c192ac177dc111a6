use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_reset_audit" => "TRUNCATE audit_log;",
};

fn main() {}
