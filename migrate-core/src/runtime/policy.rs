//! What a run does when the history and the code disagree.

/// An applied migration whose SQL changed since it ran.
///
/// ```
/// use migrate_core::ChecksumPolicy;
/// assert_eq!(ChecksumPolicy::default(), ChecksumPolicy::Error);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ChecksumPolicy {
    /// Refuse to run, naming both checksums: an edited migration usually means the databases
    /// that already ran it and the ones that will run it end up different.
    #[default]
    Error,
    /// Log a warning and carry on; the recorded checksum is kept.
    Warn,
    /// Log a warning and record the new checksum, so the warning is not repeated.
    Accept,
}

/// Versions recorded in the database that the code does not have.
///
/// ```
/// use migrate_core::UnknownPolicy;
/// assert_eq!(UnknownPolicy::default(), UnknownPolicy::Warn);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UnknownPolicy {
    /// Log a warning and carry on: rolling back to an older build must keep working.
    #[default]
    Warn,
    /// Refuse to run.
    Error,
}

/// A pending migration numbered below one that is already applied (typically merged from a
/// branch that was started earlier).
///
/// ```
/// use migrate_core::OutOfOrderPolicy;
/// assert_eq!(OutOfOrderPolicy::default(), OutOfOrderPolicy::Apply);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum OutOfOrderPolicy {
    /// Apply it, with a warning: migrations are idempotent, so the order rarely matters.
    #[default]
    Apply,
    /// Refuse to run.
    Error,
}
