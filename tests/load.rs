//! The directory loader: real files in temporary directories, the real checker, and (for the
//! end-to-end cases) the real runtime against a fresh database.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use migrate::check::Rule;
use migrate::load::{CheckFailure, LoadProblem, Loader, VersionNames};
use migrate::{Checksum, TransactionMode};

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "migrate_load_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &Self {
        std::fs::write(self.0.join(name), contents).unwrap();
        self
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn versions(list: &migrate::Migrations) -> Vec<&str> {
    list.iter().map(|m| m.version()).collect()
}

#[test]
fn files_are_ordered_by_number_and_the_rest_is_ignored() {
    let dir = TempDir::new();
    dir.write("10_b.sql", "CREATE TABLE IF NOT EXISTS b (id int);")
        .write(
            "9_a.up.sql",
            "CREATE TABLE IF NOT EXISTS a (id int);\nALTER TABLE a ADD COLUMN IF NOT EXISTS x int;",
        )
        .write("9_a.down.sql", "DROP TABLE IF EXISTS a;")
        .write("9_a.metadata.toml", "run_in_transaction = true")
        .write("README.md", "# migrations")
        .write(".10_b.sql", "not sql, editor litter");
    std::fs::create_dir(dir.path().join("old")).unwrap();
    std::fs::write(dir.path().join("old/1_old.sql"), "garbage").unwrap();

    let loaded = Loader::new(dir.path()).load().unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let list = loaded.migrations;
    assert_eq!(versions(&list), ["9_a", "10_b"]);

    let a = &list.as_slice()[0];
    assert_eq!((a.number(), a.name()), (9, "a"));
    // The down beside the up is read with it (and checked: `DROP TABLE a` would be rejected).
    assert_eq!(a.down().map(|d| d.sql()), Some("DROP TABLE IF EXISTS a;"));
    assert_eq!(a.transaction_mode(), TransactionMode::Transaction);
    assert_eq!(a.checksum(), Checksum::of_sql(a.sql()));
    let statements: Vec<_> = a.statements().map(|s| (s.line, s.sql.trim())).collect();
    assert_eq!(
        statements,
        [
            (1, "CREATE TABLE IF NOT EXISTS a (id int)"),
            (2, "ALTER TABLE a ADD COLUMN IF NOT EXISTS x int")
        ]
    );
}

#[test]
fn an_empty_directory_is_an_empty_list() {
    let dir = TempDir::new();
    let loaded = Loader::new(dir.path()).load().unwrap();
    assert!(loaded.migrations.is_empty());
}

#[test]
fn byte_order_mark_is_dropped() {
    let dir = TempDir::new();
    dir.write(
        "1_a.sql",
        "\u{feff}CREATE TABLE IF NOT EXISTS a (id int);".as_bytes(),
    );
    let list = Loader::new(dir.path()).load().unwrap().migrations;
    assert_eq!(
        list.as_slice()[0].sql(),
        "CREATE TABLE IF NOT EXISTS a (id int);"
    );
}

#[test]
fn no_transaction_comes_from_the_marker_or_the_loader() {
    let dir = TempDir::new();
    dir.write("1_a.sql", "CREATE TABLE IF NOT EXISTS a (id int);")
        .write(
            "2_a_idx.sql",
            "-- Built concurrently: the table is large.\n\n-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_id_idx ON a (id);",
        )
        .write(
            "3_a_id2_idx.sql",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_id2_idx ON a (id);",
        );
    let list = Loader::new(dir.path())
        .no_transaction("3_a_id2_idx")
        .load()
        .unwrap()
        .migrations;
    let modes: Vec<_> = list.iter().map(|m| m.transaction_mode()).collect();
    assert_eq!(
        modes,
        [
            TransactionMode::Transaction,
            TransactionMode::NoTransaction,
            TransactionMode::NoTransaction
        ]
    );
    // The marker is a comment: it stays in the SQL, and the statement's line is the file's.
    let idx = &list.as_slice()[1];
    assert!(idx.sql().contains("-- migrate:no_transaction"));
    assert_eq!(idx.statements().next().unwrap().line, 4);
}

#[test]
fn no_transaction_for_an_unknown_version_is_an_error() {
    let dir = TempDir::new();
    dir.write("1_a.sql", "CREATE TABLE IF NOT EXISTS a (id int);");
    let err = Loader::new(dir.path())
        .no_transaction("2_missing")
        .load()
        .unwrap_err();
    assert!(
        matches!(err.problems(), [LoadProblem::UnknownNoTransaction { version, .. }] if version == "2_missing"),
        "{err}"
    );
}

#[test]
fn bad_names_duplicates_and_directives_are_all_reported_with_file_names() {
    let dir = TempDir::new();
    dir.write("001_a.sql", "CREATE TABLE IF NOT EXISTS a (id int);")
        .write(
            "1_a_again.up.sql",
            "CREATE TABLE IF NOT EXISTS a2 (id int);",
        )
        .write("init.sql", "CREATE TABLE IF NOT EXISTS i (id int);")
        .write("2_Bad-Name.sql", "CREATE TABLE IF NOT EXISTS b (id int);")
        .write(
            "3_c.sql",
            "CREATE TABLE IF NOT EXISTS c (id int);\n-- migrate:no_transaction\n",
        )
        .write("4_d.sql", "-- migrate:notransaction\nSELECT 1;")
        .write("5_e.sql", [0xff, 0xfe, 0x00]);
    let err = Loader::new(dir.path()).load().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("6 problems"), "{text}");
    assert!(
        text.contains("001_a.sql` and `") && text.contains("1_a_again.up.sql` both have number 1"),
        "{text}"
    );
    assert!(
        text.contains("init.sql` is not named `<version>.sql`"),
        "{text}"
    );
    assert!(
        text.contains("2_Bad-Name.sql` is not named `<version>.sql`"),
        "{text}"
    );
    assert!(
        text.contains("3_c.sql:2: `-- migrate:no_transaction` comes after the first statement"),
        "{text}"
    );
    assert!(
        text.contains("4_d.sql:1: unknown directive `-- migrate:notransaction`"),
        "{text}"
    );
    assert!(text.contains("5_e.sql` is not valid UTF-8"), "{text}");
}

#[test]
fn normalized_names_accept_other_tools_histories() {
    let dir = TempDir::new();
    dir.write(
        "002_2024-03-05-120032_Add-Index.up.sql",
        "-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON a (id);",
    )
    .write(
        "001_2024-03-01-000000_create-a.up.sql",
        "CREATE TABLE IF NOT EXISTS a (id int);",
    );
    let err = Loader::new(dir.path()).load().unwrap_err();
    assert_eq!(err.problems().len(), 2, "{err}");
    assert!(err.to_string().contains("VersionNames::Normalize"), "{err}");

    let list = Loader::new(dir.path())
        .version_names(VersionNames::Normalize)
        .load()
        .unwrap()
        .migrations;
    assert_eq!(
        versions(&list),
        [
            "001_2024_03_01_000000_create_a",
            "002_2024_03_05_120032_add_index"
        ]
    );
}

#[test]
fn a_missing_directory_is_an_error_naming_it() {
    let dir = TempDir::new();
    let missing = dir.path().join("nope");
    let err = Loader::new(&missing).load().unwrap_err();
    assert!(matches!(err.problems(), [LoadProblem::ReadDir { .. }]));
    assert!(
        err.to_string()
            .contains(&format!("cannot read directory `{}`", missing.display())),
        "{err}"
    );
}

/// A symbolic link that points at itself cannot be read by anyone, root included (CI runs as
/// root, for whom a file's permissions stop nothing).
#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let dir = TempDir::new();
    let file = dir.path().join("1_a.sql");
    std::os::unix::fs::symlink(&file, &file).unwrap();
    assert!(std::fs::read(&file).is_err(), "the loop must be unreadable");
    let err = Loader::new(dir.path()).load().unwrap_err();
    assert!(
        matches!(err.problems(), [LoadProblem::ReadFile { file: f, .. }] if *f == file),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains(&format!("cannot read `{}`", file.display())),
        "{err}"
    );
}

// --- with the checker ---

#[test]
fn checker_errors_fail_the_load_with_file_line_and_rule() {
    let dir = TempDir::new();
    dir.write("1_a.sql", "CREATE TABLE IF NOT EXISTS a (id int);")
        .write(
            "2_b.sql",
            "-- plain DDL\nCREATE TABLE b (id int);\nCREATE INDEX ON b (id);",
        );
    let err = Loader::new(dir.path()).load().unwrap_err();
    let rules: Vec<_> = err.diagnostics().map(|d| d.diagnostic.rule).collect();
    assert!(rules.contains(&Rule::MissingIfNotExists), "{err}");
    assert!(rules.contains(&Rule::UnnamedIndex), "{err}");
    let first = err.diagnostics().next().unwrap();
    assert_eq!(first.version, "2_b");
    assert_eq!(first.diagnostic.line, 2);
    assert!(
        err.to_string().contains(&format!(
            "{}:2:1: error[missing_if_not_exists]: migration `2_b`, statement 1 (line 2)",
            dir.path().join("2_b.sql").display()
        )),
        "{err}"
    );
}

#[test]
fn accept_non_idempotent_returns_the_findings_but_still_rejects_structure() {
    let dir = TempDir::new();
    dir.write("1_a.sql", "CREATE TABLE a (id int);");
    let loaded = Loader::new(dir.path())
        .on_check_failure(CheckFailure::AcceptNonIdempotent)
        .load()
        .unwrap();
    assert_eq!(loaded.migrations.len(), 1);
    assert_eq!(
        loaded
            .diagnostics
            .iter()
            .map(|d| d.diagnostic.rule)
            .collect::<Vec<_>>(),
        [Rule::MissingIfNotExists]
    );

    dir.write("2_b.sql", "CREATE TABLE IF NOT EXISTS b (id int;");
    dir.write(
        "3_c.sql",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON a (id);",
    );
    let err = Loader::new(dir.path())
        .on_check_failure(CheckFailure::AcceptNonIdempotent)
        .load()
        .unwrap_err();
    let rules: Vec<_> = err.diagnostics().map(|d| d.diagnostic.rule).collect();
    assert_eq!(
        rules,
        [Rule::SyntaxError, Rule::RequiresNoTransaction],
        "{err}"
    );

    let loaded = Loader::new(dir.path())
        .on_check_failure(CheckFailure::AcceptAll)
        .load()
        .unwrap();
    assert_eq!(versions(&loaded.migrations), ["1_a", "2_b", "3_c"]);
    assert!(loaded.diagnostics.len() >= 3, "{:?}", loaded.diagnostics);
}

#[test]
fn allow_directive_silences_the_rule_with_a_reason() {
    let dir = TempDir::new();
    dir.write(
        "1_a.sql",
        "-- migrate:allow unnamed_index reason=\"adopted from the old schema\"\nCREATE INDEX ON a (id);",
    );
    // The index is a hazard too (a warning): allowed with squawk's spelling of its name.
    let loaded = Loader::new(dir.path()).load().unwrap();
    let rules: Vec<&str> = loaded
        .diagnostics
        .iter()
        .map(|d| d.diagnostic.rule.id())
        .collect();
    assert_eq!(rules, ["require-concurrent-index-creation"]);
    dir.write(
        "1_a.sql",
        "-- migrate:allow unnamed_index reason=\"adopted from the old schema\"\n\
         -- migrate:allow require-concurrent-index-creation reason=\"a is empty\"\n\
         CREATE INDEX ON a (id);",
    );
    let loaded = Loader::new(dir.path()).load().unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let denied = Loader::new(dir.path())
        .deny(migrate::check::Allow::Family(
            migrate::check::Family::Hazard,
        ))
        .load();
    assert!(
        denied.is_ok(),
        "an allowed hazard stays allowed when denied"
    );

    dir.write(
        "1_a.sql",
        "-- migrate:allow unnamed_index\nCREATE INDEX ON a (id);",
    );
    let err = Loader::new(dir.path()).load().unwrap_err();
    assert!(err.to_string().contains("needs a reason"), "{err}");
}

#[test]
fn no_transaction_marker_reaches_the_checker() {
    let dir = TempDir::new();
    dir.write(
        "1_idx.sql",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON a (id);",
    );
    let err = Loader::new(dir.path()).load().unwrap_err();
    assert!(
        err.diagnostics()
            .any(|d| d.diagnostic.rule == Rule::RequiresNoTransaction),
        "{err}"
    );
    dir.write(
        "1_idx.sql",
        "-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON a (id);",
    );
    assert!(Loader::new(dir.path()).load().is_ok());
}

mod corpus_common;
use corpus_common::crates_io_loader;

/// The crates.io history, when present: 285 migrations, none a syntax error for the checker.
#[test]
fn crates_io_corpus_loads_with_idempotency_accepted() {
    let Some(loader) = crates_io_loader() else {
        return;
    };
    let loaded = loader.load().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.migrations.len(), 285);
    assert!(
        loaded
            .migrations
            .iter()
            .filter(|m| !m.is_transactional())
            .count()
            >= 1
    );
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.diagnostic.rule == Rule::MissingIfNotExists),
        "the corpus holds plain CREATE TABLE statements"
    );
}

// --- with the runtime ---

mod support;

#[tokio::test]
async fn a_loaded_directory_runs_once_and_then_is_a_noop() {
    let dir = TempDir::new();
    dir.write(
        "1_users.sql",
        "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);",
    )
    .write(
        "2_users_position.up.sql",
        "ALTER TABLE users ADD COLUMN IF NOT EXISTS position TEXT;",
    )
    .write(
        "2_users_position.down.sql",
        "ALTER TABLE users DROP COLUMN IF EXISTS position;",
    )
    .write(
        "3_users_email_idx.sql",
        "-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
    );
    let list = Loader::new(dir.path()).load().unwrap().migrations;
    let db = support::TestDb::new().await;
    let pool = db.pool().await;

    let report = list.run(&pool).await.unwrap();
    let applied: Vec<_> = report.applied.iter().map(|a| a.version.as_str()).collect();
    assert_eq!(
        applied,
        ["1_users", "2_users_position", "3_users_email_idx"]
    );
    // CREATE INDEX CONCURRENTLY only succeeds outside a transaction: the marker reached the runtime.
    let (index,): (String,) =
        sqlx::query_as("SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_idx'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(index.contains("(email)"), "{index}");
    let (columns,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'position'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(columns, 1, "the .down.sql file was not applied");

    let again = Loader::new(dir.path()).load().unwrap().migrations;
    let report = again.run(&pool).await.unwrap();
    assert!(report.applied.is_empty(), "{:?}", report.applied);
    assert_eq!(report.already_applied.len(), 3);
}

/// The crates.io history, when present, applies in order through the loader and the runtime.
#[tokio::test]
async fn crates_io_corpus_applies_with_the_runtime() {
    let Some(loader) = crates_io_loader() else {
        return;
    };
    let list = loader.load().unwrap_or_else(|e| panic!("{e}")).migrations;
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    // crates.io's migration 136 drops its old `schema_migrations` table: our default name.
    let report = list
        .migrator()
        .table("migrate_history")
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.applied.len(), 285);
    let (crates,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('crates', 'versions', 'users')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(crates, 3);
}

#[test]
fn an_accepting_policy_loads_a_bad_down_as_no_down_and_reports_it() {
    let dir = TempDir::new();
    dir.write(
        "1_users.up.sql",
        "CREATE TABLE IF NOT EXISTS users (id int);\nCREATE INDEX IF NOT EXISTS users_id_idx ON users (id);",
    )
    .write("1_users.down.sql", "DROP INDEX IF EXISTS users_id_idx;")
    .write("2_notes.up.sql", "CREATE TABLE IF NOT EXISTS notes (id int);")
    // diesel's generated comment-only down: no down at all, no finding.
    .write("2_notes.down.sql", "-- This file should undo anything in `up.sql`\n");

    // Strict: the down that leaves the table fails the load, at the down file.
    let err = Loader::new(dir.path()).load().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("1_users.down.sql"), "{text}");
    assert!(text.contains("DROP TABLE IF EXISTS users;"), "{text}");

    let loaded = Loader::new(dir.path())
        .on_check_failure(CheckFailure::AcceptNonIdempotent)
        .load()
        .unwrap();
    let list = loaded.migrations.as_slice();
    assert!(list[0].down().is_none(), "the rejected down is left out");
    assert!(list[1].down().is_none());
    // Lock hazards (the down's plain `DROP INDEX`) are reported too; this is about the rest.
    let rules: Vec<&str> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.diagnostic.rule.family() != migrate::check::Family::Hazard)
        .map(|d| d.diagnostic.rule.id())
        .collect();
    assert_eq!(rules, ["down_leaves_object"]);
}
