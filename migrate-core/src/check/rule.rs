//! Rule ids, families and severities.

use std::fmt;

use super::Hazard;

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
    // --- zero-downtime hazards (family `hazards`) ---
    /// One of squawk-linter's lock, rewrite and compatibility rules: a statement that blocks a
    /// busy table, rewrites it, or breaks the release still serving. A warning unless the list
    /// denies it (`#![deny(hazards)]`, `migrate lint --deny hazards`). Its id is squawk's rule
    /// name.
    Hazard(Hazard),
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
    /// `hazards`: every zero-downtime hazard ([`Rule::Hazard`]).
    Hazard,
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
    /// The checker's own rules, in declaration order. The hazards are [`Hazard::ALL`], each
    /// as `Rule::Hazard(…)`.
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

    /// The snake_case id, e.g. `missing_if_not_exists`; a hazard's is squawk's rule name.
    ///
    /// ```
    /// use migrate_core::check::{Hazard, Rule};
    /// assert_eq!(Rule::MissingIfNotExists.id(), "missing_if_not_exists");
    /// assert_eq!(Rule::from_id("unnamed_index"), Some(Rule::UnnamedIndex));
    /// assert_eq!(Rule::Hazard(Hazard::RenamingColumn).id(), "renaming-column");
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
            Rule::Hazard(hazard) => hazard.id(),
            Rule::DownLeavesObject => "down_leaves_object",
            Rule::DownDropsForeign => "down_drops_foreign",
        }
    }

    /// The rule with this id (a hazard's written with `-` or `_`).
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.id() == id)
            .or_else(|| Hazard::from_name(id).map(Rule::Hazard))
    }

    /// The name written in `#[allow(…)]`: the id, with a hazard's `-` as `_`.
    pub fn attribute_name(self) -> String {
        match self {
            Rule::Hazard(hazard) => hazard.attribute_name(),
            rule => rule.id().to_owned(),
        }
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
            Rule::Hazard(_) => Family::Hazard,
            Rule::DownLeavesObject | Rule::DownDropsForeign => Family::Rollback,
            // Every idempotency rule, `on_conflict_without_target` and `broad_exception_guard`
            // included: one `#[allow(non_idempotent, …)]` silences them all.
            _ => Family::NonIdempotent,
        }
    }

    /// The severity the rule reports with.
    pub const fn severity(self) -> Severity {
        match self {
            Rule::BroadExceptionGuard
            | Rule::OnConflictWithoutTarget
            | Rule::Hazard(_)
            | Rule::DownDropsForeign => Severity::Warning,
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

/// What one `#[allow(…)]` silences (or one `#![deny(…)]` makes an error): a whole family
/// (`non_idempotent`, `hazards`) or one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Allow {
    /// `#[allow(non_idempotent, reason = "…")]`, `#[allow(hazards, reason = "…")]`.
    Family(Family),
    /// `#[allow(<rule id>, reason = "…")]`.
    Rule(Rule),
}

impl Allow {
    /// Parses the name written in `#[allow(<name>, …)]`. Only idempotency rules and hazards
    /// can be allowed: syntax, structure and list rules are never silenced.
    ///
    /// ```
    /// use migrate_core::check::{Allow, Family, Hazard, Rule};
    /// assert_eq!(Allow::parse("non_idempotent"), Some(Allow::Family(Family::NonIdempotent)));
    /// assert_eq!(Allow::parse("hazards"), Some(Allow::Family(Family::Hazard)));
    /// assert_eq!(Allow::parse("unnamed_index"), Some(Allow::Rule(Rule::UnnamedIndex)));
    /// assert_eq!(
    ///     Allow::parse("ban_drop_column"),
    ///     Some(Allow::Rule(Rule::Hazard(Hazard::BanDropColumn)))
    /// );
    /// assert_eq!(Allow::parse("syntax_error"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Allow> {
        match name {
            "non_idempotent" => return Some(Allow::Family(Family::NonIdempotent)),
            "hazards" => return Some(Allow::Family(Family::Hazard)),
            _ => {}
        }
        Rule::from_id(name)
            .filter(|r| r.can_be_allowed())
            .map(Allow::Rule)
    }

    /// The family name or rule id this stands for, as written in an attribute.
    ///
    /// ```
    /// use migrate_core::check::{Allow, Family, Hazard, Rule};
    /// assert_eq!(Allow::Family(Family::Hazard).name(), "hazards");
    /// assert_eq!(Allow::Rule(Rule::Hazard(Hazard::BanDropColumn)).name(), "ban_drop_column");
    /// ```
    pub fn name(self) -> String {
        match self {
            Allow::Family(Family::Hazard) => "hazards".to_owned(),
            Allow::Family(Family::NonIdempotent) => "non_idempotent".to_owned(),
            Allow::Family(Family::Structure) => "structure".to_owned(),
            Allow::Family(Family::List) => "list".to_owned(),
            Allow::Family(Family::Rollback) => "rollback".to_owned(),
            Allow::Rule(rule) => rule.attribute_name(),
        }
    }

    /// Whether this allowance silences `rule`.
    pub fn covers(self, rule: Rule) -> bool {
        match self {
            Allow::Family(f) => rule.family() == f,
            Allow::Rule(r) => r == rule,
        }
    }

    /// The names accepted by [`Allow::parse`], for error messages (hazards in their
    /// attribute spelling).
    pub fn accepted_names() -> impl Iterator<Item = String> {
        ["non_idempotent", "hazards"]
            .into_iter()
            .map(str::to_owned)
            .chain(
                Rule::ALL
                    .iter()
                    .filter(|r| r.can_be_allowed())
                    .map(|r| r.id().to_owned()),
            )
            .chain(Hazard::ALL.iter().map(|h| h.attribute_name()))
    }
}

impl Rule {
    /// Whether `#[allow(…)]` may silence the rule: idempotency rules and hazards.
    fn can_be_allowed(self) -> bool {
        matches!(self.family(), Family::NonIdempotent | Family::Hazard)
    }
}
