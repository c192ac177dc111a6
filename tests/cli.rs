//! `migrate::cli` end to end against real databases: each subcommand's output and exit code,
//! through the same parsing an application's `main` uses (the embedded_cli example's list).

mod support;

#[allow(dead_code)]
#[path = "../examples/embedded_cli.rs"]
mod embedded_cli;

use clap::Parser;
use embedded_cli::MIGRATIONS;
use migrate::cli::{Cli, Command, Format, Migrate, Outcome};
use serde_json::Value;

struct Run {
    outcome: Outcome,
    out: String,
    err: String,
}

async fn migrate(url: &str, args: &[&str]) -> Run {
    let mut argv = vec!["notes", "migrate"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--database-url", url]);
    let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = cli
        .migrate()
        .run_with(&MIGRATIONS, &mut out, &mut err)
        .await;
    Run {
        outcome,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.out))
}

async fn table_exists(db: &support::TestDb, name: &str) -> bool {
    let pool = db.pool().await;
    let exists = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    exists
}

#[tokio::test]
async fn status_up_status_verify_on_a_fresh_database() {
    let db = support::TestDb::new().await;
    let url = db.url();

    let fresh = migrate(&url, &["status"]).await;
    assert_eq!(
        fresh.outcome,
        Outcome::Failed,
        "pending → exit 1\n{}{}",
        fresh.out,
        fresh.err
    );
    for m in MIGRATIONS.iter() {
        assert!(
            fresh.out.contains(m.version()),
            "status lists {}:\n{}",
            m.version(),
            fresh.out
        );
    }
    assert!(
        fresh.out.to_lowercase().contains("pending"),
        "{}",
        fresh.out
    );

    let verify = migrate(&url, &["verify"]).await;
    assert_eq!(
        verify.outcome,
        Outcome::Failed,
        "{}{}",
        verify.out,
        verify.err
    );

    let up = migrate(&url, &["up"]).await;
    assert_eq!(up.outcome, Outcome::Success, "{}{}", up.out, up.err);
    assert!(up.out.contains("applied 3 migrations"), "{}", up.out);
    assert!(table_exists(&db, "notes").await);

    let again = migrate(&url, &["status"]).await;
    assert_eq!(
        again.outcome,
        Outcome::Success,
        "{}{}",
        again.out,
        again.err
    );
    for m in MIGRATIONS.iter() {
        let line = again.out.lines().find(|l| l.contains(m.version()));
        assert!(
            line.is_some_and(|l| l.contains("applied")),
            "{} is applied:\n{}",
            m.version(),
            again.out
        );
    }

    let verify = migrate(&url, &["verify"]).await;
    assert_eq!(
        verify.outcome,
        Outcome::Success,
        "{}{}",
        verify.out,
        verify.err
    );

    let up_again = migrate(&url, &["up"]).await;
    assert_eq!(up_again.outcome, Outcome::Success);
    assert!(
        up_again.out.contains("nothing to apply"),
        "{}",
        up_again.out
    );
}

#[tokio::test]
async fn json_status_and_verify() {
    let db = support::TestDb::new().await;
    let url = db.url();

    let status = migrate(&url, &["status", "--format", "json"]).await;
    assert_eq!(status.outcome, Outcome::Failed);
    let value = json(&status);
    let text = value.to_string();
    for m in MIGRATIONS.iter() {
        assert!(text.contains(m.version()), "{value:#}");
    }

    let up = migrate(&url, &["up", "--format", "json"]).await;
    assert_eq!(up.outcome, Outcome::Success, "{}", up.err);
    let report = json(&up);
    assert_eq!(
        report["applied"].as_array().map(Vec::len),
        Some(3),
        "{report:#}"
    );

    let verify = migrate(&url, &["--format", "json", "verify"]).await;
    assert_eq!(verify.outcome, Outcome::Success, "{}", verify.err);
    json(&verify);
}

#[tokio::test]
async fn plan_prints_the_sql_and_changes_nothing() {
    let db = support::TestDb::new().await;
    let url = db.url();

    let plan = migrate(&url, &["plan"]).await;
    assert_eq!(plan.outcome, Outcome::Success, "{}", plan.err);
    assert!(
        plan.out.contains("CREATE TABLE IF NOT EXISTS notes"),
        "{}",
        plan.out
    );
    assert!(
        plan.out
            .contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_created_at_idx"),
        "{}",
        plan.out
    );
    assert!(
        !table_exists(&db, "notes").await,
        "plan must not run anything"
    );

    let status = migrate(&url, &["status"]).await;
    assert_eq!(status.outcome, Outcome::Failed, "still pending after plan");
}

#[tokio::test]
async fn baseline_records_without_running() {
    let db = support::TestDb::new().await;
    let url = db.url();

    let baseline = migrate(&url, &["baseline", "002_notes_author"]).await;
    assert_eq!(
        baseline.outcome,
        Outcome::Success,
        "{}{}",
        baseline.out,
        baseline.err
    );
    assert!(
        baseline.out.contains("002_notes_author"),
        "{}",
        baseline.out
    );
    assert!(
        !table_exists(&db, "notes").await,
        "baseline runs no migration SQL"
    );

    let status = migrate(&url, &["status"]).await;
    assert_eq!(
        status.outcome,
        Outcome::Failed,
        "003 is still pending:\n{}",
        status.out
    );
    let pending_line = status
        .out
        .lines()
        .find(|l| l.contains("003_notes_created_at_idx"))
        .unwrap_or_else(|| panic!("{}", status.out));
    assert!(
        pending_line.to_lowercase().contains("pending"),
        "{}",
        status.out
    );

    let unknown = migrate(&url, &["baseline", "009_nope"]).await;
    assert_eq!(unknown.outcome, Outcome::Error);
    assert!(unknown.err.contains("009_nope"), "{}", unknown.err);
}

#[tokio::test]
async fn unreachable_database_exits_2_without_leaking_the_password() {
    let url = "postgres://app:hunter2@127.0.0.1:1/nowhere";
    let run = migrate(url, &["status"]).await;
    assert_eq!(run.outcome, Outcome::Error);
    assert_eq!(run.outcome.code(), 2);
    assert!(run.err.starts_with("error: "), "{}", run.err);
    assert!(!run.err.contains("hunter2"), "password leaked: {}", run.err);
    assert!(!run.out.contains("hunter2"));
}

#[tokio::test]
async fn no_database_url_exits_2() {
    let cmd = Migrate {
        database_url: None,
        format: Format::Human,
        table: None,
        command: Command::Status,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = cmd.run_with(&MIGRATIONS, &mut out, &mut err).await;
    assert_eq!(outcome, Outcome::Error);
    assert!(String::from_utf8(err).unwrap().contains("DATABASE_URL"));
}

#[test]
fn bad_arguments_are_usage_errors_with_exit_code_2() {
    let not_a_url =
        Cli::try_parse_from(["notes", "migrate", "status", "--database-url", "localhost"]);
    assert_eq!(not_a_url.map(|_| ()).unwrap_err().exit_code(), 2);
    let no_version = Cli::try_parse_from(["notes", "migrate", "baseline"]);
    assert_eq!(no_version.map(|_| ()).unwrap_err().exit_code(), 2);
    let unknown = Cli::try_parse_from(["notes", "migrate", "down"]);
    assert_eq!(unknown.map(|_| ()).unwrap_err().exit_code(), 2);
}

#[tokio::test]
async fn custom_history_table() {
    let db = support::TestDb::new().await;
    let url = db.url();
    let up = migrate(&url, &["up", "--table", "notes_history"]).await;
    assert_eq!(up.outcome, Outcome::Success, "{}", up.err);
    assert!(table_exists(&db, "notes_history").await);
    assert!(!table_exists(&db, "schema_migrations").await);
    let status = migrate(&url, &["status", "--table", "notes_history"]).await;
    assert_eq!(status.outcome, Outcome::Success);
}

#[tokio::test]
async fn drift_exits_0_when_clean_and_1_naming_the_difference() {
    let db = support::TestDb::new().await;
    let url = db.url();
    assert_eq!(migrate(&url, &["up"]).await.outcome, Outcome::Success);

    let clean = migrate(&url, &["drift"]).await;
    assert_eq!(
        clean.outcome,
        Outcome::Success,
        "{}{}",
        clean.out,
        clean.err
    );
    assert!(clean.out.starts_with("no drift"), "{}", clean.out);

    let pool = db.pool().await;
    sqlx::raw_sql("ALTER TABLE notes DROP COLUMN author")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let drifted = migrate(&url, &["drift"]).await;
    assert_eq!(
        drifted.outcome,
        Outcome::Failed,
        "{}{}",
        drifted.out,
        drifted.err
    );
    assert!(
        drifted.out.contains(
            "column notes.author (text): made by the migrations, missing in the database"
        ),
        "{}",
        drifted.out
    );
    let as_json = json(&migrate(&url, &["drift", "--format", "json"]).await);
    assert_eq!(as_json["differences"][0]["difference"], "missing");
    assert_eq!(
        as_json["differences"][0]["object"]["id"]["name"],
        "notes.author"
    );
    assert_eq!(as_json["replayed"], 3);

    let verify = migrate(&url, &["verify"]).await;
    assert_eq!(
        verify.outcome,
        Outcome::Failed,
        "{}{}",
        verify.out,
        verify.err
    );
    assert!(
        verify
            .out
            .contains("the schema changed since the last migration run"),
        "{}",
        verify.out
    );
    let verify_json = json(&migrate(&url, &["verify", "--format", "json"]).await);
    assert!(
        verify_json["drift"]["live_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    let unreachable = migrate(
        &url,
        &["drift", "--scratch-url", "postgres://nobody@127.0.0.1:1/x"],
    )
    .await;
    assert_eq!(unreachable.outcome, Outcome::Error, "{}", unreachable.out);
    assert!(
        unreachable.err.contains("scratch database"),
        "{}",
        unreachable.err
    );
}

#[tokio::test]
async fn down_dry_run_prints_the_sql_then_down_reverts_and_json_reports_it() {
    let db = support::TestDb::new().await;
    let url = db.url();
    assert_eq!(migrate(&url, &["up"]).await.outcome, Outcome::Success);

    let plan = migrate(&url, &["down", "--to", "001_notes", "--dry-run"]).await;
    assert_eq!(plan.outcome, Outcome::Success, "{}{}", plan.out, plan.err);
    assert!(
        plan.out
            .contains("DROP INDEX CONCURRENTLY IF EXISTS notes_created_at_idx;"),
        "{}",
        plan.out
    );
    let index = plan.out.find("-- revert 003_notes_created_at_idx").unwrap();
    let column = plan.out.find("-- revert 002_notes_author").unwrap();
    assert!(index < column, "newest first:\n{}", plan.out);
    assert!(
        table_exists(&db, "notes").await,
        "a dry run changes nothing"
    );
    // `plan --down-to` shows the same SQL; `status` says each applied migration is reversible.
    let plan_down = migrate(&url, &["plan", "--down-to", "001_notes"]).await;
    assert_eq!(plan_down.outcome, Outcome::Success, "{}", plan_down.err);
    assert_eq!(plan_down.out, plan.out);
    let status = migrate(&url, &["status"]).await;
    let reversible = status.out.lines().filter(|l| l.ends_with("; reversible"));
    assert_eq!(reversible.count(), 3, "{}", status.out);
    let status = json(&migrate(&url, &["status", "--format", "json"]).await);
    assert_eq!(
        status["migrations"][0]["reversibility"]["kind"], "reversible",
        "{status}"
    );

    let down = migrate(&url, &["down", "--to", "001_notes", "--format", "json"]).await;
    assert_eq!(down.outcome, Outcome::Success, "{}{}", down.out, down.err);
    let json: Value = serde_json::from_str(&down.out).unwrap();
    let versions: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["003_notes_created_at_idx", "002_notes_author"]);

    let all = migrate(&url, &["down", "--to", "0"]).await;
    assert_eq!(all.outcome, Outcome::Success, "{}{}", all.out, all.err);
    assert!(
        all.out
            .contains("reverted 1 migration(s) down to 0: 001_notes"),
        "{}",
        all.out
    );
    assert!(!table_exists(&db, "notes").await);

    // An unknown target is refused with exit 2; the target is required.
    let unknown = migrate(&url, &["down", "--to", "009_nope"]).await;
    assert_eq!(unknown.outcome, Outcome::Error);
    assert!(unknown.err.contains("009_nope"), "{}", unknown.err);
    assert!(Cli::try_parse_from(["notes", "migrate", "down"]).is_err());
}
