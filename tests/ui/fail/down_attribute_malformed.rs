use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[down(DROP TABLE t)]
    "001_t" => "CREATE TABLE IF NOT EXISTS t (id bigint);",
    #[irreversible]
    "002_u" => "CREATE TABLE IF NOT EXISTS u (id bigint);",
    #[down("DROP TABLE IF EXISTS v;")]
    #[irreversible(reason = "data")]
    "003_v" => "CREATE TABLE IF NOT EXISTS v (id bigint);",
};

fn main() {}
