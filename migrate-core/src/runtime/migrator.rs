//! The run: fast path, lock, history setup, policies, application.

use std::time::{Duration, Instant};

use sqlx::Executor;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};

use super::adopt::{self, Adoption};
use super::apply::{
    Apply, Tally, no_transaction_script, run_no_transaction, run_transactional, transaction_script,
};
use super::assess::{Policies, Standing, Work, assess, plan_work};
use super::drift::{self, Replay};
use super::fingerprint;
use super::history::{
    FastRead, HistoryRow, RowState, Shape, inspect, read_any, read_fast, read_query,
    record_baselined_sql, record_checksum_sql, setup_sql,
};
use super::index::invalid_of_applied;
use super::lock::{Attempt, Freed, Kind, RunLock, Waiting, lock_sql, unlock_sql};
use super::retry::{LockRetries, Outage};
use super::table::{DEFAULT_TABLE, HistoryTable};
use super::{
    Applied, ChecksumPolicy, Drift, Error, LockStrategy, LockUse, LockWait, OutOfOrderPolicy, Plan,
    PlanStep, PlanStepKind, Report, Status, UnknownPolicy,
};
use crate::schema::Snapshot;
use crate::schema::read::Excluded;
use crate::{Migrations, Tool};

/// Applies a [`Migrations`] list with options; made by [`Migrations::migrator`].
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
/// use std::time::Duration;
/// use migrate_core::ChecksumPolicy;
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
    pub(crate) migrations: &'a Migrations,
    pub(crate) table: String,
    pub(crate) lock_wait: Duration,
    pub(crate) lock_timeout: Duration,
    lock_retries: LockRetries,
    pub(crate) lock_strategy: LockStrategy,
    pub(crate) lease_ttl: Duration,
    reconnect_within: Duration,
    policies: Policies,
    scratch_url: Option<String>,
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
            lock_retries: LockRetries::default(),
            lock_strategy: LockStrategy::Auto,
            lease_ttl: Duration::from_secs(30),
            reconnect_within: Duration::from_secs(30),
            policies: Policies::default(),
            scratch_url: None,
        }
    }

    /// Applies what is pending with default options: `self.migrator().run(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
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
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
    /// println!("{}", migrations.status(&pool).await?);
    /// # Ok(()) }
    /// ```
    pub async fn status(&self, pool: &PgPool) -> Result<Status, Error> {
        self.migrator().status(pool).await
    }

    /// `Ok` only when everything is applied: `self.migrator().verify(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
    /// migrations.verify(&pool).await?;
    /// # Ok(()) }
    /// ```
    pub async fn verify(&self, pool: &PgPool) -> Result<Status, Error> {
        self.migrator().verify(pool).await
    }

    /// How the live schema differs from what its applied migrations make:
    /// `self.migrator().drift(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
    /// println!("{}", migrations.drift(&pool).await?);
    /// # Ok(()) }
    /// ```
    pub async fn drift(&self, pool: &PgPool) -> Result<Drift, Error> {
        self.migrator().drift(pool).await
    }

    /// The SQL a run would execute: `self.migrator().plan(pool)`.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
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
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
    /// migrations.baseline(&pool, "003_orders").await?;
    /// # Ok(()) }
    /// ```
    pub async fn baseline(&self, pool: &PgPool, up_to: &str) -> Result<Report, Error> {
        self.migrator().baseline(pool, up_to).await
    }
}

impl<'a> Migrator<'a> {
    /// The list this migrator applies (the test harness names its template by it).
    #[cfg(feature = "testing")]
    pub(crate) fn migrations(&self) -> &'a Migrations {
        self.migrations
    }

    /// The history table's name, as configured.
    #[cfg(feature = "testing")]
    pub(crate) fn table_name(&self) -> &str {
        &self.table
    }

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

    /// How often a migration that hits `lock_timeout` (SQLSTATE 55P03: a busy table) is tried
    /// again, and the pause before the first retry, doubled before each further one; default 4
    /// retries from 2 s (2, 4, 8, 16 s). A `#[no_transaction]` migration retries only the
    /// statement that timed out. Each retry is logged and counted in
    /// [`Report::lock_timeout_retries`]. `retries(0, …)` fails at once.
    ///
    /// ```
    /// # let list = migrate_core::Migrations::from_vec(vec![]).unwrap();
    /// use std::time::Duration;
    /// let _m = list.migrator().lock_timeout_retries(2, Duration::from_millis(500));
    /// ```
    pub fn lock_timeout_retries(mut self, retries: u32, first_pause: Duration) -> Self {
        self.lock_retries = LockRetries {
            retries,
            first_pause,
        };
        self
    }

    /// How the run keeps other runs out; default [`LockStrategy::Auto`] (an advisory lock, or
    /// a lease row when the connection turns out to be pooled per transaction).
    ///
    /// ```
    /// # let list = migrate_core::Migrations::from_vec(vec![]).unwrap();
    /// use migrate_core::LockStrategy;
    /// let _m = list.migrator().lock_strategy(LockStrategy::Lease);
    /// ```
    pub fn lock_strategy(mut self, strategy: LockStrategy) -> Self {
        self.lock_strategy = strategy;
        self
    }

    /// How long a lease ([`LockStrategy::Lease`]) lasts without renewal; default 30 s. The
    /// holder renews it every third of that; a killed holder's lease is taken over once it
    /// runs out, so shorter means a faster takeover and longer tolerates longer stalls.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// How long a run that lost its connection (server restart, failover, reset socket) keeps
    /// trying to reconnect, with backoff, before failing with [`Error::ServerGone`]; default
    /// 30 s. Once reconnected it goes on where it was: a transactional migration reruns from
    /// its start, a `#[no_transaction]` one from its recorded progress. `Duration::ZERO` fails
    /// at once.
    ///
    /// ```
    /// # let list = migrate_core::Migrations::from_vec(vec![]).unwrap();
    /// use std::time::Duration;
    /// let _m = list.migrator().reconnect_within(Duration::from_secs(60));
    /// ```
    pub fn reconnect_within(mut self, budget: Duration) -> Self {
        self.reconnect_within = budget;
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

    /// The server on which [`Migrator::drift`] creates its scratch database, when the role may
    /// not create databases on the live one's: a URL such as `postgres://user@host:5432/postgres`
    /// (its database is only where drift connects to run `CREATE DATABASE`). Default: the live
    /// database's server.
    pub fn scratch_url(mut self, url: impl Into<String>) -> Self {
        self.scratch_url = Some(url.into());
        self
    }

    /// The same options for another list.
    #[cfg(feature = "testing")]
    pub(crate) fn for_list<'b>(&self, migrations: &'b Migrations) -> Migrator<'b> {
        Migrator {
            migrations,
            table: self.table.clone(),
            lock_wait: self.lock_wait,
            lock_timeout: self.lock_timeout,
            lock_retries: self.lock_retries,
            lock_strategy: self.lock_strategy,
            lease_ttl: self.lease_ttl,
            reconnect_within: self.reconnect_within,
            policies: self.policies,
            scratch_url: self.scratch_url.clone(),
        }
    }

    /// Applies what is pending: one query when nothing is, else under the run lock. A lost
    /// connection is retried within [`Migrator::reconnect_within`].
    pub async fn run(self, pool: &PgPool) -> Result<Report, Error> {
        let started = Instant::now();
        let table = HistoryTable::parse(&self.table)?;
        let mut tally = Tally::default();
        let mut kind = None;
        let mut outage: Option<Outage> = None;
        let mut reconnects = 0;
        loop {
            match self
                .run_once(pool, &table, started, &mut kind, &mut tally)
                .await
            {
                Err(lost) if lost.is_connection_loss() => {
                    outage
                        .get_or_insert_with(|| Outage::new(self.reconnect_within))
                        .reconnect(lost, pool)
                        .await?;
                    reconnects += 1;
                }
                result => {
                    return result.map(|report| Report {
                        reconnects,
                        lock_timeout_retries: tally.lock_timeout_retries,
                        rebuilt_indexes: tally.rebuilt_indexes,
                        ..report
                    });
                }
            }
        }
    }

    /// One attempt at [`Migrator::run`]. The lock strategy is settled the first time the run
    /// has work and kept across reconnections, so a lease this run held is its own again.
    async fn run_once(
        &self,
        pool: &PgPool,
        table: &HistoryTable,
        started: Instant,
        kind: &mut Option<Kind>,
        tally: &mut Tally,
    ) -> Result<Report, Error> {
        let mut conn = pool.acquire().await?;
        let fast = read_fast(&mut conn, table).await?;
        if let Some(report) = self.nothing_to_do(table, fast, LockUse::NotNeeded, started)? {
            return Ok(report);
        }
        let (resolved, conn) = match kind {
            Some(k) => (k.clone(), conn),
            None => Kind::resolve(self.lock_strategy, conn, pool, table, self.lease_ttl).await?,
        };
        let kind = kind.insert(resolved);
        let strategy = Some(kind.strategy());
        let (mut lock, lock_wait) =
            match self.lock_or_done(pool, conn, table, kind, started).await? {
                Locked::Lock(lock, lock_wait) => (lock, lock_wait),
                Locked::Done(report) => {
                    return Ok(Report {
                        lock_strategy: strategy,
                        ..report
                    });
                }
            };
        let result = self
            .run_locked(&mut lock, kind, table, started, tally)
            .await;
        lock.release().await;
        result.map(|report| Report {
            lock_wait,
            lock_strategy: strategy,
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
        // An unfinished row's progress is not in the fast read: the locked path reads it.
        if rows.iter().any(|r| r.state != RowState::Applied) {
            return Ok(None);
        }
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
        kind: &Kind,
        started: Instant,
    ) -> Result<Locked, Error> {
        let mut waiting = Waiting::new(table, self.lock_wait);
        loop {
            let busy = match RunLock::try_take(kind, conn, table, pool).await? {
                Attempt::Taken(lock) => return Ok(Locked::Lock(lock, waiting.summary())),
                Attempt::Busy(busy) => busy,
            };
            let mut freed = Freed::wait(kind, &mut waiting, busy, pool, table).await?;
            let fast = read_fast(freed.conn().await?, table).await?;
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
            drop(freed);
            conn = pool.acquire().await?;
        }
    }

    async fn run_locked(
        &self,
        lock: &mut RunLock,
        kind: &Kind,
        table: &HistoryTable,
        started: Instant,
        tally: &mut Tally,
    ) -> Result<Report, Error> {
        let conn = lock.conn()?;
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
        let apply = Apply {
            table,
            lock_timeout: self.lock_timeout,
            retries: self.lock_retries,
            sessions_hold: kind.sessions_hold(),
            commit_guard: Some(lock.commit_guard()),
        };
        let mut applied = Vec::new();
        for (m, progress) in &work.to_apply {
            lock.check_held()?;
            let conn = lock.conn()?;
            let migration_started = Instant::now();
            let statements = if m.is_transactional() {
                run_transactional(conn, &apply, m, tally).await
            } else {
                run_no_transaction(conn, &apply, m, *progress, tally).await
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
        fingerprint::record_or_warn(lock.conn()?, table).await;
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
            lock_strategy: None,
            lock_timeout_retries: 0,
            reconnects: 0,
            rebuilt_indexes: Vec::new(),
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
        let adoption =
            adopt::detect(&mut conn, &table, &shape, self.migrations, &rows, None).await?;
        let assessment = assess(self.migrations, &rows);
        let mut status = Status::from_assessment(&assessment, shape.exists());
        status.adoption = adoption.as_ref().map(Adoption::pending);
        let applied = assessment
            .entries
            .iter()
            .filter_map(|(m, standing)| matches!(standing, Standing::Applied(_)).then_some(*m));
        status.invalid_indexes = invalid_of_applied(&mut conn, applied).await?;
        Ok(status)
    }

    /// Like [`Migrator::status`], but `Ok` only when every migration is applied with its
    /// current checksum; else [`Error::NotUpToDate`] carrying the status. When everything is
    /// applied, one more query compares the schema's fingerprint with the one the last run
    /// recorded: [`Error::Drifted`] when it changed since (see [`Migrator::drift`] for how).
    pub async fn verify(self, pool: &PgPool) -> Result<Status, Error> {
        let table = HistoryTable::parse(&self.table)?;
        let status = self.status(pool).await?;
        if status.is_up_to_date() {
            fingerprint::verify(pool, &table, status).await
        } else {
            Err(Error::NotUpToDate {
                status: Box::new(status),
            })
        }
    }

    /// How the live schema differs from what its applied migrations make.
    ///
    /// Replays the migrations the live database has applied (with their current SQL) into a
    /// scratch database on the same server (or on [`Migrator::scratch_url`]'s), snapshots both
    /// schemas and diffs them; the scratch database is dropped on every path, errors, panics
    /// and cancellation included. Pending migrations are not replayed; the result lists them.
    /// Takes no lock and writes nothing to the live database.
    pub async fn drift(self, pool: &PgPool) -> Result<Drift, Error> {
        let table = HistoryTable::parse(&self.table)?;
        let status = self.clone().status(pool).await?;
        let replay = Replay {
            migrations: self.migrations,
            table,
            lock_timeout: self.lock_timeout,
            scratch_url: self.scratch_url.as_deref(),
        };
        drift::drift(replay, pool, status).await
    }

    /// The live schema, without the history table.
    pub async fn snapshot(self, pool: &PgPool) -> Result<Snapshot, Error> {
        let table = HistoryTable::parse(&self.table)?;
        let mut conn = pool.acquire().await?;
        crate::schema::read::read(&mut conn, &Excluded::bookkeeping(&table)).await
    }

    /// The SQL a run would execute now, bookkeeping included; fails as the run would when a
    /// policy refuses. Takes no lock, writes nothing.
    pub async fn plan(self, pool: &PgPool) -> Result<Plan, Error> {
        let table = HistoryTable::parse(&self.table)?;
        let mut conn = pool.acquire().await?;
        let shape = inspect(&mut conn, &table).await?;
        let rows = read_any(&mut conn, &table, &shape).await?;
        // The run's own setup and adoption; then the rows the adoption leaves.
        let (fixes, adoption) =
            setup_writes(&mut conn, &table, &shape, &rows, self.migrations, None).await?;
        let rows = adoption.as_ref().map_or(&rows[..], Adoption::rows_after);
        let assessment = assess(self.migrations, rows);
        let work = plan_work(&assessment, self.policies)?;
        let adoption = adoption.as_ref().map(Adoption::pending);
        let mut steps = vec![PlanStep {
            kind: PlanStepKind::ReadHistory,
            sql: vec![read_query(&table)],
        }];
        if !work.writes() && fixes.is_empty() {
            return Ok(Plan { steps, adoption });
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
                vec![transaction_script(&table, m, self.lock_timeout, None).sql]
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
        Ok(Plan { steps, adoption })
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
        let (kind, conn) = Kind::resolve(
            self.lock_strategy,
            pool.acquire().await?,
            pool,
            &table,
            self.lease_ttl,
        )
        .await?;
        drop(conn);
        let (mut lock, lock_wait) = RunLock::acquire(&kind, pool, &table, self.lock_wait).await?;
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
            if matches!(standing, Standing::Applied(_) | Standing::Modified(..)) {
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
        fingerprint::record_or_warn(conn, table).await;
        report.duration = started.elapsed();
        tracing::info!("migrations: {report}");
        Ok(report)
    }
}

impl Migrator<'_> {
    /// Takes the run lock as `run` does, through the configured strategy, for the commands
    /// that write outside `run` (`adopt`, `revert_to`).
    pub(crate) async fn take_run_lock(
        &self,
        pool: &PgPool,
        table: &HistoryTable,
    ) -> Result<(RunLock, Option<LockWait>), Error> {
        let (kind, conn) = Kind::resolve(
            self.lock_strategy,
            pool.acquire().await?,
            pool,
            table,
            self.lease_ttl,
        )
        .await?;
        drop(conn);
        RunLock::acquire(&kind, pool, table, self.lock_wait).await
    }

    /// Records every migration `tool` applied (matched by version number) as applied here,
    /// creating the history table if needed; the other tool's table is only read. A first
    /// [`run`](Migrator::run) does this by itself when exactly one such table exists; this call
    /// chooses the tool, and also fills in an existing history. Takes the run lock.
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) -> Result<(), migrate_core::Error> {
    /// use migrate_core::Tool;
    ///
    /// let report = migrations.migrator().adopt(&pool, Tool::Sqlx).await?;
    /// println!("recorded as applied: {:?}", report.baselined);
    /// # Ok(()) }
    /// ```
    pub async fn adopt(self, pool: &PgPool, tool: Tool) -> Result<Report, Error> {
        let started = Instant::now();
        let table = HistoryTable::parse(&self.table)?;
        let (mut lock, lock_wait) = self.take_run_lock(pool, &table).await?;
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
pub(crate) async fn setup(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migrations: &Migrations,
    adopt_from: Option<Tool>,
) -> Result<(Vec<HistoryRow>, Option<Adoption>), Error> {
    let shape = inspect(conn, table).await?;
    let rows = read_any(conn, table, &shape).await?;
    let (fixes, adoption) =
        setup_writes(conn, table, &shape, &rows, migrations, adopt_from).await?;
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

/// What setting up the history writes: our table's fixes, then the adoption of another tool's
/// history (refused when that history records a failed migration). [`setup`] runs it under the
/// lock; `plan` shows it.
async fn setup_writes(
    conn: &mut PgConnection,
    table: &HistoryTable,
    shape: &Shape,
    rows: &[HistoryRow],
    migrations: &Migrations,
    adopt_from: Option<Tool>,
) -> Result<(Vec<String>, Option<Adoption>), Error> {
    let mut fixes = setup_sql(table, shape, rows, migrations);
    let adoption = adopt::detect(conn, table, shape, migrations, rows, adopt_from).await?;
    if let Some(adoption) = &adoption {
        adoption.refuse_if_blocked()?;
        fixes.extend(adoption.sql.iter().cloned());
    }
    Ok((fixes, adoption))
}

#[cfg(test)]
mod send_tests {
    fn is_send<T: Send>(_: T) {}

    #[allow(dead_code)]
    fn futures_are_send(m: &crate::Migrations, pool: &sqlx::PgPool) {
        is_send(m.run(pool));
        is_send(m.verify(pool));
        is_send(m.drift(pool));
        is_send(m.migrator().snapshot(pool));
    }

    #[allow(dead_code)]
    fn parts_are_send(
        conn: &mut sqlx::PgConnection,
        t: &super::HistoryTable,
        m: &crate::Migration,
        ms: &crate::Migrations,
        pool: &sqlx::PgPool,
    ) {
        let apply = super::Apply {
            table: t,
            lock_timeout: std::time::Duration::ZERO,
            retries: super::LockRetries::default(),
            sessions_hold: true,
            commit_guard: None,
        };
        let mut tally = super::Tally::default();
        is_send(super::run_transactional(conn, &apply, m, &mut tally));
        let mut tally = super::Tally::default();
        is_send(super::run_no_transaction(conn, &apply, m, 0, &mut tally));
        is_send(super::setup(conn, t, ms, None));
        is_send(super::read_fast(conn, t));
        is_send(super::inspect(conn, t));
        is_send(super::RunLock::acquire(
            &super::Kind::Advisory,
            pool,
            t,
            std::time::Duration::ZERO,
        ));
    }
}
