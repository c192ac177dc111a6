//! The advisory strategy: a session advisory lock on a connection of its own.
//!
//! The lock is tried on a pooled connection, which leaves the pool for good when it gets the
//! lock: a pooled connection could return still holding it. PostgreSQL releases session locks
//! when the connection ends, which is what the guard falls back to whenever the unlock cannot
//! run (errors, panics, a cancelled future). Waiting runs hold nothing, so that a run whose work
//! another run has done can return without ever taking the lock: they LISTEN on a channel named
//! after the lock, which the holder NOTIFYs right after unlocking, and look at the lock on a
//! timer in case the holder dies without a word.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgListener;
use sqlx::{Acquire, Connection, Executor, PgConnection, PgPool, Postgres, Row};

use super::Attempt;
use super::wait::Waiting;
use crate::runtime::Error;
use crate::runtime::table::HistoryTable;

/// The channel the holder notifies when it lets go of the lock with this key: per key, so runs
/// on another history table are not woken for nothing.
fn channel(key: i64) -> String {
    format!("migrate_{:016x}", key as u64)
}

/// The SQL that takes the lock (shown by `plan`).
pub(crate) fn lock_sql(key: i64) -> String {
    format!("SELECT pg_try_advisory_lock({key})")
}

/// The statement a transactional migration runs right before its `COMMIT`: it fails (division
/// by zero, rolling everything back) unless the backend running the transaction holds the
/// lock. On a direct connection it always does; through a transaction pooler that the run did
/// not recognise, the transaction may land on another server connection, and must not commit
/// unprotected.
pub(crate) fn commit_guard_sql(key: i64) -> String {
    let (classid, objid) = ((key >> 32) as u32, key as u32);
    format!(
        "SELECT 1 / (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' \
         AND pid = pg_backend_pid() AND granted AND classid = {classid} AND objid = {objid} \
         AND objsubid = 1)"
    )
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

/// The boolean a one-row query answers, asked as a simple query: nothing prepared, so even a
/// transaction pooler the run did not recognise routes it whole (and the commit guard then
/// stops the migrations).
async fn yes_or_no(conn: &mut PgConnection, sql: &str) -> Result<bool, sqlx::Error> {
    let rows = conn.fetch_all(sqlx::raw_sql(sql)).await?;
    match rows.first() {
        Some(row) => row.try_get(0),
        None => Err(sqlx::Error::RowNotFound),
    }
}

/// Holds the advisory lock; dropping it without [`AdvisoryLock::release`] closes the
/// connection, which releases the lock on the server.
pub(crate) struct AdvisoryLock {
    conn: Option<PgConnection>,
    key: i64,
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

impl AdvisoryLock {
    /// Tries the lock once on a pooled connection. When it is granted the connection leaves the
    /// pool for good (the pool may open a replacement), so the run needs no new connection.
    pub(crate) async fn try_take(
        conn: PoolConnection<Postgres>,
        table: &HistoryTable,
    ) -> Result<Attempt, Error> {
        let key = table.lock_key();
        let mut armed = Armed(Some(conn));
        let got: bool = match armed.0.as_mut() {
            Some(conn) => yes_or_no(conn, &lock_sql(key)).await?,
            None => return Err(Error::Database(sqlx::Error::PoolClosed)),
        };
        let Some(conn) = armed.0.take() else {
            return Err(Error::Database(sqlx::Error::PoolClosed));
        };
        if !got {
            return Ok(Attempt::Busy(conn));
        }
        let mut lock = AdvisoryLock {
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
        Ok(Attempt::Taken(super::RunLock::Advisory(lock)))
    }

    pub(crate) fn key(&self) -> i64 {
        self.key
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

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        if self.conn.take().is_some() {
            // Dropping the connection closes its socket; the server ends the session and with
            // it the lock.
            tracing::debug!("migration lock released by closing its connection");
        }
    }
}

/// Swaps the pooled connection that found the lock held for a listener on the lock's channel,
/// on that same connection: it goes back to the pool first (awaited, so the listener finds it
/// idle instead of opening a second one), and a one-connection pool keeps working. Dropping the
/// listener sends `UNLISTEN *` before the connection is pooled again.
pub(super) async fn listen(
    waiting: &mut Waiting,
    key: i64,
    mut busy: PoolConnection<Postgres>,
    pool: &PgPool,
) -> Result<PgListener, Error> {
    // `return_to_pool` is what dropping does in a spawned task; awaiting it here is what keeps
    // the waiting run at one connection of its pool.
    busy.return_to_pool().await;
    drop(busy);
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(&channel(key)).await?;
    waiting.summary_mut();
    Ok(listener)
}

/// Returns once nobody holds the lock, or the holder said it let go (someone may take it
/// before the caller does); fails with [`Error::LockTimeout`] when the wait is over. The
/// listener must be listening already: the first look at the lock comes after the LISTEN, so a
/// release after that look cannot go unheard.
pub(super) async fn until_free(
    waiting: &mut Waiting,
    key: i64,
    listener: &mut PgListener,
) -> Result<(), Error> {
    loop {
        if waiting.is_over() {
            waiting.check_deadline(holder(listener, key).await)?;
        }
        if waiting.log_due() {
            let holder = holder(listener, key).await;
            tracing::info!(
                table = %waiting.table,
                holder = holder.as_deref().unwrap_or("unknown"),
                "another run holds the migration lock; waiting"
            );
        }
        let free = yes_or_no(listener.acquire().await?, &probe_sql(key)).await?;
        if free {
            return Ok(());
        }
        // `try_recv` is cancel-safe: a notification half-read when the pause ends stays
        // buffered for the next call.
        match tokio::time::timeout(waiting.pause(), listener.try_recv()).await {
            Ok(Ok(Some(_))) => {
                waiting.notified();
                tracing::debug!(table = %waiting.table, "the lock holder let go (notified)");
                return Ok(());
            }
            // The connection was lost and the listener has reconnected and listens again; a
            // notification may have been missed, so look at the lock.
            Ok(Ok(None)) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(_elapsed) => waiting.polled(),
        }
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
