// `down_drops_foreign` is a warning: the down drops a table its up only altered, destroying
// what existed before the up. Denying warnings here makes trybuild record its exact text.
#![deny(deprecated)]

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS users;")]
    "002_users_email" => "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;",
};

fn main() {}
