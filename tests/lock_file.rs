//! `migrations.lock`: `migrate lock DIR` and `myapp migrate lock` write it, `--check` fails until
//! it is current, locked migrations cannot be rewritten, and two branches that each append a
//! migration conflict in git.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use clap::Parser;
use migrate::cli::{Cli, Outcome};
use migrate::lock_file::LockFile;
use migrate::{Migrations, migrations};

/// A scratch directory for one test, removed afterwards.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("migrate_lock_{test}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    fn write(&self, name: &str, sql: &str) {
        std::fs::write(self.dir.join(name), sql).unwrap();
    }

    fn lock_text(&self) -> String {
        std::fs::read_to_string(self.dir.join("migrations.lock")).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn migrate_lock(dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .arg("lock")
        .arg(dir)
        .args(extra)
        .output()
        .expect("cannot run the migrate binary")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const USERS: &str = "CREATE TABLE IF NOT EXISTS users (id bigint);";
const NOTES: &str = "CREATE TABLE IF NOT EXISTS notes (id bigint);";

#[test]
fn check_fails_until_lock_is_run() {
    let s = Scratch::new("check");
    s.write("001_users.sql", USERS);
    s.write("002_notes.sql", NOTES);

    let missing = migrate_lock(&s.dir, &["--check"]);
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
    assert!(
        text(&missing).contains("does not exist"),
        "{}",
        text(&missing)
    );
    assert!(
        !s.dir.join("migrations.lock").exists(),
        "--check wrote a file"
    );

    let written = migrate_lock(&s.dir, &[]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written));
    let lock = LockFile::parse(&s.lock_text()).unwrap();
    let versions: Vec<&str> = lock
        .migrations()
        .iter()
        .map(|m| m.version.as_str())
        .collect();
    assert_eq!(versions, ["001_users", "002_notes"]);
    assert_eq!(migrate_lock(&s.dir, &["--check"]).status.code(), Some(0));

    s.write(
        "003_tags.sql",
        "CREATE TABLE IF NOT EXISTS tags (id bigint);",
    );
    let behind = migrate_lock(&s.dir, &["--check"]);
    assert_eq!(behind.status.code(), Some(1), "{}", text(&behind));
    assert!(
        text(&behind).contains("lacks 1 migration: 003_tags"),
        "{}",
        text(&behind)
    );
    assert_eq!(migrate_lock(&s.dir, &[]).status.code(), Some(0));
    assert_eq!(migrate_lock(&s.dir, &["--check"]).status.code(), Some(0));
}

#[test]
fn locked_migrations_are_not_rewritten_without_force() {
    let s = Scratch::new("edit");
    s.write("001_users.sql", USERS);
    assert_eq!(migrate_lock(&s.dir, &[]).status.code(), Some(0));
    let before = s.lock_text();

    // Whitespace and comments do not change a checksum: the lock stays current.
    s.write(
        "001_users.sql",
        &format!("-- the accounts\n{}\n", USERS.replace(' ', "  ")),
    );
    assert_eq!(migrate_lock(&s.dir, &["--check"]).status.code(), Some(0));

    s.write(
        "001_users.sql",
        "CREATE TABLE IF NOT EXISTS users (id bigint, email text);",
    );
    let refused = migrate_lock(&s.dir, &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("migration `001_users` was edited after it was locked"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        s.lock_text(),
        before,
        "a refused lock must not touch the file"
    );
    let check = migrate_lock(&s.dir, &["--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));

    let forced = migrate_lock(&s.dir, &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));
    assert_ne!(s.lock_text(), before);
}

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=migrate tests",
            "-c",
            "user.email=tests@localhost",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("cannot run git: the test needs git on PATH")
}

fn git_ok(dir: &Path, args: &[&str]) {
    let out = git(dir, args);
    assert!(out.status.success(), "git {args:?} failed: {}", text(&out));
}

#[test]
fn two_branches_appending_a_migration_conflict_in_git() {
    let s = Scratch::new("git");
    git_ok(&s.dir, &["init", "-q"]);
    for i in 1..=5 {
        s.write(
            &format!("00{i}_t{i}.sql"),
            &format!("CREATE TABLE IF NOT EXISTS t{i} (id bigint);"),
        );
    }
    assert_eq!(migrate_lock(&s.dir, &[]).status.code(), Some(0));
    git_ok(&s.dir, &["add", "-A"]);
    git_ok(&s.dir, &["commit", "-qm", "five migrations, locked"]);

    for branch in ["feature_a", "feature_b"] {
        git_ok(&s.dir, &["checkout", "-q", "-b", branch, "main"]);
        s.write(
            &format!("006_{branch}.sql"),
            &format!("CREATE TABLE IF NOT EXISTS {branch} (id bigint);"),
        );
        assert_eq!(migrate_lock(&s.dir, &[]).status.code(), Some(0));
        git_ok(&s.dir, &["add", "-A"]);
        git_ok(&s.dir, &["commit", "-qm", branch]);
    }

    git_ok(&s.dir, &["checkout", "-q", "feature_a"]);
    let merge = git(&s.dir, &["merge", "--no-edit", "feature_b"]);
    assert!(
        !merge.status.success(),
        "the merge went through: {}",
        text(&merge)
    );
    let conflicted = git(&s.dir, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(
        String::from_utf8_lossy(&conflicted.stdout).trim(),
        "migrations.lock"
    );

    // The conflicted file explains itself to whatever reads it next (the build, `lock`).
    let err = LockFile::parse(&s.lock_text()).unwrap_err();
    assert!(err.to_string().contains("merge conflict"), "{err}");
}

static LIST: Migrations = migrations! {
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "002_notes" => "CREATE TABLE IF NOT EXISTS notes (id bigint);",
};

async fn embedded(args: &[&str]) -> (Outcome, String) {
    let mut argv = vec!["myapp", "migrate", "lock"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = cli.migrate().run_with(&LIST, &mut out, &mut err).await;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
    (outcome, printed)
}

#[tokio::test]
async fn the_embedded_command_locks_the_compiled_list_without_a_database() {
    let s = Scratch::new("embedded");
    let file = s.dir.join("migrations.lock");
    let path = file.to_str().unwrap();
    // Only the first migration locked: the list has one the file lacks.
    let first = LockFile::of_list(LIST.iter().take(1).map(|m| (m.version(), m.checksum())));
    std::fs::write(&file, first.render()).unwrap();

    let (outcome, printed) = embedded(&["--file", path, "--check"]).await;
    assert_eq!(outcome, Outcome::Failed, "{printed}");
    assert!(
        printed.contains("lacks 1 migration: 002_notes"),
        "{printed}"
    );

    let (outcome, printed) = embedded(&["--file", path]).await;
    assert_eq!(outcome, Outcome::Success, "{printed}");
    assert_eq!(
        LockFile::parse(&s.lock_text()).unwrap(),
        LockFile::of(&LIST)
    );
    let (outcome, printed) = embedded(&["--file", path, "--check"]).await;
    assert_eq!(outcome, Outcome::Success, "{printed}");
}

/// The same three migrations as tests/ui/fixtures/three.lock, built against it.
static LOCKED: Migrations = migrations! {
    #![lock("tests/ui/fixtures/three.lock")]
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint);",
    "002_notes" => "CREATE TABLE IF NOT EXISTS notes (id bigint);",
    "003_tags" => "CREATE TABLE IF NOT EXISTS tags (id bigint);",
};

#[tokio::test]
async fn the_embedded_command_defaults_to_the_lock_file_the_list_was_built_against() {
    let expected = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/fixtures/three.lock");
    assert_eq!(LOCKED.lock_file(), Some(expected));
    let cli = Cli::try_parse_from(["myapp", "migrate", "lock", "--check"]).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = cli.migrate().run_with(&LOCKED, &mut out, &mut err).await;
    let printed = String::from_utf8_lossy(&out).into_owned();
    assert_eq!(
        outcome,
        Outcome::Success,
        "{printed}{}",
        String::from_utf8_lossy(&err)
    );
    assert!(
        printed.contains("three.lock` is up to date (3 migrations)"),
        "{printed}"
    );
}
