// The down drops the index but forgets the column its up adds.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #[down("DROP INDEX IF EXISTS users_email_idx;")]
    "001_users_email" => "
        ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;
        CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);
    ",
};

fn main() {}
