//! The squawk rules the checker runs as hazards: their ids, families and safe patterns.

use std::fmt;

use squawk_linter::Rule as Squawk;
use squawk_syntax::SyntaxKind as K;

use crate::check::Syntax;

/// What a hazard does to a running production database.
///
/// ```
/// use migrate_core::check::{Hazard, HazardKind};
/// assert_eq!(Hazard::RequireConcurrentIndexCreation.kind(), HazardKind::Lock);
/// assert_eq!(Hazard::ChangingColumnType.kind(), HazardKind::Rewrite);
/// assert_eq!(Hazard::BanDropColumn.kind(), HazardKind::Compatibility);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HazardKind {
    /// Takes a lock that blocks reads or writes on a busy table for the length of a scan or
    /// an index build.
    Lock,
    /// Rewrites the whole table under an `ACCESS EXCLUSIVE` lock.
    Rewrite,
    /// Breaks the release that is still serving while the new one rolls out.
    Compatibility,
}

impl HazardKind {
    /// `lock`, `rewrite` or `compatibility`.
    pub const fn name(self) -> &'static str {
        match self {
            HazardKind::Lock => "lock",
            HazardKind::Rewrite => "rewrite",
            HazardKind::Compatibility => "compatibility",
        }
    }
}

macro_rules! hazards {
    ($($variant:ident = $id:literal, $kind:ident;)*) => {
        /// A zero-downtime hazard: one of squawk-linter's lock, rewrite and compatibility
        /// rules, run on every entry (see the README's "Hazards" section). Its id is squawk's
        /// rule name (`adding-field-with-default`); in `#[allow(…)]` and `#![deny(…)]`, where a
        /// `-` cannot stand, it is written with `_` (`adding_field_with_default`).
        ///
        /// ```
        /// use migrate_core::check::{Hazard, Rule};
        /// assert_eq!(Hazard::AddingFieldWithDefault.id(), "adding-field-with-default");
        /// assert_eq!(Hazard::from_name("adding_field_with_default"), Some(Hazard::AddingFieldWithDefault));
        /// assert_eq!(Rule::from_id("ban-drop-column"), Some(Rule::Hazard(Hazard::BanDropColumn)));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Hazard {
            $(
                #[doc = concat!("squawk's `", $id, "`.")]
                $variant,
            )*
        }

        impl Hazard {
            /// Every hazard the checker runs.
            pub const ALL: &'static [Hazard] = &[$(Hazard::$variant),*];

            /// squawk's rule name, e.g. `require-concurrent-index-creation`.
            pub const fn id(self) -> &'static str {
                match self {
                    $(Hazard::$variant => $id,)*
                }
            }

            /// The family: lock, rewrite or compatibility.
            pub const fn kind(self) -> HazardKind {
                match self {
                    $(Hazard::$variant => HazardKind::$kind,)*
                }
            }

            pub(crate) const fn squawk(self) -> Squawk {
                match self {
                    $(Hazard::$variant => Squawk::$variant,)*
                }
            }

            pub(crate) fn from_squawk(rule: Squawk) -> Option<Hazard> {
                match rule {
                    $(Squawk::$variant => Some(Hazard::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

hazards! {
    RequireConcurrentIndexCreation = "require-concurrent-index-creation", Lock;
    RequireConcurrentIndexDeletion = "require-concurrent-index-deletion", Lock;
    ConstraintMissingNotValid = "constraint-missing-not-valid", Lock;
    AddingForeignKeyConstraint = "adding-foreign-key-constraint", Lock;
    AddingNotNullableField = "adding-not-nullable-field", Lock;
    AddingSerialPrimaryKeyField = "adding-serial-primary-key-field", Lock;
    DisallowedUniqueConstraint = "disallowed-unique-constraint", Lock;
    RequireConcurrentPartitionDetach = "require-concurrent-partition-detach", Lock;
    RequireConcurrentReindex = "require-concurrent-reindex", Lock;
    BanCreateDomainWithConstraint = "ban-create-domain-with-constraint", Lock;
    BanAlterDomainWithAddConstraint = "ban-alter-domain-with-add-constraint", Lock;
    AddingFieldWithDefault = "adding-field-with-default", Rewrite;
    ChangingColumnType = "changing-column-type", Rewrite;
    RenamingColumn = "renaming-column", Compatibility;
    RenamingTable = "renaming-table", Compatibility;
    RenamingObject = "renaming-object", Compatibility;
    AddingRequiredField = "adding-required-field", Compatibility;
    BanDropColumn = "ban-drop-column", Compatibility;
    BanDropTable = "ban-drop-table", Compatibility;
    BanDropNotNull = "ban-drop-not-null", Compatibility;
    BanDropDefault = "ban-drop-default", Compatibility;
    BanDropConstraint = "ban-drop-constraint", Compatibility;
    BanDropGeneratedExpression = "ban-drop-generated-expression", Compatibility;
    BanAlterIdentity = "ban-alter-identity", Compatibility;
    BanDropView = "ban-drop-view", Compatibility;
    BanDropFunction = "ban-drop-function", Compatibility;
    BanDropType = "ban-drop-type", Compatibility;
    BanDropSchema = "ban-drop-schema", Compatibility;
    BanDropSequence = "ban-drop-sequence", Compatibility;
    BanDropDomain = "ban-drop-domain", Compatibility;
    BanDropExtension = "ban-drop-extension", Compatibility;
    BanSetSchema = "ban-set-schema", Compatibility;
}

/// The squawk rules on by default in squawk that do not run here, each with the reason (the
/// README lists them). squawk's opt-in rules (off unless configured) do not run either.
pub(crate) const NOT_RUN: &[(Squawk, &str)] = &[
    (
        Squawk::PreferRobustStmts,
        "our idempotency rules (`non_idempotent`) cover it",
    ),
    (
        Squawk::BanConcurrentIndexCreationInTransaction,
        "`requires_no_transaction` covers it",
    ),
    (
        Squawk::TransactionNesting,
        "`transaction_control` covers it",
    ),
    (
        Squawk::BanUncommittedTransaction,
        "`transaction_control` covers it",
    ),
    (
        Squawk::RequireTimeoutSettings,
        "the runtime sets `lock_timeout` for every migration",
    ),
    (
        Squawk::RequireLockTimeout,
        "the runtime sets `lock_timeout` for every migration",
    ),
    (
        Squawk::RequireStatementTimeout,
        "the runtime sets `lock_timeout` for every migration",
    ),
    (Squawk::BanDropDatabase, "`not_guardable` covers it"),
    (
        Squawk::BanTruncateCascade,
        "`destructive_rerun` covers every `TRUNCATE`",
    ),
    (
        Squawk::PreferBigintOverInt,
        "a type preference, not a hazard",
    ),
    (
        Squawk::PreferBigintOverSmallint,
        "a type preference, not a hazard",
    ),
    (Squawk::PreferIdentity, "a type preference, not a hazard"),
    (Squawk::PreferTextField, "a type preference, not a hazard"),
    (Squawk::PreferTimestampTz, "a type preference, not a hazard"),
    (Squawk::BanCharField, "a type preference, not a hazard"),
    (
        Squawk::RequireEnumValueOrdering,
        "about the order of enum values, not a hazard",
    ),
    (
        Squawk::IdentifierTooLong,
        "about name truncation, not a hazard",
    ),
    (
        Squawk::BanDuplicateColumnAssignments,
        "PostgreSQL rejects the statement itself (42601)",
    ),
    (
        Squawk::PreferRepack,
        "suggests `REPACK`, which exists from PostgreSQL 19 only",
    ),
    (
        Squawk::UnusedIgnore,
        "about squawk's own ignore comments; entries use `#[allow]`",
    ),
];

impl Hazard {
    /// The hazard whose id is `name`, written with `-` (squawk's spelling) or `_` (Rust's).
    pub fn from_name(name: &str) -> Option<Hazard> {
        Hazard::ALL.iter().copied().find(|h| {
            h.id()
                .bytes()
                .eq(name.bytes().map(|b| if b == b'_' { b'-' } else { b }))
        })
    }

    /// The squawk rules that squawk runs by default and the checker does not, each with the
    /// reason (squawk's opt-in rules do not run either).
    ///
    /// ```
    /// use migrate_core::check::Hazard;
    /// let (name, why) = Hazard::not_run().find(|(n, _)| *n == "prefer-robust-stmts").unwrap();
    /// assert!(why.contains("non_idempotent"), "{name}: {why}");
    /// ```
    pub fn not_run() -> impl Iterator<Item = (String, &'static str)> {
        NOT_RUN.iter().map(|(rule, why)| (rule.to_string(), *why))
    }

    /// The id as written in an attribute: `adding_field_with_default`.
    pub fn attribute_name(self) -> String {
        self.id().replace('-', "_")
    }

    /// The statement kinds squawk's rule reads (its source matches on these and no others):
    /// the hazard pass hands squawk only such statements, and runs only the rules whose
    /// statements the entry holds.
    pub(crate) const fn statement_kinds(self) -> &'static [K] {
        match self {
            Hazard::RequireConcurrentIndexCreation => &[K::CREATE_INDEX],
            Hazard::RequireConcurrentIndexDeletion => &[K::DROP_INDEX],
            Hazard::RequireConcurrentReindex => &[K::REINDEX],
            Hazard::BanCreateDomainWithConstraint => &[K::CREATE_DOMAIN],
            Hazard::BanAlterDomainWithAddConstraint => &[K::ALTER_DOMAIN],
            Hazard::ConstraintMissingNotValid
            | Hazard::AddingForeignKeyConstraint
            | Hazard::AddingNotNullableField
            | Hazard::AddingSerialPrimaryKeyField
            | Hazard::DisallowedUniqueConstraint
            | Hazard::RequireConcurrentPartitionDetach
            | Hazard::AddingFieldWithDefault
            | Hazard::RenamingTable
            | Hazard::AddingRequiredField
            | Hazard::BanDropGeneratedExpression
            | Hazard::BanAlterIdentity => &[K::ALTER_TABLE],
            Hazard::ChangingColumnType | Hazard::BanDropColumn => {
                &[K::ALTER_TABLE, K::ALTER_FOREIGN_TABLE, K::ALTER_TYPE]
            }
            Hazard::RenamingColumn => &[
                K::ALTER_TABLE,
                K::ALTER_FOREIGN_TABLE,
                K::ALTER_MATERIALIZED_VIEW,
                K::ALTER_TYPE,
                K::ALTER_VIEW,
            ],
            Hazard::BanDropNotNull | Hazard::BanDropConstraint => {
                &[K::ALTER_TABLE, K::ALTER_FOREIGN_TABLE, K::ALTER_DOMAIN]
            }
            Hazard::BanDropDefault => &[
                K::ALTER_TABLE,
                K::ALTER_FOREIGN_TABLE,
                K::ALTER_DOMAIN,
                K::ALTER_VIEW,
            ],
            Hazard::BanDropTable => &[K::DROP_TABLE, K::DROP_FOREIGN_TABLE],
            Hazard::BanDropView => &[K::DROP_VIEW, K::DROP_MATERIALIZED_VIEW],
            Hazard::BanDropFunction => &[
                K::DROP_FUNCTION,
                K::DROP_PROCEDURE,
                K::DROP_AGGREGATE,
                K::DROP_ROUTINE,
            ],
            Hazard::BanDropType => &[
                K::DROP_TYPE,
                K::DROP_CAST,
                K::DROP_OPERATOR,
                K::DROP_OPERATOR_CLASS,
                K::DROP_OPERATOR_FAMILY,
            ],
            Hazard::BanDropSchema => &[K::DROP_SCHEMA],
            Hazard::BanDropSequence => &[K::DROP_SEQUENCE],
            Hazard::BanDropDomain => &[K::DROP_DOMAIN],
            Hazard::BanDropExtension => &[K::DROP_EXTENSION],
            Hazard::RenamingObject => &[
                K::ALTER_TABLE,
                K::ALTER_FOREIGN_TABLE,
                K::ALTER_AGGREGATE,
                K::ALTER_DATABASE,
                K::ALTER_DOMAIN,
                K::ALTER_FUNCTION,
                K::ALTER_GROUP,
                K::ALTER_INDEX,
                K::ALTER_MATERIALIZED_VIEW,
                K::ALTER_POLICY,
                K::ALTER_PROCEDURE,
                K::ALTER_ROLE,
                K::ALTER_ROUTINE,
                K::ALTER_SCHEMA,
                K::ALTER_SEQUENCE,
                K::ALTER_TRIGGER,
                K::ALTER_TYPE,
                K::ALTER_USER,
                K::ALTER_VIEW,
            ],
            Hazard::BanSetSchema => &[
                K::ALTER_TABLE,
                K::ALTER_FOREIGN_TABLE,
                K::ALTER_AGGREGATE,
                K::ALTER_DOMAIN,
                K::ALTER_EXTENSION,
                K::ALTER_FUNCTION,
                K::ALTER_MATERIALIZED_VIEW,
                K::ALTER_PROCEDURE,
                K::ALTER_ROUTINE,
                K::ALTER_SEQUENCE,
                K::ALTER_TYPE,
                K::ALTER_VIEW,
            ],
        }
    }

    /// The safe pattern, naming the entry options in `syntax`.
    pub(crate) fn help(self, syntax: Syntax) -> String {
        let own = syntax.own_no_transaction_entry();
        match self {
            Hazard::RequireConcurrentIndexCreation => format!(
                "build the index with `CREATE INDEX CONCURRENTLY IF NOT EXISTS …` in {own}: it \
                 lets writes go on while it builds"
            ),
            Hazard::RequireConcurrentIndexDeletion => {
                format!("drop the index with `DROP INDEX CONCURRENTLY IF EXISTS …` in {own}")
            }
            Hazard::ConstraintMissingNotValid => "add the constraint with `NOT VALID` (a brief \
                 lock, no scan), then `ALTER TABLE … VALIDATE CONSTRAINT …` in a later entry, \
                 which scans without blocking writes"
                .to_owned(),
            Hazard::AddingForeignKeyConstraint => "add the foreign key with `NOT VALID`, then \
                 `ALTER TABLE … VALIDATE CONSTRAINT …` in a later entry, which checks the rows \
                 without blocking writes to either table"
                .to_owned(),
            Hazard::AddingNotNullableField => "add `CHECK (column IS NOT NULL) NOT VALID`, \
                 `VALIDATE CONSTRAINT` it in a later entry, then `SET NOT NULL` (PostgreSQL 12+ \
                 trusts the validated check and skips the scan) and drop the check"
                .to_owned(),
            Hazard::AddingSerialPrimaryKeyField => format!(
                "build the unique index with `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS …` \
                 in {own}, then `ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY USING INDEX …` in a \
                 later entry"
            ),
            Hazard::DisallowedUniqueConstraint => format!(
                "build the index with `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS …` in \
                 {own}, then `ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX …` in a later \
                 entry"
            ),
            Hazard::RequireConcurrentPartitionDetach => format!(
                "`ALTER TABLE … DETACH PARTITION … CONCURRENTLY` in {own} (it cannot be \
                 guarded: allow `not_guardable` on that entry with the reason)"
            ),
            Hazard::RequireConcurrentReindex => format!("`REINDEX … CONCURRENTLY` in {own}"),
            Hazard::BanCreateDomainWithConstraint | Hazard::BanAlterDomainWithAddConstraint => {
                "put the check on the table columns instead (`ADD CONSTRAINT … CHECK (…) NOT \
                 VALID`, validated in a later entry): a domain constraint is checked against \
                 every column using the domain, under lock"
                    .to_owned()
            }
            Hazard::AddingFieldWithDefault => "add the column without the default (or with a \
                 constant one), backfill the existing rows in batches, then `ALTER COLUMN … SET \
                 DEFAULT …` in a later entry"
                .to_owned(),
            Hazard::ChangingColumnType => "add a column of the new type, backfill it, move the \
                 application to it, and drop the old column in a later release"
                .to_owned(),
            Hazard::AddingRequiredField => "add the column nullable or with a non-volatile \
                 DEFAULT: the running release's INSERTs do not set it"
                .to_owned(),
            Hazard::RenamingColumn | Hazard::RenamingTable | Hazard::RenamingObject => {
                "add the new name beside the old one (a new column written by both releases, a \
                 view), move the application to it, and remove the old name in a later release"
                    .to_owned()
            }
            _ => "remove every use from the application and deploy that first; drop it in a \
                  later release"
                .to_owned(),
        }
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule squawk runs by default either runs here or is listed, with its reason, as not
    /// run; squawk's opt-in rules stay off.
    #[test]
    fn every_default_squawk_rule_is_accounted_for() {
        let defaults = squawk_linter::Linter::with_default_rules().rules;
        for rule in defaults.iter().copied() {
            let runs = Hazard::from_squawk(rule).is_some();
            let excluded = NOT_RUN.iter().any(|(r, _)| *r == rule);
            assert!(
                runs != excluded,
                "{rule}: runs {runs}, listed as not run {excluded}"
            );
        }
        for hazard in Hazard::ALL {
            assert!(
                defaults.contains(&hazard.squawk()),
                "{hazard} is opt-in in squawk"
            );
            assert_eq!(hazard.squawk().to_string(), hazard.id());
            assert_eq!(Hazard::from_name(&hazard.attribute_name()), Some(*hazard));
            assert_eq!(Hazard::from_name(hazard.id()), Some(*hazard));
        }
    }
}
