use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_dynamic" => "
        DO $$
        BEGIN
            EXECUTE 'CREATE TABLE IF NOT EXISTS ' || quote_ident('events_' || to_char(now(), 'YYYY')) || ' (id bigint)';
        END
        $$;
    ",
};

fn main() {}
