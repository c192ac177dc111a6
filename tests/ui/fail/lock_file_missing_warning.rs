// A list that opts into a lock file that does not exist yet builds with a warning (nothing is
// locked until `myapp migrate lock` writes it). Denying warnings makes trybuild record it.
#![deny(deprecated)]

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #![lock("no_such_migrations.lock")]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
};

fn main() {}
