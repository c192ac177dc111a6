// Statements that only work on the state before their own first run: a retype whose USING
// reads the old type, a data move out of a table the entry then drops, and a constraint
// re-attached with USING INDEX (which renames the index).
use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_retype" => "ALTER TABLE builds ALTER COLUMN ok TYPE int USING CASE WHEN ok THEN 1 ELSE 0 END;",
    "002_move_tokens" => "
        UPDATE emails SET token = tokens.token FROM tokens WHERE tokens.email_id = emails.id;
        DROP TABLE IF EXISTS tokens;
    ",
    "003_reattach_pk" => "ALTER TABLE downloads DROP CONSTRAINT IF EXISTS downloads_pkey, ADD CONSTRAINT downloads_pkey PRIMARY KEY USING INDEX downloads_unique;",
};

fn main() {}
