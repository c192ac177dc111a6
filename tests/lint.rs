//! `migrate lint`: the built binary on real files, exit codes and both output formats.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A directory of SQL files for one test, removed afterwards.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(test: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("migrate_lint_{test}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }

    fn write(&self, name: &str, sql: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, sql).unwrap();
        path
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn lint(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.arg("lint");
    for a in args {
        cmd.arg(a);
    }
    cmd.output().expect("cannot run the migrate binary")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Vec<Value> {
    match serde_json::from_slice(&o.stdout) {
        Ok(Value::Array(items)) => items,
        other => panic!("stdout is not one JSON array: {other:?}\n{}", stdout(o)),
    }
}

#[test]
fn clean_file_exits_0() {
    let files = Files::new("clean");
    let ok = files.write(
        "001_users.sql",
        "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text NOT NULL);\n\
         CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);\n",
    );
    let out = lint(&[&ok]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("1 file checked: 0 errors, 0 warnings"),
        "{}",
        stdout(&out)
    );

    let out = lint(&[&ok, &"--format", &"json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(json(&out).is_empty());
}

#[test]
fn non_idempotent_file_exits_1_with_json_findings() {
    let files = Files::new("json");
    let bad = files.write(
        "002_bad.sql",
        "-- users\nCREATE TABLE users (id bigint);\nCREATE INDEX ON users (id);\n",
    );
    let out = lint(&[&bad, &"--format", &"json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let items = json(&out);
    assert!(items.len() >= 2, "expected two findings: {items:#?}");
    for item in &items {
        let obj = item.as_object().expect("each finding is an object");
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "column",
                "file",
                "help",
                "line",
                "message",
                "rule",
                "severity",
                "statement"
            ]
        );
        assert_eq!(obj["file"], Value::String(bad.display().to_string()));
        assert!(obj["line"].as_u64().unwrap() >= 1);
        assert!(obj["column"].as_u64().unwrap() >= 1);
        assert!(obj["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let create_table = items
        .iter()
        .find(|i| i["rule"] == "missing_if_not_exists")
        .expect("CREATE TABLE without IF NOT EXISTS is reported");
    assert_eq!(create_table["severity"], "error");
    assert_eq!(create_table["statement"], 1);
    assert_eq!(create_table["line"], 2);
    assert!(
        create_table["help"]
            .as_str()
            .is_some_and(|h| h.contains("IF NOT EXISTS users")),
        "the help shows the corrected statement: {create_table}"
    );
    let index = items
        .iter()
        .find(|i| i["rule"] == "unnamed_index")
        .expect("an unnamed index is reported");
    assert_eq!(index["statement"], 2);
    assert_eq!(index["line"], 3);
}

#[test]
fn human_output_names_file_position_rule_and_fix() {
    let files = Files::new("human");
    let bad = files.write(
        "003_users.sql",
        "SELECT 1;\n\nCREATE TABLE users (id bigint);\n",
    );
    let out = lint(&[&bad]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("error[missing_if_not_exists]: "), "{text}");
    assert!(
        text.contains(&format!("--> {}:3:1", bad.display())),
        "{text}"
    );
    assert!(
        text.contains("3 | CREATE TABLE users (id bigint);"),
        "{text}"
    );
    assert!(
        text.contains("= help: CREATE TABLE IF NOT EXISTS users"),
        "{text}"
    );
    assert!(
        text.contains("1 file checked: 1 error, 0 warnings"),
        "{text}"
    );
}

#[test]
fn syntax_errors_are_reported_with_their_position() {
    let files = Files::new("syntax");
    let bad = files.write(
        "004_typo.sql",
        "CREATE TABLE IF NOT EXISTS t (id int);\nCRATE TABLE u (id int);\n",
    );
    let out = lint(&[&bad, &"--format", &"json"]);
    assert_eq!(out.status.code(), Some(1));
    let items = json(&out);
    let syntax = items
        .iter()
        .find(|i| i["rule"] == "syntax_error")
        .unwrap_or_else(|| panic!("a syntax error is reported: {items:#?}"));
    assert_eq!(syntax["line"], 2);
}

#[test]
fn warnings_alone_exit_0() {
    let files = Files::new("warning");
    let warn = files.write(
        "005_mood.sql",
        "DO $$\nBEGIN\n  CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
         EXCEPTION WHEN others THEN NULL;\nEND\n$$;\n",
    );
    let out = lint(&[&warn, &"--format", &"json"]);
    let items = json(&out);
    assert!(
        items.iter().all(|i| i["severity"] == "warning"),
        "only warnings expected: {items:#?}"
    );
    assert!(
        items.iter().any(|i| i["rule"] == "broad_exception_guard"),
        "EXCEPTION WHEN others is a warning: {items:#?}"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn several_files_are_all_reported() {
    let files = Files::new("several");
    let a = files.write("a.sql", "CREATE TABLE a (id int);");
    let b = files.write("b.sql", "DROP TABLE b;");
    let c = files.write("c.sql", "CREATE TABLE IF NOT EXISTS c (id int);");
    let out = lint(&[&a, &b, &c, &"--format", &"json"]);
    assert_eq!(out.status.code(), Some(1));
    let items = json(&out);
    let files_reported: Vec<&str> = items.iter().filter_map(|i| i["file"].as_str()).collect();
    assert!(files_reported.contains(&a.to_str().unwrap()), "{items:#?}");
    assert!(files_reported.contains(&b.to_str().unwrap()), "{items:#?}");
    assert!(!files_reported.contains(&c.to_str().unwrap()), "{items:#?}");
    assert!(items.iter().any(|i| i["rule"] == "missing_if_exists"));
}

#[test]
fn unreadable_file_exits_2() {
    let files = Files::new("missing");
    let ok = files.write("ok.sql", "CREATE TABLE IF NOT EXISTS t (id int);");
    let missing = files.dir.join("does_not_exist.sql");
    let out = lint(&[&ok, &missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does_not_exist.sql"),
        "{}",
        stderr(&out)
    );

    let binary = files.write("bin.sql", "");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    let out = lint(&[&binary]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not UTF-8"), "{}", stderr(&out));
}

#[test]
fn bad_arguments_exit_2() {
    let out = lint(&[]);
    assert_eq!(out.status.code(), Some(2), "no file given");
    let out = lint(&[&"x.sql", &"--format", &"yaml"]);
    assert_eq!(out.status.code(), Some(2), "unknown format");
}

/// Real migrations from public projects: the parser must accept all of them, and their plain
/// `CREATE TABLE` statements (written without `IF NOT EXISTS`) must be reported.
#[test]
fn corpus_parses_and_plain_create_table_is_reported() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(projects) = std::fs::read_dir(&corpus) else {
        println!("note: {} is absent; corpus test skipped", corpus.display());
        return;
    };
    let mut sql_files: Vec<PathBuf> = projects
        .filter_map(Result::ok)
        .filter(|p| p.path().is_dir())
        .filter_map(|p| std::fs::read_dir(p.path()).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    sql_files.sort();
    if sql_files.is_empty() {
        println!(
            "note: no *.up.sql under {}; corpus test skipped",
            corpus.display()
        );
        return;
    }

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.arg("lint").arg("--format").arg("json").args(&sql_files);
    let out = cmd.output().unwrap();
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let items = json(&out);

    // The downs beside the ups are checked with them; one of crates.io's has an upstream
    // syntax error, so only the ups must all parse.
    let in_down = |i: &&Value| i["file"].as_str().is_some_and(|f| f.ends_with(".down.sql"));
    let syntax: Vec<&Value> = items
        .iter()
        .filter(|i| i["rule"] == "syntax_error" && !in_down(i))
        .collect();
    assert!(
        syntax.is_empty(),
        "syntax errors in the corpus: {syntax:#?}"
    );
    let down_findings = items.iter().filter(in_down).count();
    assert!(down_findings > 0, "the downs were checked with their ups");

    let mut expected = 0;
    for file in &sql_files {
        let sql = std::fs::read_to_string(file).unwrap();
        let checked = migrate::check::check_sql(&sql, &Default::default());
        for (index, span) in checked.statements.iter().enumerate() {
            let text = &sql[span.start as usize..span.end as usize];
            if !is_plain_create_table(text) {
                continue;
            }
            expected += 1;
            let reported = items.iter().any(|i| {
                i["file"] == file.display().to_string()
                    && i["statement"] == index + 1
                    && i["rule"] == "missing_if_not_exists"
            });
            assert!(
                reported,
                "{}: statement {} not reported: {text}",
                file.display(),
                index + 1
            );
        }
    }
    assert!(
        expected > 0,
        "the corpus holds plain CREATE TABLE statements"
    );
    println!(
        "{} files, {expected} plain CREATE TABLE statements reported, {down_findings} findings in their downs",
        sql_files.len()
    );
}

/// `CREATE [UNLOGGED] TABLE name (…` without `IF NOT EXISTS` (not `CREATE TABLE … AS`, which
/// is a different rule's business only in wording).
fn is_plain_create_table(statement: &str) -> bool {
    let code: String = statement
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<String> = code
        .split_whitespace()
        .take(5)
        .map(str::to_ascii_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["CREATE", "TABLE", third, ..] => *third != "IF",
        ["CREATE", "UNLOGGED", "TABLE", fourth, ..] => *fourth != "IF",
        _ => false,
    }
}

/// `lint` reads a file's `-- migrate:` headers as the loader does, and its help speaks them.
#[test]
fn headers_mean_what_they_mean_to_the_loader() {
    let files = Files::new("headers");
    let sql = "-- migrate:no_transaction\n\
               CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n";
    let with_header = files.write("001_users_email_idx.sql", sql);
    let out = lint(&[&with_header]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let loaded = migrate::load::Loader::new(&files.dir).load().unwrap();
    assert!(!loaded.migrations.as_slice()[0].is_transactional());

    let without = files.write(
        "002_other_idx.sql",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_id_idx ON users (id);\n",
    );
    let out = lint(&[&without, &"--format", &"json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let items = json(&out);
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["rule"], "requires_no_transaction");
    let help = items[0]["help"].as_str().unwrap();
    assert!(help.contains("-- migrate:no_transaction"), "{help}");
    assert!(!help.contains("#[no_transaction]"), "{help}");

    let allowed = files.write(
        "003_users.sql",
        "-- migrate:allow missing_if_not_exists reason=\"created once, by the first deploy\"\n\
         CREATE TABLE users (id bigint);\n",
    );
    let out = lint(&[&allowed]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let misspelt = files.write("004_x.sql", "-- migrate:no_transactoin\nSELECT 1;\n");
    let out = lint(&[&misspelt]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "004_x.sql:1: unknown directive `-- migrate:no_transactoin` on migration `004_x`: \
             did you mean `-- migrate:no_transaction`?"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_down_beside_its_up_is_checked_against_it() {
    let files = Files::new("down");
    let up = files.write(
        "001_users.up.sql",
        "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;\n\
         CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);\n",
    );
    // Drops the index but forgets the column the up adds.
    let down = files.write(
        "001_users.down.sql",
        "-- undo 001\nDROP INDEX IF EXISTS users_email_idx;\n",
    );
    let clean_up = files.write(
        "002_notes.sql",
        "CREATE TABLE IF NOT EXISTS notes (id bigint);\n",
    );
    // diesel's template: comments only, so no down at all, and nothing to report.
    files.write(
        "002_notes.down.sql",
        "-- This file should undo anything in `up.sql`\n",
    );

    let check = |args: &[&dyn AsRef<std::ffi::OsStr>]| {
        let out = lint(args);
        (out.status.code(), json(&out))
    };
    for args in [
        vec![&up as &dyn AsRef<std::ffi::OsStr>, &"--format", &"json"],
        vec![&down, &"--format", &"json"],
        vec![&up, &down, &"--format", &"json"],
    ] {
        let (code, items) = check(&args);
        assert_eq!(code, Some(1), "{items:#?}");
        let leaves: Vec<&Value> = items
            .iter()
            .filter(|i| i["rule"] == "down_leaves_object")
            .collect();
        assert_eq!(leaves.len(), 1, "reported once: {items:#?}");
        assert_eq!(leaves[0]["file"], Value::String(down.display().to_string()));
        assert_eq!(leaves[0]["line"], 2, "the line in the down file");
        assert!(
            leaves[0]["help"]
                .as_str()
                .is_some_and(|h| h.contains("ALTER TABLE users DROP COLUMN IF EXISTS email")),
            "{}",
            leaves[0]
        );
    }
    let (code, items) = check(&[&clean_up, &"--format", &"json"]);
    assert_eq!((code, items.len()), (Some(0), 0), "{items:#?}");

    // The human output counts both files and shows the down's line.
    let out = lint(&[&up]);
    let text = stdout(&out);
    assert!(text.contains("001_users.down.sql:2:"), "{text}");
    assert!(text.contains("2 files checked"), "{text}");
}
