//! What a run did.

use std::fmt;
use std::time::Duration;

use super::{IndexRebuild, LockStrategy};
use crate::VersionText;

/// One migration applied by a run.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, list: migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// let report = list.run(&pool).await?;
/// for applied in &report.applied {
///     println!("{}: {} statements in {:?}", applied.version, applied.statements, applied.duration);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Applied {
    /// The migration's version.
    pub version: String,
    /// Wall-clock time of the migration, bookkeeping included.
    #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde_millis"))]
    pub duration: Duration,
    /// How many statements ran (for a resumed `#[no_transaction]` migration, only the rest).
    pub statements: usize,
}

/// Something a run noticed and carried on with, by policy.
///
/// ```
/// use migrate_core::Warning;
///
/// let w = Warning::UnknownVersions { versions: vec!["009_future".into()] };
/// assert!(w.to_string().contains("009_future"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Warning {
    /// An applied migration's SQL changed since it ran.
    ChecksumMismatch {
        /// The migration's version.
        version: String,
        /// The checksum in the history table.
        recorded: String,
        /// The checksum of the SQL in the code.
        current: String,
        /// Whether the new checksum was recorded ([`ChecksumPolicy::Accept`](super::ChecksumPolicy::Accept)).
        accepted: bool,
    },
    /// The history table records versions the code does not have.
    UnknownVersions {
        /// Those versions.
        versions: Vec<String>,
    },
    /// A pending migration is numbered below an applied one; it was applied anyway.
    OutOfOrder {
        /// The migration's version.
        version: String,
        /// The highest applied version at the start of the run.
        latest_applied: String,
    },
    /// A `#[no_transaction]` migration that failed or was interrupted is retried.
    Resumed {
        /// The migration's version.
        version: String,
        /// The statement the retry starts at (1-based).
        from_statement: usize,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ChecksumMismatch {
                version,
                recorded,
                current,
                accepted,
            } => {
                write!(
                    f,
                    "migration {version} was edited after it was applied (recorded checksum {recorded}, current {current})"
                )?;
                if *accepted {
                    f.write_str("; the new checksum is now recorded")?;
                }
                Ok(())
            }
            Warning::UnknownVersions { versions } => write!(
                f,
                "the history table records versions this program does not have: {}",
                versions.join(", ")
            ),
            Warning::OutOfOrder {
                version,
                latest_applied,
            } => write!(
                f,
                "migration {version} is applied out of order: {latest_applied} was applied before it"
            ),
            Warning::Resumed {
                version,
                from_statement,
            } => write!(
                f,
                "migration {version} did not finish in an earlier run; resuming at statement {from_statement}"
            ),
        }
    }
}

/// How a run dealt with the run lock.
///
/// ```
/// use migrate_core::{LockUse, Report};
///
/// // A run that found everything applied read the history and never needed the lock.
/// assert_eq!(Report::default().lock, LockUse::NotNeeded);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum LockUse {
    /// Everything was applied: one read of the history, no lock.
    #[default]
    NotNeeded,
    /// The run held the lock (to apply, record or adopt something, or to find that another
    /// run had done it by the time the lock was free).
    Taken,
    /// Another run held the lock and, by the time it let go, had applied everything this run
    /// needed: the run returned without taking the lock.
    FinishedByAnotherRun,
}

/// How a run waited for the run lock that another run held: for how long, and what woke it.
///
/// A waiting run listens for the holder's notification (sent when it releases the lock) and
/// also looks at the lock every 10 to 100 ms in case the holder died without sending it. A run
/// that waited without ever being notified (`notifications == 0`) suggests that the
/// notification cannot reach it, for example through a connection pooler in transaction mode.
///
/// ```
/// use migrate_core::Report;
///
/// // A run that never found the lock held did not wait.
/// assert!(Report::default().lock_wait.is_none());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct LockWait {
    /// From the first attempt at the lock to the end of the wait.
    #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde_millis"))]
    pub waited: Duration,
    /// How many times the holder's notification woke the run.
    pub notifications: u32,
    /// How many times a pause ran out without a notification, so the run looked at the lock.
    pub polls: u32,
}

/// What a run (or baseline) did: what it applied, what was already there, what it noticed.
///
/// ```
/// use migrate_core::Report;
///
/// let r = Report::default();
/// assert!(r.is_noop());
/// assert_eq!(r.to_string(), "nothing to apply; 0 already applied");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Report {
    /// Migrations applied by this run, in order.
    pub applied: Vec<Applied>,
    /// Versions that were already applied before this run (shared with the list, not copied:
    /// a run at startup that finds everything applied allocates nothing per migration).
    pub already_applied: Vec<VersionText>,
    /// Versions recorded as applied without running them (`baseline`).
    pub baselined: Vec<String>,
    /// What the policies let through.
    pub warnings: Vec<Warning>,
    /// Whether the run took the lock, or waited for another run that did its work.
    pub lock: LockUse,
    /// How the run waited for another run's lock; `None` when it did not wait.
    pub lock_wait: Option<LockWait>,
    /// The lock strategy the run used; `None` when it needed no lock.
    pub lock_strategy: Option<LockStrategy>,
    /// How many times a migration (or a `#[no_transaction]` statement) that hit `lock_timeout`
    /// was tried again.
    pub lock_timeout_retries: u32,
    /// How many times the run lost its connection and reconnected.
    pub reconnects: u32,
    /// Invalid indexes left by an interrupted concurrent build that the run rebuilt.
    pub rebuilt_indexes: Vec<IndexRebuild>,
    /// Wall-clock time of the whole call.
    #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde_millis"))]
    pub duration: Duration,
}

impl Report {
    /// `true` when the call changed nothing in the database's migrations.
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty() && self.baselined.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.applied.is_empty() {
            let n = self.applied.len();
            let versions: Vec<&str> = self.applied.iter().map(|a| a.version.as_str()).collect();
            write!(
                f,
                "applied {n} migration{} in {} ms ({}); ",
                if n == 1 { "" } else { "s" },
                self.duration.as_millis(),
                versions.join(", ")
            )?;
        }
        if !self.baselined.is_empty() {
            write!(
                f,
                "baselined {} ({}); ",
                self.baselined.len(),
                self.baselined.join(", ")
            )?;
        }
        if self.is_noop() {
            f.write_str("nothing to apply; ")?;
        }
        write!(f, "{} already applied", self.already_applied.len())?;
        if self.lock_timeout_retries > 0 {
            write!(
                f,
                "; {} lock-timeout retr{}",
                self.lock_timeout_retries,
                if self.lock_timeout_retries == 1 {
                    "y"
                } else {
                    "ies"
                }
            )?;
        }
        if self.reconnects > 0 {
            write!(f, "; reconnected {} time(s)", self.reconnects)?;
        }
        for rebuild in &self.rebuilt_indexes {
            write!(f, "; {rebuild}")?;
        }
        if !self.warnings.is_empty() {
            write!(
                f,
                "; {} warning{}",
                self.warnings.len(),
                if self.warnings.len() == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}
