//! Parsing one entry: the statement split and the syntax errors.
//!
//! The tree is built here from squawk's lexer and parser rather than through
//! `SourceFile::parse(…).errors()`: `errors()` re-walks the whole tree for squawk's extra
//! validation and re-parses every SQL function body, which alone cost twice the parse. The
//! parser's and lexer's errors are collected while the tree is built, and the part of squawk's
//! validation that matters for migrations is kept in `validation.rs`, run only where it applies.

use std::ops::Range;

use squawk_parser::{EntryPoint, LexedStr, StrStep};
use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::stack::{self, Grammar, TreeDepth};
use super::{Rule, tree, validation};

/// One statement of a parsed text.
#[derive(Debug, Clone)]
pub(crate) struct ParsedStatement {
    pub node: SyntaxNode,
    /// From its first significant token to its last one, the terminating `;` excluded.
    pub range: Range<usize>,
}

/// A syntax error reported by the parser, or an input too deeply nested to be parsed.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxProblem {
    pub offset: usize,
    pub message: String,
    /// `SyntaxError`, or `TooDeeplyNested` (whose message is complete).
    pub rule: Rule,
}

impl SyntaxProblem {
    pub(crate) fn syntax(offset: usize, message: String) -> SyntaxProblem {
        SyntaxProblem {
            offset,
            message,
            rule: Rule::SyntaxError,
        }
    }
}

/// A parsed text: its statements (empty statements dropped) and its syntax errors.
pub(crate) struct Parsed {
    pub statements: Vec<ParsedStatement>,
    pub errors: Vec<SyntaxProblem>,
}

impl Parsed {
    /// The 1-based number of the statement a syntax error at `offset` belongs to: the last one
    /// starting at or before it (an error in the `;` or the comments after a statement is that
    /// statement's). A binary search, since an entry may hold thousands of statements.
    pub(crate) fn statement_at(&self, offset: usize) -> usize {
        self.statements
            .partition_point(|s| s.range.start <= offset)
            .max(1)
    }
}

pub(crate) fn parse(sql: &str) -> Parsed {
    let (root, mut errors) = build_tree(sql, Grammar::Sql);
    validation::validate(&root, &mut errors);
    // Stable, like squawk's own ordering: at one offset the parser's error comes first.
    errors.sort_by_key(|e| e.offset);
    let statements = split(&root);
    Parsed { statements, errors }
}

/// What squawk-syntax's `parsing::parse_text` does (it is private), keeping the errors the
/// parser and the lexer report on the way. Within the stack's bounds only: a text nested deeper
/// gives an empty tree and one `TooDeeplyNested` problem (see `stack.rs`).
pub(crate) fn build_tree(text: &str, grammar: Grammar) -> (SyntaxNode, Vec<SyntaxProblem>) {
    let limits = stack::limits();
    if let Some(offset) = stack::nesting_limit_exceeded(text, grammar, limits.nesting) {
        return too_deep(offset, stack::refuse("statement", limits.nesting));
    }
    let lexed = LexedStr::new(text);
    let entry = match grammar {
        Grammar::Sql => EntryPoint::SourceFile,
        Grammar::Plpgsql => EntryPoint::Plpgsql,
    };
    let output = entry.parse(&lexed.to_input());
    let mut builder = rowan::GreenNodeBuilder::new();
    let mut depth = TreeDepth::new(limits.tree_depth);
    let mut offset = 0;
    let mut errors = Vec::new();
    // squawk's `Language` maps a kind to rowan's raw kind through its `u16` value.
    let raw = |kind: SyntaxKind| rowan::SyntaxKind(kind.into());
    lexed.intersperse_trivia(&output, &mut |step| {
        if depth.exceeded() {
            return;
        }
        match step {
            StrStep::Token { kind, text } => {
                offset += text.len();
                builder.token(raw(kind), text);
            }
            StrStep::Enter { kind } if depth.enter() => builder.start_node(raw(kind)),
            StrStep::Enter { .. } => {}
            StrStep::Exit => {
                depth.exit();
                builder.finish_node();
            }
            StrStep::Error { msg, pos } => errors.push(SyntaxProblem::syntax(pos, msg.to_owned())),
        }
    });
    if depth.exceeded() {
        // The partial tree is dropped unfinished: none of its nodes is deeper than the limit.
        return too_deep(offset, stack::refuse("statement", limits.tree_depth));
    }
    errors.extend(
        lexed
            .errors()
            .map(|(range, msg)| SyntaxProblem::syntax(range.start as usize, msg.to_owned())),
    );
    (SyntaxNode::new_root(builder.finish()), errors)
}

/// An empty tree and the problem saying why.
fn too_deep(offset: usize, message: String) -> (SyntaxNode, Vec<SyntaxProblem>) {
    let mut builder = rowan::GreenNodeBuilder::new();
    builder.start_node(rowan::SyntaxKind(SyntaxKind::SOURCE_FILE.into()));
    builder.finish_node();
    let problem = SyntaxProblem {
        offset,
        message,
        rule: Rule::TooDeeplyNested,
    };
    (SyntaxNode::new_root(builder.finish()), vec![problem])
}

/// The top-level statements: each is what lies between two top-level `;`. A statement the
/// parser could not read keeps its full text, the error recovery's `ERROR` nodes included, so
/// a syntax error is numbered as the statement a reader counts, and a list accepted despite
/// its errors sends PostgreSQL the text as written rather than the fragment the parser
/// recognised. Byte ranges exclude surrounding comments and the `;`, so that the runtime can
/// execute each span verbatim.
fn split(root: &SyntaxNode) -> Vec<ParsedStatement> {
    let mut statements = Vec::new();
    let mut current: Option<ParsedStatement> = None;
    for node in root.children() {
        let ends = tree::last_token_kind(&node) == Some(SyntaxKind::SEMICOLON);
        if node.kind() != SyntaxKind::EMPTY_STMT {
            extend(&mut current, node);
        }
        if ends {
            statements.extend(current.take());
        }
    }
    statements.extend(current);
    statements
}

/// Adds a node to the statement being gathered between two `;`. The rules read one statement
/// node: the first one the parser recognised (when recovery split the text into several, the
/// statement has a syntax error and the rules skip it).
fn extend(current: &mut Option<ParsedStatement>, node: SyntaxNode) {
    let range = tree::statement_range(&node);
    if range.is_empty() {
        return;
    }
    match current {
        None => *current = Some(ParsedStatement { node, range }),
        Some(statement) => {
            statement.range.end = range.end;
            if statement.node.kind() == SyntaxKind::ERROR && node.kind() != SyntaxKind::ERROR {
                statement.node = node;
            }
        }
    }
}

/// Describes a syntax error the way `psql` users expect: where, then what the parser wanted.
pub(crate) fn describe(sql: &str, problem: &SyntaxProblem) -> String {
    if problem.rule != Rule::SyntaxError {
        return problem.message.clone();
    }
    let rest = sql.get(problem.offset..).unwrap_or_default();
    let rest = rest.trim_start();
    // A `;` is a token of its own: "at or near \";\"" is what psql says too.
    let near: String = if rest.starts_with(';') {
        ";".to_owned()
    } else {
        rest.split(|c: char| c.is_whitespace() || c == ';')
            .next()
            .map(|w| w.chars().take(30).collect())
            .unwrap_or_default()
    };
    let wanted = super::token_names::readable(&problem.message);
    if near.is_empty() {
        format!("syntax error at end of input: {wanted}")
    } else {
        format!("syntax error at or near \"{near}\": {wanted}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(sql: &str) -> Vec<&str> {
        parse(sql)
            .statements
            .iter()
            .map(|s| &sql[s.range.clone()])
            .collect()
    }

    #[test]
    fn splits_on_semicolons_excluding_them_and_comments() {
        let sql = "-- lead\nCREATE TABLE t (a int); /* c */ INSERT INTO t VALUES (1)\n;;\nSELECT 1";
        assert_eq!(
            spans(sql),
            [
                "CREATE TABLE t (a int)",
                "INSERT INTO t VALUES (1)",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn keeps_semicolons_inside_bodies() {
        let sql = "DO $$ BEGIN PERFORM 1; END $$;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1; SELECT 2';";
        let got = spans(sql);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], "DO $$ BEGIN PERFORM 1; END $$");
        assert!(got[1].ends_with("'SELECT 1; SELECT 2'"));
    }

    #[test]
    fn reports_clear_syntax_errors() {
        for sql in [
            "CREAT TABLE x ();",
            "CREATE TABLE t (id int",
            "SELECT FROM WHERE",
        ] {
            assert!(!parse(sql).errors.is_empty(), "{sql}");
        }
        let problem = &parse("CREAT TABLE x ();").errors[0];
        assert_eq!(problem.offset, 0);
        assert!(
            describe("CREAT TABLE x ();", problem).starts_with("syntax error at or near \"CREAT\"")
        );
    }
}
