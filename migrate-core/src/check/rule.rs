//! Rule ids, families and severities.

use std::fmt;

/// Every rule the checker and the list validation apply. Ids are snake_case and stable: users
/// write them in `#[allow(<id>, reason = "…")]` and tools match on them in `--format json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    // --- structure ---
    /// The SQL does not parse as PostgreSQL.
    SyntaxError,
    /// The entry holds no statement (empty or comments only).
    EmptyMigration,
    /// SQL nested deeper than the checker reads (1,000 levels of brackets, sub-queries, `CASE`,
    /// prefix operators and PL/pgSQL blocks, or a syntax tree 20,000 levels deep): parsing it
    /// would overflow the compiler's stack.
    TooDeeplyNested,
    /// `BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, … inside an entry: the runner owns transactions.
    TransactionControl,
    /// A statement that cannot run in a transaction block, in an entry without `#[no_transaction]`
    /// (or inside a `DO` block, where it can never run).
    RequiresNoTransaction,
    // --- the list ---
    /// A version that is not `<digits>_<lower_snake_name>`.
    InvalidVersion,
    /// A version number used twice (even with different names).
    DuplicateVersion,
    /// A version number not greater than the previous entry's.
    VersionOrder,
    // --- idempotency (family `non_idempotent`) ---
    /// `CREATE …` of an object that has `IF NOT EXISTS`, without it (also `ADD COLUMN`).
    MissingIfNotExists,
    /// `DROP …` without `IF EXISTS` (also `DROP COLUMN`, `DROP CONSTRAINT`).
    MissingIfExists,
    /// `CREATE VIEW / FUNCTION / PROCEDURE / RULE / TRIGGER / AGGREGATE …` without `OR REPLACE`.
    MissingOrReplace,
    /// `CREATE INDEX` without a name: a second run builds a second index.
    UnnamedIndex,
    /// `ADD CONSTRAINT`/`ADD CHECK …` without a name: a second run adds a duplicate constraint.
    UnnamedConstraint,
    /// A statement with no guard syntax (`CREATE TYPE`, renames, `ADD CONSTRAINT`, …) outside a
    /// guarding `DO` block.
    UnguardedStatement,
    /// `ALTER TABLE IF EXISTS` used as if it guarded its sub-command.
    IfExistsWrongLevel,
    /// `INSERT` without `ON CONFLICT` or a `WHERE NOT EXISTS` guard.
    InsertWithoutOnConflict,
    /// `INSERT … ON CONFLICT DO NOTHING` without a conflict target: it dedupes only when the table
    /// has a unique index or constraint covering the row, which the checker cannot see (a
    /// warning).
    OnConflictWithoutTarget,
    /// A statement that re-runs without error but destroys or duplicates data (`TRUNCATE`,
    /// `COPY FROM`, relative `UPDATE`, `setval`, `RESTART`, …).
    DestructiveRerun,
    /// A statement that cannot be made idempotent inside a migration (`CREATE DATABASE`, …).
    NotGuardable,
    /// SQL the checker cannot see: `EXECUTE` of SQL built at run time inside a `DO` block, and
    /// `CALL` of a procedure (its body lives in the database; it may do anything, and a `COMMIT`
    /// in it fails inside a transaction block with 2D000). Allow it once the code is re-runnable.
    UncheckedDynamicSql,
    /// An `EXCEPTION WHEN others` guard: it also swallows lock timeouts and real failures.
    BroadExceptionGuard,
    // --- rollback (family `rollback`) ---
    /// An object the up creates that the down neither drops nor removes with its parent.
    DownLeavesObject,
    /// The down drops an object its up does not create (a warning): a rollback destroys what
    /// existed before the up.
    DownDropsForeign,
}

/// A group of rules that one `#[allow(…)]` can silence together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Syntax, empty entries, transaction control: never silenced.
    Structure,
    /// The version list: never silenced.
    List,
    /// `non_idempotent`: every rule about a second run.
    NonIdempotent,
    /// The down against its up: never silenced (fix the down, or drop it and mark the entry
    /// `#[irreversible(reason = "…")]`).
    Rollback,
}

/// How bad a diagnostic is: errors fail the build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Reported, does not fail the build.
    Warning,
    /// Fails the build.
    Error,
}

impl Rule {
    /// All rules, in declaration order.
    pub const ALL: &'static [Rule] = &[
        Rule::SyntaxError,
        Rule::EmptyMigration,
        Rule::TooDeeplyNested,
        Rule::TransactionControl,
        Rule::RequiresNoTransaction,
        Rule::InvalidVersion,
        Rule::DuplicateVersion,
        Rule::VersionOrder,
        Rule::MissingIfNotExists,
        Rule::MissingIfExists,
        Rule::MissingOrReplace,
        Rule::UnnamedIndex,
        Rule::UnnamedConstraint,
        Rule::UnguardedStatement,
        Rule::IfExistsWrongLevel,
        Rule::InsertWithoutOnConflict,
        Rule::OnConflictWithoutTarget,
        Rule::DestructiveRerun,
        Rule::NotGuardable,
        Rule::UncheckedDynamicSql,
        Rule::BroadExceptionGuard,
        Rule::DownLeavesObject,
        Rule::DownDropsForeign,
    ];

    /// The snake_case id, e.g. `missing_if_not_exists`.
    ///
    /// ```
    /// use migrate_core::check::Rule;
    /// assert_eq!(Rule::MissingIfNotExists.id(), "missing_if_not_exists");
    /// assert_eq!(Rule::from_id("unnamed_index"), Some(Rule::UnnamedIndex));
    /// ```
    pub const fn id(self) -> &'static str {
        match self {
            Rule::SyntaxError => "syntax_error",
            Rule::EmptyMigration => "empty_migration",
            Rule::TooDeeplyNested => "too_deeply_nested",
            Rule::TransactionControl => "transaction_control",
            Rule::RequiresNoTransaction => "requires_no_transaction",
            Rule::InvalidVersion => "invalid_version",
            Rule::DuplicateVersion => "duplicate_version",
            Rule::VersionOrder => "version_order",
            Rule::MissingIfNotExists => "missing_if_not_exists",
            Rule::MissingIfExists => "missing_if_exists",
            Rule::MissingOrReplace => "missing_or_replace",
            Rule::UnnamedIndex => "unnamed_index",
            Rule::UnnamedConstraint => "unnamed_constraint",
            Rule::UnguardedStatement => "unguarded_statement",
            Rule::IfExistsWrongLevel => "if_exists_wrong_level",
            Rule::InsertWithoutOnConflict => "insert_without_on_conflict",
            Rule::OnConflictWithoutTarget => "on_conflict_without_target",
            Rule::DestructiveRerun => "destructive_rerun",
            Rule::NotGuardable => "not_guardable",
            Rule::UncheckedDynamicSql => "unchecked_dynamic_sql",
            Rule::BroadExceptionGuard => "broad_exception_guard",
            Rule::DownLeavesObject => "down_leaves_object",
            Rule::DownDropsForeign => "down_drops_foreign",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// The family the rule belongs to.
    pub const fn family(self) -> Family {
        match self {
            Rule::SyntaxError
            | Rule::EmptyMigration
            | Rule::TooDeeplyNested
            | Rule::TransactionControl
            | Rule::RequiresNoTransaction => Family::Structure,
            Rule::InvalidVersion | Rule::DuplicateVersion | Rule::VersionOrder => Family::List,
            Rule::DownLeavesObject | Rule::DownDropsForeign => Family::Rollback,
            // Every idempotency rule, `on_conflict_without_target` and `broad_exception_guard`
            // included: one `#[allow(non_idempotent, …)]` silences them all.
            _ => Family::NonIdempotent,
        }
    }

    /// The severity the rule reports with.
    pub const fn severity(self) -> Severity {
        match self {
            Rule::BroadExceptionGuard | Rule::OnConflictWithoutTarget | Rule::DownDropsForeign => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What one `#[allow(…)]` silences: a whole family (`non_idempotent`) or one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Allow {
    /// `#[allow(non_idempotent, reason = "…")]`.
    Family(Family),
    /// `#[allow(<rule id>, reason = "…")]`.
    Rule(Rule),
}

impl Allow {
    /// Parses the name written in `#[allow(<name>, …)]`. Only idempotency rules can be allowed:
    /// syntax, structure and list rules are never silenced.
    ///
    /// ```
    /// use migrate_core::check::{Allow, Family, Rule};
    /// assert_eq!(Allow::parse("non_idempotent"), Some(Allow::Family(Family::NonIdempotent)));
    /// assert_eq!(Allow::parse("unnamed_index"), Some(Allow::Rule(Rule::UnnamedIndex)));
    /// assert_eq!(Allow::parse("syntax_error"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Allow> {
        if name == "non_idempotent" {
            return Some(Allow::Family(Family::NonIdempotent));
        }
        Rule::from_id(name)
            .filter(|r| r.family() == Family::NonIdempotent)
            .map(Allow::Rule)
    }

    /// Whether this allowance silences `rule`.
    pub fn covers(self, rule: Rule) -> bool {
        match self {
            Allow::Family(f) => rule.family() == f,
            Allow::Rule(r) => r == rule,
        }
    }

    /// The names accepted by [`Allow::parse`], for error messages.
    pub fn accepted_names() -> impl Iterator<Item = &'static str> {
        std::iter::once("non_idempotent").chain(
            Rule::ALL
                .iter()
                .filter(|r| r.family() == Family::NonIdempotent)
                .map(|r| r.id()),
        )
    }
}
