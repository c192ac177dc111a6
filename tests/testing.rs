//! The test harness (`migrate::testing`, `#[migrate::test]`) against a real server: fresh
//! databases, templates shared and replaced, cleanup after panics, and the throwaway server.
//!
//! The cases about processes run this binary again as a child, with one `#[ignore]`d
//! `child_*` test selected and its instructions in environment variables.

mod runtime_common;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use migrate::testing::{PgConnection, PgPool, TestDatabase};
use migrate::{Migrations, migrations};
use runtime_common::{list, tx};

static USERS: Migrations = migrations! {
    "001_testing_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);",
    #[allow(require_concurrent_index_creation, reason = "test databases are empty")]
    "002_users_email_key" => "CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (email);",
};

/// The instructions for a child run of this binary.
const CHILD: &str = "MIGRATE_TESTING_CHILD";

async fn users(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn insert_user_and_count(pool: &PgPool) -> i64 {
    sqlx::query("INSERT INTO users (email) VALUES ('a@example.com')")
        .execute(pool)
        .await
        .unwrap();
    users(pool).await
}

// Two tests writing the same row: each sees only its own, whichever runs first.
#[migrate::test(USERS)]
async fn writes_stay_in_their_test_a(pool: PgPool) {
    assert_eq!(insert_user_and_count(&pool).await, 1);
}

#[migrate::test(USERS)]
async fn writes_stay_in_their_test_b(pool: PgPool) {
    assert_eq!(insert_user_and_count(&pool).await, 1);
}

#[migrate::test(USERS)]
async fn a_connection_works_too(mut conn: PgConnection) -> Result<(), sqlx::Error> {
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM schema_migrations")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(applied, 2);
    Ok(())
}

#[migrate::test]
async fn without_a_list_the_database_is_empty(pool: PgPool) {
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn each_database_is_a_separate_clone_of_one_template() {
    let a = TestDatabase::new(&USERS).await.unwrap();
    let b = TestDatabase::new(&USERS).await.unwrap();
    assert_ne!(a.name(), b.name());
    assert_eq!(a.template(), b.template());
    assert_eq!(insert_user_and_count(a.pool()).await, 1);
    assert_eq!(users(b.pool()).await, 0);
    let (a_name, b_name) = (a.name().to_owned(), b.name().to_owned());
    a.close().await.unwrap();
    drop(b); // the blocking Drop path
    assert!(!database_exists(&a_name).await);
    assert!(!database_exists(&b_name).await);
}

#[tokio::test]
async fn a_database_is_dropped_when_its_test_panics() {
    let name = std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let name = std::sync::Mutex::new(String::new());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                let db = TestDatabase::new(&USERS).await.unwrap();
                *name.lock().unwrap() = db.name().to_owned();
                panic!("the test fails while holding its database");
            })
        }));
        assert!(result.is_err());
        name.into_inner().unwrap()
    })
    .join()
    .unwrap();
    assert!(name.starts_with("migrate_test_"), "{name}");
    assert!(!database_exists(&name).await, "{name} is left behind");
}

#[tokio::test]
async fn a_panicking_migrate_test_drops_its_database() {
    let out = child("child_panicking_test", &[]);
    assert!(!out.status.success(), "the child test must fail");
    let report = report_of(&out);
    let name = &report["DATABASE"];
    assert!(name.starts_with("migrate_test_"), "{name}");
    assert!(!database_exists(name).await, "{name} is left behind");
}

#[migrate::test(USERS)]
#[ignore = "a child of a_panicking_migrate_test_drops_its_database: fails on purpose"]
async fn child_panicking_test(pool: PgPool) {
    let name: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!("DATABASE={name}");
    panic!("failing on purpose after creating {name}");
}

/// A list no other run has: its template is built by this test (and dropped at its end).
fn fresh_list(marker: &str, extra: usize) -> Migrations {
    let mut migrations = vec![tx(
        &format!("001_built_{marker}"),
        &format!(
            "CREATE TABLE IF NOT EXISTS built_{marker} (backend int NOT NULL DEFAULT pg_backend_pid());\
             \nINSERT INTO built_{marker} DEFAULT VALUES;"
        ),
    )];
    for i in 0..extra {
        migrations.push(tx(
            &format!("{:03}_extra", i + 2),
            &format!("CREATE TABLE IF NOT EXISTS extra_{i} (id int);"),
        ));
    }
    list(migrations)
}

fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{nanos}", std::process::id())
}

#[tokio::test]
async fn two_test_binaries_at_once_share_one_template() {
    let marker = marker();
    let env = [("MARKER", marker.as_str())];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| child("child_uses_a_fresh_list", &env));
        let b = s.spawn(|| child("child_uses_a_fresh_list", &env));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (report_of(&a), report_of(&b));
    assert_eq!(a["TEMPLATE"], b["TEMPLATE"]);
    // The row the template's one build inserted, with the backend that built it.
    assert_eq!(a["BUILT_BY"], b["BUILT_BY"], "the template was built twice");
    assert!(database_exists(&a["TEMPLATE"]).await);
    drop_template(&a["TEMPLATE"]).await;
}

#[test]
#[ignore = "a child of two_test_binaries_at_once_share_one_template"]
fn child_uses_a_fresh_list() {
    let marker =
        std::env::var("MARKER").expect("run by two_test_binaries_at_once_share_one_template");
    let list = fresh_list(&marker, 0);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = TestDatabase::new(&list).await.unwrap();
        let built_by: Vec<i32> = sqlx::query_scalar(&format!("SELECT backend FROM built_{marker}"))
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(built_by.len(), 1, "the list ran once, in the template");
        println!("TEMPLATE={}", db.template().unwrap());
        println!("BUILT_BY={}", built_by[0]);
        db.close().await.unwrap();
    });
}

#[tokio::test]
async fn a_changed_list_gets_a_new_template_and_the_old_one_is_dropped() {
    let marker = marker();
    let (before, after) = (fresh_list(&marker, 0), fresh_list(&marker, 1));
    let old = TestDatabase::new(&before).await.unwrap();
    let old_template = old.template().unwrap().to_owned();
    old.close().await.unwrap();

    let new = TestDatabase::new(&after).await.unwrap();
    let new_template = new.template().unwrap().to_owned();
    assert_ne!(old_template, new_template);
    let extra: bool = sqlx::query_scalar("SELECT to_regclass('extra_0') IS NOT NULL")
        .fetch_one(new.pool())
        .await
        .unwrap();
    assert!(extra, "the clone has the new migration");
    new.close().await.unwrap();
    assert!(
        !database_exists(&old_template).await,
        "the stale template is left"
    );
    drop_template(&new_template).await;
}

#[test]
fn a_forced_throwaway_server_runs_the_test_and_leaves_nothing() {
    for (outcome, env) in [
        (
            "passes",
            [
                (migrate::testing::SERVER_VARIABLE, "throwaway"),
                ("PANIC", ""),
            ],
        ),
        (
            "fails",
            [
                (migrate::testing::SERVER_VARIABLE, "throwaway"),
                ("PANIC", "1"),
            ],
        ),
    ] {
        let out = child("child_on_a_throwaway_server", &env);
        assert_eq!(
            out.status.success(),
            outcome == "passes",
            "{}",
            stderr(&out)
        );
        let report = report_of(&out);
        let data = Path::new(&report["DATA_DIRECTORY"]);
        let dir = data.parent().unwrap();
        let postmaster = &report["POSTMASTER_PID"];
        assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
        let deadline = Instant::now() + Duration::from_secs(30);
        while (dir.exists() || is_running(postmaster) || !processes_using(dir).is_empty())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            !dir.exists(),
            "{} is left behind (test {outcome})",
            dir.display()
        );
        assert!(
            !is_running(postmaster),
            "postgres {postmaster} still runs (test {outcome})"
        );
        let left = processes_using(dir);
        assert!(left.is_empty(), "processes left (test {outcome}): {left:?}");
    }
}

#[test]
#[ignore = "a child of a_forced_throwaway_server_runs_the_test_and_leaves_nothing"]
fn child_on_a_throwaway_server() {
    let panic = std::env::var("PANIC").expect("run by a_forced_throwaway_server_…");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = TestDatabase::new(&USERS).await.unwrap();
        assert!(db.server().is_throwaway());
        assert_eq!(insert_user_and_count(db.pool()).await, 1);
        let data: String = sqlx::query_scalar("SHOW data_directory")
            .fetch_one(db.pool())
            .await
            .unwrap();
        let pid_file = std::fs::read_to_string(Path::new(&data).join("postmaster.pid")).unwrap();
        println!("DATA_DIRECTORY={data}");
        println!("POSTMASTER_PID={}", pid_file.lines().next().unwrap());
        db.close().await.unwrap();
    });
    assert!(
        panic.is_empty(),
        "failing on purpose: the server must go all the same"
    );
}

/// Runs one ignored test of this binary in a child process, on this process's server (even a
/// throwaway one) unless `env` says otherwise.
fn child(test: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env(CHILD, test);
    cmd.env("DATABASE_URL", support::server_url());
    cmd.env_remove(migrate::testing::SERVER_VARIABLE);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The child's `KEY=value` lines.
fn report_of(out: &Output) -> BTreeMap<String, String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The harness may print `test name ... ` before the child's first line.
    let report: BTreeMap<String, String> = stdout
        .split_whitespace()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert!(
        !report.is_empty(),
        "the child reported nothing:\n{stdout}\n{}",
        stderr(out)
    );
    report
}

fn is_running(pid: &str) -> bool {
    Path::new("/proc").join(pid).exists()
}

/// Processes whose command line mentions `dir` (the server and the watchdog do).
fn processes_using(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline
                .contains(&needle)
                .then(|| format!("{}: {cmdline}", e.file_name().to_string_lossy()))
        })
        .collect()
}

async fn admin() -> sqlx::PgConnection {
    use sqlx::ConnectOptions;
    support::server()
        .await
        .connect_options()
        .connect()
        .await
        .unwrap()
}

async fn database_exists(name: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut admin().await)
        .await
        .unwrap()
}

async fn drop_template(name: &str) {
    let mut admin = admin().await;
    sqlx::raw_sql(&format!(
        "ALTER DATABASE \"{name}\" WITH IS_TEMPLATE false; "
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
}
