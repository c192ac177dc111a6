// The down drops the column but forgets the index its up creates: the help is the missing drop.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[down("ALTER TABLE users DROP COLUMN IF EXISTS email;")]
    "001_users_email" => "
        ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;
        CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);
    ",
};

fn main() {}
