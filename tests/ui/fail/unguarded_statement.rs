use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_mood" => "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');",
};

fn main() {}
