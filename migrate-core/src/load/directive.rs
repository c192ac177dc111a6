//! The `-- migrate:` comment lines that stand in, for files, for the macro's entry attributes.
//!
//! Directives live in the file's header: the comment and blank lines before the first statement.
//! A directive line further down is an error rather than silently ignored, because a
//! `-- migrate:no_transaction` that does not take effect only shows up as a failed deploy.

use crate::TransactionMode;
use crate::check::Allow;

const PREFIX: &str = "-- migrate:";

/// What a file's header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directives {
    pub(crate) transaction: TransactionMode,
    pub(crate) allow: Vec<Allow>,
}

/// A directive line that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirectiveError {
    /// 1-based line in the file.
    pub(crate) line: u32,
    pub(crate) message: String,
}

/// Reads the directives of one file.
pub(crate) fn parse(sql: &str) -> Result<Directives, DirectiveError> {
    let mut directives = Directives {
        transaction: TransactionMode::Transaction,
        allow: Vec::new(),
    };
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
            return Err(DirectiveError {
                line,
                message: format!(
                    "`{text}` comes after the first statement, where it has no effect: move it to the top of the file, before any SQL"
                ),
            });
        }
        let error = |message: String| DirectiveError { line, message };
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
            other => {
                return Err(error(format!(
                    "unknown directive `-- migrate:{other}`: the known ones are `-- migrate:no_transaction` and `-- migrate:allow <rule> reason=\"…\"`"
                )));
            }
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
    let allow = Allow::parse(name).ok_or_else(|| {
        let names = Allow::accepted_names().collect::<Vec<_>>().join(", ");
        if name.is_empty() {
            format!("`-- migrate:allow` needs a rule, e.g. `-- migrate:allow non_idempotent reason=\"…\"`; accepted: {names}")
        } else {
            format!("`{name}` cannot be allowed: accepted are {names} (syntax, structure and list rules are never silenced)")
        }
    })?;
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

    #[test]
    fn no_directives_means_defaults() {
        let d = parse("-- just a comment\nCREATE TABLE IF NOT EXISTS t (id int);").unwrap();
        assert_eq!(d.transaction, TransactionMode::Transaction);
        assert!(d.allow.is_empty());
    }

    #[test]
    fn header_directives_are_read() {
        let sql = "\n-- migrate:no_transaction\n-- migrate:allow unnamed_index reason=\"legacy\"\n-- migrate:allow non_idempotent reason = \"adopted\"\nCREATE INDEX CONCURRENTLY ON t (a);";
        let d = parse(sql).unwrap();
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
        let late = parse("SELECT 1;\n-- migrate:no_transaction\n").unwrap_err();
        assert_eq!(late.line, 2);
        assert!(late.message.contains("after the first statement"));
        let unknown = parse("-- migrate:no_transactions\n").unwrap_err();
        assert!(unknown.message.contains("unknown directive"));
        let no_reason = parse("-- migrate:allow non_idempotent\n").unwrap_err();
        assert!(no_reason.message.contains("needs a reason"));
        let empty_reason = parse("-- migrate:allow non_idempotent reason=\"  \"\n").unwrap_err();
        assert!(empty_reason.message.contains("needs a reason"));
        let structural = parse("-- migrate:allow syntax_error reason=\"x\"\n").unwrap_err();
        assert!(structural.message.contains("cannot be allowed"));
    }
}
