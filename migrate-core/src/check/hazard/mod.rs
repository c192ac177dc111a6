//! Zero-downtime hazards: squawk-linter's lock, rewrite and compatibility rules, run on the
//! statements of one entry that can hold one.
//!
//! squawk-linter reads a `Parse<SourceFile>`, which only `SourceFile::parse` makes: the tree the
//! checker built for its own rules cannot be handed over. So the hazard pass parses again, but
//! only the statements some rule reads (`ALTER …`, `DROP …`, `CREATE INDEX`, …, per
//! [`Hazard::statement_kinds`]), joined in entry order so squawk's rules that read earlier
//! statements (a `NOT VALID` constraint validated later) still see them; the bulk of a typical
//! history (`CREATE TABLE`, functions, views, data) is skipped, and so are the rules none of
//! the entry's statements can trigger. It runs only when the entry parsed without error.

mod catalog;
mod context;

pub use catalog::{Hazard, HazardKind};

use std::ops::Range;

use squawk_linter::Linter;
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxKind as K, SyntaxNode};

use super::Syntax;
use super::parse::ParsedStatement;
use crate::TransactionMode;

/// One hazard found in one statement.
pub(crate) struct HazardFinding {
    pub hazard: Hazard,
    /// 1-based statement number.
    pub statement: usize,
    /// Byte range within the entry's SQL.
    pub range: Range<usize>,
    pub message: String,
    pub help: String,
}

/// A statement inside a `DO` body: squawk reads top-level statements only, so the hazard pass
/// hands it these too (a guarded `ADD CONSTRAINT … FOREIGN KEY` still locks both tables).
pub(crate) struct Embedded {
    /// 1-based number of the `DO` statement.
    pub statement: usize,
    /// The statement's text, as PL/pgSQL runs it.
    pub text: String,
    /// Its range in the entry's SQL.
    pub range: Range<usize>,
    pub node: SyntaxNode,
}

/// The statements of one entry that the hazard pass reads.
pub(crate) struct Statements<'a> {
    pub sql: &'a str,
    pub top: &'a [ParsedStatement],
    pub embedded: &'a [Embedded],
}

/// Where one statement's text sits in the text handed to squawk, and in the entry.
struct Segment<'a> {
    /// Offset in the joined text.
    at: usize,
    len: usize,
    /// 0-based index of the (top-level) statement in the entry.
    index: usize,
    /// Its range in the entry.
    range: Range<usize>,
    node: &'a SyntaxNode,
}

impl Segment<'_> {
    /// The entry range of a range of the joined text: exact where the statement's text is
    /// the entry's (a `DO` body with doubled quotes is not), else the whole statement.
    fn entry_range(&self, start: usize, end: usize) -> Range<usize> {
        if self.range.len() != self.len {
            return self.range.clone();
        }
        let shift =
            |offset: usize| (self.range.start + offset.saturating_sub(self.at)).min(self.range.end);
        shift(start)..shift(end)
    }
}

/// Whether some hazard rule reads statements of this kind. `BEGIN` and `COMMIT` are kept for
/// squawk's rules that track transactions; `CREATE TABLE` matters to squawk only as context,
/// which [`context::NewTables`] supplies.
fn read_by_some_rule(kind: K) -> bool {
    matches!(kind, K::BEGIN | K::COMMIT_TRANSACTION)
        || Hazard::ALL
            .iter()
            .any(|h| h.statement_kinds().contains(&kind))
}

/// Whether squawk needs to see the statement: one of a kind some rule reads, other than the
/// forms no rule reports (so the second parse stays small): `CREATE INDEX CONCURRENTLY`,
/// `DROP INDEX CONCURRENTLY`, and an `ALTER TABLE` that only adds columns without any
/// constraint or default (the commonest migration of all).
fn worth_linting(node: &SyntaxNode) -> bool {
    if !read_by_some_rule(node.kind()) {
        return false;
    }
    match node.kind() {
        K::CREATE_INDEX => ast::CreateIndex::cast(node.clone())
            .is_none_or(|index| index.concurrently_token().is_none()),
        K::DROP_INDEX => ast::DropIndex::cast(node.clone())
            .is_none_or(|drop| drop.concurrently_token().is_none()),
        K::ALTER_TABLE => ast::AlterTable::cast(node.clone()).is_none_or(|alter| {
            alter.actions().any(|action| match action {
                ast::AlterTableAction::AddColumn(add) => add.constraints().next().is_some(),
                _ => true,
            })
        }),
        _ => true,
    }
}

/// Runs the hazard rules on the statements of an entry that parsed without error.
pub(crate) fn lint(
    entry: &Statements<'_>,
    mode: TransactionMode,
    syntax: Syntax,
) -> Vec<HazardFinding> {
    let mut text = String::new();
    let mut segments = Vec::new();
    let mut embedded = entry.embedded.iter().peekable();
    for (index, statement) in entry.top.iter().enumerate() {
        let mut add = |statement_text: &str, range: Range<usize>, node| {
            segments.push(Segment {
                at: text.len(),
                len: statement_text.len(),
                index,
                range,
                node,
            });
            text.push_str(statement_text);
            text.push_str(";\n");
        };
        while let Some(inner) = embedded.next_if(|e| e.statement == index + 1) {
            if worth_linting(&inner.node) {
                add(&inner.text, inner.range.clone(), &inner.node);
            }
        }
        if worth_linting(&statement.node) {
            let range = statement.range.clone();
            add(&entry.sql[range.clone()], range, &statement.node);
        }
    }
    if segments.is_empty() {
        return Vec::new();
    }
    // Only the rules that read a statement kind the text holds: squawk-linter walks the whole
    // file once per rule it runs.
    let rules = Hazard::ALL.iter().filter(|h| {
        h.statement_kinds()
            .iter()
            .any(|kind| segments.iter().any(|s| s.node.kind() == *kind))
    });
    let mut linter = Linter::from(rules.map(|h| h.squawk()));
    let parse = SourceFile::parse(&text);
    // squawk's rules that excuse a table created "in the same transaction" need to know the
    // entry runs in one; the runner's transaction is invisible in the text.
    linter.settings.assume_in_transaction = mode == TransactionMode::Transaction;
    let new_tables = context::NewTables::of(entry.top);
    let mut found = Vec::new();
    for violation in linter.lint(&parse, &text) {
        let Some(hazard) = Hazard::from_squawk(violation.code) else {
            continue;
        };
        let start = usize::from(violation.text_range.start());
        let end = usize::from(violation.text_range.end());
        let segment = &segments[segments.partition_point(|s| s.at <= start).max(1) - 1];
        if new_tables.targets_new_table(segment.index, segment.node) {
            continue;
        }
        found.push(HazardFinding {
            hazard,
            statement: segment.index + 1,
            range: segment.entry_range(start, end),
            message: violation.message,
            help: hazard.help(syntax),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use crate::TransactionMode;
    use crate::check::{Allow, EntryOptions, Family, Hazard, Rule, Severity, check_sql};

    fn hazards(sql: &str) -> Vec<(Hazard, usize, String)> {
        check_sql(sql, &EntryOptions::default())
            .diagnostics
            .into_iter()
            .filter_map(|d| match d.rule {
                Rule::Hazard(h) => Some((h, d.statement.unwrap(), sql[d.range].to_owned())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn reports_each_family_at_its_statement() {
        let sql = "CREATE TABLE IF NOT EXISTS a (id int);\n\
                   CREATE INDEX IF NOT EXISTS t_a_idx ON t (a);\n\
                   ALTER TABLE t ALTER COLUMN a TYPE bigint;\n\
                   ALTER TABLE t DROP COLUMN IF EXISTS b;";
        let found = hazards(sql);
        let summary: Vec<(Hazard, usize)> = found.iter().map(|(h, n, _)| (*h, *n)).collect();
        assert_eq!(
            summary,
            [
                (Hazard::RequireConcurrentIndexCreation, 2),
                (Hazard::ChangingColumnType, 3),
                (Hazard::BanDropColumn, 4),
            ]
        );
        assert_eq!(found[0].2, "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)");
        assert_eq!(found[1].2, "TYPE bigint");
    }

    #[test]
    fn hazards_are_warnings_unless_denied_and_can_be_allowed() {
        let sql = "ALTER TABLE t DROP COLUMN IF EXISTS b;";
        let d = &check_sql(sql, &EntryOptions::default()).diagnostics[0];
        assert_eq!(
            (d.rule, d.severity),
            (Rule::Hazard(Hazard::BanDropColumn), Severity::Warning)
        );
        assert!(d.help.as_deref().unwrap().contains("later release"));
        for deny in [Allow::Family(Family::Hazard), Allow::Rule(d.rule)] {
            let options = EntryOptions {
                deny: vec![deny],
                ..EntryOptions::default()
            };
            assert_eq!(
                check_sql(sql, &options).diagnostics[0].severity,
                Severity::Error
            );
        }
        let other = EntryOptions {
            deny: vec![Allow::Rule(Rule::Hazard(Hazard::RenamingColumn))],
            ..EntryOptions::default()
        };
        assert_eq!(
            check_sql(sql, &other).diagnostics[0].severity,
            Severity::Warning
        );
        for allow in [Allow::Family(Family::Hazard), Allow::Rule(d.rule)] {
            let options = EntryOptions {
                allow: vec![allow],
                deny: vec![Allow::Family(Family::Hazard)],
                ..EntryOptions::default()
            };
            assert!(check_sql(sql, &options).diagnostics.is_empty());
        }
    }

    #[test]
    fn a_table_created_in_the_entry_has_no_hazards() {
        let sql = "CREATE TABLE IF NOT EXISTS t (a int);\n\
                   CREATE INDEX IF NOT EXISTS t_a_idx ON t (a);\n\
                   ALTER TABLE t ADD COLUMN IF NOT EXISTS b uuid DEFAULT gen_random_uuid();\n\
                   ALTER TABLE t ALTER COLUMN a TYPE bigint;\n\
                   ALTER TABLE public.t DROP COLUMN IF EXISTS b;";
        assert_eq!(hazards(sql), []);
        // Also in a #[no_transaction] entry, where squawk itself does not excuse it.
        let options = EntryOptions {
            transaction: TransactionMode::NoTransaction,
            ..EntryOptions::default()
        };
        let sql =
            "CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX IF NOT EXISTS t_a_idx ON t (a);";
        assert!(check_sql(sql, &options).diagnostics.is_empty());
        // Before the CREATE TABLE, or on another table, it is reported.
        let sql = "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a);\nCREATE TABLE IF NOT EXISTS t (a int);\n\
                   CREATE INDEX IF NOT EXISTS u_a_idx ON u (a);";
        let at: Vec<usize> = hazards(sql).iter().map(|(_, n, _)| *n).collect();
        assert_eq!(at, [1, 3]);
    }

    #[test]
    fn statements_inside_do_blocks_are_read() {
        let sql = "CREATE INDEX IF NOT EXISTS a_idx ON t (a);\n\
                   DO $$\n\
                   BEGIN\n\
                   IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'fk') THEN\n\
                   ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);\n\
                   END IF;\n\
                   END\n\
                   $$;\n\
                   DO 'BEGIN ALTER TABLE t RENAME COLUMN a TO b; END';";
        let found = hazards(sql);
        let summary: Vec<(Hazard, usize)> = found.iter().map(|(h, n, _)| (*h, *n)).collect();
        assert_eq!(
            summary,
            [
                (Hazard::RequireConcurrentIndexCreation, 1),
                // squawk reports a foreign key without NOT VALID under both rules.
                (Hazard::ConstraintMissingNotValid, 2),
                (Hazard::AddingForeignKeyConstraint, 2),
                (Hazard::RenamingColumn, 3),
            ]
        );
        assert_eq!(
            found[2].2,
            "CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id)"
        );
        assert_eq!(found[3].2, "RENAME COLUMN a TO b");
    }

    #[test]
    fn a_statement_with_a_syntax_error_stops_the_hazard_pass() {
        let sql = "CREATE INDEX IF NOT EXISTS i ON t (a);\nCREAT TABLE x ();";
        assert_eq!(hazards(sql), []);
    }
}
