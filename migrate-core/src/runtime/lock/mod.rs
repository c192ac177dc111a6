//! The run lock, one strategy per file: a session advisory lock (the default, where it is
//! safe) or a lease row (where sessions do not hold: a pooler in transaction mode, an engine
//! without advisory locks).

mod advisory;
mod detect;
mod lease;
mod wait;

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgListener;
use sqlx::{Acquire, PgConnection, PgPool, Postgres};

pub(crate) use advisory::{lock_sql, unlock_sql};
use lease::LeaseTerms;
pub(crate) use wait::Waiting;

use super::Error;
use super::report::LockWait;
use super::table::HistoryTable;

/// How a run keeps other runs out while it applies migrations ([`Migrator::lock_strategy`](super::Migrator::lock_strategy)).
///
/// ```
/// use migrate_core::LockStrategy;
///
/// assert_eq!(LockStrategy::default(), LockStrategy::Auto);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum LockStrategy {
    /// The advisory lock, unless the run finds its connection pooled per transaction (checked
    /// only when it has work), then the lease.
    #[default]
    Auto,
    /// A session advisory lock on a connection of its own: freed by PostgreSQL the moment the
    /// holder's session ends, and waiters are woken by `NOTIFY`. Needs a direct connection (or a
    /// pooler in session mode).
    Advisory,
    /// A row in a lock table next to the history table (`<table>_lock`) with an expiry that
    /// the holder renews while it runs ([`Migrator::lease_ttl`](super::Migrator::lease_ttl));
    /// another run takes it over only once it has expired. Works through a pooler in
    /// transaction mode.
    Lease,
}

/// The strategy a run settled on.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Advisory,
    Lease {
        terms: LeaseTerms,
        /// Found pooled per transaction: session settings would not stick.
        pooled: bool,
    },
}

impl Kind {
    /// Resolves `strategy` for this run (testing the connection for [`LockStrategy::Auto`]);
    /// gives back the connection to go on with.
    pub(crate) async fn resolve(
        strategy: LockStrategy,
        conn: PoolConnection<Postgres>,
        pool: &PgPool,
        table: &HistoryTable,
        lease_ttl: Duration,
    ) -> Result<(Kind, PoolConnection<Postgres>), Error> {
        let lease = |pooled| Kind::Lease {
            terms: LeaseTerms::new(table, lease_ttl),
            pooled,
        };
        match strategy {
            LockStrategy::Advisory => Ok((Kind::Advisory, conn)),
            LockStrategy::Lease => Ok((lease(false), conn)),
            LockStrategy::Auto => {
                let detected = detect::transaction_pooled(conn, pool).await?;
                if detected.pooled {
                    tracing::info!(
                        table = %table.display_name(),
                        "the connection is pooled per transaction: locking with a lease row instead of an advisory lock"
                    );
                    Ok((lease(true), detected.conn))
                } else {
                    Ok((Kind::Advisory, detected.conn))
                }
            }
        }
    }

    /// The strategy, as the report tells it.
    pub(crate) fn strategy(&self) -> LockStrategy {
        match self {
            Kind::Advisory => LockStrategy::Advisory,
            Kind::Lease { .. } => LockStrategy::Lease,
        }
    }

    /// Whether session settings (`SET` without `LOCAL`) reach the next statement.
    pub(crate) fn sessions_hold(&self) -> bool {
        !matches!(self, Kind::Lease { pooled: true, .. })
    }
}

/// The held run lock.
pub(crate) enum RunLock {
    Advisory(advisory::AdvisoryLock),
    Lease(lease::Lease),
}

/// The outcome of one attempt at the lock.
pub(crate) enum Attempt {
    Taken(RunLock),
    /// Another run holds it; the connection is handed back for waiting.
    Busy(PoolConnection<Postgres>),
}

impl RunLock {
    /// Tries the lock once on a pooled connection, which leaves the pool for good when it gets
    /// the lock (the pool may open a replacement), so the run needs no new connection.
    pub(crate) async fn try_take(
        kind: &Kind,
        conn: PoolConnection<Postgres>,
        table: &HistoryTable,
        pool: &PgPool,
    ) -> Result<Attempt, Error> {
        match kind {
            Kind::Advisory => advisory::AdvisoryLock::try_take(conn, table).await,
            Kind::Lease { terms, .. } => lease::try_take(conn, terms, pool).await,
        }
    }

    /// Takes the lock, waiting up to `wait` for another run to release it; also tells how the
    /// run waited, if it did.
    pub(crate) async fn acquire(
        kind: &Kind,
        pool: &PgPool,
        table: &HistoryTable,
        wait: Duration,
    ) -> Result<(RunLock, Option<LockWait>), Error> {
        let mut waiting = Waiting::new(table, wait);
        loop {
            let conn = pool.acquire().await?;
            match RunLock::try_take(kind, conn, table, pool).await? {
                Attempt::Taken(lock) => return Ok((lock, waiting.summary())),
                Attempt::Busy(busy) => {
                    drop(Freed::wait(kind, &mut waiting, busy, pool, table).await?);
                }
            }
        }
    }

    /// The locked connection, on which the whole run happens.
    pub(crate) fn conn(&mut self) -> Result<&mut PgConnection, Error> {
        match self {
            RunLock::Advisory(lock) => lock.conn(),
            RunLock::Lease(lease) => lease.conn(),
        }
    }

    /// SQL a transactional migration runs right before its `COMMIT`, failing unless the run
    /// still holds the lock: a lease can expire, and an advisory lock is held only by the
    /// session that took it.
    pub(crate) fn commit_guard(&self) -> String {
        match self {
            RunLock::Advisory(lock) => advisory::commit_guard_sql(lock.key()),
            RunLock::Lease(lease) => lease.terms().commit_guard_sql(),
        }
    }

    /// Fails when the lock is no longer this run's (an expired lease taken over).
    pub(crate) fn check_held(&self) -> Result<(), Error> {
        match self {
            RunLock::Lease(lease) if lease.is_lost() => Err(Error::LockLost {
                table: lease.terms().history().to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// Lets go of the lock; if that fails, the lock goes with the connection (advisory) or
    /// expires (lease).
    pub(crate) async fn release(self) {
        match self {
            RunLock::Advisory(lock) => lock.release().await,
            RunLock::Lease(lease) => lease.release().await,
        }
    }
}

/// A wait that found the lock free: the connection it waited on, for the next read.
pub(crate) enum Freed {
    Listener(PgListener),
    Conn(PoolConnection<Postgres>),
}

impl Freed {
    /// Waits until the lock is free (or its holder says it let go), on the connection that
    /// found it busy; fails with [`Error::LockTimeout`] when the wait is over.
    pub(crate) async fn wait(
        kind: &Kind,
        waiting: &mut Waiting,
        busy: PoolConnection<Postgres>,
        pool: &PgPool,
        table: &HistoryTable,
    ) -> Result<Freed, Error> {
        match kind {
            Kind::Advisory => {
                let key = table.lock_key();
                let mut listener = advisory::listen(waiting, key, busy, pool).await?;
                advisory::until_free(waiting, key, &mut listener).await?;
                Ok(Freed::Listener(listener))
            }
            Kind::Lease { terms, .. } => {
                let mut conn = busy;
                lease::until_free(waiting, terms, &mut conn).await?;
                Ok(Freed::Conn(conn))
            }
        }
    }

    pub(crate) async fn conn(&mut self) -> Result<&mut PgConnection, Error> {
        match self {
            Freed::Listener(listener) => Ok(listener.acquire().await?),
            Freed::Conn(conn) => Ok(&mut *conn),
        }
    }
}
