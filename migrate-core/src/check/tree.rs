//! Small queries over squawk's untyped syntax tree.
//!
//! The rules match on node kinds rather than on squawk's typed AST: the statement catalogue is
//! organised by statement kind and guard keyword, which maps directly onto node and token kinds,
//! and the untyped view keeps the rules short and robust against squawk's accessor churn.
//!
//! Queries that look below a node's direct children read rowan's green tree: walking red nodes
//! (`descendants_with_tokens`) allocates one for every node and token visited, and that walk
//! used to cost as much as parsing.

use std::ops::ControlFlow;

use rowan::{GreenNodeData, GreenTokenData, NodeOrToken};
use squawk_syntax::{SyntaxKind, SyntaxNode, SyntaxToken};

/// A token read from the green tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leaf<'a> {
    pub kind: SyntaxKind,
    pub text: &'a str,
    /// Byte offset in the parsed text.
    pub start: usize,
    /// Whether the token is a direct child of the walked node (e.g. a statement's own `;`).
    pub top: bool,
    /// Not a token but a node without children (left by the parser's error recovery), reported
    /// only by [`walk_leaves`].
    pub hole: bool,
}

impl Leaf<'_> {
    pub(crate) fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.text.len()
    }
}

/// squawk's `Language` maps kinds to rowan's raw kinds through their `u16` value.
fn kind_of(raw: rowan::SyntaxKind) -> SyntaxKind {
    SyntaxKind::from(raw.0)
}

/// Visits the tokens of `node` in source order (in reverse when `backwards`) until `visit`
/// breaks, without building red nodes.
pub(crate) fn walk_tokens(
    node: &SyntaxNode,
    backwards: bool,
    mut visit: impl FnMut(Leaf<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    walk_leaves(node, backwards, |leaf| {
        if leaf.hole {
            ControlFlow::Continue(())
        } else {
            visit(leaf)
        }
    })
}

/// Like [`walk_tokens`], also visiting childless nodes (as `hole` leaves): in rowan's red API
/// they end `first_token()`/`next_token()` sequences, which [`statement_range`] reproduces.
pub(crate) fn walk_leaves(
    node: &SyntaxNode,
    backwards: bool,
    mut visit: impl FnMut(Leaf<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    fn walk(
        green: &GreenNodeData,
        start: usize,
        backwards: bool,
        top: bool,
        visit: &mut dyn FnMut(Leaf<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let mut step =
            |child: NodeOrToken<&GreenNodeData, &GreenTokenData>, start: usize| match child {
                NodeOrToken::Node(n) if n.children().len() == 0 => visit(Leaf {
                    kind: kind_of(n.kind()),
                    text: "",
                    start,
                    top,
                    hole: true,
                }),
                NodeOrToken::Node(n) => walk(n, start, backwards, false, visit),
                NodeOrToken::Token(t) => visit(Leaf {
                    kind: kind_of(t.kind()),
                    text: t.text(),
                    start,
                    top,
                    hole: false,
                }),
            };
        if backwards {
            let mut end = start + usize::from(green.text_len());
            for child in green.children().rev() {
                end -= usize::from(child.text_len());
                step(child, end)?;
            }
        } else {
            let mut offset = start;
            for child in green.children() {
                step(child, offset)?;
                offset += usize::from(child.text_len());
            }
        }
        ControlFlow::Continue(())
    }
    let green = node.green();
    let start = usize::from(node.text_range().start());
    walk(&green, start, backwards, true, &mut visit)
}

/// The first token of `node` (the last one when `backwards`) that `pick` accepts.
pub(crate) fn find_leaf<T>(
    node: &SyntaxNode,
    backwards: bool,
    mut pick: impl FnMut(Leaf<'_>) -> Option<T>,
) -> Option<T> {
    let mut found = None;
    let _ = walk_tokens(node, backwards, |leaf| match pick(leaf) {
        Some(t) => {
            found = Some(t);
            ControlFlow::Break(())
        }
        None => ControlFlow::Continue(()),
    });
    found
}

/// Kind of the last token of `node`, however deep.
pub(crate) fn last_token_kind(node: &SyntaxNode) -> Option<SyntaxKind> {
    find_leaf(node, true, |leaf| Some(leaf.kind))
}

/// Byte range of a node, as `usize`.
pub(crate) fn range(node: &SyntaxNode) -> std::ops::Range<usize> {
    let r = node.text_range();
    usize::from(r.start())..usize::from(r.end())
}

/// Byte range of a token, as `usize`.
pub(crate) fn token_range(token: &SyntaxToken) -> std::ops::Range<usize> {
    let r = token.text_range();
    usize::from(r.start())..usize::from(r.end())
}

/// A statement's span: first to last significant token, its own `;` excluded. Walks inward
/// from both ends rather than over every token: this runs for every statement of every entry.
///
/// A childless node met before a significant token (error recovery, e.g. `ADD PRIMARY KEY
/// ((id)`) gives the node's full range, trailing trivia included, as walking red tokens did:
/// a syntax error just after such a statement stays attributed to it.
pub(crate) fn statement_range(node: &SyntaxNode) -> std::ops::Range<usize> {
    let edge = |backwards| {
        let mut found = None;
        let _ = walk_leaves(node, backwards, |leaf| {
            if leaf.hole {
                return ControlFlow::Break(());
            }
            let skip = is_trivia(leaf.kind) || (leaf.kind == SyntaxKind::SEMICOLON && leaf.top);
            if skip {
                return ControlFlow::Continue(());
            }
            found = Some(leaf.range());
            ControlFlow::Break(())
        });
        found
    };
    match (edge(false), edge(true)) {
        (Some(first), Some(last)) if first.start < last.end => first.start..last.end,
        _ => range(node),
    }
}

pub(crate) fn is_trivia(kind: SyntaxKind) -> bool {
    matches!(kind, SyntaxKind::WHITESPACE | SyntaxKind::COMMENT)
}

/// Direct child node of `kind`.
pub(crate) fn child(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxNode> {
    node.children().find(|c| c.kind() == kind)
}

/// Direct child nodes of any of `kinds`.
pub(crate) fn children<'a>(
    node: &SyntaxNode,
    kinds: &'a [SyntaxKind],
) -> impl Iterator<Item = SyntaxNode> + 'a {
    node.children().filter(move |c| kinds.contains(&c.kind()))
}

/// Direct child token of `kind`.
pub(crate) fn token(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == kind)
}

/// Whether `node` has a direct child (node or token) of `kind`.
pub(crate) fn has(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.green().children().any(|e| kind_of(e.kind()) == kind)
}

/// Whether any descendant (node or token) of `node` is of `kind`.
pub(crate) fn has_descendant(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    fn any(green: &GreenNodeData, kind: SyntaxKind) -> bool {
        green
            .children()
            .any(|e| kind_of(e.kind()) == kind || e.into_node().is_some_and(|n| any(n, kind)))
    }
    any(&node.green(), kind)
}

/// First direct child node of any kind in `kinds`.
pub(crate) fn first_child(node: &SyntaxNode, kinds: &[SyntaxKind]) -> Option<SyntaxNode> {
    node.children().find(|c| kinds.contains(&c.kind()))
}

/// The non-trivia tokens of a node, in order.
pub(crate) fn significant_tokens(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !is_trivia(t.kind()))
}

/// An identifier as PostgreSQL folds it: quoted names keep their case, others are lowercased.
pub(crate) fn fold_ident(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => text.to_lowercase(),
    }
}

/// The name segments of a (possibly qualified) name node, folded: `S."T"` → `["s", "T"]`.
pub(crate) fn name_parts(node: &SyntaxNode) -> Vec<String> {
    let mut parts = Vec::new();
    let _ = walk_tokens(node, false, |leaf| {
        if !is_trivia(leaf.kind) && leaf.kind != SyntaxKind::DOT {
            parts.push(fold_ident(leaf.text));
        }
        ControlFlow::Continue(())
    });
    parts
}

/// The unqualified, folded name of a name node (`public.users` → `users`).
pub(crate) fn last_name(node: &SyntaxNode) -> String {
    find_leaf(node, true, |leaf| {
        (!is_trivia(leaf.kind) && leaf.kind != SyntaxKind::DOT).then(|| fold_ident(leaf.text))
    })
    .unwrap_or_default()
}

/// The source text of a node without trivia, as the user wrote it (`public."Users"`).
pub(crate) fn source_name(node: &SyntaxNode) -> String {
    let mut name = String::new();
    let _ = walk_tokens(node, false, |leaf| {
        if !is_trivia(leaf.kind) {
            name.push_str(leaf.text);
        }
        ControlFlow::Continue(())
    });
    name
}

/// A string literal for generated SQL.
pub(crate) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The schema of a qualified name node as a literal, or `current_schema()`.
pub(crate) fn schema_expr(node: &SyntaxNode) -> String {
    let parts = name_parts(node);
    if parts.len() >= 2 {
        quote_literal(&parts[parts.len() - 2])
    } else {
        "current_schema()".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_identifiers_like_postgres() {
        assert_eq!(fold_ident("Users"), "users");
        assert_eq!(fold_ident("\"Users\""), "Users");
        assert_eq!(fold_ident("\"a\"\"b\""), "a\"b");
    }

    #[test]
    fn quotes_literals() {
        assert_eq!(quote_literal("o'neil"), "'o''neil'");
    }
}
