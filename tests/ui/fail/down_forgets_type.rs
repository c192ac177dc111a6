// The down drops the table but forgets the enum type its up creates.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS people;")]
    "001_people" => "
        DO $$ BEGIN
            CREATE TYPE mood AS ENUM ('sad', 'ok');
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
        CREATE TABLE IF NOT EXISTS people (id bigint, current_mood mood);
    ",
};

fn main() {}
