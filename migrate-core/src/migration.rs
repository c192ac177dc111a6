//! One migration: its version, SQL, statements, transaction mode and checksum.

use std::borrow::Cow;

use crate::{Checksum, VersionText};
#[cfg(feature = "check")]
use crate::{Version, VersionError};

/// Whether a migration runs inside one transaction together with its history row.
///
/// ```
/// use migrate_core::TransactionMode;
/// assert_ne!(TransactionMode::Transaction, TransactionMode::NoTransaction);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionMode {
    /// The default: all statements and the history row commit together, or nothing does.
    Transaction,
    /// `#[no_transaction]`: statements run one by one outside a transaction (needed for
    /// `CREATE INDEX CONCURRENTLY` and friends); progress is recorded after each statement.
    NoTransaction,
}

/// Where one statement sits inside a migration's SQL.
///
/// Offsets are byte offsets into [`Migration::sql`]; `line` is 1-based within that SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementSpan {
    /// Byte offset of the statement's first character.
    pub start: u32,
    /// Byte offset just past the statement (its terminating `;` excluded).
    pub end: u32,
    /// 1-based line of `start` within the migration's SQL.
    pub line: u32,
}

/// One statement of a migration, as yielded by [`Migration::statements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Statement<'a> {
    /// 1-based position of the statement within its migration.
    pub number: usize,
    /// 1-based line within the migration's SQL.
    pub line: u32,
    /// The statement's text, without its terminating `;`.
    pub sql: &'a str,
}

/// One migration of a [`Migrations`](crate::Migrations) list.
///
/// Built by the `migrations!` macro (checked at compile time), at run time by the entry
/// pipeline ([`crate::pipeline`], which checks it) or by [`Migration::new`] (which does not).
/// It splits its SQL into statements itself, with the checker's parser.
///
/// ```
/// # #[cfg(feature = "check")] {
/// use migrate_core::{Migration, TransactionMode};
///
/// let sql = "CREATE TABLE IF NOT EXISTS t (id int);";
/// let m = Migration::new("001_create_t", sql, TransactionMode::Transaction).unwrap();
/// assert_eq!(m.number(), 1);
/// assert_eq!(m.name(), "create_t");
/// assert_eq!(m.statements().next().unwrap().sql, "CREATE TABLE IF NOT EXISTS t (id int)");
/// assert!(m.is_transactional());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    version: VersionText,
    number: i64,
    name: Cow<'static, str>,
    sql: Cow<'static, str>,
    statements: Cow<'static, [StatementSpan]>,
    mode: TransactionMode,
    checksum: Checksum,
}

impl Migration {
    /// Builds a migration at run time, unchecked: the statements are split by the checker's
    /// parser (a statement it cannot read keeps its text, and fails when applied), the
    /// checksum is computed here. To run the checker's rules too, build an
    /// [`Entry`](crate::pipeline::Entry) and pass it to
    /// [`check_entry`](crate::pipeline::check_entry).
    #[cfg(feature = "check")]
    pub fn new(
        version: impl Into<String>,
        sql: impl Into<String>,
        mode: TransactionMode,
    ) -> Result<Self, VersionError> {
        let sql: String = sql.into();
        let statements = crate::check::statement_spans(&sql);
        Migration::from_checked(version.into(), sql, statements, mode)
    }

    /// A migration whose `statements` come from the parser's split of `sql`.
    #[cfg(feature = "check")]
    pub(crate) fn from_checked(
        version: String,
        sql: String,
        statements: Vec<StatementSpan>,
        mode: TransactionMode,
    ) -> Result<Self, VersionError> {
        let (number, name) = Version::parse(&version).map(|v| (v.number(), v.name().to_owned()))?;
        Ok(Migration {
            version: VersionText::from(version),
            number,
            name: Cow::Owned(name),
            checksum: Checksum::of_sql(&sql),
            sql: Cow::Owned(sql),
            statements: Cow::Owned(statements),
            mode,
        })
    }

    /// Used by the `migrations!` expansion, which has validated every part at compile time.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __from_static(
        version: &'static str,
        number: i64,
        name: &'static str,
        sql: &'static str,
        statements: &'static [StatementSpan],
        mode: TransactionMode,
        checksum: [u8; 32],
    ) -> Self {
        Migration {
            version: VersionText::from_static(version),
            number,
            name: Cow::Borrowed(name),
            sql: Cow::Borrowed(sql),
            statements: Cow::Borrowed(statements),
            mode,
            checksum: Checksum::from_bytes(checksum),
        }
    }

    /// The full version, e.g. `006_add_user_position`: the key in the history table.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The version as a [`VersionText`]: cloning it never copies the text.
    pub fn version_text(&self) -> &VersionText {
        &self.version
    }

    /// The order key, e.g. `6`.
    pub fn number(&self) -> i64 {
        self.number
    }

    /// The name part of the version, e.g. `add_user_position`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SQL exactly as written.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The statements, split at build time, in order.
    pub fn statements(&self) -> impl ExactSizeIterator<Item = Statement<'_>> + '_ {
        self.statements
            .iter()
            .enumerate()
            .map(|(i, span)| Statement {
                number: i + 1,
                line: span.line,
                sql: self
                    .sql
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or_default(),
            })
    }

    /// The statement spans, in order.
    pub fn statement_spans(&self) -> &[StatementSpan] {
        &self.statements
    }

    /// The transaction mode.
    pub fn transaction_mode(&self) -> TransactionMode {
        self.mode
    }

    /// `true` unless the migration is `#[no_transaction]`.
    pub fn is_transactional(&self) -> bool {
        self.mode == TransactionMode::Transaction
    }

    /// The checksum of the SQL (see [`Checksum`]).
    pub fn checksum(&self) -> Checksum {
        self.checksum
    }
}
