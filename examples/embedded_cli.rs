//! An application binary that doubles as the migration tool for its own schema:
//!
//! ```text
//! cargo run --example embedded_cli --features cli -- migrate status
//! cargo run --example embedded_cli --features cli -- migrate plan
//! cargo run --example embedded_cli --features cli -- migrate up
//! cargo run --example embedded_cli --features cli -- migrate verify --format json
//! cargo run --example embedded_cli --features cli -- migrate baseline 001_notes
//! cargo run --example embedded_cli --features cli -- serve
//! ```
//!
//! The database comes from `DATABASE_URL` or `--database-url`. Exit codes: 0 ok, 1 pending or
//! failed migrations, 2 error — usable as a deploy gate (`myapp migrate verify || exit 1`).
//!
//! The app keeps its own clap CLI and nests [`migrate::cli::Migrate`] as one subcommand. An app
//! without a CLI of its own can instead make `main` a one-liner:
//! `fn main() -> ExitCode { migrate::cli::main(&MIGRATIONS) }`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate::{Migrations, migrations};

/// The app's schema.
pub static MIGRATIONS: Migrations = migrations! {
    // Each down is checked against its up at build time, and stored in the history when the
    // migration is applied, so an older release can revert it (`myapp migrate down --to …`).
    #[down("DROP TABLE IF EXISTS notes;")]
    "001_notes" => "
        CREATE TABLE IF NOT EXISTS notes (
            id         BIGSERIAL PRIMARY KEY,
            body       TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
    ",
    #[down("ALTER TABLE notes DROP COLUMN IF EXISTS author;")]
    "002_notes_author" => "ALTER TABLE notes ADD COLUMN IF NOT EXISTS author TEXT;",
    // `#[no_transaction]` applies to the down too.
    #[no_transaction]
    #[down("DROP INDEX CONCURRENTLY IF EXISTS notes_created_at_idx;")]
    "003_notes_created_at_idx" => "
        CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_created_at_idx ON notes (created_at);
    ",
};

/// A notes service.
#[derive(Parser)]
#[command(name = "notes")]
pub struct AppCli {
    #[command(subcommand)]
    command: AppCommand,
}

#[derive(Subcommand)]
enum AppCommand {
    /// Apply pending migrations, then serve (this example stops after migrating).
    Serve,
    /// Manage the database schema: status, up, plan, verify, baseline.
    Migrate(migrate::cli::Migrate),
}

#[tokio::main]
async fn main() -> ExitCode {
    match AppCli::parse().command {
        AppCommand::Migrate(migrate) => migrate.run(&MIGRATIONS).await.into(),
        AppCommand::Serve => serve().await,
    }
}

async fn serve() -> ExitCode {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("error: set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres");
        return ExitCode::from(2);
    };
    let result = async {
        let pool = migrate::connect(&url).await?;
        let report = MIGRATIONS.run(&pool).await?;
        Ok::<_, migrate::Error>(report)
    }
    .await;
    match result {
        Ok(report) => {
            println!("migrations: {report}");
            println!("(a real service would start serving here)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
