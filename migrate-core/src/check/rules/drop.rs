//! `DROP …` without `IF EXISTS` (catalogue rows 3, 11, 46, 53, 57, 66, 80, 82, 85, 90, 97, 101…).

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::{
    Condition, Cx, INVALID_SCHEMA_NAME, UNDEFINED_FUNCTION, UNDEFINED_OBJECT, UNDEFINED_TABLE,
    fails,
};
use crate::check::Rule;
use crate::check::fix;
use crate::check::tree;

/// Nodes of a `DROP` that are not the dropped objects.
const NOT_OBJECTS: &[K] = &[
    K::IF_EXISTS,
    K::CASCADE,
    K::RESTRICT,
    K::ON_RELATION,
    K::ON_TABLE,
    K::DROP_DATABASE_FORCE_CLAUSE,
];

/// The folded names of the objects a `DROP` removes.
pub(crate) fn object_names(node: &SyntaxNode) -> Vec<String> {
    let mut names = Vec::new();
    for child in node.children().filter(|c| !NOT_OBJECTS.contains(&c.kind())) {
        if format!("{:?}", child.kind()).ends_with("_LIST") {
            for item in child.children() {
                names.push(tree::last_name(&item.first_child().unwrap_or(item)));
            }
        } else {
            names.push(tree::last_name(&child));
        }
    }
    names
}

/// The object kind as PostgreSQL names it in "does not exist" errors, and the SQLSTATE.
fn missing(kind: K) -> (&'static str, Condition) {
    match kind {
        K::DROP_TABLE => ("table", UNDEFINED_TABLE),
        K::DROP_VIEW => ("view", UNDEFINED_TABLE),
        K::DROP_MATERIALIZED_VIEW => ("materialized view", UNDEFINED_TABLE),
        K::DROP_SEQUENCE => ("sequence", UNDEFINED_TABLE),
        K::DROP_FOREIGN_TABLE => ("foreign table", UNDEFINED_TABLE),
        K::DROP_SCHEMA => ("schema", INVALID_SCHEMA_NAME),
        K::DROP_FUNCTION => ("function", UNDEFINED_FUNCTION),
        K::DROP_PROCEDURE => ("procedure", UNDEFINED_FUNCTION),
        K::DROP_ROUTINE => ("routine", UNDEFINED_FUNCTION),
        K::DROP_AGGREGATE => ("aggregate", UNDEFINED_FUNCTION),
        K::DROP_INDEX => ("index", UNDEFINED_OBJECT),
        K::DROP_TYPE => ("type", UNDEFINED_OBJECT),
        K::DROP_DOMAIN => ("type", UNDEFINED_OBJECT),
        K::DROP_TRIGGER => ("trigger", UNDEFINED_OBJECT),
        K::DROP_RULE => ("rule", UNDEFINED_OBJECT),
        K::DROP_POLICY => ("policy", UNDEFINED_OBJECT),
        K::DROP_ROLE | K::DROP_USER | K::DROP_GROUP => ("role", UNDEFINED_OBJECT),
        K::DROP_EXTENSION => ("extension", UNDEFINED_OBJECT),
        K::DROP_SERVER => ("server", UNDEFINED_OBJECT),
        K::DROP_STATISTICS => ("statistics object", UNDEFINED_OBJECT),
        K::DROP_COLLATION => ("collation", UNDEFINED_OBJECT),
        K::DROP_PUBLICATION => ("publication", UNDEFINED_OBJECT),
        K::DROP_SUBSCRIPTION => ("subscription", UNDEFINED_OBJECT),
        K::DROP_EVENT_TRIGGER => ("event trigger", UNDEFINED_OBJECT),
        K::DROP_TABLESPACE => ("tablespace", UNDEFINED_OBJECT),
        K::DROP_LANGUAGE => ("language", UNDEFINED_OBJECT),
        K::DROP_FOREIGN_DATA_WRAPPER => ("foreign-data wrapper", UNDEFINED_OBJECT),
        K::DROP_USER_MAPPING => ("user mapping", UNDEFINED_OBJECT),
        K::DROP_CAST => ("cast", UNDEFINED_OBJECT),
        K::DROP_OPERATOR => ("operator", UNDEFINED_FUNCTION),
        _ => ("object", UNDEFINED_OBJECT),
    }
}

fn is_guardable_drop(kind: K) -> bool {
    // DROP DATABASE is reported as not guardable; DROP OWNED has no IF EXISTS.
    let name = format!("{kind:?}");
    name.starts_with("DROP_")
        && !matches!(
            kind,
            K::DROP_DATABASE | K::DROP_OWNED | K::DROP_KW | K::DROP_DATABASE_FORCE_CLAUSE
        )
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    if !is_guardable_drop(node.kind()) || tree::has(node, K::IF_EXISTS) {
        return;
    }
    // `IF EXISTS` goes after the leading keywords (`DROP MATERIALIZED VIEW`, `DROP INDEX
    // CONCURRENTLY`, `DROP USER MAPPING`), before the first name.
    let Some(at) = tree::significant_tokens(node).find(|t| {
        let direct = t.parent().as_ref() == Some(node);
        !(direct && t.kind().is_keyword()) || t.kind() == K::FOR_KW
    }) else {
        return;
    };
    let (object, condition) = missing(node.kind());
    let name = object_names(node).into_iter().next().unwrap_or_default();
    let shown = if matches!(condition, UNDEFINED_FUNCTION) {
        format!("{object} {name} does not exist")
    } else {
        format!("{object} \"{name}\" does not exist")
    };
    let statement = format!("DROP {}", object.to_uppercase());
    let message = fails(&format!("{statement} without IF EXISTS"), condition, &shown);
    let help = fix::with_insert(node, tree::token_range(&at).start, "IF EXISTS ");
    cx.report(
        Rule::MissingIfExists,
        tree::statement_range(node),
        message,
        Some(help),
        Some(condition),
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{clean, fires};
    use crate::check::Rule;

    #[test]
    fn drops_need_if_exists() {
        let cases = [
            ("DROP TABLE users", "DROP TABLE IF EXISTS users"),
            (
                "DROP TABLE a, b CASCADE",
                "DROP TABLE IF EXISTS a, b CASCADE",
            ),
            (
                "DROP MATERIALIZED VIEW m",
                "DROP MATERIALIZED VIEW IF EXISTS m",
            ),
            ("DROP VIEW v", "DROP VIEW IF EXISTS v"),
            ("DROP SEQUENCE s", "DROP SEQUENCE IF EXISTS s"),
            ("DROP INDEX i", "DROP INDEX IF EXISTS i"),
            ("DROP SCHEMA s", "DROP SCHEMA IF EXISTS s"),
            ("DROP TYPE mood", "DROP TYPE IF EXISTS mood"),
            ("DROP DOMAIN d", "DROP DOMAIN IF EXISTS d"),
            ("DROP FUNCTION f(int)", "DROP FUNCTION IF EXISTS f(int)"),
            ("DROP TRIGGER tr ON t", "DROP TRIGGER IF EXISTS tr ON t"),
            ("DROP POLICY p ON t", "DROP POLICY IF EXISTS p ON t"),
            ("DROP EXTENSION e", "DROP EXTENSION IF EXISTS e"),
            ("DROP ROLE r", "DROP ROLE IF EXISTS r"),
            (
                "DROP TEXT SEARCH CONFIGURATION c",
                "DROP TEXT SEARCH CONFIGURATION IF EXISTS c",
            ),
            (
                "DROP USER MAPPING FOR r SERVER s",
                "DROP USER MAPPING IF EXISTS FOR r SERVER s",
            ),
            (
                "DROP CAST (int AS text)",
                "DROP CAST IF EXISTS (int AS text)",
            ),
        ];
        for (bad, good) in cases {
            fires(&format!("{bad};"), Rule::MissingIfExists, good);
            clean(&format!("{good};"));
        }
    }

    #[test]
    fn message_names_the_sqlstate() {
        let d = fires(
            "DROP TABLE users;",
            Rule::MissingIfExists,
            "DROP TABLE IF EXISTS users",
        );
        assert_eq!(
            d.message,
            "DROP TABLE without IF EXISTS: a second run fails with 42P01 (table \"users\" does not exist)"
        );
    }
}
