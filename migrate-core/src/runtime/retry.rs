//! Trying again: a statement that hit `lock_timeout`, and a run whose connection went away.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::Error;

/// How often a migration that hit `lock_timeout` (SQLSTATE 55P03) is tried again, and the
/// pause before the first retry (doubled before each further one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockRetries {
    pub(crate) retries: u32,
    pub(crate) first_pause: Duration,
}

impl Default for LockRetries {
    /// Four retries after 2, 4, 8 and 16 s: half a minute for the short transaction that
    /// usually holds the lock to finish.
    fn default() -> Self {
        LockRetries {
            retries: 4,
            first_pause: Duration::from_secs(2),
        }
    }
}

impl LockRetries {
    /// The pause before retry `n` (1-based), or `None` when the retries are used up.
    pub(crate) fn pause_before(&self, n: u32) -> Option<Duration> {
        (n <= self.retries).then(|| self.first_pause * 2u32.saturating_pow(n - 1))
    }
}

/// The first pause after a lost connection, and the longest.
const FIRST_RECONNECT_PAUSE: Duration = Duration::from_millis(100);
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(2);

/// A run that lost its connection: how long it may take to get one back.
pub(crate) struct Outage {
    budget: Duration,
    started: Instant,
    pause: Duration,
    /// The migration in flight when the connection first went away.
    in_flight: Option<String>,
}

impl Outage {
    pub(crate) fn new(budget: Duration) -> Outage {
        Outage {
            budget,
            started: Instant::now(),
            pause: FIRST_RECONNECT_PAUSE,
            in_flight: None,
        }
    }

    /// Waits with backoff until the pool connects again; fails with [`Error::ServerGone`]
    /// (naming the migration that was in flight) once the budget is spent.
    pub(crate) async fn reconnect(&mut self, lost: Error, pool: &PgPool) -> Result<(), Error> {
        if let Some(version) = lost.in_flight() {
            self.in_flight.get_or_insert_with(|| version.to_owned());
        }
        tracing::warn!(
            in_flight = self.in_flight.as_deref().unwrap_or("none"),
            "lost the connection to the database ({lost}); reconnecting"
        );
        let mut last = lost;
        loop {
            let left = self.budget.saturating_sub(self.started.elapsed());
            if left.is_zero() {
                return Err(self.gone(last));
            }
            tokio::time::sleep(self.pause.min(left)).await;
            self.pause = (self.pause * 2).min(MAX_RECONNECT_PAUSE);
            let left = self.budget.saturating_sub(self.started.elapsed());
            match tokio::time::timeout(left, pool.acquire()).await {
                Ok(Ok(_conn)) => {
                    tracing::info!(
                        after_ms = self.started.elapsed().as_millis() as u64,
                        "reconnected to the database; the run goes on"
                    );
                    return Ok(());
                }
                Ok(Err(e)) if super::error::is_connection_loss(&e) => last = Error::Database(e),
                Ok(Err(e)) => return Err(Error::Database(e)),
                Err(_elapsed) => return Err(self.gone(last)),
            }
        }
    }

    fn gone(&self, last: Error) -> Error {
        Error::ServerGone {
            in_flight: self.in_flight.clone(),
            budget: self.budget,
            source: Box::new(last),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_retry_pauses_double_and_stop() {
        let r = LockRetries {
            retries: 3,
            first_pause: Duration::from_millis(100),
        };
        let pauses: Vec<_> = (1..=4).map(|n| r.pause_before(n)).collect();
        assert_eq!(
            pauses,
            [
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(400)),
                None
            ]
        );
    }
}
