//! The `-- migrate:` comment lines that stand in, for `.sql` files, for the macro's entry
//! attributes. Read here only, so the loader and `migrate lint` honour them identically.
//!
//! Directives live in the file's header: the comment and blank lines before the first statement.
//! A directive line further down is an error rather than silently ignored, because a
//! `-- migrate:no_transaction` that does not take effect only shows up as a failed deploy.

use std::fmt;

use super::suggest::{allow_named, unknown_option};
use crate::TransactionMode;
use crate::check::{Allow, EntryOptions, Syntax};

const PREFIX: &str = "-- migrate:";

/// A header line that could not be understood.
///
/// ```
/// use migrate_core::pipeline::Entry;
///
/// let err = Entry::from_sql_file("a.sql", "001_a", "SELECT 1;\n-- migrate:no_transaction\n").unwrap_err();
/// assert_eq!(err.line(), 2);
/// assert!(err.to_string().starts_with("line 2: `-- migrate:no_transaction` comes after the first statement"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeaderError {
    line: u32,
    message: String,
}

impl HeaderError {
    /// 1-based line in the file.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// What is wrong and how to write it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for HeaderError {}

/// Reads the header lines of the file holding migration `version`.
pub(crate) fn parse(sql: &str, version: &str) -> Result<EntryOptions, HeaderError> {
    let mut directives = EntryOptions::default();
    let mut in_header = true;
    for (index, raw) in sql.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let text = raw.trim();
        let Some(rest) = text.strip_prefix(PREFIX) else {
            if !(text.is_empty() || text.starts_with("--")) {
                in_header = false;
            }
            continue;
        };
        if !in_header {
            return Err(HeaderError {
                line,
                message: format!(
                    "`{text}` comes after the first statement, where it has no effect: move it to the top of the file, before any SQL"
                ),
            });
        }
        let error = |message: String| HeaderError { line, message };
        let (name, args) = rest
            .split_once(char::is_whitespace)
            .map_or((rest, ""), |(n, a)| (n, a.trim()));
        match name {
            "no_transaction" if args.is_empty() => {
                directives.transaction = TransactionMode::NoTransaction;
            }
            "no_transaction" => {
                return Err(error(format!(
                    "`-- migrate:no_transaction` takes no arguments, found `{args}`"
                )));
            }
            "allow" => directives.allow.push(parse_allow(args).map_err(error)?),
            other => return Err(error(unknown_option(Syntax::Headers, other, version))),
        }
    }
    Ok(directives)
}

/// Parses `<rule or family> reason="…"`; the reason is mandatory, as for `#[allow]` in the macro.
fn parse_allow(args: &str) -> Result<Allow, String> {
    let (name, rest) = args
        .split_once(char::is_whitespace)
        .map_or((args, ""), |(n, r)| (n, r.trim()));
    let name = name.trim_end_matches(',');
    if name.is_empty() {
        return Err(
            "`-- migrate:allow` needs a rule, e.g. `-- migrate:allow non_idempotent reason=\"…\"`"
                .to_owned(),
        );
    }
    let allow = allow_named(name, Syntax::Headers)?;
    let reason = rest
        .strip_prefix("reason")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .map(str::trim)
        .and_then(|r| r.strip_prefix('"'))
        .and_then(|r| r.strip_suffix('"'));
    match reason {
        Some(reason) if !reason.trim().is_empty() => Ok(allow),
        _ => Err(format!(
            "`-- migrate:allow {name}` needs a reason: `-- migrate:allow {name} reason=\"why this is safe to run twice\"`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Family, Rule};

    fn header_of(sql: &str) -> Result<EntryOptions, HeaderError> {
        parse(sql, "001_test")
    }

    #[test]
    fn no_directives_means_defaults() {
        let d = header_of("-- just a comment\nCREATE TABLE IF NOT EXISTS t (id int);").unwrap();
        assert_eq!(d.transaction, TransactionMode::Transaction);
        assert!(d.allow.is_empty());
    }

    #[test]
    fn header_directives_are_read() {
        let sql = "\n-- migrate:no_transaction\n-- migrate:allow unnamed_index reason=\"legacy\"\n-- migrate:allow non_idempotent reason = \"adopted\"\nCREATE INDEX CONCURRENTLY ON t (a);";
        let d = header_of(sql).unwrap();
        assert_eq!(d.transaction, TransactionMode::NoTransaction);
        assert_eq!(
            d.allow,
            vec![
                Allow::Rule(Rule::UnnamedIndex),
                Allow::Family(Family::NonIdempotent)
            ]
        );
    }

    #[test]
    fn bad_directives_are_errors() {
        let late = header_of("SELECT 1;\n-- migrate:no_transaction\n").unwrap_err();
        assert_eq!(late.line, 2);
        assert!(late.message.contains("after the first statement"));
        let unknown = header_of("-- migrate:no_transactions\n").unwrap_err();
        assert!(unknown.message.contains("unknown directive"));
        let no_reason = header_of("-- migrate:allow non_idempotent\n").unwrap_err();
        assert!(no_reason.message.contains("needs a reason"));
        let empty_reason =
            header_of("-- migrate:allow non_idempotent reason=\"  \"\n").unwrap_err();
        assert!(empty_reason.message.contains("needs a reason"));
        let structural = header_of("-- migrate:allow syntax_error reason=\"x\"\n").unwrap_err();
        assert!(structural.message.contains("cannot be allowed"));
    }
}
