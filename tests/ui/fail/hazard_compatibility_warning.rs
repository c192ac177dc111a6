// A compatibility hazard (`ban-drop-column`): the release still serving reads the column.
#![deny(deprecated)]

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint, nickname text);",
    "002_drop_nickname" => "ALTER TABLE users DROP COLUMN IF EXISTS nickname;",
};

fn main() {}
