// `broad_exception_guard` is a warning: it does not fail a normal build (see
// tests/ui/pass/warnings.rs). Denying warnings here makes trybuild record its exact text.
#![deny(deprecated)]

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
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

fn main() {}
