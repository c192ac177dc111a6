//! Small queries over squawk's untyped syntax tree.
//!
//! The rules match on node kinds rather than on squawk's typed AST: the statement catalogue is
//! organised by statement kind and guard keyword, which maps directly onto node and token kinds,
//! and the untyped view keeps the rules short and robust against squawk's accessor churn.

use squawk_syntax::{SyntaxKind, SyntaxNode, SyntaxToken};

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
pub(crate) fn statement_range(node: &SyntaxNode) -> std::ops::Range<usize> {
    let full = range(node);
    let skip = |t: &SyntaxToken| {
        is_trivia(t.kind())
            || (t.kind() == SyntaxKind::SEMICOLON && t.parent().as_ref() == Some(node))
    };
    let mut first = node.first_token();
    while let Some(t) = first
        .clone()
        .filter(|t| skip(t) && token_range(t).end <= full.end)
    {
        first = t.next_token();
    }
    let mut last = node.last_token();
    while let Some(t) = last
        .clone()
        .filter(|t| skip(t) && token_range(t).start >= full.start)
    {
        last = t.prev_token();
    }
    match (first, last) {
        (Some(first), Some(last)) if token_range(&first).start < token_range(&last).end => {
            token_range(&first).start..token_range(&last).end
        }
        _ => full,
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
    node.children_with_tokens().any(|e| e.kind() == kind)
}

/// Whether any descendant (node or token) of `node` is of `kind`.
pub(crate) fn has_descendant(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.descendants_with_tokens().any(|e| e.kind() == kind)
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
    significant_tokens(node)
        .filter(|t| t.kind() != SyntaxKind::DOT)
        .map(|t| fold_ident(t.text()))
        .collect()
}

/// The unqualified, folded name of a name node (`public.users` → `users`).
pub(crate) fn last_name(node: &SyntaxNode) -> String {
    name_parts(node).pop().unwrap_or_default()
}

/// The source text of a node without trivia, as the user wrote it (`public."Users"`).
pub(crate) fn source_name(node: &SyntaxNode) -> String {
    significant_tokens(node)
        .map(|t| t.text().to_owned())
        .collect()
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
