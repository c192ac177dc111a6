//! `myapp migrate status|up|plan|verify|drift|baseline`: the subcommand an application embeds to
//! manage its own migration list.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use migrate_core::Migrations;
use migrate_core::{Connect, Error, Migrator};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::database::DatabaseUrl;
use super::lock::{LockMode, lock};
use super::{Format, Outcome};

/// Connection attempts before giving up.
const CONNECT_ATTEMPTS: u32 = 3;
/// How long one attempt may take (sqlx keeps retrying a refused connection for this long).
const CONNECT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

/// The `migrate` subcommand: embed it in an application's own clap CLI, or let
/// [`main`] parse the whole command line.
///
/// Nest it in an app that already has a clap CLI:
///
/// ```no_run
/// use clap::{Parser, Subcommand};
/// use migrate::{Migrations, migrations};
///
/// static MIGRATIONS: Migrations = migrations! {
///     "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY);",
/// };
///
/// #[derive(Parser)]
/// struct AppCli {
///     #[command(subcommand)]
///     command: AppCommand,
/// }
///
/// #[derive(Subcommand)]
/// enum AppCommand {
///     /// Serve requests.
///     Serve,
///     /// Manage the database schema.
///     Migrate(migrate::cli::Migrate),
/// }
///
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     match AppCli::parse().command {
///         AppCommand::Migrate(migrate) => migrate.run(&MIGRATIONS).await.into(),
///         AppCommand::Serve => std::process::ExitCode::SUCCESS,
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
#[command(after_help = "Exit codes: 0 ok, 1 pending/failed/modified migrations or drift, 2 error.")]
pub struct Migrate {
    /// The database, e.g. postgres://user:password@host:5432/db (its password is never printed).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<DatabaseUrl>,
    /// `human` (default) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    pub format: Format,
    /// The history table (`name` or `schema.name`); defaults to `schema_migrations`.
    #[arg(long, global = true, value_name = "TABLE")]
    pub table: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The operations of [`Migrate`].
///
/// ```
/// use clap::Parser;
/// use migrate::cli::{Cli, Command};
///
/// let cli = Cli::try_parse_from(["myapp", "migrate", "baseline", "003_presets"]).unwrap();
/// assert_eq!(cli.migrate().command, Command::Baseline { version: "003_presets".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Show each migration's state; exit 1 when any is pending, failed or modified.
    Status,
    /// Apply the pending migrations (under the migration lock).
    Up,
    /// Print the SQL a run would execute, bookkeeping included, without running it; with
    /// --down-to, the exact SQL of that rollback instead (as `down --to … --dry-run`).
    Plan {
        /// Show the rollback to this version (`0` for everything) instead of the run.
        #[arg(long, value_name = "VERSION")]
        down_to: Option<String>,
    },
    /// Exit 0 only when every migration is applied and unmodified, and the schema is the one
    /// the last run left (for deploy gates and health checks).
    Verify,
    /// Compare the schema with what the applied migrations make, replayed into a scratch
    /// database (created and dropped on the same server, or on --scratch-url's); exit 1 when
    /// they differ.
    Drift {
        /// A server where the scratch database may be created, when the role may not create
        /// databases on the live one's (its password is never printed).
        #[arg(
            long,
            env = "MIGRATE_SCRATCH_URL",
            hide_env_values = true,
            value_name = "URL"
        )]
        scratch_url: Option<DatabaseUrl>,
    },
    /// Revert every applied migration above --to, newest first (under the migration lock),
    /// with the downs in this binary or, for migrations it does not know, the ones stored in
    /// the history when they were applied. Checks the whole range first: nothing is reverted
    /// when one migration cannot be. Exit 0 done, 2 refused or failed.
    Down {
        /// The version to revert to (it stays applied); `0` reverts everything. Required: a
        /// rollback never guesses how far to go.
        #[arg(long, value_name = "VERSION")]
        to: String,
        /// Print the exact SQL of the rollback and run nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Record the migrations up to VERSION as applied without running them (adopting a
    /// database whose tables predate the tracking).
    Baseline {
        /// The last version to record, e.g. `006_add_user_position`.
        version: String,
    },
    /// Record every migration another tool (sqlx, diesel, refinery) applied to this database
    /// as applied here, matched by version number; that tool's history table is only read.
    /// A first `up` does this by itself when exactly one such table exists.
    Adopt {
        /// The tool whose history to adopt: `sqlx`, `diesel` or `refinery`.
        #[arg(long)]
        from: migrate_core::Tool,
    },
    /// Write `migrations.lock` from this binary's list (no database needed); with `--check`,
    /// exit 1 when the file lacks migrations of the list (for CI).
    Lock {
        /// The lock file; defaults to the one the list was built against (`#![lock("…")]`),
        /// else `migrations.lock` in the current directory.
        #[arg(long, value_name = "PATH")]
        file: Option<std::path::PathBuf>,
        /// Write nothing; exit 1 unless the file is exactly what `lock` would write.
        #[arg(long)]
        check: bool,
        /// Rewrite lines of migrations that were already locked (only for migrations that no
        /// database has run).
        #[arg(long, conflicts_with = "check")]
        force: bool,
    },
}

impl Migrate {
    /// Runs the command, printing the result on stdout and errors on stderr.
    ///
    /// Needs a tokio runtime (it is async); [`main`] makes one for apps that have none.
    ///
    /// ```no_run
    /// use clap::Parser;
    /// # static MIGRATIONS: migrate::Migrations = migrate::migrations! {
    /// #     "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY);",
    /// # };
    ///
    /// #[tokio::main]
    /// async fn main() -> std::process::ExitCode {
    ///     let cli = migrate::cli::Cli::parse(); // `myapp migrate status` …
    ///     cli.migrate().run(&MIGRATIONS).await.into()
    /// }
    /// ```
    pub async fn run(&self, migrations: &Migrations) -> Outcome {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let outcome = self.run_with(migrations, &mut out, &mut err).await;
        // Locked writes after the await: stdout's lock is not Send.
        let _ = std::io::stdout().lock().write_all(&out);
        let _ = std::io::stderr().lock().write_all(&err);
        outcome
    }

    /// Runs the command, writing the result to `out` and errors to `err` (for tests, or to
    /// capture the output).
    ///
    /// ```no_run
    /// use clap::Parser;
    /// use migrate::cli::{Cli, Outcome};
    /// # static MIGRATIONS: migrate::Migrations = migrate::migrations! {
    /// #     "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY);",
    /// # };
    ///
    /// # async fn demo() {
    /// let cli = Cli::try_parse_from(["myapp", "migrate", "verify", "--format", "json"]).unwrap();
    /// let (mut out, mut err) = (Vec::new(), Vec::new());
    /// let outcome = cli.migrate().run_with(&MIGRATIONS, &mut out, &mut err).await;
    /// assert!(matches!(outcome, Outcome::Success | Outcome::Failed));
    /// # }
    /// ```
    pub async fn run_with(
        &self,
        migrations: &Migrations,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Outcome {
        match self.execute(migrations, out).await {
            Ok(outcome) => outcome,
            Err(message) => {
                let _ = writeln!(err, "error: {message}");
                Outcome::Error
            }
        }
    }

    async fn execute(
        &self,
        migrations: &Migrations,
        out: &mut dyn Write,
    ) -> Result<Outcome, String> {
        if let Command::Lock { file, check, force } = &self.command {
            // The lock file is written from the compiled list: no database involved.
            return lock_command(migrations, file.as_deref(), *check, *force, out);
        }
        let url = self.database_url.as_ref().ok_or(
            "no database given: set DATABASE_URL or pass --database-url postgres://user@host:5432/db",
        )?;
        let mut migrator = migrations.migrator();
        if let Some(table) = &self.table {
            migrator = migrator.table(table);
        }
        // An operator at a terminal wants a prompt answer; a service's own startup uses
        // `connect`, which waits longer for a database that is still starting.
        let pool = Connect::new(url.expose())
            .attempts(CONNECT_ATTEMPTS)
            .pool_options(
                PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(CONNECT_ATTEMPT_TIMEOUT),
            )
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        let result = self.dispatch(migrations, migrator, &pool, out).await;
        pool.close().await;
        result
    }

    async fn dispatch(
        &self,
        migrations: &Migrations,
        migrator: Migrator<'_>,
        pool: &PgPool,
        out: &mut dyn Write,
    ) -> Result<Outcome, String> {
        let format = self.format;
        let printed = match &self.command {
            Command::Status => {
                let status = migrator.status(pool).await.map_err(|e| e.to_string())?;
                let outcome = if status.is_up_to_date() {
                    Outcome::Success
                } else {
                    Outcome::Failed
                };
                print(out, format, &status).map(|()| outcome)
            }
            Command::Up => {
                let report = migrator.run(pool).await.map_err(|e| e.to_string())?;
                print(out, format, &report).map(|()| Outcome::Success)
            }
            Command::Plan { down_to: None } => {
                let plan = migrator.plan(pool).await.map_err(|e| e.to_string())?;
                print(out, format, &plan).map(|()| Outcome::Success)
            }
            Command::Plan {
                down_to: Some(target),
            } => {
                let plan = migrator
                    .revert_plan(pool, target)
                    .await
                    .map_err(|e| e.to_string())?;
                print(out, format, &plan).map(|()| Outcome::Success)
            }
            Command::Verify => match migrator.verify(pool).await {
                Ok(status) => print(out, format, &status).map(|()| Outcome::Success),
                Err(Error::NotUpToDate { status }) => {
                    print(out, format, &*status).map(|()| Outcome::Failed)
                }
                Err(e @ Error::Drifted { .. }) => print_drifted(out, format, &e),
                Err(e) => return Err(e.to_string()),
            },
            Command::Drift { scratch_url } => {
                let migrator = match scratch_url {
                    Some(url) => migrator.scratch_url(url.expose()),
                    None => migrator,
                };
                let drift = migrator.drift(pool).await.map_err(|e| e.to_string())?;
                let outcome = if drift.has_drift() {
                    Outcome::Failed
                } else {
                    Outcome::Success
                };
                print(out, format, &drift).map(|()| outcome)
            }
            Command::Baseline { version } => {
                let report = migrator
                    .baseline(pool, version)
                    .await
                    .map_err(|e| e.to_string())?;
                print(out, format, &report).map(|()| Outcome::Success)
            }
            Command::Down { to, dry_run } => {
                let plan = if *dry_run {
                    migrator.revert_plan(pool, to).await
                } else {
                    migrator.revert_to(pool, to).await
                };
                let plan = plan.map_err(|e| e.to_string())?;
                if !*dry_run && format == Format::Human {
                    let versions: Vec<&str> =
                        plan.steps.iter().map(|s| s.version.as_str()).collect();
                    let done = writeln!(
                        out,
                        "reverted {} migration(s) down to {to}: {}",
                        versions.len(),
                        versions.join(", ")
                    );
                    done.map(|()| Outcome::Success)
                } else {
                    print(out, format, &plan).map(|()| Outcome::Success)
                }
            }
            Command::Adopt { from } => {
                let report = migrator
                    .adopt(pool, *from)
                    .await
                    .map_err(|e| e.to_string())?;
                print(out, format, &report).map(|()| Outcome::Success)
            }
            Command::Lock { file, check, force } => {
                return lock_command(migrations, file.as_deref(), *check, *force, out);
            }
        };
        printed.map_err(|e| format!("cannot write the output: {e}"))
    }
}

/// `lock`: the file named by `--file`, else the one the list was built against, else
/// `migrations.lock` in the current directory.
fn lock_command(
    migrations: &Migrations,
    file: Option<&std::path::Path>,
    check: bool,
    force: bool,
    out: &mut dyn Write,
) -> Result<Outcome, String> {
    let default = migrations.lock_file().unwrap_or("migrations.lock");
    let path = file.unwrap_or(std::path::Path::new(default));
    let mode = if check {
        LockMode::Check
    } else {
        LockMode::Write { force }
    };
    lock(migrations, path, mode, out)
}

/// `verify` found the schema changed since the last run: the status, and what to do.
fn print_drifted(out: &mut dyn Write, format: Format, error: &Error) -> std::io::Result<Outcome> {
    let Error::Drifted {
        status,
        recorded,
        live,
    } = error
    else {
        return Ok(Outcome::Error);
    };
    match format {
        Format::Human => writeln!(
            out,
            "{status}
{error}"
        )?,
        Format::Json => {
            let mut value = serde_json::to_value(&**status).map_err(std::io::Error::other)?;
            value["drift"] = serde_json::json!({
                "recorded_fingerprint": recorded,
                "live_fingerprint": live,
                "message": error.to_string(),
            });
            serde_json::to_writer_pretty(&mut *out, &value).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
    }
    Ok(Outcome::Failed)
}

fn print<T>(out: &mut dyn Write, format: Format, value: &T) -> std::io::Result<()>
where
    T: std::fmt::Display + serde::Serialize,
{
    match format {
        Format::Human => writeln!(out, "{value}"),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::other)?;
            writeln!(out)
        }
    }
}

/// A whole command line of the form `<app> migrate <command>`, for apps whose binary has no
/// CLI of its own. Most apps call [`main`] instead of using this directly.
///
/// ```
/// use clap::Parser;
/// use migrate::cli::{Cli, Command, Format};
///
/// let cli = Cli::try_parse_from(["myapp", "migrate", "status", "--format", "json"]).unwrap();
/// assert_eq!(cli.migrate().command, Command::Status);
/// assert_eq!(cli.migrate().format, Format::Json);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
pub struct Cli {
    #[command(subcommand)]
    command: TopLevel,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
enum TopLevel {
    /// Manage the database schema: status, up, plan, verify, drift, baseline.
    Migrate(Migrate),
}

impl Cli {
    /// The parsed `migrate` subcommand.
    ///
    /// ```
    /// use clap::Parser;
    /// let cli = migrate::cli::Cli::try_parse_from(["myapp", "migrate", "plan", "--table", "app.history"]).unwrap();
    /// assert_eq!(cli.migrate().table.as_deref(), Some("app.history"));
    /// ```
    pub fn migrate(&self) -> &Migrate {
        match &self.command {
            TopLevel::Migrate(m) => m,
        }
    }
}

/// Turns the program into `<app> migrate status|up|plan|verify|drift|baseline <version>` for
/// `migrations`: parses the command line, runs the command on its own tokio runtime, and
/// returns the exit code (0 ok, 1 pending or failed, 2 error).
///
/// Call it from a synchronous `main` (inside an async runtime use [`Migrate::run`]).
///
/// ```no_run
/// use migrate::{Migrations, migrations};
///
/// static MIGRATIONS: Migrations = migrations! {
///     "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY);",
/// };
///
/// fn main() -> std::process::ExitCode {
///     migrate::cli::main(&MIGRATIONS)
/// }
/// ```
pub fn main(migrations: &Migrations) -> ExitCode {
    let cli = <Cli as clap::Parser>::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Outcome::Error.into();
        }
    };
    runtime.block_on(cli.migrate().run(migrations)).into()
}
