//! The run lock: a session advisory lock on a connection of its own.
//!
//! The connection never goes back to the pool: a pooled connection could return still holding
//! the lock. PostgreSQL releases session locks when the connection ends, which is what the guard
//! falls back to whenever the unlock cannot run (errors, panics, a cancelled future).

use std::time::{Duration, Instant};

use sqlx::Executor;
use sqlx::{Connection, PgConnection, PgPool, Row};

use super::Error;
use super::table::HistoryTable;

/// How often a waiting run asks again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How often a waiting run logs who holds the lock.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// The SQL that takes the lock (shown by `plan`).
pub(crate) fn lock_sql(key: i64) -> String {
    format!("SELECT pg_try_advisory_lock({key})")
}

/// The SQL that releases the lock (shown by `plan`).
pub(crate) fn unlock_sql(key: i64) -> String {
    format!("SELECT pg_advisory_unlock({key})")
}

/// Holds the run lock; dropping it without [`RunLock::release`] closes the connection, which
/// releases the lock on the server.
pub(crate) struct RunLock {
    conn: Option<PgConnection>,
    key: i64,
}

impl RunLock {
    /// Opens a dedicated connection and polls until the lock is ours or `wait` has passed.
    pub(crate) async fn acquire(
        pool: &PgPool,
        table: &HistoryTable,
        wait: Duration,
    ) -> Result<RunLock, Error> {
        let key = table.lock_key();
        let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
        // If this process dies mid-migration, the server notices the dead client within a
        // second and ends the session, rolling back and freeing the lock, instead of finishing
        // a long statement first. PostgreSQL 14+ on Linux; elsewhere the SET fails harmlessly.
        let _ = (&mut conn)
            .execute(sqlx::raw_sql("SET client_connection_check_interval = '1s'"))
            .await;
        let started = Instant::now();
        let mut last_log: Option<Instant> = None;
        loop {
            let got: bool = sqlx::query_scalar(&lock_sql(key))
                .persistent(false)
                .fetch_one(&mut conn)
                .await?;
            if got {
                tracing::debug!(table = %table.display_name(), key, "took the migration lock");
                return Ok(RunLock {
                    conn: Some(conn),
                    key,
                });
            }
            let waited = started.elapsed();
            if waited >= wait {
                let holder = holder(&mut conn, key).await;
                let _ = conn.close().await;
                return Err(Error::LockTimeout {
                    table: table.display_name(),
                    waited,
                    holder,
                });
            }
            if last_log.is_none_or(|t| t.elapsed() >= LOG_INTERVAL) {
                let holder = holder(&mut conn, key).await;
                tracing::info!(
                    table = %table.display_name(),
                    holder = holder.as_deref().unwrap_or("unknown"),
                    "another run holds the migration lock; waiting"
                );
                last_log = Some(Instant::now());
            }
            tokio::time::sleep(POLL_INTERVAL.min(wait.saturating_sub(waited))).await;
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

/// Who holds the lock, as `pg_stat_activity` tells (pid, application, client, since when).
async fn holder(conn: &mut PgConnection, key: i64) -> Option<String> {
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
