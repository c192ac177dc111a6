//! How a command ended, as the process exit code scripts and deploy gates branch on.

use std::process::ExitCode;

/// How a `migrate` command ended. Converts into the process exit code: `0`, `1` or `2`.
///
/// Three states instead of a boolean so a deploy gate can tell "the schema is behind" (retry
/// after migrating) from "the tool could not even look" (page someone).
///
/// ```
/// use migrate::cli::Outcome;
///
/// assert_eq!(Outcome::Success.code(), 0);
/// assert_eq!(Outcome::Failed.code(), 1);
/// assert_eq!(Outcome::Error.code(), 2);
/// let _exit: std::process::ExitCode = Outcome::Failed.into();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Exit code 0: the command did what was asked and found nothing wrong.
    Success,
    /// Exit code 1: the command ran, and the answer is "no": migrations are pending, failed or
    /// modified, or a checked file has errors.
    Failed,
    /// Exit code 2: the command could not run (bad arguments, unreadable file, database
    /// unreachable, a migration failed to apply).
    Error,
}

impl Outcome {
    /// The process exit code.
    ///
    /// ```
    /// assert_eq!(migrate::cli::Outcome::Error.code(), 2);
    /// ```
    pub const fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failed => 1,
            Outcome::Error => 2,
        }
    }

    /// The worse of two outcomes (`Error` over `Failed` over `Success`).
    ///
    /// ```
    /// use migrate::cli::Outcome;
    /// assert_eq!(Outcome::Failed.worst(Outcome::Error), Outcome::Error);
    /// assert_eq!(Outcome::Success.worst(Outcome::Failed), Outcome::Failed);
    /// ```
    pub const fn worst(self, other: Outcome) -> Outcome {
        if self.code() >= other.code() {
            self
        } else {
            other
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(outcome.code())
    }
}
