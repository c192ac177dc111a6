//! Rollback: `revert_to` runs the downs of every applied migration above a target, newest
//! first, under the run lock, from the code's down or the one stored in the history.

use std::time::Instant;

use sqlx::{Connection, Executor, PgConnection, PgPool, Row};

use super::apply::excerpt;
use super::error::sqlstate;
use super::fingerprint;
use super::history::{
    Shape, delete_row_sql, inspect, record_revert_error_sql, record_reverting_sql,
};
use super::lock::RunLock;
use super::migrator::setup;
use super::table::HistoryTable;
use super::{Error, Migrator};
use crate::{Checksum, Version};

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

/// One applied history row with its stored down.
struct Stored {
    version: String,
    number: i64,
    state: String,
    progress: usize,
    down_sql: Option<String>,
    down_checksum: Option<String>,
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
                Err(problem) => problems.push(format!("{}: {problem}", row.version)),
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
            .find(|r| r.version == target)
            .map(|r| r.number)
            .ok_or_else(|| Error::RevertUnknownTarget {
                target: target.to_owned(),
            })
    }

    /// The down of one row, or why it cannot be reverted.
    fn step(&self, row: &Stored) -> Result<RevertStep, String> {
        let resume_after = match row.state.as_str() {
            "applied" => 0,
            "reverting" => row.progress,
            other => {
                return Err(format!(
                    "it is recorded as {other} (not applied): run the migrations to finish it first"
                ));
            }
        };
        self.down_of(row).map(|step| RevertStep {
            resume_after: resume_after.min(step.statements.len()),
            ..step
        })
    }

    /// The down that reverts `row`: the code's, or the stored one for a migration the code
    /// does not know.
    fn down_of(&self, row: &Stored) -> Result<RevertStep, String> {
        let code = self.migrations.get(&row.version);
        let stored = row.down_sql.as_deref();
        match (code, stored) {
            (Some(m), _) if m.down().is_none() => Err(match m.irreversible_reason() {
                Some(reason) => format!("it is #[irreversible]: {reason}"),
                None => "it has no down in the code: give it #[down(\"…\")]".to_owned(),
            }),
            (Some(m), _) => {
                let Some(down) = m.down() else {
                    return Err("it has no down in the code".to_owned());
                };
                let stored_sum = row
                    .down_checksum
                    .as_deref()
                    .and_then(|c| c.parse::<Checksum>().ok());
                if stored.is_some() && stored_sum != Some(down.checksum()) {
                    return Err(format!(
                        "its down in the code (checksum {}) differs from the one stored when it was applied (checksum {}): restore the down it was applied with",
                        down.checksum(),
                        row.down_checksum.as_deref().unwrap_or("none")
                    ));
                }
                Ok(RevertStep {
                    version: row.version.clone(),
                    statements: down.statements().map(|s| s.sql.to_owned()).collect(),
                    transactional: m.is_transactional(),
                    from_history: false,
                    resume_after: 0,
                })
            }
            (None, Some(sql)) => Ok(stored_step(&row.version, sql)),
            (None, None) => Err(
                "the code does not know it and the history stores no down for it \
                 (adopted or baselined rows, and rows applied before rollback support, have none)"
                    .to_owned(),
            ),
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

/// The history rows with their stored downs (`NULL` where the table predates them).
async fn read_stored(
    conn: &mut PgConnection,
    table: &HistoryTable,
    shape: &Shape,
) -> Result<Vec<Stored>, Error> {
    if !shape.exists() {
        return Ok(Vec::new());
    }
    let column = |c: &str| {
        if shape_has(shape, c) {
            format!("{c}::text")
        } else {
            "NULL::text".to_owned()
        }
    };
    let query = format!(
        "SELECT version::text, {}, {}, {}, {} FROM {}",
        column("state").replace("NULL::text", "'applied'::text"),
        column("progress").replace("NULL::text", "'0'::text"),
        column("down_sql"),
        column("down_checksum"),
        table.quoted()
    );
    let rows = (&mut *conn)
        .fetch_all(sqlx::raw_sql(&query))
        .await
        .map_err(|source| Error::History {
            table: table.display_name(),
            action: "read",
            source,
        })?;
    rows.iter()
        .map(|row| {
            let version: String = row.try_get(0).map_err(Error::Database)?;
            let number = Version::parse(&version)
                .map(|v| v.number())
                .or_else(|_| version.parse::<i64>())
                .unwrap_or(0);
            Ok(Stored {
                number,
                state: row.try_get(1).map_err(Error::Database)?,
                progress: row
                    .try_get::<String, _>(2)
                    .map_err(Error::Database)?
                    .parse()
                    .unwrap_or(0),
                down_sql: row.try_get(3).map_err(Error::Database)?,
                down_checksum: row.try_get(4).map_err(Error::Database)?,
                version,
            })
        })
        .collect()
}

fn shape_has(shape: &Shape, column: &str) -> bool {
    match shape {
        Shape::Missing { .. } => false,
        Shape::Present { columns, .. } => columns.iter().any(|c| c == column),
    }
}
