//! The lease strategy: a row in a lock table next to the history table, with an expiry that
//! the holder renews while it runs; another run takes it over only once it has expired.
//!
//! Nothing of it lives in a session, so it works where consecutive transactions of one client
//! connection run on different server connections (a pooler in transaction mode). A killed
//! holder's lease simply runs out. Every statement is a single simple query, which poolers
//! route as one transaction, and waiting runs poll: a pooler does not deliver `NOTIFY`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::pool::PoolConnection;
use sqlx::{Executor, PgConnection, PgPool, Postgres, Row};

use super::Attempt;
use super::wait::Waiting;
use crate::runtime::Error;
use crate::runtime::error::sqlstate;
use crate::runtime::table::{HistoryTable, quote_literal};

/// How long releasing the lease on a fresh connection may take when the run's own is gone.
const RELEASE_RETRY_WITHIN: Duration = Duration::from_secs(2);

/// What identifies this run's lease, and how long it lasts unrenewed.
#[derive(Debug, Clone)]
pub(crate) struct LeaseTerms {
    /// The lock table, quoted.
    table: String,
    /// The history table, for messages.
    history: String,
    /// The schema to create first, when the history table is in one that may not exist yet.
    schema: Option<String>,
    key: i64,
    /// Unique to the run, readable in the table: which process holds the lease.
    token: String,
    ttl: Duration,
}

impl LeaseTerms {
    pub(crate) fn new(table: &HistoryTable, ttl: Duration) -> LeaseTerms {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        LeaseTerms {
            table: table.lock_table_quoted(),
            history: table.display_name(),
            schema: table.schema_name_quoted(),
            key: table.lock_key(),
            token: format!("process {} (run {nanos:x})", std::process::id()),
            ttl,
        }
    }

    fn interval(&self) -> String {
        format!("interval '{} milliseconds'", self.ttl.as_millis().max(1))
    }

    fn create_sql(&self) -> String {
        let schema = self
            .schema
            .as_ref()
            .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {s}; "))
            .unwrap_or_default();
        format!(
            "{schema}CREATE TABLE IF NOT EXISTS {} (key BIGINT PRIMARY KEY, holder TEXT NOT NULL, \
             acquired_at TIMESTAMPTZ NOT NULL DEFAULT now(), expires_at TIMESTAMPTZ NOT NULL)",
            self.table
        )
    }

    /// Takes the lease if nobody holds it, it has expired, or this run holds it already (a run
    /// that lost its connection takes its own lease back). One statement: concurrent takers
    /// serialise on the row, and only one of them gets a row back.
    fn take_sql(&self) -> String {
        format!(
            "INSERT INTO {t} AS l (key, holder, expires_at) VALUES ({key}, {token}, now() + {i}) \
             ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = now(), \
             expires_at = EXCLUDED.expires_at \
             WHERE l.expires_at < now() OR l.holder = EXCLUDED.holder RETURNING holder",
            t = self.table,
            key = self.key,
            token = quote_literal(&self.token),
            i = self.interval(),
        )
    }

    fn renew_sql(&self) -> String {
        format!(
            "UPDATE {} SET expires_at = now() + {} WHERE key = {} AND holder = {}",
            self.table,
            self.interval(),
            self.key,
            quote_literal(&self.token)
        )
    }

    fn release_sql(&self) -> String {
        format!(
            "DELETE FROM {} WHERE key = {} AND holder = {}",
            self.table,
            self.key,
            quote_literal(&self.token)
        )
    }

    /// Who holds an unexpired lease, if anyone.
    fn holder_sql(&self) -> String {
        format!(
            "SELECT holder || ', since ' || date_trunc('second', acquired_at)::text || \
             ', lease expires in ' || greatest(0, round(extract(epoch FROM expires_at - now()) * 1000))::text || ' ms' \
             FROM {} WHERE key = {} AND expires_at >= now()",
            self.table, self.key
        )
    }

    /// The statement a transactional migration runs just before its `COMMIT`: it renews the
    /// lease and fails (division by zero, rolling everything back) unless this run still holds
    /// it. The row lock it takes makes a takeover wait for the commit, so a run whose lease
    /// expired while it ran (a stalled process) can never commit next to the run that took over.
    pub(crate) fn commit_guard_sql(&self) -> String {
        format!(
            "WITH renewed AS ({} RETURNING 1) SELECT 1 / (SELECT count(*)::int FROM renewed)",
            self.renew_sql()
        )
    }

    pub(crate) fn history(&self) -> &str {
        &self.history
    }
}

/// A held lease: the connection the run works on, and the task that renews the lease.
pub(crate) struct Lease {
    conn: Option<PgConnection>,
    terms: LeaseTerms,
    pool: PgPool,
    renewer: tokio::task::JoinHandle<()>,
    lost: Arc<AtomicBool>,
}

/// Runs `sql` once, creating the lock table first if it is missing. Creating it can race with
/// another run doing the same (a unique violation on the catalog), which only means it exists.
async fn with_table(
    conn: &mut PgConnection,
    terms: &LeaseTerms,
    sql: &str,
) -> Result<Vec<sqlx::postgres::PgRow>, sqlx::Error> {
    for _ in 0..3 {
        match conn.fetch_all(sqlx::raw_sql(sql)).await {
            Err(e) if matches!(sqlstate(&e).as_deref(), Some("42P01" | "3F000")) => {
                match conn.execute(sqlx::raw_sql(&terms.create_sql())).await {
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            sqlstate(&e).as_deref(),
                            Some("23505" | "42P06" | "42P07" | "42710")
                        ) => {}
                    Err(e) => return Err(e),
                }
            }
            other => return other,
        }
    }
    conn.fetch_all(sqlx::raw_sql(sql)).await
}

/// Tries the lease once on a pooled connection, which leaves the pool when it is taken.
pub(super) async fn try_take(
    mut conn: PoolConnection<Postgres>,
    terms: &LeaseTerms,
    pool: &PgPool,
) -> Result<Attempt, Error> {
    let rows = with_table(&mut conn, terms, &terms.take_sql())
        .await
        .map_err(|source| lock_table_error(terms, source))?;
    if rows.is_empty() {
        return Ok(Attempt::Busy(conn));
    }
    tracing::debug!(table = %terms.history, holder = %terms.token, "took the migration lease");
    let lost = Arc::new(AtomicBool::new(false));
    let renewer = tokio::spawn(renew(pool.clone(), terms.clone(), lost.clone()));
    Ok(Attempt::Taken(super::RunLock::Lease(Lease {
        conn: Some(conn.detach()),
        terms: terms.clone(),
        pool: pool.clone(),
        renewer,
        lost,
    })))
}

fn lock_table_error(terms: &LeaseTerms, source: sqlx::Error) -> Error {
    Error::History {
        table: terms.table.clone(),
        action: "take the migration lease in",
        source,
    }
}

/// Renews the lease every third of its term until the task is aborted; marks it lost when the
/// row is no longer this run's (it expired and another run took it over).
async fn renew(pool: PgPool, terms: LeaseTerms, lost: Arc<AtomicBool>) {
    let every = (terms.ttl / 3).max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(every).await;
        let renewed = match pool.acquire().await {
            Ok(mut conn) => conn.execute(sqlx::raw_sql(&terms.renew_sql())).await,
            Err(e) => Err(e),
        };
        match renewed {
            Ok(done) if done.rows_affected() == 0 => {
                tracing::error!(table = %terms.history, "the migration lease expired and another run took it over");
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Ok(_) => {}
            // The server may be restarting: the run reconnects, and a later tick renews.
            Err(e) => {
                tracing::warn!(table = %terms.history, error = %e, "could not renew the migration lease")
            }
        }
    }
}

impl Lease {
    pub(crate) fn conn(&mut self) -> Result<&mut PgConnection, Error> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::Database(sqlx::Error::PoolClosed))
    }

    pub(crate) fn terms(&self) -> &LeaseTerms {
        &self.terms
    }

    /// Whether the renewal found the lease taken over.
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Gives the lease back (on a pooled connection if the run's own is gone) and closes the
    /// run's connection. If neither works, the lease expires on its own.
    pub(crate) async fn release(mut self) {
        self.renewer.abort();
        let sql = self.terms.release_sql();
        let released = match self.conn.take() {
            Some(mut conn) => {
                let done = conn.execute(sqlx::raw_sql(&sql)).await.map(drop);
                let _ = sqlx::Connection::close(conn).await;
                done
            }
            None => Err(sqlx::Error::PoolClosed),
        };
        if released.is_err() {
            // Bounded: when the server is away, a run that reconnects takes its own lease back,
            // and anyone else's waits only for the expiry.
            let retry = async {
                let mut conn = self.pool.acquire().await?;
                conn.execute(sqlx::raw_sql(&sql)).await.map(drop)
            };
            let retried = tokio::time::timeout(RELEASE_RETRY_WITHIN, retry).await;
            if !matches!(retried, Ok(Ok(()))) {
                tracing::warn!(
                    "could not release the migration lease; it expires within {:?}",
                    self.terms.ttl
                );
            }
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
        // Dropped without `release` (an error path, a cancelled future): give the lease back
        // in the background if a runtime is still there, else let it expire.
        if self.conn.take().is_some()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let (pool, sql) = (self.pool.clone(), self.terms.release_sql());
            handle.spawn(async move {
                if let Ok(mut conn) = pool.acquire().await {
                    let _ = conn.execute(sqlx::raw_sql(&sql)).await;
                }
            });
        }
    }
}

/// Polls until nobody holds an unexpired lease; fails with [`Error::LockTimeout`] when the
/// wait is over.
pub(super) async fn until_free(
    waiting: &mut Waiting,
    terms: &LeaseTerms,
    conn: &mut PgConnection,
) -> Result<(), Error> {
    waiting.summary_mut();
    loop {
        let rows = with_table(conn, terms, &terms.holder_sql())
            .await
            .map_err(|source| lock_table_error(terms, source))?;
        let holder: Option<String> = rows.first().and_then(|r| r.try_get(0).ok());
        let Some(holder) = holder else {
            return Ok(());
        };
        if waiting.is_over() {
            waiting.check_deadline(Some(holder.clone()))?;
        }
        if waiting.log_due() {
            tracing::info!(table = %waiting.table, holder = %holder, "another run holds the migration lease; waiting");
        }
        tokio::time::sleep(waiting.pause()).await;
        waiting.polled();
    }
}
