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
    down: Option<Down>,
    irreversible: Option<Cow<'static, str>>,
}

/// The down SQL of a migration: what reverts it, checked at build time against its up.
///
/// It runs in the migration's own [`TransactionMode`]: `#[no_transaction]` applies to both
/// directions.
///
/// ```
/// # #[cfg(feature = "check")] {
/// use migrate_core::{Migration, TransactionMode};
///
/// let m = Migration::new("001_t", "CREATE TABLE IF NOT EXISTS t (id int);", TransactionMode::Transaction)
///     .unwrap()
///     .with_down("DROP TABLE IF EXISTS t;");
/// let down = m.down().unwrap();
/// assert_eq!(down.statements().next().unwrap().sql, "DROP TABLE IF EXISTS t");
/// assert_ne!(down.checksum(), m.checksum());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Down {
    sql: Cow<'static, str>,
    statements: Cow<'static, [StatementSpan]>,
    checksum: Checksum,
}

impl Down {
    /// Used by the `migrations!` expansion, which has validated the down at compile time.
    #[doc(hidden)]
    pub const fn __from_static(
        sql: &'static str,
        statements: &'static [StatementSpan],
        checksum: [u8; 32],
    ) -> Self {
        Down {
            sql: Cow::Borrowed(sql),
            statements: Cow::Borrowed(statements),
            checksum: Checksum::from_bytes(checksum),
        }
    }

    /// A down split by the checker's parser, unchecked (the pipeline checks it).
    #[cfg(feature = "check")]
    pub(crate) fn from_checked(sql: String, statements: Vec<StatementSpan>) -> Down {
        Down {
            checksum: Checksum::of_sql(&sql),
            sql: Cow::Owned(sql),
            statements: Cow::Owned(statements),
        }
    }

    /// The down SQL exactly as written.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The down's statements, in order.
    pub fn statements(&self) -> impl ExactSizeIterator<Item = Statement<'_>> + '_ {
        statements_of(&self.sql, &self.statements)
    }

    /// The statement spans, in order.
    pub fn statement_spans(&self) -> &[StatementSpan] {
        &self.statements
    }

    /// The checksum of the down SQL, stored in the history with it.
    pub fn checksum(&self) -> Checksum {
        self.checksum
    }
}

fn statements_of<'a>(
    sql: &'a str,
    spans: &'a [StatementSpan],
) -> impl ExactSizeIterator<Item = Statement<'a>> + 'a {
    spans.iter().enumerate().map(move |(i, span)| Statement {
        number: i + 1,
        line: span.line,
        sql: sql
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default(),
    })
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
            down: None,
            irreversible: None,
        })
    }

    /// The same migration with `sql` as its down, split by the checker's parser and unchecked
    /// (the pipeline checks a down against its up: [`crate::pipeline::Entry::with_down`]).
    #[cfg(feature = "check")]
    pub fn with_down(mut self, sql: impl Into<String>) -> Self {
        let sql: String = sql.into();
        let statements = crate::check::statement_spans(&sql);
        self.down = Some(Down::from_checked(sql, statements));
        self
    }

    #[cfg(feature = "check")]
    pub(crate) fn with_checked_down(
        mut self,
        down: Option<Down>,
        irreversible: Option<String>,
    ) -> Self {
        self.down = down;
        self.irreversible = irreversible.map(Cow::Owned);
        self
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
            down: None,
            irreversible: None,
        }
    }

    /// [`Migration::__from_static`] with a down and an `#[irreversible]` reason.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __from_static_reversible(
        version: &'static str,
        number: i64,
        name: &'static str,
        sql: &'static str,
        statements: &'static [StatementSpan],
        mode: TransactionMode,
        checksum: [u8; 32],
        down: Option<Down>,
        irreversible: Option<&'static str>,
    ) -> Self {
        Migration {
            version: VersionText::from_static(version),
            number,
            name: Cow::Borrowed(name),
            sql: Cow::Borrowed(sql),
            statements: Cow::Borrowed(statements),
            mode,
            checksum: Checksum::from_bytes(checksum),
            down,
            irreversible: match irreversible {
                Some(reason) => Some(Cow::Borrowed(reason)),
                None => None,
            },
        }
    }

    /// The down SQL, when the entry has one.
    pub fn down(&self) -> Option<&Down> {
        self.down.as_ref()
    }

    /// The reason of `#[irreversible(reason = "…")]`, when the entry is marked so.
    pub fn irreversible_reason(&self) -> Option<&str> {
        self.irreversible.as_deref()
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
        statements_of(&self.sql, &self.statements)
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
