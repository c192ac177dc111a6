//! The run: fast path, lock, history setup, policies, application.

use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Acquire, Executor};
use sqlx::{PgConnection, PgPool, Postgres};

use super::adopt::{self, Adoption};
use super::apply::{
    no_transaction_script, run_no_transaction, run_transactional, transaction_script,
};
use super::assess::{Policies, Standing, Work, assess, plan_work};
use super::history::{
    FastRead, HistoryRow, Shape, inspect, read_any, read_fast, read_query, record_baselined_sql,
    record_checksum_sql, setup_sql,
};
use super::lock::{Attempt, RunLock, Waiting, lock_sql, unlock_sql};
use super::table::{DEFAULT_TABLE, HistoryTable};
use super::{
    Applied, ChecksumPolicy, Error, LockUse, LockWait, OutOfOrderPolicy, Plan, PlanStep,
    PlanStepKind, Report, Status, UnknownPolicy,
};
use crate::{Migrations, Tool};

/// Applies a [`Migrations`] list with options; made by [`Migrations::migrator`].
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::runtime::Error> {
/// use std::time::Duration;
/// use migrate_core::runtime::ChecksumPolicy;
///
/// let report = migrations
///     .migrator()
///     .table("app.schema_migrations")
///     .lock_wait(Duration::from_secs(120))
///     .lock_timeout(Duration::from_secs(2))
///     .on_checksum_mismatch(ChecksumPolicy::Warn)
///     .run(&pool)
///     .await?;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Migrator does nothing until `.run(&pool)` (or another call) is awaited"]
pub struct Migrator<'a> {
    migrations: &'a Migrations,
    table: String,
    lock_wait: Duration,
    lock_timeout: Duration,
    policies: Policies,
}

impl Migrations {
    /// A [`Migrator`] for this list, with default options.
    ///
    /// ```
    /// let list = migrate_core::Migrations::from_vec(vec![]).unwrap();
    /// let _migrator = list.migrator().table("schema_migrations");
    /// ```
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator {
            migrations: self,
            table: DEFAULT_TABLE.to_owned(),
            lock_wait: Duration::from_secs(120),
            lock_timeout: Duration::from_secs(5),
            policies: Policies::default(),
        }
    }

    /// Applies what is pending with default options: `self.migrator().run(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::runtime::Error> {
    /// let report = migrations.run(&pool).await?;
    /// println!("{report}");
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, pool: &PgPool) -> Result<Report, Error> {
        self.migrator().run(pool).await
    }

    /// Where every migration stands, without a lock or any write: `self.migrator().status(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::runtime::Error> {
    /// println!("{}", migrations.status(&pool).await?);
    /// # Ok(()) }
    /// ```
    pub async fn status(&self, pool: &PgPool) -> Result<Status, Error> {
        self.migrator().status(pool).await
    }

    /// `Ok` only when everything is applied: `self.migrator().verify(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::runtime::Error> {
    /// migrations.verify(&pool).await?;
    /// # Ok(()) }
    /// ```
    pub async fn verify(&self, pool: &PgPool) -> Result<Status, Error> {
        self.migrator().verify(pool).await
    }

    /// The SQL a run would execute: `self.migrator().plan(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::runtime::Error> {
    /// println!("{}", migrations.plan(&pool).await?);
    /// # Ok(()) }
    /// ```
    pub async fn plan(&self, pool: &PgPool) -> Result<Plan, Error> {
        self.migrator().plan(pool).await
    }

    /// Records migrations up to `up_to` as applied without running them:
    /// `self.migrator().baseline(pool, up_to)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::runtime::Error> {
    /// migrations.baseline(&pool, "003_orders").await?;
    /// # Ok(()) }
    /// ```
    pub async fn baseline(&self, pool: &PgPool, up_to: &str) -> Result<Report, Error> {
        self.migrator().baseline(pool, up_to).await
    }
}

impl<'a> Migrator<'a> {
    /// The history table, `name` or `schema.name` (lower-case identifiers); default
    /// `schema_migrations`. Checked when the migrator runs ([`Error::InvalidTable`]).
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = name.into();
        self
    }

    /// How long a run waits for another run's lock before failing with
    /// [`Error::LockTimeout`]; default 120 s.
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// PostgreSQL's `lock_timeout` for each migration's statements, so a migration waiting on a
    /// busy table fails fast instead of queueing traffic behind it; default 5 s.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// What to do with an applied migration whose SQL changed; default [`ChecksumPolicy::Error`].
    pub fn on_checksum_mismatch(mut self, policy: ChecksumPolicy) -> Self {
        self.policies.checksum = policy;
        self
    }

    /// What to do with versions only the database has; default [`UnknownPolicy::Warn`].
    pub fn on_unknown_versions(mut self, policy: UnknownPolicy) -> Self {
        self.policies.unknown = policy;
        self
    }

    /// What to do with a pending migration numbered below an applied one; default
    /// [`OutOfOrderPolicy::Apply`] (with a warning).
    pub fn on_out_of_order(mut self, policy: OutOfOrderPolicy) -> Self {
        self.policies.out_of_order = policy;
        self
    }

    /// Applies what is pending: one query when nothing is, else under the run lock.
    pub async fn run(self, pool: &PgPool) -> Result<Report, Error> {
        let started = Instant::now();
        let table = HistoryTable::parse(&self.table)?;
        let mut conn = pool.acquire().await?;
        let fast = read_fast(&mut conn, &table).await?;
        if let Some(report) = self.nothing_to_do(&table, fast, LockUse::NotNeeded, started)? {
            return Ok(report);
        }
        let (mut lock, lock_wait) = match self.lock_or_done(pool, conn, &table, started).await? {
            Locked::Lock(lock, lock_wait) => (lock, lock_wait),
            Locked::Done(report) => return Ok(report),
        };
        let result = match lock.conn() {
            Ok(conn) => self.run_locked(conn, &table, started).await,
            Err(e) => Err(e),
        };
        lock.release().await;
        result.map(|report| Report {
            lock_wait,
            ..report
        })
    }

    /// The report of a run that has nothing to write, from the fast path's read; `None` when
    /// the run must take the lock.
    fn nothing_to_do(
        &self,
        table: &HistoryTable,
        fast: FastRead,
        lock: LockUse,
        started: Instant,
    ) -> Result<Option<Report>, Error> {
        let FastRead::Rows(rows) = fast else {
            return Ok(None);
        };
        if rows.all_applied(self.migrations) {
            let work = Work {
                already_applied: self
                    .migrations
                    .iter()
                    .map(|m| m.version_text().clone())
                    .collect(),
                ..Work::default()
            };
            return Ok(Some(self.finish(work, Vec::new(), lock, started)));
        }
        let rows = rows.parse(table)?;
        let fixes = setup_sql(table, &Shape::current(), &rows, self.migrations);
        let assessment = assess(self.migrations, &rows);
        let work = plan_work(&assessment, self.policies)?;
        if work.writes() || !fixes.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.finish(work, Vec::new(), lock, started)))
    }

    /// Takes the run lock; or, when another run holds it and has done this run's work by the
    /// time it lets go, the report of a run with nothing to do. Waiters never take the lock just
    /// to find that out, so replicas started together return together. A waiting run holds one
    /// connection of `pool`: `conn` while it tries the lock, a listener on it while it waits.
    async fn lock_or_done(
        &self,
        pool: &PgPool,
        mut conn: PoolConnection<Postgres>,
        table: &HistoryTable,
        started: Instant,
    ) -> Result<Locked, Error> {
        let mut waiting = Waiting::new(table, self.lock_wait);
        loop {
            let busy = match RunLock::try_take(conn, table).await? {
                Attempt::Taken(lock) => return Ok(Locked::Lock(lock, waiting.summary())),
                Attempt::Busy(busy) => busy,
            };
            let mut listener = waiting.listen(busy, pool).await?;
            waiting.until_free(&mut listener).await?;
            let fast = read_fast((&mut listener).acquire().await?, table).await?;
            let done = self.nothing_to_do(table, fast, LockUse::FinishedByAnotherRun, started)?;
            if let Some(report) = done {
                tracing::debug!(
                    waited_ms = waiting.waited().as_millis() as u64,
                    "another run applied the pending migrations while this one waited"
                );
                return Ok(Locked::Done(Report {
                    lock_wait: waiting.summary(),
                    ..report
                }));
            }
            // The holder failed, or this run has more to apply: try the lock again, on a
            // pooled connection that can leave the pool if it gets it.
            drop(listener);
            conn = pool.acquire().await?;
        }
    }

    async fn run_locked(
        &self,
        conn: &mut PgConnection,
        table: &HistoryTable,
        started: Instant,
    ) -> Result<Report, Error> {
        let (rows, _) = setup(conn, table, self.migrations, None).await?;
        let assessment = assess(self.migrations, &rows);
        let work = plan_work(&assessment, self.policies)?;
        for m in &work.accept_checksums {
            (&mut *conn)
                .execute(sqlx::raw_sql(&record_checksum_sql(table, m)))
                .await
                .map_err(|source| Error::History {
                    table: table.display_name(),
                    action: "record a checksum in",
                    source,
                })?;
        }
        let mut applied = Vec::new();
        for (m, progress) in &work.to_apply {
            let migration_started = Instant::now();
            let statements = if m.is_transactional() {
                run_transactional(conn, table, m, self.lock_timeout).await
            } else {
                run_no_transaction(conn, table, m, self.lock_timeout, *progress).await
            };
            let statements = statements.inspect_err(|e| {
                tracing::error!(version = m.version(), "migration failed: {e}");
            })?;
            let duration = migration_started.elapsed();
            tracing::info!(
                version = m.version(),
                duration_ms = duration.as_millis() as u64,
                statements,
                "applied migration {} in {} ms",
                m.version(),
                duration.as_millis()
            );
            applied.push(Applied {
                version: m.version().to_owned(),
                duration,
                statements,
            });
        }
        Ok(self.finish(work, applied, LockUse::Taken, started))
    }

    /// Builds the report and logs the summary.
    fn finish(
        &self,
        work: Work<'_>,
        applied: Vec<Applied>,
        lock: LockUse,
        started: Instant,
    ) -> Report {
        for w in &work.warnings {
            tracing::warn!("{w}");
        }
        for v in &work.already_applied {
            tracing::debug!(version = %v, "already applied");
        }
        let report = Report {
            applied,
            already_applied: work.already_applied,
            baselined: Vec::new(),
            warnings: work.warnings,
            lock,
            lock_wait: None,
            duration: started.elapsed(),
        };
        tracing::info!("migrations: {report}");
        report
    }

    /// Where every migration stands. Takes no lock, writes nothing, works without a history
    /// table and for a role that may only read.
    pub async fn status(self, pool: &PgPool) -> Result<Status, Error> {
        let table = HistoryTable::parse(&self.table)?;
        let mut conn = pool.acquire().await?;
        let shape = inspect(&mut conn, &table).await?;
        let rows = read_any(&mut conn, &table, &shape).await?;
        let assessment = assess(self.migrations, &rows);
        Ok(Status::from_assessment(&assessment, shape.exists()))
    }

    /// Like [`Migrator::status`], but `Ok` only when every migration is applied with its
    /// current checksum; else [`Error::NotUpToDate`] carrying the status.
    pub async fn verify(self, pool: &PgPool) -> Result<Status, Error> {
        let status = self.status(pool).await?;
        if status.is_up_to_date() {
            Ok(status)
        } else {
            Err(Error::NotUpToDate {
                status: Box::new(status),
            })
        }
    }

    /// The SQL a run would execute now, bookkeeping included; fails as the run would when a
    /// policy refuses. Takes no lock, writes nothing.
    pub async fn plan(self, pool: &PgPool) -> Result<Plan, Error> {
        let table = HistoryTable::parse(&self.table)?;
        let mut conn = pool.acquire().await?;
        let shape = inspect(&mut conn, &table).await?;
        let rows = read_any(&mut conn, &table, &shape).await?;
        let fixes = setup_sql(&table, &shape, &rows, self.migrations);
        let assessment = assess(self.migrations, &rows);
        let work = plan_work(&assessment, self.policies)?;
        let mut steps = vec![PlanStep {
            kind: PlanStepKind::ReadHistory,
            sql: vec![read_query(&table)],
        }];
        if !work.writes() && fixes.is_empty() {
            return Ok(Plan { steps });
        }
        let key = table.lock_key();
        steps.push(PlanStep {
            kind: PlanStepKind::Lock,
            sql: vec![lock_sql(key)],
        });
        if !fixes.is_empty() {
            steps.push(PlanStep {
                kind: PlanStepKind::SetupHistory,
                sql: vec![format!("{};", fixes.join(";\n"))],
            });
        }
        for m in &work.accept_checksums {
            steps.push(PlanStep {
                kind: PlanStepKind::AcceptChecksum {
                    version: m.version().to_owned(),
                },
                sql: vec![record_checksum_sql(&table, m)],
            });
        }
        for (m, progress) in &work.to_apply {
            let sql = if m.is_transactional() {
                vec![transaction_script(&table, m, self.lock_timeout).sql]
            } else {
                no_transaction_script(&table, m, self.lock_timeout, *progress)
            };
            steps.push(PlanStep {
                kind: PlanStepKind::Migration {
                    version: m.version().to_owned(),
                    transactional: m.is_transactional(),
                    resume_after: *progress,
                },
                sql,
            });
        }
        steps.push(PlanStep {
            kind: PlanStepKind::Unlock,
            sql: vec![unlock_sql(key)],
        });
        Ok(Plan { steps })
    }

    /// Records every migration up to and including `up_to` as applied without running it, for
    /// a database whose objects predate the tracking. Takes the run lock.
    pub async fn baseline(self, pool: &PgPool, up_to: &str) -> Result<Report, Error> {
        let started = Instant::now();
        let table = HistoryTable::parse(&self.table)?;
        let Some(limit) = self.migrations.get(up_to).map(|m| m.number()) else {
            return Err(Error::BaselineUnknownVersion {
                version: up_to.to_owned(),
            });
        };
        let (mut lock, lock_wait) = RunLock::acquire(pool, &table, self.lock_wait).await?;
        let result = match lock.conn() {
            Ok(conn) => self.baseline_locked(conn, &table, limit, started).await,
            Err(e) => Err(e),
        };
        lock.release().await;
        result.map(|report| Report {
            lock_wait,
            ..report
        })
    }

    async fn baseline_locked(
        &self,
        conn: &mut PgConnection,
        table: &HistoryTable,
        limit: i64,
        started: Instant,
    ) -> Result<Report, Error> {
        let (rows, _) = setup(conn, table, self.migrations, None).await?;
        let assessment = assess(self.migrations, &rows);
        let mut report = Report {
            lock: LockUse::Taken,
            ..Report::default()
        };
        for (m, standing) in &assessment.entries {
            if matches!(standing, Standing::Applied(_)) {
                report.already_applied.push(m.version_text().clone());
            } else if m.number() <= limit {
                (&mut *conn)
                    .execute(sqlx::raw_sql(&record_baselined_sql(table, m)))
                    .await
                    .map_err(|source| Error::History {
                        table: table.display_name(),
                        action: "record a baselined migration in",
                        source,
                    })?;
                tracing::info!(
                    version = m.version(),
                    "baselined migration (recorded, not run)"
                );
                report.baselined.push(m.version().to_owned());
            }
        }
        report.duration = started.elapsed();
        tracing::info!("migrations: {report}");
        Ok(report)
    }
}

impl Migrator<'_> {
    /// Records every migration `tool` applied (matched by version number) as applied here,
    /// creating the history table if needed; the other tool's table is only read. A first
    /// [`run`](Migrator::run) does this by itself when exactly one such table exists; this call
    /// chooses the tool, and also fills in an existing history. Takes the run lock.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::runtime::Error> {
    /// use migrate_core::Tool;
    ///
    /// let report = migrations.migrator().adopt(&pool, Tool::Sqlx).await?;
    /// println!("recorded as applied: {:?}", report.baselined);
    /// # Ok(()) }
    /// ```
    pub async fn adopt(self, pool: &PgPool, tool: Tool) -> Result<Report, Error> {
        let started = Instant::now();
        let table = HistoryTable::parse(&self.table)?;
        let (mut lock, lock_wait) = RunLock::acquire(pool, &table, self.lock_wait).await?;
        let result = match lock.conn() {
            Ok(conn) => setup(conn, &table, self.migrations, Some(tool)).await,
            Err(e) => Err(e),
        };
        lock.release().await;
        let (_, adoption) = result?;
        Ok(Report {
            baselined: adoption.map(Adoption::into_versions).unwrap_or_default(),
            lock: LockUse::Taken,
            lock_wait,
            duration: started.elapsed(),
            ..Report::default()
        })
    }
}

/// What waiting for the lock ended with.
enum Locked {
    /// The lock, and how the run waited for it.
    Lock(RunLock, Option<LockWait>),
    /// Another run did the work; the report of this one.
    Done(Report),
}

/// Creates or adopts the history table (under the lock), adopting another tool's history
/// (`adopt_from`, or the one found when ours is created), and returns its rows.
async fn setup(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migrations: &Migrations,
    adopt_from: Option<Tool>,
) -> Result<(Vec<HistoryRow>, Option<Adoption>), Error> {
    let shape = inspect(conn, table).await?;
    let rows = read_any(conn, table, &shape).await?;
    let mut fixes = setup_sql(table, &shape, &rows, migrations);
    // Another tool's history is adopted only together with creating ours, or when asked.
    let found = match (shape.exists(), adopt_from) {
        (true, None) => None,
        (_, from) => adopt::find(conn, from).await?,
    };
    let adoption = found.map(|f| f.adoption(table, migrations, &rows));
    fixes.extend(adoption.iter().flat_map(|a| a.sql.iter().cloned()));
    if fixes.is_empty() {
        return Ok((rows, adoption));
    }
    if shape.exists() {
        tracing::info!(table = %table.display_name(), "adopting the existing history table");
    }
    // One simple query: PostgreSQL runs it as one implicit transaction, so a failed adoption
    // leaves the table as it was.
    (&mut *conn)
        .execute(sqlx::raw_sql(&format!("{};", fixes.join(";\n"))))
        .await
        .map_err(|source| Error::History {
            table: table.display_name(),
            action: "create or adopt",
            source,
        })?;
    if let Some(adoption) = &adoption {
        adoption.log(table);
    }
    // Every column, progress included: the run resumes unfinished migrations from these rows.
    Ok((read_any(conn, table, &Shape::current()).await?, adoption))
}

#[cfg(test)]
mod send_tests {
    fn is_send<T: Send>(_: T) {}

    #[allow(dead_code)]
    fn futures_are_send(m: &crate::Migrations, pool: &sqlx::PgPool) {
        is_send(m.run(pool));
    }

    #[allow(dead_code)]
    fn parts_are_send(
        conn: &mut sqlx::PgConnection,
        t: &super::HistoryTable,
        m: &crate::Migration,
        ms: &crate::Migrations,
        pool: &sqlx::PgPool,
    ) {
        is_send(super::run_transactional(
            conn,
            t,
            m,
            std::time::Duration::ZERO,
        ));
        is_send(super::run_no_transaction(
            conn,
            t,
            m,
            std::time::Duration::ZERO,
            0,
        ));
        is_send(super::setup(conn, t, ms, None));
        is_send(super::read_fast(conn, t));
        is_send(super::inspect(conn, t));
        is_send(super::RunLock::acquire(pool, t, std::time::Duration::ZERO));
    }
}
