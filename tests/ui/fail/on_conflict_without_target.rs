// `on_conflict_without_target` is a warning: whether the table has a unique index is not in the
// migration's text. Denying warnings here makes trybuild record its exact text.
#![deny(deprecated)]

use migrate::{Migrations, migrations};

static MIGRATIONS: Migrations = migrations! {
    "001_default_tags" => "INSERT INTO tags (name) VALUES ('new') ON CONFLICT DO NOTHING;",
};

fn main() {}
