// A down runs again after a half-failed rollback: it gets the rules of an up.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[down("DROP TABLE people;")]
    "001_people" => "CREATE TABLE IF NOT EXISTS people (id bigint);",
};

fn main() {}
