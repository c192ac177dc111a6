// DO blocks that guard statements which have no IF [NOT] EXISTS form.
#![deny(warnings)]

use migrate::{Migrations, migrations};

pub static MIGRATIONS: Migrations = migrations! {
    "001_order_status" => "
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'order_status') THEN
                CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');
            END IF;
        END
        $$;
    ",
    #[allow(ban_create_domain_with_constraint, reason = "no column uses the domain yet")]
    "002_email_domain" => "
        DO $body$
        BEGIN
            CREATE DOMAIN email AS TEXT CHECK (VALUE LIKE '%@%');
        EXCEPTION
            WHEN duplicate_object THEN NULL;
        END
        $body$;
    ",
    "003_orders_total_positive" => "
        CREATE TABLE IF NOT EXISTS orders (id BIGINT PRIMARY KEY, total NUMERIC NOT NULL);
        DO $$
        BEGIN
            IF NOT EXISTS (
                SELECT 1 FROM pg_constraint
                WHERE conname = 'orders_total_positive' AND conrelid = 'orders'::regclass
            ) THEN
                ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);
            END IF;
        END
        $$;
    ",
};

fn main() {
    assert_eq!(MIGRATIONS.len(), 3);
}
