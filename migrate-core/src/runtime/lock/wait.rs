//! Waiting for another run's lock, whatever the strategy: the deadline, growing pauses between
//! looks, a log line now and then naming the holder, and a summary for the report.

use std::time::{Duration, Instant};

use crate::runtime::Error;
use crate::runtime::report::LockWait;
use crate::runtime::table::HistoryTable;

/// The first pause of a waiting run. A notification (advisory lock) ends a pause as soon as the
/// holder lets go; the timer matters when there is none (a holder killed mid-run, a lease), so
/// it need not be short: every probe of sixteen waiters costs the server time that the run
/// they wait for needs (with 10 ms the winner ran 25 % slower).
const FIRST_POLL: Duration = Duration::from_millis(100);
/// The longest pause: a long migration must not turn its waiters into a query storm.
const MAX_POLL: Duration = Duration::from_secs(1);
// Between the two each pause is a quarter longer than the last (100, 125, 156, 195 ms…).
/// How long a run waits before it first logs who holds the lock (a replica waiting for its
/// twin is the normal case, not news), and how often it logs again after that.
const FIRST_LOG: Duration = Duration::from_secs(1);
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// A run waiting for another run's lock.
pub(crate) struct Waiting {
    pub(super) table: String,
    started: Instant,
    wait: Duration,
    pause: Duration,
    last_log: Option<Instant>,
    /// Set once the run has found the lock held.
    summary: Option<LockWait>,
}

impl Waiting {
    pub(crate) fn new(table: &HistoryTable, wait: Duration) -> Waiting {
        Waiting {
            table: table.display_name(),
            started: Instant::now(),
            wait,
            pause: FIRST_POLL,
            last_log: None,
            summary: None,
        }
    }

    /// Fails with [`Error::LockTimeout`] once the wait is over; `holder` is asked only then.
    pub(super) fn check_deadline(&self, holder: Option<String>) -> Result<(), Error> {
        let waited = self.started.elapsed();
        if waited >= self.wait {
            return Err(Error::LockTimeout {
                table: self.table.clone(),
                waited,
                holder,
            });
        }
        Ok(())
    }

    /// Whether the wait is over (the caller then looks up the holder for the error).
    pub(super) fn is_over(&self) -> bool {
        self.started.elapsed() >= self.wait
    }

    /// Whether a log line naming the holder is due; marks it logged.
    pub(super) fn log_due(&mut self) -> bool {
        let due = match self.last_log {
            None => self.started.elapsed() >= FIRST_LOG,
            Some(t) => t.elapsed() >= LOG_INTERVAL,
        };
        if due {
            self.last_log = Some(Instant::now());
        }
        due
    }

    /// The next pause, never past the deadline.
    pub(super) fn pause(&self) -> Duration {
        self.pause
            .min(self.wait.saturating_sub(self.started.elapsed()))
    }

    /// A pause ran out without news: the next one is longer.
    pub(super) fn polled(&mut self) {
        self.summary_mut().polls += 1;
        self.pause = (self.pause * 5 / 4).min(MAX_POLL);
    }

    pub(super) fn notified(&mut self) {
        self.summary_mut().notifications += 1;
    }

    /// Notes that the run found the lock held.
    pub(super) fn summary_mut(&mut self) -> &mut LockWait {
        self.summary.get_or_insert_with(LockWait::default)
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
