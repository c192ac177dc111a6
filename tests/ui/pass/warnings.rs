// A checker warning (here `broad_exception_guard`) is reported but does not fail the build.
use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    "001_mood" => "
        DO $$
        BEGIN
            CREATE TYPE mood AS ENUM ('sad', 'ok');
        EXCEPTION
            WHEN others THEN NULL;
        END
        $$;
    ",
};

// The same finding, silenced for one item like any other warning.
#[allow(deprecated)]
pub static SILENCED: Migrations = migrations! {
    "001_mood" => "
        DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad'); EXCEPTION WHEN others THEN NULL; END $$;
    ",
};

fn main() {
    assert_eq!(MIGRATIONS.len(), 1);
    assert_eq!(SILENCED.len(), 1);
}
