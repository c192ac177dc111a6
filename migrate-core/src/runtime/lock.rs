//! The run lock: a session advisory lock on a connection of its own.
//!
//! The lock is tried on a pooled connection, which leaves the pool for good when it gets the
//! lock: a pooled connection could return still holding it. PostgreSQL releases session locks
//! when the connection ends, which is what the guard falls back to whenever the unlock cannot
//! run (errors, panics, a cancelled future). Waiting runs hold nothing, so that a run whose work
//! another run has done can return without ever taking the lock: they LISTEN on a channel named
//! after the lock, which the holder NOTIFYs right after unlocking, and look at the lock on a
//! timer in case the holder dies without a word.

use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgListener;
use sqlx::{Acquire, Connection, Executor, PgConnection, PgPool, Postgres, Row};

use super::Error;
use super::report::LockWait;
use super::table::HistoryTable;

/// The first pause of a waiting run. The holder's notification ends a pause as soon as it lets
/// go; the timer only matters when that is lost (a holder killed mid-run, a pooler in
/// transaction mode), so it need not be short: every probe of sixteen waiters costs the
/// server time that the run they wait for needs (with 10 ms the winner ran 25 % slower).
const FIRST_POLL: Duration = Duration::from_millis(100);
/// The longest pause: a long migration must not turn its waiters into a query storm.
const MAX_POLL: Duration = Duration::from_secs(1);
// Between the two each pause is a quarter longer than the last (100, 125, 156, 195 ms…).
/// How long a run waits before it first logs who holds the lock (a replica waiting for its
/// twin is the normal case, not news), and how often it logs again after that.
const FIRST_LOG: Duration = Duration::from_secs(1);
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// The channel the holder notifies when it lets go of the lock with this key: per key, so runs
/// on another history table are not woken for nothing.
fn channel(key: i64) -> String {
    format!("migrate_{:016x}", key as u64)
}

/// The SQL that takes the lock (shown by `plan`).
pub(crate) fn lock_sql(key: i64) -> String {
    format!("SELECT pg_try_advisory_lock({key})")
}

/// The SQL that releases the lock and wakes the runs waiting for it (shown by `plan`). One
/// simple query: the notification goes out when it commits, after the unlock, so a woken run
/// finds the lock free.
pub(crate) fn unlock_sql(key: i64) -> String {
    format!(
        "SELECT pg_advisory_unlock({key}); NOTIFY \"{}\"",
        channel(key)
    )
}

/// Whether nobody holds the lock, asked without keeping anything: a shared lock taken and
/// released in the same statement, so it never queues behind the holder (a blocking wait would
/// hold a snapshot and deadlock with the holder's `CREATE INDEX CONCURRENTLY`) and many
/// waiters can ask at once without stepping on each other.
fn probe_sql(key: i64) -> String {
    format!(
        "SELECT CASE WHEN pg_try_advisory_lock_shared({key}) \
         THEN pg_advisory_unlock_shared({key}) ELSE false END"
    )
}

/// Holds the run lock; dropping it without [`RunLock::release`] closes the connection, which
/// releases the lock on the server.
pub(crate) struct RunLock {
    conn: Option<PgConnection>,
    key: i64,
}

/// The outcome of one attempt at the lock.
pub(crate) enum Attempt {
    Taken(RunLock),
    /// Another run holds it; the connection is handed back for waiting.
    Busy(PoolConnection<Postgres>),
}

/// A pooled connection on which the lock may have been granted: if the attempt is abandoned
/// (an error, a cancelled future), the connection is closed rather than returned to the pool,
/// where it could hold the lock for the life of the process.
struct Armed(Option<PoolConnection<Postgres>>);

impl Drop for Armed {
    fn drop(&mut self) {
        if let Some(conn) = self.0.as_mut() {
            conn.close_on_drop();
        }
    }
}

impl RunLock {
    /// Tries the lock once on a pooled connection. When it is granted the connection leaves the
    /// pool for good (the pool may open a replacement), so the run needs no new connection.
    pub(crate) async fn try_take(
        conn: PoolConnection<Postgres>,
        table: &HistoryTable,
    ) -> Result<Attempt, Error> {
        let key = table.lock_key();
        let mut armed = Armed(Some(conn));
        let got: bool = match armed.0.as_mut() {
            Some(conn) => {
                sqlx::query_scalar(&lock_sql(key))
                    .persistent(false)
                    .fetch_one(&mut **conn)
                    .await?
            }
            None => return Err(Error::Database(sqlx::Error::PoolClosed)),
        };
        let Some(conn) = armed.0.take() else {
            return Err(Error::Database(sqlx::Error::PoolClosed));
        };
        if !got {
            return Ok(Attempt::Busy(conn));
        }
        let mut lock = RunLock {
            conn: Some(conn.detach()),
            key,
        };
        tracing::debug!(table = %table.display_name(), key, "took the migration lock");
        // If this process dies mid-migration, the server notices the dead client within a
        // second and ends the session, rolling back and freeing the lock, instead of finishing
        // a long statement first. PostgreSQL 14+ on Linux; elsewhere the SET fails harmlessly.
        if let Ok(conn) = lock.conn() {
            let _ = conn
                .execute(sqlx::raw_sql("SET client_connection_check_interval = '1s'"))
                .await;
        }
        Ok(Attempt::Taken(lock))
    }

    /// Takes the lock, waiting up to `wait` for another run to release it; also tells how the
    /// run waited, if it did.
    pub(crate) async fn acquire(
        pool: &PgPool,
        table: &HistoryTable,
        wait: Duration,
    ) -> Result<(RunLock, Option<LockWait>), Error> {
        let mut waiting = Waiting::new(table, wait);
        let mut conn = pool.acquire().await?;
        loop {
            match RunLock::try_take(conn, table).await? {
                Attempt::Taken(lock) => return Ok((lock, waiting.summary())),
                Attempt::Busy(busy) => {
                    let mut listener = waiting.listen(busy, pool).await?;
                    waiting.until_free(&mut listener).await?;
                }
            }
            conn = pool.acquire().await?;
        }
    }

    /// The locked connection, on which the whole run happens.
    pub(crate) fn conn(&mut self) -> Result<&mut PgConnection, Error> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::Database(sqlx::Error::PoolClosed))
    }

    /// Unlocks and closes the connection; if the unlock fails, closing it releases the lock.
    pub(crate) async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let unlocked = (&mut conn)
                .execute(sqlx::raw_sql(&unlock_sql(self.key)))
                .await;
            if let Err(e) = unlocked {
                tracing::warn!(error = %e, "could not release the migration lock; closing its connection instead");
            }
            let _ = conn.close().await;
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if self.conn.take().is_some() {
            // Dropping the connection closes its socket; the server ends the session and with
            // it the lock.
            tracing::debug!("migration lock released by closing its connection");
        }
    }
}

/// A run waiting for another run's lock: listens for the holder's notification, polls with
/// growing pauses in case it never comes, logs who holds the lock, and gives up after the
/// configured wait.
pub(crate) struct Waiting {
    table: String,
    key: i64,
    started: Instant,
    wait: Duration,
    pause: Duration,
    last_log: Option<Instant>,
    /// Set once the run has found the lock held and started listening.
    summary: Option<LockWait>,
}

impl Waiting {
    pub(crate) fn new(table: &HistoryTable, wait: Duration) -> Waiting {
        Waiting {
            table: table.display_name(),
            key: table.lock_key(),
            started: Instant::now(),
            wait,
            pause: FIRST_POLL,
            last_log: None,
            summary: None,
        }
    }

    /// Swaps the pooled connection that found the lock held for a listener on the lock's
    /// channel, on that same connection: it goes back to the pool first (awaited, so the
    /// listener finds it idle instead of opening a second one), and a one-connection pool keeps
    /// working. Dropping the listener sends `UNLISTEN *` before the connection is pooled again.
    pub(crate) async fn listen(
        &mut self,
        mut busy: PoolConnection<Postgres>,
        pool: &PgPool,
    ) -> Result<PgListener, Error> {
        // `return_to_pool` is what dropping does in a spawned task; awaiting it here is what
        // keeps the waiting run at one connection of its pool.
        busy.return_to_pool().await;
        drop(busy);
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(&channel(self.key)).await?;
        self.summary.get_or_insert_with(LockWait::default);
        Ok(listener)
    }

    /// Returns once nobody holds the lock, or the holder said it let go (someone may take it
    /// before the caller does); fails with [`Error::LockTimeout`] when the wait is over. The
    /// listener must be listening already: the first look at the lock comes after the LISTEN,
    /// so a release after that look cannot go unheard.
    pub(crate) async fn until_free(&mut self, listener: &mut PgListener) -> Result<(), Error> {
        loop {
            let waited = self.started.elapsed();
            if waited >= self.wait {
                return Err(Error::LockTimeout {
                    table: self.table.clone(),
                    waited,
                    holder: holder(listener, self.key).await,
                });
            }
            let log_due = match self.last_log {
                None => self.started.elapsed() >= FIRST_LOG,
                Some(t) => t.elapsed() >= LOG_INTERVAL,
            };
            if log_due {
                let holder = holder(listener, self.key).await;
                tracing::info!(
                    table = %self.table,
                    holder = holder.as_deref().unwrap_or("unknown"),
                    "another run holds the migration lock; waiting"
                );
                self.last_log = Some(Instant::now());
            }
            let free: bool = sqlx::query_scalar(&probe_sql(self.key))
                .persistent(false)
                .fetch_one(&mut *listener)
                .await?;
            if free {
                return Ok(());
            }
            let pause = self
                .pause
                .min(self.wait.saturating_sub(self.started.elapsed()));
            // `try_recv` is cancel-safe: a notification half-read when the pause ends stays
            // buffered for the next call.
            match tokio::time::timeout(pause, listener.try_recv()).await {
                Ok(Ok(Some(_))) => {
                    let summary = self.summary.get_or_insert_with(LockWait::default);
                    summary.notifications += 1;
                    tracing::debug!(table = %self.table, "the lock holder let go (notified)");
                    return Ok(());
                }
                // The connection was lost and the listener has reconnected and listens again;
                // a notification may have been missed, so look at the lock.
                Ok(Ok(None)) => {}
                Ok(Err(e)) => return Err(e.into()),
                Err(_elapsed) => {
                    let summary = self.summary.get_or_insert_with(LockWait::default);
                    summary.polls += 1;
                    self.pause = (self.pause * 5 / 4).min(MAX_POLL);
                }
            }
        }
    }

    /// How long the run has waited so far.
    pub(crate) fn waited(&self) -> Duration {
        self.started.elapsed()
    }

    /// How the run waited; `None` when it never found the lock held.
    pub(crate) fn summary(&self) -> Option<LockWait> {
        self.summary.map(|s| LockWait {
            waited: self.started.elapsed(),
            ..s
        })
    }
}

/// Who holds the lock, as `pg_stat_activity` tells (pid, application, client, since when).
async fn holder(listener: &mut PgListener, key: i64) -> Option<String> {
    let conn = listener.acquire().await.ok()?;
    let (classid, objid) = ((key >> 32) as u32, key as u32);
    let query = format!(
        "SELECT format('pid %s, application %L, client %s, connected since %s, %s', \
         a.pid, a.application_name, coalesce(a.client_addr::text, 'local'), \
         date_trunc('second', a.backend_start), coalesce(a.state, '?')) \
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {classid} \
         AND l.objid = {objid} AND l.objsubid = 1 AND l.database = \
         (SELECT oid FROM pg_database WHERE datname = current_database())"
    );
    let rows = conn.fetch_all(sqlx::raw_sql(&query)).await.ok()?;
    rows.first()?.try_get::<Option<String>, _>(0).ok().flatten()
}
