//! Machine-applicable fixes (`migrate lint --fix`, `migrate import --fix`): the corrected
//! statement a diagnostic's `help` shows, written back into the file as byte-range edits that
//! keep the file's own formatting and comments, and kept only when the checker agrees.
//!
//! The help is the user's statement on one line with the guard inserted (`IF NOT EXISTS`,
//! `OR REPLACE`, the name PostgreSQL would give), or the statement inside a guarding `DO` block.
//! Matching the help's tokens against the statement's finds the inserted text and where it
//! goes; a `DO` block replaces the statement with the block around the original text. A fix
//! is applied only when the re-checked SQL has fewer errors and no syntax error, so a help that
//! is an instruction rather than SQL is never written into a file.

use std::collections::HashSet;
use std::ops::Range;

use squawk_lexer::TokenKind;

use super::{Diagnostic, EntryOptions, Family, Rule, Severity, check_sql};

/// The rules whose help is the corrected statement itself. The others need a person: an
/// INSERT's unique key, a relative UPDATE, dynamic SQL, statements with no guard at all.
const FIXABLE: [Rule; 7] = [
    Rule::MissingIfNotExists,
    Rule::MissingIfExists,
    Rule::MissingOrReplace,
    Rule::UnnamedIndex,
    Rule::UnnamedConstraint,
    Rule::UnguardedStatement,
    Rule::IfExistsWrongLevel,
];

/// Fixes applied to one file are bounded, so a pathological file cannot loop.
const MAX_FIXES: usize = 10_000;

/// One replacement of a byte range of the SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Edit {
    /// The bytes replaced (empty for an insertion).
    pub range: Range<usize>,
    /// What they are replaced with.
    pub replacement: String,
}

/// The result of [`fix_sql`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fixed {
    /// The SQL with every fix applied (equal to the input when none applied).
    pub sql: String,
    /// The diagnostics that were fixed, each as reported on the SQL it was fixed in.
    pub applied: Vec<Diagnostic>,
    /// What the fixed SQL still has: the findings left for a person.
    pub left: Vec<Diagnostic>,
}

impl Fixed {
    /// `true` when a fix changed the SQL.
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }
}

/// Applies every fix the checker can make mechanically, one at a time, each verified by
/// checking again. Running it on its own output changes nothing.
///
/// ```
/// use migrate_core::check::{EntryOptions, fix_sql};
///
/// let sql = "-- users\nCREATE TABLE users (\n  id bigint -- key\n);\nCREATE INDEX ON users (id);\n";
/// let fixed = fix_sql(sql, &EntryOptions::default());
/// assert_eq!(
///     fixed.sql,
///     "-- users\nCREATE TABLE IF NOT EXISTS users (\n  id bigint -- key\n);\nCREATE INDEX IF NOT EXISTS users_id_idx ON users (id);\n"
/// );
/// assert!(fixed.left.is_empty());
/// assert_eq!(fix_sql(&fixed.sql, &EntryOptions::default()).sql, fixed.sql);
/// ```
pub fn fix_sql(sql: &str, options: &EntryOptions) -> Fixed {
    let mut text = sql.to_owned();
    let mut applied = Vec::new();
    // Fixes that did not pass the re-check, by rule and statement text.
    let mut rejected: HashSet<(Rule, String)> = HashSet::new();
    let mut checked = check_sql(&text, options);
    'fixing: while applied.len() < MAX_FIXES {
        let errors = error_count(&checked.diagnostics);
        for d in &checked.diagnostics {
            // A hazard's help is a pattern spanning entries, never an edit of the statement.
            if d.rule.family() == Family::Hazard {
                continue;
            }
            let Some(span) = d.statement.and_then(|n| checked.statements.get(n - 1)) else {
                continue;
            };
            let range = span.start as usize..span.end as usize;
            let key = (d.rule, text[range.clone()].to_owned());
            if rejected.contains(&key) {
                continue;
            }
            let candidate = edits(&text, range, d).map(|edits| apply(&text, &edits));
            if let Some(candidate) = candidate {
                let rechecked = check_sql(&candidate, options);
                let syntax = rechecked
                    .diagnostics
                    .iter()
                    .any(|d| d.rule.family() == Family::Structure);
                if !syntax && error_count(&rechecked.diagnostics) < errors {
                    applied.push(d.clone());
                    text = candidate;
                    checked = rechecked;
                    continue 'fixing;
                }
            }
            rejected.insert(key);
        }
        break;
    }
    Fixed {
        sql: text,
        applied,
        left: checked.diagnostics,
    }
}

fn error_count(diagnostics: &[Diagnostic]) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// The edits that turn the statement at `statement` into `d`'s help, if the help is SQL.
fn edits(sql: &str, statement: Range<usize>, d: &Diagnostic) -> Option<Vec<Edit>> {
    if !FIXABLE.contains(&d.rule) || d.severity != Severity::Error {
        return None;
    }
    let help = d.help.as_deref()?;
    let original = &sql[statement.clone()];
    if let Some(replacement) = wrapped(original, help) {
        return Some(vec![Edit {
            range: statement,
            replacement,
        }]);
    }
    inserted(original, help).map(|edits| {
        edits
            .into_iter()
            .map(|(at, text)| Edit {
                range: statement.start + at..statement.start + at,
                replacement: text,
            })
            .collect()
    })
}

fn apply(sql: &str, edits: &[Edit]) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut out = sql.to_owned();
    for e in edits {
        out.replace_range(e.range.clone(), &e.replacement);
    }
    out
}

/// A significant token: its text and byte range.
struct Token<'a> {
    text: &'a str,
    range: Range<usize>,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    for token in squawk_lexer::tokenize(text) {
        let end = at + token.len as usize;
        let trivia = matches!(
            token.kind,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment { .. }
        );
        if !trivia {
            out.push(Token {
                text: &text[at..end],
                range: at..end,
            });
        }
        at = end;
    }
    out
}

/// The help's tokens up to an abbreviation (a `…` outside a literal: the rest of a long
/// statement, possibly glued to the token before it), and whether it was abbreviated.
fn help_tokens(help: &str) -> (Vec<Token<'_>>, bool) {
    let mut all = tokens(help);
    match all
        .iter()
        .position(|t| t.text.contains('…') && !is_literal(t))
    {
        Some(i) => {
            all.truncate(i);
            (all, true)
        }
        None => (all, false),
    }
}

fn is_literal(token: &Token<'_>) -> bool {
    token.text.starts_with('$') || token.text.starts_with('\'')
}

/// The help shows `original`'s token: the same text, or a long literal the help shortened
/// (`$$ … $$`, `'…'`).
fn same(shown: &Token<'_>, original: &Token<'_>) -> bool {
    shown.text == original.text
        || (shown.text.contains('…')
            && (shown.text.starts_with('$') || shown.text.starts_with('\'')))
}

/// `original`'s tokens start with `shown`'s (all of them when not abbreviated).
fn shows(original: &[Token<'_>], shown: &str) -> bool {
    let (shown, abbreviated) = help_tokens(shown);
    let prefix =
        shown.len() <= original.len() && shown.iter().zip(original).all(|(a, b)| same(a, b));
    prefix && (abbreviated || shown.len() == original.len()) && !shown.is_empty()
}

/// A help that puts the statement inside other SQL (a `DO` block): the help with its
/// one-line rendering of the statement replaced by the original text (with the help's
/// insertions, e.g. a constraint's name), without the help's final `;` (the file keeps the
/// statement's own).
fn wrapped(original: &str, help: &str) -> Option<String> {
    let mut found = None;
    let mut offset = 0;
    for line in help.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let trimmed = body.trim_start();
        let start = offset + body.len() - trimmed.len();
        let segment = trimmed.strip_suffix(';').unwrap_or(trimmed);
        // Only a line that is not the whole help: the whole help is an insertion's business.
        if segment.len() < help.trim_end_matches(';').len()
            && let Some(statement) = rewritten(original, segment)
        {
            if found.is_some() {
                return None;
            }
            found = Some((start..start + segment.len(), statement));
        }
        offset += line.len();
    }
    let (range, statement) = found?;
    let mut out = String::with_capacity(help.len() + original.len());
    out.push_str(&help[..range.start]);
    out.push_str(&statement);
    out.push_str(&help[range.end..]);
    Some(out.strip_suffix(';').map(str::to_owned).unwrap_or(out))
}

/// `original` as `shown` shows it: itself, or with the insertions `shown` makes.
fn rewritten(original: &str, shown: &str) -> Option<String> {
    if shows(&tokens(original), shown) {
        return Some(original.to_owned());
    }
    let mut out = original.to_owned();
    let mut inserts = inserted(original, shown)?;
    inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    for (at, text) in inserts {
        out.insert_str(at, &text);
    }
    Some(out)
}

/// A help that is the statement with text inserted: each insertion (text, at a byte offset
/// of `original`), taken verbatim from the help.
fn inserted(original: &str, help: &str) -> Option<Vec<(usize, String)>> {
    let help = help.trim_end().trim_end_matches(';');
    let (want, abbreviated) = help_tokens(help);
    let have = tokens(original);
    let mut inserts = Vec::new();
    let mut next = 0;
    // Where the pending insertion starts in the help, and where the last match ended.
    let mut pending: Option<usize> = None;
    let mut matched_end: Option<usize> = None;
    for token in &want {
        if next < have.len() && same(token, &have[next]) {
            if let Some(start) = pending.take() {
                inserts.push((
                    have[next].range.start,
                    help[start..token.range.start].to_owned(),
                ));
            }
            matched_end = Some(token.range.end);
            next += 1;
        } else if pending.is_none() {
            pending = Some(token.range.start);
        }
    }
    if let Some(start) = pending {
        if abbreviated || next < have.len() {
            return None;
        }
        // A trailing clause: from the end of the last match, with the help's own spacing.
        let from = matched_end.unwrap_or(start);
        let end = want.last().map_or(help.len(), |t| t.range.end);
        inserts.push((original.len(), help[from..end].to_owned()));
    }
    let complete = abbreviated || next == have.len();
    (complete && !inserts.is_empty()).then_some(inserts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(sql: &str) -> String {
        fix_sql(sql, &EntryOptions::default()).sql
    }

    #[test]
    fn guards_go_where_the_grammar_expects_them_and_formatting_stays() {
        assert_eq!(
            fix("create table  t /* keep */ (a int);"),
            "create table  if not exists t /* keep */ (a int);"
        );
        assert_eq!(fix("DROP TABLE t;"), "DROP TABLE IF EXISTS t;");
        assert_eq!(
            fix("CREATE FUNCTION f() RETURNS int\n  AS $$ SELECT 1 $$ LANGUAGE sql;"),
            "CREATE OR REPLACE FUNCTION f() RETURNS int\n  AS $$ SELECT 1 $$ LANGUAGE sql;"
        );
    }

    #[test]
    fn statements_without_guard_syntax_get_a_do_block_around_the_original_text() {
        let sql = "CREATE TYPE mood AS ENUM (\n  'sad', -- first\n  'ok'\n);";
        let fixed = fix(sql);
        assert!(fixed.starts_with("DO $$"), "{fixed}");
        assert!(fixed.contains("'sad', -- first\n"), "{fixed}");
        assert!(fixed.ends_with("END $$;"), "{fixed}");
        assert_eq!(fix(&fixed), fixed);
    }

    #[test]
    fn what_needs_a_person_is_left_and_reported() {
        let sql = "INSERT INTO t (a) VALUES (1);\nUPDATE t SET a = a + 1;";
        let fixed = fix_sql(sql, &EntryOptions::default());
        assert_eq!(fixed.sql, sql);
        assert!(!fixed.changed());
        let rules: Vec<Rule> = fixed.left.iter().map(|d| d.rule).collect();
        assert!(rules.contains(&Rule::InsertWithoutOnConflict), "{rules:?}");
        assert!(rules.contains(&Rule::DestructiveRerun), "{rules:?}");
    }

    #[test]
    fn insertions_are_found_between_matching_tokens() {
        let got = inserted(
            "CREATE INDEX ON t (a)",
            "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)",
        );
        assert_eq!(got, Some(vec![(13, "IF NOT EXISTS t_a_idx ".to_owned())]));
        assert_eq!(inserted("CREATE INDEX ON t (a)", "remove the index"), None);
    }
}
