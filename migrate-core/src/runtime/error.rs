//! Everything that can go wrong in a run, each with what happened and how to fix it.

use std::fmt;
use std::time::Duration;

use sqlx::postgres::{PgDatabaseError, PgErrorPosition};

use super::Status;

/// Why a run, status, verify, plan or baseline call failed.
///
/// Every variant's `Display` is a complete message: what is wrong, where, and what to do.
///
/// ```
/// use migrate_core::Error;
///
/// let e = Error::ChecksumMismatch {
///     version: "002_users".into(),
///     recorded: "aa".into(),
///     current: "bb".into(),
/// };
/// assert!(e.to_string().contains("002_users"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A statement of a migration failed in PostgreSQL. For a transactional migration nothing of
    /// it remains; a `#[no_transaction]` one is recorded as failed with its progress.
    #[error(
        "migration {version} failed at statement {statement} (line {line}{}): {source}\n  statement: {excerpt}\n  nothing after the failing statement ran; {}",
        column.map(|c| format!(", column {c}")).unwrap_or_default(),
        if *transactional { "the migration was rolled back and is not recorded: fix it and run again" }
        else { "the migration is recorded as failed with the statements done so far; the next run resumes at this statement" }
    )]
    Migration {
        /// The migration's version.
        version: String,
        /// 1-based number of the failing statement within the migration.
        statement: usize,
        /// 1-based line within the migration's SQL (of the error position when PostgreSQL
        /// gave one, else of the statement's start).
        line: u32,
        /// 1-based column within that line, when PostgreSQL gave a position.
        column: Option<u32>,
        /// The failing statement, shortened to one line.
        excerpt: String,
        /// Whether the migration ran inside a transaction (and so left nothing behind).
        transactional: bool,
        /// PostgreSQL's report.
        source: Box<PgErrorDetails>,
    },
    /// The connection failed while a migration ran (not an error in the SQL itself).
    #[error(
        "the connection failed while migration {version} was running: {source}; a transactional migration is rolled back by PostgreSQL, a #[no_transaction] one resumes at its first unfinished statement on the next run"
    )]
    Interrupted {
        /// The migration's version.
        version: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The server or the connection went away and did not come back within
    /// [`Migrator::reconnect_within`](super::Migrator::reconnect_within).
    #[error(
        "the database server went away{} and did not come back within {budget:?}: {source}; nothing is lost: when it is back, run again and the run resumes (a transactional migration reruns from its start, a #[no_transaction] one from its first unfinished statement)",
        in_flight.as_ref().map(|v| format!(" while migration {v} was running")).unwrap_or_default()
    )]
    ServerGone {
        /// The migration that was running when the connection was lost, if one was.
        in_flight: Option<String>,
        /// The reconnection budget that ran out.
        budget: Duration,
        /// The last connection error.
        source: Box<Error>,
    },
    /// A `#[no_transaction]` down stopped part-way (it failed, or its process died), so the
    /// schema is between two versions; runs refuse until the rollback is finished.
    #[error(
        "migration {version} is half reverted: its #[no_transaction] down stopped after {done} statement(s), so the schema is between two versions; finish the rollback (`migrate down --to <the version before it>` resumes at statement {}), then run the migrations again if you want it back",
        done + 1
    )]
    RevertUnfinished {
        /// The migration whose down stopped.
        version: String,
        /// Statements of the down done.
        done: usize,
    },
    /// The run no longer holds its lock: its lease expired and another run took it over (the
    /// run stalled for longer than the lease's term), or its advisory lock is held by another
    /// server connection than the one its transaction ran on (an unrecognised transaction
    /// pooler). The transaction in flight was rolled back.
    #[error(
        "the migration lock on history table {table} is no longer this run's (its lease expired and another run took it over, or a connection pooler ran the migration on a server connection that does not hold the lock), so this run stopped; the migration in flight was rolled back (a #[no_transaction] one resumes at its first unfinished statement): run again; if the process stalls for long, raise Migrator::lease_ttl, and through a pooler in transaction mode use LockStrategy::Lease"
    )]
    LockLost {
        /// The history table whose lock was lost.
        table: String,
    },
    /// Another run held the migration lock for longer than the configured wait.
    #[error(
        "waited {waited:?} for the migration lock on history table {table} but another run still holds it{}; let it finish, or raise Migrator::lock_wait",
        holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
    )]
    LockTimeout {
        /// The history table whose lock was requested.
        table: String,
        /// How long this run waited.
        waited: Duration,
        /// Who holds the lock, as PostgreSQL reports it (pid, application, client, since when).
        holder: Option<String>,
    },
    /// An applied migration's SQL changed since it ran (policy [`ChecksumPolicy::Error`](super::ChecksumPolicy::Error)).
    #[error(
        "migration {version} was edited after it was applied (recorded checksum {recorded}, current {current}); restore its original SQL and put the change in a new migration, or choose ChecksumPolicy::Warn or ChecksumPolicy::Accept"
    )]
    ChecksumMismatch {
        /// The migration's version.
        version: String,
        /// The checksum in the history table.
        recorded: String,
        /// The checksum of the SQL in the code.
        current: String,
    },
    /// The database has applied versions the code does not know (policy [`UnknownPolicy::Error`](super::UnknownPolicy::Error)).
    #[error(
        "the history table records versions this program does not have: {}; deploy a build that contains them, or choose UnknownPolicy::Warn",
        versions.join(", ")
    )]
    UnknownVersions {
        /// The versions found only in the database.
        versions: Vec<String>,
    },
    /// Pending migrations are numbered below one already applied (policy [`OutOfOrderPolicy::Error`](super::OutOfOrderPolicy::Error)).
    #[error(
        "pending migrations {} are numbered below {latest_applied}, which is already applied; renumber them above it, or choose OutOfOrderPolicy::Apply",
        versions.join(", ")
    )]
    OutOfOrder {
        /// The pending versions numbered below the latest applied one.
        versions: Vec<String>,
        /// The highest applied version.
        latest_applied: String,
    },
    /// `verify` found migrations pending, failed or modified.
    #[error("the database is not up to date:\n{status}")]
    NotUpToDate {
        /// What `status` reported.
        status: Box<Status>,
    },
    /// The first connection could not be made.
    #[error(
        "cannot connect to {url_redacted} after {attempts} attempt(s): {source}; check that the server is running and the URL, user and password are right"
    )]
    Connect {
        /// The URL with its password replaced by `***`.
        url_redacted: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last attempt's error.
        source: sqlx::Error,
    },
    /// The history table name is not usable.
    #[error("invalid history table name {name:?}: {reason}")]
    InvalidTable {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `revert_to` checked the whole range first and found migrations it cannot revert;
    /// nothing was reverted.
    #[error(
        "cannot revert to {target}: nothing was reverted, because {}:\n  {}",
        if problems.len() == 1 { "one migration of the range cannot be reverted" } else { "these migrations of the range cannot be reverted" },
        problems.join("\n  ")
    )]
    RevertRefused {
        /// The target version.
        target: String,
        /// One line per migration: its version and why.
        problems: Vec<String>,
    },
    /// `revert_to` was given a target that neither the code nor the history knows.
    #[error(
        "cannot revert to {target}: no migration has that version; pass the full version of an applied migration (e.g. \"004_add_index\"), or 0 to revert everything"
    )]
    RevertUnknownTarget {
        /// The target given.
        target: String,
    },
    /// A statement of a transactional down failed: the down was rolled back with the deletion
    /// of its history row, so the migration stays applied.
    #[error(
        "the down of migration {version} failed at statement {statement} (SQLSTATE {}): {source}\n  statement: {excerpt}\n  the migrations reverted before it stay reverted; {version} is still applied (its down was rolled back)",
        sqlstate.as_deref().unwrap_or("none")
    )]
    RevertFailed {
        /// The migration whose down failed.
        version: String,
        /// 1-based number of the failing statement within the down.
        statement: usize,
        /// The failing statement, shortened to one line.
        excerpt: String,
        /// PostgreSQL's error code.
        sqlstate: Option<String>,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A statement of a `#[no_transaction]` down failed: the statements before it stay done,
    /// its history row records the progress and the error (state `reverting`), and running the
    /// rollback again resumes at the failed statement.
    #[error(
        "the #[no_transaction] down of migration {version} stopped at statement {statement} (SQLSTATE {}): {source}\n  statement: {excerpt}\n  the migrations reverted before it stay reverted; {version} is half reverted: fix the cause and run the rollback again, it resumes at statement {statement}",
        sqlstate.as_deref().unwrap_or("none")
    )]
    RevertStopped {
        /// The migration whose down stopped.
        version: String,
        /// 1-based number of the failing statement within the down.
        statement: usize,
        /// The failing statement, shortened to one line.
        excerpt: String,
        /// PostgreSQL's error code.
        sqlstate: Option<String>,
        /// The driver's error (boxed: it keeps [`Error`] small).
        source: Box<sqlx::Error>,
    },
    /// `baseline` was asked for a version the code does not contain.
    #[error(
        "cannot baseline up to {version}: no migration has that version; pass the full version of one of the migrations (e.g. \"006_add_user_position\")"
    )]
    BaselineUnknownVersion {
        /// The version given.
        version: String,
    },
    /// Another tool's history records a migration that did not finish (sqlx's
    /// `success = false`): adopting it would record a half-applied migration as applied.
    #[error(
        "cannot adopt {tool}'s history: it records migration {version} as failed (success = false in {}); repair that migration with {tool} (or delete its row once the schema is right), then run again",
        tool.history_table()
    )]
    AdoptFailedMigration {
        /// The tool whose history was read.
        tool: crate::Tool,
        /// The failed version, as that tool recorded it.
        version: String,
    },
    /// No single other tool's history to adopt: the one asked for is missing, or several are
    /// present.
    #[error("cannot adopt another tool's history: {problem}")]
    AdoptionSource {
        /// What is wrong and what to do.
        problem: String,
    },
    /// Reading or writing the history table failed.
    #[error("cannot {action} history table {table}: {source}")]
    History {
        /// The history table.
        table: String,
        /// What was being done, e.g. "read".
        action: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A history row holds a value this runtime does not understand (a typo, or a state a
    /// newer release wrote): nothing is assumed about the migration it records.
    #[error(
        "history table {table}: the row of version {version:?} has {column} = {value:?}, which is not {expected}; correct the row, or run the release that wrote it"
    )]
    InvalidHistoryRow {
        /// The history table.
        table: String,
        /// The row's version (as recorded).
        version: String,
        /// The column holding the value.
        column: &'static str,
        /// The value found (`NULL` for a missing one).
        value: String,
        /// What the column must hold.
        expected: &'static str,
    },
    /// Reading the schema from the catalog failed.
    #[error("cannot read the schema from the catalog: {source}")]
    Snapshot {
        /// The driver's error.
        source: sqlx::Error,
    },
    /// `verify` found every migration applied, but the schema is not the one the last run left:
    /// something changed it outside the migrations. [`Migrator::drift`](super::Migrator::drift)
    /// says how.
    #[error(
        "the schema changed since the last migration run (fingerprint recorded {recorded}, now {live}): something altered it outside the migrations; run `migrate drift` (Migrator::drift) to see how it differs from what the migrations make"
    )]
    Drifted {
        /// What `status` reported (every migration applied).
        status: Box<Status>,
        /// The fingerprint recorded by the last run.
        recorded: String,
        /// The live schema's fingerprint.
        live: String,
    },
    /// Replaying the applied migrations into `drift`'s scratch database failed.
    #[error(
        "replaying the applied migrations into the scratch database {name} failed (the live database is untouched, the scratch database is dropped): {source}"
    )]
    Replay {
        /// The scratch database's name.
        name: String,
        /// Why the replay failed.
        source: Box<Error>,
    },
    /// `drift` could not create, use or drop its scratch database.
    #[error("cannot {action} the scratch database {name} for the drift check: {source}{hint}")]
    Scratch {
        /// What was being done, e.g. "create".
        action: &'static str,
        /// The scratch database's name.
        name: String,
        /// What to do about it (empty when nothing specific).
        hint: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// PostgreSQL's report of an error: SQLSTATE, message, detail, hint and position.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, list: migrate_core::Migrations) {
/// if let Err(migrate_core::Error::Migration { source, .. }) = list.run(&pool).await {
///     // e.g. "relation \"t\" does not exist (SQLSTATE 42P01)"
///     eprintln!("{source}; hint: {}", source.hint.as_deref().unwrap_or("none"));
///     if source.code == "42P01" { /* … */ }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PgErrorDetails {
    /// The SQLSTATE, e.g. `42P01`.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// The optional detail.
    pub detail: Option<String>,
    /// The optional hint.
    pub hint: Option<String>,
    /// 1-based character position in the text PostgreSQL received, if it gave one.
    pub position: Option<usize>,
}

impl PgErrorDetails {
    /// Extracts PostgreSQL's report from a driver error, if the error came from the server.
    pub(crate) fn from_sqlx(error: &sqlx::Error) -> Option<Self> {
        let db = error.as_database_error()?;
        let pg = db.try_downcast_ref::<PgDatabaseError>()?;
        Some(PgErrorDetails {
            code: pg.code().to_owned(),
            message: pg.message().to_owned(),
            detail: pg.detail().map(str::to_owned),
            hint: pg.hint().map(str::to_owned),
            position: match pg.position() {
                Some(PgErrorPosition::Original(p)) => Some(p),
                _ => None,
            },
        })
    }
}

impl fmt::Display for PgErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.message, self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PgErrorDetails {}

impl Error {
    /// Whether the connection or the server went away (shutdown, restart, failover, a reset
    /// socket), as opposed to a statement failing: a run reconnects and goes on.
    pub(crate) fn is_connection_loss(&self) -> bool {
        match self {
            Error::Interrupted { .. } => true,
            Error::History { source, .. } | Error::Database(source) => is_connection_loss(source),
            _ => false,
        }
    }

    /// The migration in flight when the connection was lost.
    pub(crate) fn in_flight(&self) -> Option<&str> {
        match self {
            Error::Interrupted { version, .. } => Some(version),
            _ => None,
        }
    }
}

/// Server shutdown or crash (57P01, 57P02), a server not accepting connections yet (57P03),
/// connection exceptions (08xxx, also what poolers send when their server connection dies),
/// and a socket that failed or closed.
pub(crate) fn is_connection_loss(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| matches!(&*c, "57P01" | "57P02" | "57P03") || c.starts_with("08")),
        _ => false,
    }
}

/// The SQLSTATE of a driver error, if the server sent one.
pub(crate) fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
}
