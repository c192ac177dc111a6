// No warning at all (`deny(warnings)`): the safe patterns, hazards on a table the same entry
// creates (new and empty, unknown to the running release), and hazards allowed with a reason.
#![deny(warnings)]

use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    #![deny(hazards)]
    "001_users" => "
        CREATE TABLE IF NOT EXISTS users (id int, email text, nickname text);
        CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);
        ALTER TABLE users ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();
        ALTER TABLE users ALTER COLUMN id TYPE bigint;
        ALTER TABLE users ALTER COLUMN email SET NOT NULL;
        ALTER TABLE users DROP COLUMN IF EXISTS nickname;
    ",
    #[no_transaction]
    "002_users_token_idx" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_token_idx ON users (token);",
    "003_orders" => "CREATE TABLE IF NOT EXISTS orders (id bigint, user_id bigint);",
    "004_orders_user_fk" => "
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'orders_user_fk') THEN
                ALTER TABLE orders ADD CONSTRAINT orders_user_fk
                    FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
            END IF;
        END
        $$;
    ",
    "005_orders_user_fk_valid" => "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
    #[allow(ban_drop_column, reason = "no release reads orders.legacy since 2.3")]
    "006_drop_legacy" => "ALTER TABLE orders DROP COLUMN IF EXISTS legacy;",
    #[allow(hazards, reason = "orders is still empty in every deployment")]
    "007_orders_idx" => "CREATE INDEX IF NOT EXISTS orders_user_idx ON orders (user_id);",
};

fn main() {
    assert_eq!(MIGRATIONS.len(), 7);
}
