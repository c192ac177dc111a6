use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_default_settings" => "INSERT INTO settings (key, value) VALUES ('theme', 'dark');",
};

fn main() {}
