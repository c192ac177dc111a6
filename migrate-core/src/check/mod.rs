//! The SQL checker: parses each migration with squawk's PostgreSQL parser and applies the
//! idempotency and transaction rules of `postgres-ddl-rules.md`.
//!
//! The same code serves the `migrations!` macro (at compile time), lists loaded at run time, and
//! `migrate lint`.
//!
//! ```
//! use migrate_core::check::{check_sql, EntryOptions, Rule};
//!
//! let checked = check_sql("CREATE TABLE users (id bigint);", &EntryOptions::default());
//! assert_eq!(checked.diagnostics[0].rule, Rule::MissingIfNotExists);
//!
//! let checked = check_sql("CREATE TABLE IF NOT EXISTS users (id bigint);", &EntryOptions::default());
//! assert!(checked.diagnostics.is_empty());
//! assert_eq!(checked.statements.len(), 1);
//! ```

mod autofix;
mod diagnostic;
mod fix;
mod hazard;
mod parse;
mod plpgsql;
mod position;
mod rule;
mod rules;
mod stack;
mod syntax;
mod token_names;
mod tree;
mod validation;

pub use autofix::{Edit, Fixed, fix_sql};
pub use diagnostic::Diagnostic;
pub(crate) use diagnostic::any_error;
pub use hazard::{Hazard, HazardKind};
pub use rule::{Allow, Family, Rule, Severity};
pub use syntax::Syntax;

use std::ops::Range;

use crate::{StatementSpan, TransactionMode};

/// How one entry is to be checked: its transaction mode, its `#[allow(…)]` attributes, and the
/// hazards its list turns into errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryOptions {
    /// `NoTransaction` for `#[no_transaction]` entries.
    pub transaction: TransactionMode,
    /// What the entry's `#[allow(…)]` attributes silence.
    pub allow: Vec<Allow>,
    /// The hazards reported as errors rather than warnings: the list's `#![deny(…)]`,
    /// `migrate lint --deny …` (`Allow::Family(Family::Hazard)` for all of them).
    pub deny: Vec<Allow>,
}

impl Default for EntryOptions {
    fn default() -> Self {
        EntryOptions {
            transaction: TransactionMode::Transaction,
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }
}

/// The result of checking one entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Checked {
    /// The entry's statements, split by the parser, in order.
    pub statements: Vec<StatementSpan>,
    /// Every finding, in source order, already filtered by the entry's allowances.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// `true` when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        diagnostic::any_error(&self.diagnostics)
    }
}

/// Checks one migration entry: splits it into statements and reports every syntax,
/// structure and idempotency problem, already filtered by `options.allow`.
///
/// ```
/// use migrate_core::TransactionMode;
/// use migrate_core::check::{check_sql, Allow, EntryOptions, Family, Rule};
///
/// let sql = "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);";
/// let checked = check_sql(sql, &EntryOptions::default());
/// let rules: Vec<Rule> = checked.diagnostics.iter().map(|d| d.rule).collect();
/// assert_eq!(rules, [Rule::RequiresNoTransaction, Rule::MissingIfNotExists]);
/// assert_eq!(
///     checked.diagnostics[1].help.as_deref(),
///     Some("CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email)")
/// );
///
/// let options = EntryOptions {
///     transaction: TransactionMode::NoTransaction,
///     allow: vec![Allow::Family(Family::NonIdempotent)],
///     deny: Vec::new(),
/// };
/// assert!(check_sql(sql, &options).diagnostics.is_empty());
/// ```
///
/// Help texts name options in attribute syntax (`#[no_transaction]`); the entry pipeline
/// ([`crate::pipeline`]) speaks the syntax of where the entry lives.
pub fn check_sql(sql: &str, options: &EntryOptions) -> Checked {
    check_sql_with(sql, options, Syntax::Attributes)
}

/// [`check_sql`], with help texts in `syntax`. Deep input runs on a large stack (`stack`).
pub(crate) fn check_sql_with(sql: &str, options: &EntryOptions, syntax: Syntax) -> Checked {
    stack::run(
        |(sql, options, syntax)| check_entry(sql, options, syntax),
        (sql, options, syntax),
    )
}

fn check_entry(sql: &str, options: &EntryOptions, syntax: Syntax) -> Checked {
    let parsed = parse::parse(sql);
    let lines = position::LineIndex::new(sql);
    let statements = spans(&parsed, &lines);
    let diagnostic = |rule: Rule, statement: Option<usize>, range: Range<usize>, message, help| {
        let (line, column) = lines.line_col(range.start);
        Diagnostic {
            rule,
            severity: rule.severity(),
            statement,
            line,
            column,
            range,
            message,
            help,
            in_down: false,
        }
    };

    let mut diagnostics = Vec::new();
    // By statement number (index 0 unused): whether it has a syntax error already.
    let mut syntax_in = vec![false; parsed.statements.len() + 2];
    for problem in &parsed.errors {
        let n = parsed.statement_at(problem.offset);
        if syntax_in.get(n).copied().unwrap_or(true) {
            // Later errors of the same statement are usually the parser recovering.
            continue;
        }
        syntax_in[n] = true;
        let end = problem.offset + word_len(&sql[problem.offset.min(sql.len())..]);
        diagnostics.push(diagnostic(
            problem.rule,
            Some(n),
            problem.offset..end,
            parse::describe(sql, problem),
            None,
        ));
    }
    if parsed.statements.is_empty() && parsed.errors.is_empty() {
        diagnostics.push(diagnostic(
            Rule::EmptyMigration,
            None,
            0..sql.len(),
            "the migration holds no statement (it is empty or only comments)".to_owned(),
            Some("write the migration's SQL, or remove the entry".to_owned()),
        ));
    }

    let mut cx = rules::Cx::new(options.transaction, syntax);
    let nodes: Vec<&_> = parsed.statements.iter().map(|s| &s.node).collect();
    cx.dropped_later = rules::dropped_later::dropped_tables(&nodes);
    for (i, statement) in parsed.statements.iter().enumerate() {
        let n = i + 1;
        if syntax_in[n] {
            continue;
        }
        cx.statement = n;
        rules::check_statement(&statement.node, &mut cx);
        for (offset, message) in rules::do_block::check(&statement.node, &mut cx) {
            let end = offset + word_len(&sql[offset.min(sql.len())..]);
            diagnostics.push(diagnostic(
                Rule::SyntaxError,
                Some(n),
                offset..end,
                message,
                None,
            ));
        }
        for finding in cx.findings.drain(..) {
            diagnostics.push(diagnostic(
                finding.rule,
                Some(n),
                finding.range,
                finding.message,
                finding.help,
            ));
        }
    }

    if parsed.errors.is_empty() {
        let embedded = std::mem::take(&mut cx.embedded);
        let entry = hazard::Statements {
            sql,
            top: &parsed.statements,
            embedded: &embedded,
        };
        for found in hazard::lint(&entry, options.transaction, syntax) {
            let rule = Rule::Hazard(found.hazard);
            let mut d = diagnostic(
                rule,
                Some(found.statement),
                found.range,
                found.message,
                Some(found.help),
            );
            if options.deny.iter().any(|a| a.covers(rule)) {
                d.severity = Severity::Error;
            }
            diagnostics.push(d);
        }
    }

    diagnostics.retain(|d| {
        !matches!(d.rule.family(), Family::NonIdempotent | Family::Hazard)
            || !options.allow.iter().any(|a| a.covers(d.rule))
    });
    diagnostics.sort_by_key(|d| (d.statement, d.range.start));
    Checked {
        statements,
        diagnostics,
    }
}

/// Checks an entry's down SQL: the rules of an up (a down runs again after a half-failed
/// rollback too), then the down against its `up` (see [`Rule::DownLeavesObject`] and
/// [`Rule::DownDropsForeign`]). Every diagnostic has `in_down` set; positions are in the down.
///
/// ```
/// use migrate_core::check::{check_down, EntryOptions, Rule};
///
/// let up = "CREATE TABLE IF NOT EXISTS t (id int); CREATE INDEX IF NOT EXISTS t_id ON t (id);";
/// let checked = check_down(up, "DROP INDEX IF EXISTS t_id;", &EntryOptions::default());
/// let left = checked.diagnostics.iter().find(|d| d.rule == Rule::DownLeavesObject).unwrap();
/// assert_eq!(left.help.as_deref(), Some("DROP TABLE IF EXISTS t;"));
/// assert!(check_down(up, "DROP TABLE IF EXISTS t;", &EntryOptions::default()).diagnostics.is_empty());
/// ```
pub fn check_down(up: &str, down: &str, options: &EntryOptions) -> Checked {
    check_down_with(up, down, options, Syntax::Attributes)
}

/// [`check_down`], with help texts in `syntax`.
pub(crate) fn check_down_with(
    up: &str,
    down: &str,
    options: &EntryOptions,
    syntax: Syntax,
) -> Checked {
    let mut checked = check_sql_with(down, options, syntax);
    // A down undoes its up for the release before it, which never used what the up made: the
    // hazards about breaking the running release (drops, renames) say nothing about it. Lock
    // and rewrite hazards still hold.
    checked.diagnostics.retain(
        |d| !matches!(d.rule, Rule::Hazard(h) if h.kind() == hazard::HazardKind::Compatibility),
    );
    if !checked.has_errors() {
        let reversal = stack::run(
            |(up, down)| rules::down_reverses_up::compare(up, down),
            (up, down),
        );
        let lines = position::LineIndex::new(down);
        // A missing drop belongs at the end of the down, where it would be written.
        let (end_line, end_column) = lines.line_col(down.trim_end().len());
        let last = checked.statements.len().max(1);
        for object in &reversal.left {
            let d = Diagnostic::about_entry(
                Rule::DownLeavesObject,
                rules::down_reverses_up::Reversal::left_message(object),
            )
            .at(last, end_line, end_column, down.len()..down.len())
            .with_help(object.drop_statement());
            checked.diagnostics.push(d);
        }
        for object in &reversal.foreign {
            let (line, column) = lines.line_col(object.range.start);
            let d = Diagnostic::about_entry(
                Rule::DownDropsForeign,
                rules::down_reverses_up::Reversal::foreign_message(object),
            )
            .at(object.statement, line, column, object.range.clone());
            checked.diagnostics.push(d);
        }
    }
    for d in &mut checked.diagnostics {
        d.in_down = true;
    }
    checked
}

/// The statements of `sql` as the checker splits them, without running the rules.
pub(crate) fn statement_spans(sql: &str) -> Vec<StatementSpan> {
    let lines = position::LineIndex::new(sql);
    spans(&parse::parse(sql), &lines)
}

fn spans(parsed: &parse::Parsed, lines: &position::LineIndex<'_>) -> Vec<StatementSpan> {
    parsed
        .statements
        .iter()
        .map(|s| StatementSpan {
            start: s.range.start as u32,
            end: s.range.end as u32,
            line: lines.line_col(s.range.start).0,
        })
        .collect()
}

/// Length of the word at the start of `text`, so a syntax error highlights the offending token.
fn word_len(text: &str) -> usize {
    text.find(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')')
        .unwrap_or(text.len())
        .max(text.chars().next().map_or(0, char::len_utf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_exact_spans() {
        let sql = "-- head\nCREATE TABLE IF NOT EXISTS a (id int);\n\n  CREATE TABLE IF NOT EXISTS b (id int)\n";
        let checked = check_sql(sql, &EntryOptions::default());
        assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
        let texts: Vec<&str> = checked
            .statements
            .iter()
            .map(|s| &sql[s.start as usize..s.end as usize])
            .collect();
        assert_eq!(
            texts,
            [
                "CREATE TABLE IF NOT EXISTS a (id int)",
                "CREATE TABLE IF NOT EXISTS b (id int)"
            ]
        );
        assert_eq!(checked.statements[0].line, 2);
        assert_eq!(checked.statements[1].line, 4);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let sql = "CREATE TABLE IF NOT EXISTS a (id int);\n  CREAT TABLE x ();";
        let checked = check_sql(sql, &EntryOptions::default());
        let d = &checked.diagnostics[0];
        assert_eq!(d.rule, Rule::SyntaxError);
        assert_eq!((d.statement, d.line, d.column), (Some(2), 2, 3));
        assert_eq!(&sql[d.range.clone()], "CREAT");

        for sql in ["CREATE TABLE t (id int", "SELECT FROM WHERE"] {
            let checked = check_sql(sql, &EntryOptions::default());
            assert_eq!(checked.diagnostics.len(), 1, "{sql}");
            assert_eq!(checked.diagnostics[0].rule, Rule::SyntaxError);
        }
    }

    /// Tokens the parser could not place after the last statement it closed belong to that
    /// statement, not to a statement that does not exist.
    #[test]
    fn trailing_syntax_errors_name_their_own_statement() {
        let found = |sql: &str| -> Vec<(Option<usize>, u32, u32, String)> {
            check_sql(sql, &EntryOptions::default())
                .diagnostics
                .into_iter()
                .map(|d| (d.statement, d.line, d.column, sql[d.range].to_owned()))
                .collect()
        };
        let sql = "DROP TRIGGER t Ocolumn keywords;";
        assert_eq!(found(sql), [(Some(1), 1, 16, "Ocolumn".to_owned())]);
        assert_eq!(check_sql(sql, &EntryOptions::default()).statements.len(), 1);

        let sql = "CREATE TABLE IF NOT EXISTS a (x int);\nSELECT 1)));";
        assert_eq!(found(sql), [(Some(2), 2, 9, ")".to_owned())]);
        let statements = check_sql(sql, &EntryOptions::default()).statements;
        let texts: Vec<&str> = statements
            .iter()
            .map(|s| &sql[s.start as usize..s.end as usize])
            .collect();
        // The unreadable statement keeps its whole text, so a run that accepts it sends
        // PostgreSQL what was written.
        assert_eq!(
            texts,
            ["CREATE TABLE IF NOT EXISTS a (x int)", "SELECT 1)))"]
        );
    }

    #[test]
    fn a_statement_the_parser_split_is_still_one_statement() {
        let sql = "CREAT TABLE x (); CREATE TABLE y (id int);";
        let checked = check_sql(sql, &EntryOptions::default());
        let found: Vec<(Rule, Option<usize>)> = checked
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.statement))
            .collect();
        assert_eq!(
            found,
            [
                (Rule::SyntaxError, Some(1)),
                (Rule::MissingIfNotExists, Some(2))
            ]
        );
        assert_eq!(checked.statements.len(), 2);
    }

    #[test]
    fn empty_entries() {
        for sql in ["", "  \n", "-- nothing\n/* here */", ";;"] {
            let checked = check_sql(sql, &EntryOptions::default());
            let rules: Vec<Rule> = checked.diagnostics.iter().map(|d| d.rule).collect();
            assert_eq!(rules, [Rule::EmptyMigration], "{sql:?}");
            assert_eq!(checked.diagnostics[0].statement, None);
        }
    }

    #[test]
    fn allowances_filter_rules_and_families_but_never_structure() {
        let sql = "CREATE TABLE t (a int); CREATE INDEX ON t (a); BEGIN;";
        let allow = |allow| EntryOptions {
            transaction: TransactionMode::Transaction,
            allow,
            deny: Vec::new(),
        };
        let rules = |o: &EntryOptions| -> Vec<Rule> {
            check_sql(sql, o)
                .diagnostics
                .iter()
                .map(|d| d.rule)
                .collect()
        };
        assert_eq!(
            rules(&EntryOptions::default()),
            [
                Rule::MissingIfNotExists,
                Rule::UnnamedIndex,
                Rule::TransactionControl
            ]
        );
        assert_eq!(
            rules(&allow(vec![Allow::Rule(Rule::UnnamedIndex)])),
            [Rule::MissingIfNotExists, Rule::TransactionControl]
        );
        assert_eq!(
            rules(&allow(vec![Allow::Family(Family::NonIdempotent)])),
            [Rule::TransactionControl]
        );
    }
}
