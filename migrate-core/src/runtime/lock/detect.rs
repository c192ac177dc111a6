//! Finding out whether a connection is pooled per transaction (PgBouncer, Supavisor, pgcat… in
//! transaction or statement mode), where a session advisory lock protects nothing.
//!
//! First, a server that says it listens on another TCP port than the one the run connected to
//! is behind a proxy (PgBouncer's 6432, Supabase's 6543): taken as pooled. A port-mapped
//! container is a false alarm, which only costs the lease's slower waiting, never safety.
//!
//! For a pooler on the server's own port, the test: the backend serving `conn` is noted; a second client connection opens a
//! transaction (which pins a server connection until it ends) and notes its backend; `conn`
//! asks again. On a direct connection, or a pooler in session mode, `conn` keeps its backend
//! and the other connection has its own. Through a transaction pooler either the other
//! connection was given `conn`'s idle backend (poolers hand out the most recently used one
//! first), or `conn` is now served by another one, or it has to wait for one (a pool of a single
//! server connection): each proves the pooling. A busy pooler can give `conn` its old backend
//! back by chance, so the test is repeated. It costs one connection and up to a dozen round
//! trips, and runs only when a run has work.

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

/// How many times the test is repeated while its answer is "not pooled". A miss is not
/// harmless (see the README's "Connection poolers"): the advisory commit guard stops a
/// migration whose transaction lands on a server connection without the lock, but the run may
/// still start a migration next to a lease holder, and fail.
const ROUNDS: usize = 3;

pub(super) async fn transaction_pooled(
    mut conn: PoolConnection<Postgres>,
    pool: &PgPool,
) -> Result<Detected, Error> {
    if on_another_port(&mut conn, pool).await? {
        tracing::debug!("the server listens on another port than the one connected to: a proxy");
        return Ok(Detected { pooled: true, conn });
    }
    let mut other = PgConnection::connect_with(&pool.connect_options()).await?;
    let mut pooled = false;
    for _ in 0..ROUNDS {
        let (answer, next) = one_round(conn, &mut other, pool).await;
        conn = next?;
        pooled = answer?;
        if pooled {
            break;
        }
    }
    let _ = other.close().await;
    tracing::debug!(
        pooled,
        "checked whether the connection is pooled per transaction"
    );
    Ok(Detected { pooled, conn })
}

/// Whether the server's port differs from the one connected to (never for a Unix socket).
async fn on_another_port(conn: &mut PgConnection, pool: &PgPool) -> Result<bool, sqlx::Error> {
    let options = pool.connect_options();
    if options.get_host().starts_with('/') {
        return Ok(false);
    }
    let rows = conn
        .fetch_all(sqlx::raw_sql("SELECT inet_server_port()"))
        .await?;
    let port: Option<i32> = rows.first().and_then(|r| r.try_get(0).ok()).flatten();
    Ok(port.is_some_and(|p| p != i32::from(options.get_port())))
}

/// One round of the test; gives back the connection to go on with (a fresh one when the old
/// one was left waiting for an answer).
async fn one_round(
    mut conn: PoolConnection<Postgres>,
    other: &mut PgConnection,
    pool: &PgPool,
) -> (Result<bool, Error>, Result<PoolConnection<Postgres>, Error>) {
    let first = match backend(&mut conn, PID).await {
        Ok(pid) => pid,
        Err(e) => return (Err(e.into()), Ok(conn)),
    };
    let pinned = backend(other, "BEGIN; SELECT pg_backend_pid()").await;
    let again = match pinned {
        Ok(pid) if pid == first => None,
        Ok(_) => Some(tokio::time::timeout(ANSWER_WITHIN, backend(&mut conn, PID)).await),
        Err(e) => return (Err(e.into()), Ok(conn)),
    };
    // Rolled back, so a pooler gets its server connection back clean.
    let _ = other.execute(sqlx::raw_sql("ROLLBACK")).await;
    match again {
        None => (Ok(true), Ok(conn)),
        Some(Ok(Ok(pid))) => (Ok(pid != first), Ok(conn)),
        Some(Ok(Err(e))) => (Err(e.into()), Ok(conn)),
        Some(Err(_waited)) => {
            // The query may still be queued on `conn`: it must not go back to the pool.
            conn.close_on_drop();
            drop(conn);
            (Ok(true), pool.acquire().await.map_err(Error::from))
        }
    }
}
