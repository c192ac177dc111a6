// `#![deny(hazards)]` makes every hazard of the list an error.
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    #![deny(hazards)]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint, email text);",
    "002_users_email_idx" => "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);",
    "003_orders_user_fk" => "
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'orders_user_fk') THEN
                ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
            END IF;
        END
        $$;
        ALTER TABLE users ALTER COLUMN email SET NOT NULL;
    ",
};

fn main() {}
