//! Rollback: `revert_to` runs the downs of every applied migration above a target, newest
//! first, under the run lock, from the code's down or the one stored in the history.

use std::time::Instant;

use sqlx::{Connection, Executor, PgConnection, PgPool};

use super::apply::excerpt;
use super::error::sqlstate;
use super::fingerprint;
use super::history::{
    HistoryRow, RowState, Shape, delete_row_sql, inspect, read_with_downs, record_revert_error_sql,
    record_reverting_sql,
};
use super::lock::RunLock;
use super::migrator::setup;
use super::table::HistoryTable;
use super::{Error, Migrator, Reversibility};
use crate::Version;

/// What a rollback does: the downs it runs, newest first. Made by [`Migrator::revert_plan`],
/// run by [`Migrator::revert_to`].
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// let plan = migrations.migrator().revert_plan(&pool, "004_add_index").await?;
/// for step in &plan.steps {
///     println!("-- revert {} ({})", step.version, if step.from_history { "stored down" } else { "code" });
///     for sql in &step.statements {
///         println!("{sql};");
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RevertPlan {
    /// The target: everything above it is reverted (`0` for everything).
    pub target: String,
    /// One step per migration, newest first.
    pub steps: Vec<RevertStep>,
}

/// One migration a rollback reverts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct RevertStep {
    /// The migration's version.
    pub version: String,
    /// The down's statements, exactly as they run.
    pub statements: Vec<String>,
    /// `false` for a `#[no_transaction]` down (it runs statement by statement).
    pub transactional: bool,
    /// `true` when the down comes from the history (the code does not know the migration).
    pub from_history: bool,
    /// Statements an earlier, interrupted rollback already ran (a `#[no_transaction]` down
    /// resumes after them); `0` for a down not started.
    pub resume_after: usize,
}

impl std::fmt::Display for RevertPlan {
    /// The exact SQL, one block per migration, newest first:
    ///
    /// ```text
    /// -- revert 005_c_note_idx (down stored in the history), in a transaction
    /// DROP INDEX IF EXISTS c_note_idx;
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.steps.is_empty() {
            return write!(f, "nothing to revert above {}", self.target);
        }
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let source = if step.from_history {
                "down stored in the history"
            } else {
                "down in the code"
            };
            let mode = if step.transactional {
                "in a transaction with the deletion of its history row"
            } else {
                "#[no_transaction]: statement by statement, then its history row is deleted"
            };
            writeln!(f, "-- revert {} ({source}), {mode}", step.version)?;
            if step.resume_after > 0 {
                writeln!(
                    f,
                    "-- resumes at statement {}: an earlier rollback ran the {} before it",
                    step.resume_after + 1,
                    step.resume_after
                )?;
            }
            for sql in step.statements.iter().skip(step.resume_after) {
                writeln!(f, "{sql};")?;
            }
        }
        Ok(())
    }
}

/// One history row with the down it stores.
struct Stored {
    row: HistoryRow,
    /// The version's number, for comparing with the target.
    number: i64,
    down_sql: Option<String>,
}

impl Migrator<'_> {
    /// Reverts every applied migration above `target` (a version, or `"0"` for all), newest
    /// first, under the same lock as [`Migrator::run`]. Each transactional down runs in one
    /// transaction with the deletion of its history row. The whole range is checked first: a
    /// migration without a down (in the code or stored), or whose stored down differs from the
    /// code's, stops the rollback with [`Error::RevertRefused`] listing each, and nothing is
    /// reverted. A migration the code does not know is reverted with its stored down.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
    /// let reverted = migrations.migrator().revert_to(&pool, "003_add_users").await?;
    /// println!("reverted {:?}", reverted.steps.iter().map(|s| &s.version).collect::<Vec<_>>());
    /// # Ok(()) }
    /// ```
    pub async fn revert_to(self, pool: &PgPool, target: &str) -> Result<RevertPlan, Error> {
        let started = Instant::now();
        let table = HistoryTable::parse(&self.table)?;
        let (mut lock, _) = self.take_run_lock(pool, &table).await?;
        let result = self.revert_locked(&mut lock, &table, target).await;
        lock.release().await;
        if let Ok(plan) = &result {
            tracing::info!(
                target,
                reverted = plan.steps.len(),
                ms = started.elapsed().as_millis() as u64,
                "rollback done"
            );
        }
        result
    }

    /// The rollback [`Migrator::revert_to`] would run, checked the same way; runs and locks
    /// nothing.
    pub async fn revert_plan(self, pool: &PgPool, target: &str) -> Result<RevertPlan, Error> {
        let table = HistoryTable::parse(&self.table)?;
        let mut conn = pool.acquire().await?;
        let shape = inspect(&mut conn, &table).await?;
        let rows = read_stored(&mut conn, &table, &shape).await?;
        self.plan_from(&rows, target)
    }

    async fn revert_locked(
        &self,
        lock: &mut RunLock,
        table: &HistoryTable,
        target: &str,
    ) -> Result<RevertPlan, Error> {
        let conn = lock.conn()?;
        // Brings an older history table to the current shape (the down columns) first.
        setup(conn, table, self.migrations, None).await?;
        let rows = read_stored(conn, table, &Shape::current()).await?;
        let plan = self.plan_from(&rows, target)?;
        let guard = lock.commit_guard();
        for step in &plan.steps {
            lock.check_held()?;
            revert_one(lock.conn()?, table, step, &guard).await?;
            tracing::info!(version = %step.version, "reverted migration");
        }
        // So that `verify` compares the next schema with this one, not the one before.
        fingerprint::record_or_warn(lock.conn()?, table).await;
        Ok(plan)
    }

    /// Checks the whole range and builds the plan, or one error listing every problem.
    fn plan_from(&self, rows: &[Stored], target: &str) -> Result<RevertPlan, Error> {
        let limit = self.target_number(rows, target)?;
        let mut range: Vec<&Stored> = rows.iter().filter(|r| r.number > limit).collect();
        range.sort_by_key(|r| std::cmp::Reverse(r.number));
        let mut problems = Vec::new();
        let mut steps = Vec::new();
        for row in range {
            match self.step(row) {
                Ok(step) => steps.push(step),
                Err(problem) => problems.push(format!("{}: {problem}", row.row.version)),
            }
        }
        if !problems.is_empty() {
            return Err(Error::RevertRefused {
                target: target.to_owned(),
                problems,
            });
        }
        Ok(RevertPlan {
            target: target.to_owned(),
            steps,
        })
    }

    fn target_number(&self, rows: &[Stored], target: &str) -> Result<i64, Error> {
        if target == "0" {
            return Ok(0);
        }
        if let Some(m) = self.migrations.get(target) {
            return Ok(m.number());
        }
        rows.iter()
            .find(|r| r.row.version == target)
            .map(|r| r.number)
            .ok_or_else(|| Error::RevertUnknownTarget {
                target: target.to_owned(),
            })
    }

    /// The down of one row, or why it cannot be reverted.
    fn step(&self, stored: &Stored) -> Result<RevertStep, String> {
        let row = &stored.row;
        let resume_after = match row.state {
            RowState::Applied => 0,
            RowState::Reverting => row.progress,
            RowState::Running | RowState::Failed => {
                return Err(format!(
                    "it is recorded as {} (not applied): run the migrations to finish it first",
                    row.state.name()
                ));
            }
        };
        self.down_of(stored).map(|step| RevertStep {
            resume_after: resume_after.min(step.statements.len()),
            ..step
        })
    }

    /// The down that reverts a row: the code's, judged as `status` judges it, or the stored
    /// one for a migration the code does not know.
    fn down_of(&self, stored: &Stored) -> Result<RevertStep, String> {
        let row = &stored.row;
        let Some(m) = self.migrations.get(&row.version) else {
            return match &stored.down_sql {
                Some(sql) => Ok(stored_step(&row.version, sql)),
                None => Err(
                    "the code does not know it and the history stores no down for it \
                     (adopted or baselined rows, and rows applied before rollback support, have none)"
                        .to_owned(),
                ),
            };
        };
        match (Reversibility::of(m, row.down_checksum), m.down()) {
            (Reversibility::Reversible, Some(down)) => Ok(RevertStep {
                version: row.version.clone(),
                statements: down.statements().map(|s| s.sql.to_owned()).collect(),
                transactional: m.is_transactional(),
                from_history: false,
                resume_after: 0,
            }),
            (Reversibility::DownChanged, Some(down)) => Err(format!(
                "its down in the code (checksum {}) differs from the one stored when it was applied (checksum {}): restore the down it was applied with",
                down.checksum(),
                row.down_checksum
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "none".to_owned())
            )),
            (
                Reversibility::Irreversible {
                    reason: Some(reason),
                },
                _,
            ) => Err(format!("it is #[irreversible]: {reason}")),
            _ => Err("it has no down in the code: give it #[down(\"…\")]".to_owned()),
        }
    }
}

/// The step for a down only the history knows. The row does not record the mode: with the
/// checker at hand (the `check` feature, which the CLI enables), a down that holds a statement
/// PostgreSQL refuses inside a transaction block runs statement by statement.
#[cfg(feature = "check")]
fn stored_step(version: &str, sql: &str) -> RevertStep {
    let options = crate::check::EntryOptions::default();
    let needs_no_transaction = crate::check::check_sql(sql, &options)
        .diagnostics
        .iter()
        .any(|d| d.rule == crate::check::Rule::RequiresNoTransaction);
    RevertStep {
        version: version.to_owned(),
        statements: crate::check::statement_spans(sql)
            .iter()
            .filter_map(|s| sql.get(s.start as usize..s.end as usize))
            .map(str::to_owned)
            .collect(),
        transactional: !needs_no_transaction,
        from_history: true,
        resume_after: 0,
    }
}

/// The step for a down only the history knows, without the checker (the runtime alone has
/// no SQL parser): the whole down in one transaction, which is every down but those holding a
/// statement like `DROP INDEX CONCURRENTLY`; such a down fails with PostgreSQL's 25001 and
/// reverts from a binary built with the `cli` or `check` feature.
#[cfg(not(feature = "check"))]
fn stored_step(version: &str, sql: &str) -> RevertStep {
    RevertStep {
        version: version.to_owned(),
        statements: vec![sql.to_owned()],
        transactional: true,
        from_history: true,
        resume_after: 0,
    }
}

/// Runs one down and deletes its history row: together in one transaction that commits only
/// while the run holds the lock, or statement by statement for a `#[no_transaction]` down.
async fn revert_one(
    conn: &mut PgConnection,
    table: &HistoryTable,
    step: &RevertStep,
    commit_guard: &str,
) -> Result<(), Error> {
    if !step.transactional {
        return revert_statement_by_statement(conn, table, step).await;
    }
    let mut tx = conn.begin().await?;
    for (i, sql) in step.statements.iter().enumerate() {
        if let Err(source) = (&mut *tx).execute(sqlx::raw_sql(sql)).await {
            // Dropping `tx` rolls the whole step back, its history row included.
            return Err(failed(step, i + 1, sql, source));
        }
    }
    write(&mut tx, table, &delete_row_sql(table, &step.version)).await?;
    if let Err(e) = (&mut *tx).execute(sqlx::raw_sql(commit_guard)).await {
        // The guard divides by zero when the lock is no longer this run's.
        return Err(match sqlstate(&e).as_deref() {
            Some("22012") => Error::LockLost {
                table: table.display_name(),
            },
            _ => Error::Database(e),
        });
    }
    tx.commit().await?;
    Ok(())
}

/// A `#[no_transaction]` down: the row is marked `reverting` and counts the statements done,
/// so a rollback that stops (a failure, a killed process) resumes after them; the row goes
/// once the last one succeeded.
async fn revert_statement_by_statement(
    conn: &mut PgConnection,
    table: &HistoryTable,
    step: &RevertStep,
) -> Result<(), Error> {
    let version = &step.version;
    let mark = record_reverting_sql(table, version, step.resume_after);
    write(conn, table, &mark).await?;
    for (i, sql) in step.statements.iter().enumerate().skip(step.resume_after) {
        if let Err(source) = (&mut *conn).execute(sqlx::raw_sql(sql)).await {
            let message = format!("statement {} of the down: {source}", i + 1);
            let record = record_revert_error_sql(table, version, &message);
            if let Err(e) = write(conn, table, &record).await {
                tracing::warn!(%version, "the down's error was not recorded: {e}");
            }
            return Err(failed(step, i + 1, sql, source));
        }
        write(conn, table, &record_reverting_sql(table, version, i + 1)).await?;
    }
    write(conn, table, &delete_row_sql(table, version)).await
}

fn failed(step: &RevertStep, statement: usize, sql: &str, source: sqlx::Error) -> Error {
    let (version, excerpt, sqlstate) = (step.version.clone(), excerpt(sql), sqlstate(&source));
    if step.transactional {
        Error::RevertFailed {
            version,
            statement,
            excerpt,
            sqlstate,
            source,
        }
    } else {
        Error::RevertStopped {
            version,
            statement,
            excerpt,
            sqlstate,
            source: Box::new(source),
        }
    }
}

/// One write to the history table.
async fn write(conn: &mut PgConnection, table: &HistoryTable, sql: &str) -> Result<(), Error> {
    conn.execute(sqlx::raw_sql(sql))
        .await
        .map(drop)
        .map_err(|source| Error::History {
            table: table.display_name(),
            action: "record a rollback in",
            source,
        })
}

/// The history rows with their stored downs, each with its version's number.
async fn read_stored(
    conn: &mut PgConnection,
    table: &HistoryTable,
    shape: &Shape,
) -> Result<Vec<Stored>, Error> {
    let rows = read_with_downs(conn, table, shape).await?;
    Ok(rows
        .into_iter()
        .map(|(row, down_sql)| Stored {
            number: Version::parse(&row.version)
                .map(|v| v.number())
                .or_else(|_| row.version.parse::<i64>())
                .unwrap_or(0),
            row,
            down_sql,
        })
        .collect())
}
