//! Finding out whether a connection is pooled per transaction (PgBouncer, Supavisor, pgcat… in
//! transaction or statement mode), where a session advisory lock protects nothing.
//!
//! The test: the backend serving `conn` is noted; a second client connection opens a
//! transaction (which pins a server connection until it ends) and notes its backend; `conn`
//! asks again. On a direct connection, or a pooler in session mode, `conn` keeps its backend
//! and the other connection has its own. Through a transaction pooler either the other
//! connection was given `conn`'s idle backend (poolers hand out the most recently used one
//! first), or `conn` is now served by another one, or it has to wait for one (a pool of a single
//! server connection): each proves the pooling. It costs one connection and four round trips,
//! and runs only when a run has work.

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Connection, Executor, PgConnection, PgPool, Postgres, Row};

use crate::runtime::Error;

/// A direct connection answers `pg_backend_pid()` at once; a pooler that keeps `conn` waiting
/// while the other connection holds a server connection is a pooler (and a false alarm on a
/// very busy server only costs the lease's slower waiting, never safety).
const ANSWER_WITHIN: Duration = Duration::from_millis(500);

/// What the test found, and the connection to go on with (a fresh one when the old one was
/// left waiting for an answer).
pub(super) struct Detected {
    pub(super) pooled: bool,
    pub(super) conn: PoolConnection<Postgres>,
}

async fn backend(conn: &mut PgConnection, sql: &str) -> Result<i64, sqlx::Error> {
    let rows = conn.fetch_all(sqlx::raw_sql(sql)).await?;
    rows.iter()
        .find_map(|r| r.try_get::<i32, _>(0).ok())
        .map(i64::from)
        .ok_or_else(|| sqlx::Error::Protocol("pg_backend_pid() returned no row".into()))
}

const PID: &str = "SELECT pg_backend_pid()";

pub(super) async fn transaction_pooled(
    mut conn: PoolConnection<Postgres>,
    pool: &PgPool,
) -> Result<Detected, Error> {
    let first = backend(&mut conn, PID).await?;
    let mut other = PgConnection::connect_with(&pool.connect_options()).await?;
    let pinned = backend(&mut other, "BEGIN; SELECT pg_backend_pid()").await;
    let again = match pinned {
        Ok(pid) if pid == first => None,
        Ok(_) => Some(tokio::time::timeout(ANSWER_WITHIN, backend(&mut conn, PID)).await),
        Err(e) => {
            let _ = other.close().await;
            return Err(e.into());
        }
    };
    // Rolled back first, so a pooler gets its server connection back clean instead of
    // closing it.
    let _ = other.execute("ROLLBACK").await;
    let _ = other.close().await;
    let pooled = match again {
        None => true,
        Some(Ok(Ok(pid))) => pid != first,
        Some(Ok(Err(e))) => return Err(e.into()),
        Some(Err(_waited)) => {
            // The query may still be queued on `conn`: it must not go back to the pool.
            conn.close_on_drop();
            drop(conn);
            conn = pool.acquire().await?;
            true
        }
    };
    tracing::debug!(
        pooled,
        "checked whether the connection is pooled per transaction"
    );
    Ok(Detected { pooled, conn })
}
