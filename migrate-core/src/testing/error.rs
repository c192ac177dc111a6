//! What can go wrong while preparing a test database, each with what to do about it.

use std::path::PathBuf;

/// Why a test database could not be prepared.
///
/// ```
/// let e = migrate_core::testing::Error::NoPostgresUser;
/// assert!(e.to_string().contains("useradd"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `DATABASE_URL` (or `MIGRATE_TEST_SERVER`) holds something unusable.
    #[error("{variable} is not usable: {reason}")]
    Environment {
        /// The environment variable.
        variable: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The chosen server refused a connection or a statement.
    #[error("{what} on {server}: {source}")]
    Database {
        /// What was being done (`CREATE DATABASE "…"`, connecting, …).
        what: String,
        /// The server, without its password.
        server: String,
        /// sqlx's error.
        #[source]
        source: sqlx::Error,
    },
    /// Applying the list to the template database failed.
    #[error("building the template database `{template}`: {source}")]
    Migrate {
        /// The template database being built.
        template: String,
        /// The runtime's error (the migration, the statement, PostgreSQL's message).
        #[source]
        source: Box<crate::runtime::Error>,
    },
    /// No server was reachable and no PostgreSQL binaries were found to start one.
    #[error(
        "no PostgreSQL server to test against: DATABASE_URL is not set, nothing answers on \
         127.0.0.1:5432, and no PostgreSQL server binaries (initdb, postgres) were found \
         (looked in `pg_config --bindir`, /usr/lib/postgresql/*/bin and PATH). Install them \
         (Debian/Ubuntu: `apt-get install postgresql`; Fedora: `dnf install postgresql-server`; \
         macOS: `brew install postgresql`), start a server, or set DATABASE_URL to a server \
         where you may create databases"
    )]
    NoBinaries,
    /// Running as root, where PostgreSQL refuses to start, with no `postgres` user to run it as.
    #[error(
        "PostgreSQL refuses to run as root, and there is no `postgres` system user to run the \
         throwaway test server as: create one (`useradd --system --user-group postgres`), run \
         the tests as a normal user, or set DATABASE_URL to a running server"
    )]
    NoPostgresUser,
    /// A step of starting the throwaway server failed.
    #[error("throwaway PostgreSQL server: {step}: {detail}")]
    Throwaway {
        /// The step (`initdb`, `starting postgres`, …).
        step: String,
        /// What went wrong: the command's output or the server's log.
        detail: String,
    },
    /// A file system operation for the throwaway server failed.
    #[error("throwaway PostgreSQL server: {what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
