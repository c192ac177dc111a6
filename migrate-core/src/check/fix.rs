//! Builds the corrected statements shown in `help:`: the user's own statement, rendered on one
//! line, with the guard inserted where PostgreSQL's grammar expects it.

use std::ops::ControlFlow;

use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::tree;

/// Past this many characters a help statement is abbreviated with `…` (once every insertion is
/// shown), so diagnostics stay readable for long `CREATE TABLE`s.
const BUDGET: usize = 160;

/// Text to insert before the byte offset `at` of the parsed text (a token start or the
/// statement's end).
#[derive(Debug, Clone)]
pub(crate) struct Insert {
    pub at: usize,
    pub text: String,
}

impl Insert {
    pub(crate) fn new(at: usize, text: impl Into<String>) -> Self {
        Insert {
            at,
            text: text.into(),
        }
    }
}

/// The statement with one insertion: the usual fix, a missing guard keyword
/// (`IF NOT EXISTS `, `OR REPLACE `) put where the grammar expects it.
pub(crate) fn with_insert(node: &SyntaxNode, at: usize, text: &str) -> String {
    render(node, &[Insert::new(at, text)])
}

/// The statement `node` on one line (whitespace collapsed, comments dropped, no `;`) with
/// `inserts` applied.
pub(crate) fn render(node: &SyntaxNode, inserts: &[Insert]) -> String {
    // Sized for the budget plus the insertions: growing it token by token cost more than the
    // rest of the rendering.
    let capacity = BUDGET + 64 + inserts.iter().map(|i| i.text.len()).sum::<usize>();
    let mut inserts: Vec<&Insert> = inserts.iter().collect();
    inserts.sort_by_key(|i| i.at);
    let last_at = inserts.last().map_or(0, |i| i.at);
    let mut pending = inserts.into_iter().peekable();

    let mut out = String::with_capacity(capacity);
    // Characters of `out[..counted]`: counted as `out` grows, not recounted per token.
    let mut chars = 0;
    let mut counted = 0;
    let mut space = false;
    let mut depth: usize = 0;
    let mut abbreviated = false;
    // The user's keyword style, taken from the statement's first word: `create table` gets
    // `if not exists`, `CREATE TABLE` gets `IF NOT EXISTS`.
    let mut lowercase: Option<bool> = None;
    // A walk of the green tree that stops at the budget: red tokens for a whole long statement
    // cost more than the rest of the check.
    let _ = tree::walk_tokens(node, false, |token| {
        if token.kind == SyntaxKind::SEMICOLON && token.top {
            return ControlFlow::Continue(());
        }
        if tree::is_trivia(token.kind) {
            space = !out.is_empty();
            return ControlFlow::Continue(());
        }
        if space {
            out.push(' ');
            space = false;
        }
        let lowercase = *lowercase.get_or_insert_with(|| is_lowercase_word(token.text));
        while let Some(insert) = pending.next_if(|i| i.at <= token.start) {
            out.push_str(&in_style(&insert.text, lowercase));
        }
        chars += out[counted..].chars().count();
        counted = out.len();
        if chars > BUDGET && token.start >= last_at && depth > 0 {
            abbreviated = true;
            return ControlFlow::Break(());
        }
        match token.kind {
            SyntaxKind::L_PAREN => depth += 1,
            SyntaxKind::R_PAREN => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push_str(&shorten_literal(token.kind, token.text));
        ControlFlow::Continue(())
    });
    if abbreviated {
        out.push('…');
        out.push_str(&")".repeat(depth));
    }
    let lowercase = lowercase.unwrap_or(false);
    for insert in pending {
        out.push_str(&in_style(&insert.text, lowercase));
    }
    out
}

fn is_lowercase_word(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_lowercase()) && !text.chars().any(|c| c.is_ascii_uppercase())
}

/// A keyword insertion (`IF NOT EXISTS `, `OR REPLACE `) in the statement's case; any other
/// insertion (names, whole clauses with literals) exactly as written.
fn in_style(text: &str, lowercase: bool) -> std::borrow::Cow<'_, str> {
    let keywords_only = text.chars().all(|c| c.is_ascii_uppercase() || c == ' ');
    if lowercase && keywords_only {
        text.to_ascii_lowercase().into()
    } else {
        text.into()
    }
}

/// Function bodies and other long literals are not what the help is about: `$$ … $$`.
fn shorten_literal(kind: SyntaxKind, text: &str) -> std::borrow::Cow<'_, str> {
    let long = text.len() > 60 || text.contains('\n');
    match kind {
        SyntaxKind::DOLLAR_QUOTED_STRING if long => {
            let tag = text[1..].find('$').map_or("$$", |i| &text[..i + 2]);
            format!("{tag} … {tag}").into()
        }
        SyntaxKind::STRING if long => "'…'".into(),
        _ => text.into(),
    }
}

/// Dollar-quote tag that does not occur in `body`.
fn dollar_tag(body: &str) -> &'static str {
    ["$$", "$do$", "$migrate$"]
        .into_iter()
        .find(|t| !body.contains(t))
        .unwrap_or("$migrate_guard$")
}

/// Wraps `statement` in a `DO` block that runs it only when `condition` holds (§4.6 idiom 1).
pub(crate) fn do_if(condition: &str, statement: &str) -> String {
    let tag = dollar_tag(statement);
    format!("DO {tag}\nBEGIN\n  IF {condition} THEN\n    {statement};\n  END IF;\nEND {tag};")
}

/// Wraps `statement` in a `DO` block that ignores the named condition (§4.6 idiom 2).
pub(crate) fn do_catch(condition: &str, statement: &str) -> String {
    let tag = dollar_tag(statement);
    format!("DO {tag}\nBEGIN\n  {statement};\nEXCEPTION WHEN {condition} THEN NULL;\nEND {tag};")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::parse::parse;

    #[test]
    fn renders_on_one_line_without_comments() {
        let sql = "CREATE TABLE users (\n  id bigint, -- key\n  email text\n);";
        let parsed = parse(sql);
        let node = &parsed.statements[0].node;
        assert_eq!(
            render(node, &[]),
            "CREATE TABLE users ( id bigint, email text )"
        );
        let at = sql.find("users").unwrap();
        assert_eq!(
            render(node, &[Insert::new(at, "IF NOT EXISTS ")]),
            "CREATE TABLE IF NOT EXISTS users ( id bigint, email text )"
        );
    }

    #[test]
    fn guard_keywords_follow_the_statements_case() {
        let sql = "create table users (id bigint);";
        let parsed = parse(sql);
        let at = sql.find("users").unwrap();
        assert_eq!(
            render(
                &parsed.statements[0].node,
                &[Insert::new(at, "IF NOT EXISTS ")]
            ),
            "create table if not exists users (id bigint)"
        );
        // Names and literals in an insertion are never re-cased.
        let at_end = sql.find(';').unwrap();
        assert_eq!(
            render(
                &parsed.statements[0].node,
                &[Insert::new(at_end, " COMMENT 'X'")]
            ),
            "create table users (id bigint) COMMENT 'X'"
        );
    }

    #[test]
    fn abbreviates_long_statements_after_the_insertion() {
        let columns: Vec<String> = (0..40).map(|i| format!("column_{i} text")).collect();
        let sql = format!("CREATE TABLE t ({});", columns.join(", "));
        let parsed = parse(&sql);
        let at = sql.find("t (").unwrap();
        let text = render(
            &parsed.statements[0].node,
            &[Insert::new(at, "IF NOT EXISTS ")],
        );
        assert!(text.starts_with("CREATE TABLE IF NOT EXISTS t (column_0 text, "));
        assert!(text.ends_with("…)"), "{text}");
        assert!(text.chars().count() < 200);
    }

    #[test]
    fn long_bodies_are_shortened() {
        let sql = "CREATE FUNCTION f() RETURNS int AS $body$\nBEGIN\n  RETURN 1;\nEND\n$body$ LANGUAGE plpgsql;";
        let parsed = parse(sql);
        assert_eq!(
            render(&parsed.statements[0].node, &[]),
            "CREATE FUNCTION f() RETURNS int AS $body$ … $body$ LANGUAGE plpgsql"
        );
    }

    #[test]
    fn wrappers_pick_a_free_dollar_tag() {
        assert!(do_if("true", "SELECT 1").starts_with("DO $$\n"));
        assert!(do_catch("duplicate_object", "SELECT $$x$$").starts_with("DO $do$\n"));
    }
}
