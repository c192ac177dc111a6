//! What the database holds compared with the code (`status`, `verify`), and what a run would
//! send (`plan`).

use std::fmt;

use super::assess::{Assessment, Standing};
use super::history::RowState;
use super::index::InvalidIndex;
use crate::{Checksum, Migration, Tool};

/// Another tool's history the first run adopts: on a database with that tool's history table
/// and not ours, the run records `versions` as applied (without running them) in the
/// transaction that creates our table, then applies the rest.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// if let Some(adoption) = migrations.status(&pool).await?.adoption {
///     println!("the first run adopts {} version(s) from {}", adoption.versions.len(), adoption.tool);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PendingAdoption {
    /// The tool whose history table is adopted.
    pub tool: Tool,
    /// Its history table.
    pub history_table: String,
    /// The versions of this list the tool applied: recorded as applied, not run.
    pub versions: Vec<String>,
    /// How many versions the tool recorded that this list does not have.
    pub unknown: usize,
    /// A version the tool recorded as failed (sqlx's `success = false`): the run refuses to
    /// adopt, and so to run, until it is repaired.
    pub failed: Option<String>,
}

impl fmt::Display for PendingAdoption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tool, table) = (self.tool, &self.history_table);
        if let Some(version) = &self.failed {
            return write!(
                f,
                "adoption blocked: {tool}'s history ({table}) records migration {version} as failed (success = false); \
                 the first run refuses until it is repaired with {tool} (or its row deleted once the schema is right)"
            );
        }
        write!(
            f,
            "the first run adopts {tool}'s history ({table}): it records {} version(s) {tool} applied as applied, without running them",
            self.versions.len()
        )?;
        if self.unknown > 0 {
            write!(
                f,
                " ({} version(s) of {table} are not in this list)",
                self.unknown
            )?;
        }
        Ok(())
    }
}

/// Where one migration stands.
///
/// ```
/// use migrate_core::MigrationState;
///
/// let s = MigrationState::Failed { progress: 2, message: Some("boom".into()) };
/// assert!(!s.is_applied());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "state", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MigrationState {
    /// Applied with the code's checksum.
    Applied {
        /// When, as PostgreSQL prints a `timestamptz` (absent for adopted rows without it).
        applied_at: Option<String>,
        /// The checksum recorded (equal to the code's).
        checksum: String,
    },
    /// Not applied yet.
    Pending,
    /// Applied, but the SQL in the code changed since.
    Modified {
        /// The checksum recorded when it ran.
        recorded: String,
        /// The checksum of the SQL in the code now.
        current: String,
    },
    /// A `#[no_transaction]` migration that failed, or whose run was interrupted (or is still
    /// going: status takes no lock). The next run resumes it.
    Failed {
        /// Statements completed.
        progress: usize,
        /// PostgreSQL's error, when the failure was recorded.
        message: Option<String>,
    },
    /// Its `#[no_transaction]` down stopped part-way (failed, or its process died): the schema
    /// is between two versions. Runs refuse until `migrate down` finishes it (it resumes).
    Reverting {
        /// Statements of the down completed.
        progress: usize,
        /// PostgreSQL's error, when the failure was recorded.
        message: Option<String>,
    },
}

impl MigrationState {
    /// `true` for [`MigrationState::Applied`].
    pub fn is_applied(&self) -> bool {
        matches!(self, MigrationState::Applied { .. })
    }
}

/// One migration's line in a [`Status`].
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// use migrate_core::MigrationState;
///
/// for line in migrations.status(&pool).await?.migrations {
///     if let MigrationState::Failed { .. } = line.state {
///         eprintln!("{} failed: see `migrate status`", line.version);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct MigrationStatus {
    /// The migration's version.
    pub version: String,
    /// Where it stands.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub state: MigrationState,
    /// Whether a rollback can revert it; `None` while it is not applied.
    pub reversibility: Option<Reversibility>,
}

/// Whether `revert_to` (`migrate down`) can revert an applied migration.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// use migrate_core::Reversibility;
///
/// for line in migrations.status(&pool).await?.migrations {
///     if let Some(Reversibility::Irreversible { reason }) = &line.reversibility {
///         println!("{} cannot be rolled back: {}", line.version, reason.as_deref().unwrap_or("no down"));
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Reversibility {
    /// The code has its down (the same one stored when it was applied, if one was).
    Reversible,
    /// The code has no down: `#[irreversible]`, with its reason, or none was written.
    Irreversible {
        /// The `#[irreversible(reason = "…")]` text.
        reason: Option<String>,
    },
    /// The code's down differs from the one stored when it was applied: a rollback refuses it
    /// until the down it was applied with is restored.
    DownChanged,
}

impl Reversibility {
    /// Whether `m`, applied with a down of checksum `stored` (if any), can be reverted.
    pub(crate) fn of(m: &Migration, stored: Option<Checksum>) -> Reversibility {
        match m.down() {
            None => Reversibility::Irreversible {
                reason: m.irreversible_reason().map(str::to_owned),
            },
            Some(down) if stored.is_some_and(|s| s != down.checksum()) => {
                Reversibility::DownChanged
            }
            Some(_) => Reversibility::Reversible,
        }
    }
}

impl fmt::Display for Reversibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reversibility::Reversible => write!(f, "reversible"),
            Reversibility::Irreversible { reason: Some(r) } => write!(f, "irreversible: {r}"),
            Reversibility::Irreversible { reason: None } => write!(f, "irreversible: no down"),
            Reversibility::DownChanged => {
                write!(f, "not reversible: its down changed since it was applied")
            }
        }
    }
}

/// Every migration of the code and where it stands, plus versions only the database has.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// let status = migrations.status(&pool).await?;
/// if !status.is_up_to_date() {
///     println!("{status}"); // one line per migration, then versions only the database has
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Status {
    /// The code's migrations, in order.
    pub migrations: Vec<MigrationStatus>,
    /// Versions recorded in the database that the code does not have.
    pub unknown: Vec<String>,
    /// Those of [`Status::unknown`] whose history row stores their down: a rollback reverts
    /// them without the code that applied them.
    pub unknown_reversible: Vec<String>,
    /// Whether the history table exists yet.
    pub history_table_exists: bool,
    /// Indexes named by applied `#[no_transaction]` migrations that PostgreSQL marks INVALID.
    pub invalid_indexes: Vec<InvalidIndex>,
    /// Another tool's history the first run adopts (its versions stay [`MigrationState::Pending`]
    /// here: nothing is recorded yet); [`Status::to_apply`] is what the run then applies.
    pub adoption: Option<PendingAdoption>,
}

impl Status {
    pub(crate) fn from_assessment(
        assessment: &Assessment<'_, '_>,
        history_table_exists: bool,
    ) -> Status {
        let migrations = assessment
            .entries
            .iter()
            .map(|(m, standing)| {
                let current = m.checksum().to_string();
                let state = match standing {
                    Standing::Pending => MigrationState::Pending,
                    Standing::Applied(row) => MigrationState::Applied {
                        applied_at: row.applied_at.clone(),
                        checksum: current,
                    },
                    Standing::Modified(_, recorded) => MigrationState::Modified {
                        recorded: recorded.to_string(),
                        current,
                    },
                    Standing::Reverting(row) => MigrationState::Reverting {
                        progress: row.progress,
                        message: row.error.clone(),
                    },
                    Standing::Unfinished(row) => MigrationState::Failed {
                        progress: row.progress,
                        message: match row.state {
                            RowState::Running => Some(
                                "did not finish: its run was interrupted (or is still in progress)"
                                    .to_owned(),
                            ),
                            _ => row.error.clone(),
                        },
                    },
                };
                let reversibility = match standing {
                    Standing::Applied(row)
                    | Standing::Modified(row, _)
                    | Standing::Reverting(row) => Some(Reversibility::of(m, row.down_checksum)),
                    Standing::Pending | Standing::Unfinished(_) => None,
                };
                MigrationStatus {
                    version: m.version().to_owned(),
                    state,
                    reversibility,
                }
            })
            .collect();
        Status {
            migrations,
            unknown: assessment.unknown.clone(),
            unknown_reversible: assessment.unknown_with_down.clone(),
            history_table_exists,
            invalid_indexes: Vec::new(),
            adoption: None,
        }
    }

    /// The versions the next run applies: [`Status::pending`] without those a pending
    /// adoption records as applied.
    pub fn to_apply(&self) -> Vec<&str> {
        // A blocked adoption records nothing: the run refuses.
        let blocked = self.adoption.as_ref().is_some_and(|a| a.failed.is_some());
        self.pending()
            .into_iter()
            .filter(|v| blocked || !self.adopts(v))
            .collect()
    }

    /// `true` when `version` is one a pending adoption records as applied.
    fn adopts(&self, version: &str) -> bool {
        self.adoption
            .as_ref()
            .is_some_and(|a| a.versions.iter().any(|v| v == version))
    }

    /// `true` when every migration is applied with its current checksum (versions only the
    /// database has do not count: an older build must still pass).
    pub fn is_up_to_date(&self) -> bool {
        self.migrations.iter().all(|m| m.state.is_applied()) && self.invalid_indexes.is_empty()
    }

    /// The versions not applied yet (pending or failed).
    pub fn pending(&self) -> Vec<&str> {
        self.migrations
            .iter()
            .filter(|m| {
                matches!(
                    m.state,
                    MigrationState::Pending | MigrationState::Failed { .. }
                )
            })
            .map(|m| m.version.as_str())
            .collect()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .migrations
            .iter()
            .map(|m| m.version.len())
            .chain(self.unknown.iter().map(String::len))
            .max()
            .unwrap_or(0);
        if !self.history_table_exists {
            writeln!(f, "(no history table yet: nothing has been applied)")?;
        }
        if let Some(adoption) = &self.adoption {
            writeln!(f, "{adoption}")?;
        }
        for m in &self.migrations {
            let (state, detail) = match &m.state {
                MigrationState::Applied { applied_at, .. } => (
                    "applied",
                    applied_at
                        .as_ref()
                        .map(|a| format!("at {a}"))
                        .unwrap_or_default(),
                ),
                MigrationState::Pending if self.adopts(&m.version) => (
                    "adopt",
                    "applied by the other tool: the first run records it".to_owned(),
                ),
                MigrationState::Pending => ("pending", String::new()),
                MigrationState::Modified { recorded, current } => (
                    "modified",
                    format!("recorded checksum {recorded}, current {current}"),
                ),
                MigrationState::Failed { progress, message } => (
                    "failed",
                    format!(
                        "{progress} statement(s) done{}",
                        message
                            .as_ref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                ),
                MigrationState::Reverting { progress, message } => (
                    "reverting",
                    format!(
                        "its down stopped after {progress} statement(s){}; `migrate down` resumes it",
                        message
                            .as_ref()
                            .map(|m| format!(" ({m})"))
                            .unwrap_or_default()
                    ),
                ),
            };
            let detail = match &m.reversibility {
                Some(r) if detail.is_empty() => r.to_string(),
                Some(r) => format!("{detail}; {r}"),
                None => detail,
            };
            writeln!(f, "  {:width$}  {state:9}  {detail}", m.version)?;
        }
        for v in &self.unknown {
            let down = if self.unknown_reversible.contains(v) {
                "; reversible: its down is stored"
            } else {
                ""
            };
            writeln!(
                f,
                "  {v:width$}  unknown    recorded in the database, not in this program{down}"
            )?;
        }
        for index in &self.invalid_indexes {
            writeln!(f, "  {index}")?;
        }
        let pending = self.pending().len();
        let modified = self
            .migrations
            .iter()
            .filter(|m| matches!(m.state, MigrationState::Modified { .. }))
            .count();
        write!(
            f,
            "{} migration(s): {} applied, {pending} pending, {modified} modified, {} unknown",
            self.migrations.len(),
            self.migrations.len() - pending - modified,
            self.unknown.len()
        )?;
        if let Some(adoption) = self.adoption.as_ref().filter(|a| a.failed.is_none()) {
            write!(
                f,
                "; the first run adopts {} and applies {}",
                adoption.versions.len(),
                self.to_apply().len()
            )?;
        }
        if !self.invalid_indexes.is_empty() {
            write!(f, ", {} invalid index(es)", self.invalid_indexes.len())?;
        }
        Ok(())
    }
}

/// What a step of a [`Plan`] is for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PlanStepKind {
    /// Reading the history table (always first).
    ReadHistory,
    /// Taking the run lock.
    Lock,
    /// Creating or adopting the history table.
    SetupHistory,
    /// Recording a changed checksum ([`ChecksumPolicy::Accept`](super::ChecksumPolicy::Accept)).
    AcceptChecksum {
        /// The migration's version.
        version: String,
    },
    /// Running a migration (with its bookkeeping).
    Migration {
        /// The migration's version.
        version: String,
        /// Whether it runs in one transaction.
        transactional: bool,
        /// Statements already done by an earlier, unfinished run.
        resume_after: usize,
    },
    /// Releasing the run lock.
    Unlock,
}

/// One message (or, for `#[no_transaction]` migrations, a series of messages) a run sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PlanStep {
    /// What the step is for.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub kind: PlanStepKind,
    /// The SQL sent, one entry per simple-query message.
    pub sql: Vec<String>,
}

/// The SQL a run would execute now, bookkeeping included.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// let plan = migrations.plan(&pool).await?;
/// if !plan.is_noop() {
///     println!("would apply {:?}:\n{plan}", plan.migrations());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Plan {
    /// The steps in order.
    pub steps: Vec<PlanStep>,
    /// Another tool's history the run adopts, in its
    /// [`SetupHistory`](PlanStepKind::SetupHistory) step.
    pub adoption: Option<PendingAdoption>,
}

impl Plan {
    /// `true` when a run would only read the history.
    pub fn is_noop(&self) -> bool {
        self.steps
            .iter()
            .all(|s| matches!(s.kind, PlanStepKind::ReadHistory))
    }

    /// The versions a run would apply, in order.
    pub fn migrations(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| match &s.kind {
                PlanStepKind::Migration { version, .. } => Some(version.as_str()),
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(adoption) = &self.adoption {
            writeln!(
                f,
                "-- {adoption}; then it applies {}\n",
                self.migrations().len()
            )?;
        }
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match &step.kind {
                PlanStepKind::ReadHistory => writeln!(
                    f,
                    "-- read the history (the whole run when nothing is pending)"
                )?,
                PlanStepKind::Lock => writeln!(
                    f,
                    "-- take the run lock on a dedicated connection (polled until lock_wait)"
                )?,
                PlanStepKind::SetupHistory => writeln!(f, "-- create or adopt the history table")?,
                PlanStepKind::AcceptChecksum { version } => {
                    writeln!(f, "-- record the new checksum of {version}")?
                }
                PlanStepKind::Migration {
                    version,
                    transactional: true,
                    ..
                } => writeln!(
                    f,
                    "-- migration {version} (one transaction, one round trip)"
                )?,
                PlanStepKind::Migration {
                    version,
                    resume_after,
                    ..
                } => writeln!(
                    f,
                    "-- migration {version} (#[no_transaction]: one message per statement{})",
                    if *resume_after > 0 {
                        format!(", resuming after statement {resume_after}")
                    } else {
                        String::new()
                    }
                )?,
                PlanStepKind::Unlock => writeln!(f, "-- release the run lock")?,
            }
            for sql in &step.sql {
                let sql = sql.trim_end();
                if sql.ends_with(';') {
                    writeln!(f, "{sql}")?;
                } else {
                    writeln!(f, "{sql};")?;
                }
            }
        }
        Ok(())
    }
}
