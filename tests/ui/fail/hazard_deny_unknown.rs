// Only hazards can be denied; a misspelt one gets a suggestion.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #![deny(ban_drop_colum, unnamed_index)]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
};

fn main() {}
