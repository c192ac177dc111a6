//! The quickstart: a small app's migration list, applied to PostgreSQL with a readable report.
//!
//! ```text
//! cargo run --example quickstart            # uses DATABASE_URL, or creates `migrate_quickstart` locally
//! cargo run --example quickstart            # second run: "up to date", nothing applied
//! ```
//!
//! Database: `DATABASE_URL` when set (used as is). Otherwise a dedicated database
//! `migrate_quickstart`, created if missing (so trying the example never puts tables into your
//! `postgres` database), on the server the test harness would choose: PostgreSQL on
//! `127.0.0.1:5432` as `postgres` when it answers, else a throwaway server started from the
//! PostgreSQL binaries on the machine and deleted when the program exits.

use std::process::ExitCode;

use migrate::{Migrations, Report, migrations};
use sqlx::{ConnectOptions, Connection};

/// The whole schema history of the app. Every entry is idempotent (it can run again on a
/// database where its objects already exist) or the build fails: try removing an
/// `IF NOT EXISTS` and running `cargo build --example quickstart`.
///
/// Each `#[down]` is checked against its up at build time (a down that forgets the up's
/// index or column fails the build, naming the missing statement) and stored in the history
/// when the migration is applied, so an older release can revert it: `migrate down --to …`.
pub static MIGRATIONS: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS users;")]
    "001_users" => "
        CREATE TABLE IF NOT EXISTS users (
            id         BIGSERIAL PRIMARY KEY,
            email      TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (email);
    ",
    #[down("DROP TABLE IF EXISTS subscriptions;")]
    "002_subscriptions" => "
        CREATE TABLE IF NOT EXISTS subscriptions (
            id         BIGSERIAL PRIMARY KEY,
            user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            plan       TEXT NOT NULL,
            started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            ends_at    TIMESTAMPTZ
        );
        CREATE INDEX IF NOT EXISTS subscriptions_user_id_idx ON subscriptions (user_id);
    ",
    #[down("DROP TABLE IF EXISTS event_log;")]
    "003_event_log" => "
        CREATE TABLE IF NOT EXISTS event_log (
            id      BIGSERIAL PRIMARY KEY,
            at      TIMESTAMPTZ NOT NULL DEFAULT now(),
            user_id BIGINT,
            kind    TEXT NOT NULL,
            payload JSONB NOT NULL DEFAULT '{}'
        );
    ",
    #[down("DROP TABLE IF EXISTS presets;")]
    "004_presets" => "
        CREATE TABLE IF NOT EXISTS presets (
            id       BIGSERIAL PRIMARY KEY,
            owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            name     TEXT NOT NULL,
            settings JSONB NOT NULL DEFAULT '{}'
        );
        CREATE UNIQUE INDEX IF NOT EXISTS presets_owner_name_key ON presets (owner_id, name);
        CREATE INDEX IF NOT EXISTS presets_settings_idx ON presets USING gin (settings);
    ",
    #[down("DROP TABLE IF EXISTS candidates;")]
    "005_candidates" => "
        CREATE TABLE IF NOT EXISTS candidates (
            id        BIGSERIAL PRIMARY KEY,
            preset_id BIGINT NOT NULL,
            score     DOUBLE PRECISION NOT NULL DEFAULT 0,
            CONSTRAINT candidates_preset_id_fkey
                FOREIGN KEY (preset_id) REFERENCES presets (id) ON DELETE CASCADE
        );
        CREATE INDEX IF NOT EXISTS candidates_preset_id_idx ON candidates (preset_id);
    ",
    #[down("ALTER TABLE users DROP COLUMN IF EXISTS display_name;")]
    "006_users_display_name" => "
        ALTER TABLE users ADD COLUMN IF NOT EXISTS display_name TEXT;
    ",
    // CONCURRENTLY cannot run inside a transaction block: the entry says so, and the build
    // fails without the attribute. It applies to the down too.
    #[no_transaction]
    #[down("DROP INDEX CONCURRENTLY IF EXISTS event_log_user_id_idx;")]
    "007_event_log_user_idx" => "
        CREATE INDEX CONCURRENTLY IF NOT EXISTS event_log_user_id_idx ON event_log (user_id);
    ",
};

const QUICKSTART_DATABASE: &str = "migrate_quickstart";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = database_url().await?;
    let pool = migrate::connect(&url).await?;
    println!("{} migrations in the list", MIGRATIONS.len());

    let report = MIGRATIONS.run(&pool).await?;
    print_report(&report);
    pool.close().await;
    Ok(())
}

fn print_report(report: &Report) {
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    if report.applied.is_empty() {
        println!(
            "the database is up to date: {} migrations already applied, nothing to do",
            report.already_applied.len()
        );
        return;
    }
    for applied in &report.applied {
        println!(
            "  applied {:<26} {:>3} statement(s) in {:>4} ms",
            applied.version,
            applied.statements,
            applied.duration.as_millis()
        );
    }
    println!("{report}");
}

/// `DATABASE_URL` as given, or the dedicated quickstart database on the harness's server.
async fn database_url() -> Result<String, Box<dyn std::error::Error>> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return Ok(url);
    }
    let server = migrate::testing::Server::get().await?;
    if server.is_throwaway() {
        println!(
            "nothing answers on 127.0.0.1:5432: using a throwaway PostgreSQL server, \
             deleted when this program exits"
        );
    }
    let mut admin = server.connect_options().connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(QUICKSTART_DATABASE)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        sqlx::raw_sql(&format!("CREATE DATABASE {QUICKSTART_DATABASE}"))
            .execute(&mut admin)
            .await?;
        println!("created database `{QUICKSTART_DATABASE}`");
    }
    admin.close().await?;
    Ok(server.url_for(QUICKSTART_DATABASE))
}
