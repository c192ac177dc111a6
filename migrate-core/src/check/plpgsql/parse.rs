//! Turns a `DO` body into squawk's PL/pgSQL tree, with the parser's PL/pgSQL entry point and
//! the checker's own tree building (bounded like every parse, see `stack.rs`); the offsets are
//! those of the body.
//!
//! squawk 2.68 also refuses statements carrying a PL/pgSQL `INTO target` clause (`SELECT count(*)
//! INTO n FROM …`, `INSERT … RETURNING id INTO v`), which are everyday PL/pgSQL. Like PostgreSQL
//! itself (and pg_query), we cut the `INTO` clause out of the statement before handing it to the
//! SQL parser: its bytes become spaces, so every offset still points at the original body.

use squawk_syntax::{SyntaxKind, SyntaxNode, SyntaxToken};

use super::PlpgsqlError;
use crate::check::Rule;
use crate::check::parse as check_parse;
use crate::check::stack::Grammar;

/// A PL/pgSQL `INTO` clause cut out of a SQL statement.
#[derive(Debug, Clone)]
pub(super) struct IntoClause {
    /// Byte range of the clause (`INTO [STRICT] a, b`) within the body.
    pub range: std::ops::Range<usize>,
    /// The target variable names, lower case (quoted names keep their case).
    pub targets: Vec<String>,
}

/// The parsed body: the tree, the text it was parsed from (the body with `INTO` clauses blanked)
/// and the clauses that were cut.
pub(super) struct ParsedBody {
    pub root: SyntaxNode,
    pub text: String,
    pub into_clauses: Vec<IntoClause>,
}

/// Every pass cuts all the `INTO` clauses squawk rejected; one pass normally suffices, a second
/// one handles statements squawk only reaches after recovering from the first ones.
const MAX_PASSES: usize = 8;

pub(super) fn parse_body(body: &str) -> Result<ParsedBody, PlpgsqlError> {
    let mut text = body.to_owned();
    let mut into_clauses = Vec::new();
    for _ in 0..MAX_PASSES {
        let (root, errors) = parse_once(&text)?;
        if errors.is_empty() {
            return Ok(ParsedBody {
                root,
                text,
                into_clauses,
            });
        }
        let cut = cut_into_clauses(&root, &mut text);
        if cut.is_empty() {
            let (offset, message) = errors
                .into_iter()
                .next()
                .unwrap_or((0, String::from("unreadable body")));
            return Err(PlpgsqlError {
                offset: offset.min(body.len()),
                message: format!(
                    "the DO body is not valid PL/pgSQL: {message}; \
                     fix the statement at this position"
                ),
                too_deep: false,
            });
        }
        into_clauses.extend(cut);
    }
    Err(PlpgsqlError {
        offset: 0,
        message: String::from(
            "the DO body has too many PL/pgSQL INTO clauses squawk cannot read; \
             split it into smaller blocks",
        ),
        too_deep: false,
    })
}

/// Parses `text` as a DO body, returning the PL/pgSQL root and its errors, sorted by offset.
fn parse_once(text: &str) -> Result<(SyntaxNode, Vec<(usize, String)>), PlpgsqlError> {
    let (root, problems) = check_parse::build_tree(text, Grammar::Plpgsql);
    if let Some(deep) = problems.iter().find(|p| p.rule == Rule::TooDeeplyNested) {
        return Err(PlpgsqlError {
            offset: deep.offset,
            message: deep.message.clone(),
            too_deep: true,
        });
    }
    let mut errors: Vec<(usize, String)> = problems
        .into_iter()
        .map(|p| (p.offset, p.message))
        .collect();
    errors.sort_by_key(|(offset, _)| *offset);
    Ok((root, errors))
}

/// Blanks the `INTO` clause of every statement squawk rejected, returning what was cut.
fn cut_into_clauses(root: &SyntaxNode, text: &mut String) -> Vec<IntoClause> {
    let mut cut = Vec::new();
    for error in root.descendants() {
        if error.kind() != SyntaxKind::ERROR
            || error.parent().map(|p| p.kind()) != Some(SyntaxKind::PLPGSQL_BODY)
        {
            continue;
        }
        if let Some(clause) = into_clause(&error) {
            let blank = " ".repeat(clause.range.len());
            text.replace_range(clause.range.clone(), &blank);
            cut.push(clause);
        }
    }
    cut
}

/// Finds the PL/pgSQL `INTO` clause among the raw tokens of a rejected statement, using the
/// rule PL/pgSQL itself applies: the first `INTO` outside parentheses that does not follow
/// `INSERT` or `MERGE`.
fn into_clause(error: &SyntaxNode) -> Option<IntoClause> {
    let tokens: Vec<SyntaxToken> = error
        .descendants_with_tokens()
        .filter_map(|element| element.into_token())
        .filter(|token| !token.kind().is_trivia())
        .collect();
    let mut depth = 0i32;
    let mut into_at = None;
    for (i, token) in tokens.iter().enumerate() {
        match token.kind() {
            SyntaxKind::L_PAREN => depth += 1,
            SyntaxKind::R_PAREN => depth -= 1,
            SyntaxKind::INTO_KW if depth == 0 => {
                let after_insert =
                    i.checked_sub(1)
                        .and_then(|p| tokens.get(p))
                        .is_some_and(|prev| {
                            matches!(prev.kind(), SyntaxKind::INSERT_KW | SyntaxKind::MERGE_KW)
                        });
                if !after_insert {
                    into_at = Some(i);
                    break;
                }
            }
            SyntaxKind::SEMICOLON => break,
            _ => {}
        }
    }
    let into_at = into_at?;
    let start = usize::from(tokens.get(into_at)?.text_range().start());
    let mut i = into_at + 1;
    if tokens
        .get(i)
        .is_some_and(|t| t.text().eq_ignore_ascii_case("strict"))
        && tokens.get(i + 1).is_some_and(is_name)
    {
        i += 1;
    }
    let mut targets = Vec::new();
    let mut end;
    loop {
        let name = tokens.get(i).filter(|t| is_name(t))?;
        let mut target = name_text(name);
        end = usize::from(name.text_range().end());
        i += 1;
        // `rec.field` targets: the dotted parts belong to the same target.
        while tokens.get(i).is_some_and(|t| t.kind() == SyntaxKind::DOT) {
            let part = tokens.get(i + 1).filter(|t| is_name(t))?;
            target.push('.');
            target.push_str(&name_text(part));
            end = usize::from(part.text_range().end());
            i += 2;
        }
        targets.push(target);
        if tokens.get(i).is_some_and(|t| t.kind() == SyntaxKind::COMMA) {
            i += 1;
        } else {
            break;
        }
    }
    Some(IntoClause {
        range: start..end,
        targets,
    })
}

/// Identifiers and keywords (PL/pgSQL variables may be named like unreserved keywords).
fn is_name(token: &SyntaxToken) -> bool {
    token.kind() == SyntaxKind::IDENT
        || token
            .text()
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && token
                .text()
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_')
}

/// A variable name as PostgreSQL folds it: lower case unless quoted.
pub(super) fn name_text(token: &SyntaxToken) -> String {
    fold_name(token.text())
}

pub(super) fn fold_name(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => text.to_lowercase(),
    }
}
