//! `CREATE VIEW / FUNCTION / PROCEDURE / RULE / TRIGGER / AGGREGATE / TRANSFORM / LANGUAGE`
//! without `OR REPLACE` (catalogue rows tagged [R]).

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::{Condition, Cx, DUPLICATE_FUNCTION, DUPLICATE_OBJECT, DUPLICATE_TABLE, fails};
use crate::check::Rule;
use crate::check::fix;
use crate::check::tree;

/// What is created, what a second run raises, and the `DROP` that makes it re-runnable.
fn replaceable(kind: K) -> Option<(&'static str, Condition, K)> {
    Some(match kind {
        K::CREATE_VIEW => ("view", DUPLICATE_TABLE, K::DROP_VIEW),
        K::CREATE_FUNCTION => ("function", DUPLICATE_FUNCTION, K::DROP_FUNCTION),
        K::CREATE_PROCEDURE => ("procedure", DUPLICATE_FUNCTION, K::DROP_PROCEDURE),
        K::CREATE_AGGREGATE => ("aggregate", DUPLICATE_FUNCTION, K::DROP_AGGREGATE),
        K::CREATE_TRIGGER => ("trigger", DUPLICATE_OBJECT, K::DROP_TRIGGER),
        K::CREATE_RULE => ("rule", DUPLICATE_OBJECT, K::DROP_RULE),
        K::CREATE_TRANSFORM => ("transform", DUPLICATE_OBJECT, K::DROP_TRANSFORM),
        K::CREATE_LANGUAGE => ("language", DUPLICATE_OBJECT, K::DROP_LANGUAGE),
        _ => return None,
    })
}

/// The object's name node (the first node after the keywords).
fn name_node(node: &SyntaxNode) -> Option<SyntaxNode> {
    node.children()
        .find(|c| c.kind() != K::OR_REPLACE && c.kind() != K::TEMP)
}

/// The table of a trigger or rule.
fn table_of(node: &SyntaxNode) -> Option<String> {
    let on = tree::first_child(node, &[K::ON_RELATION, K::RULE_ON])?;
    let table = tree::first_child(&on, &[K::RELATION_NAME_REF, K::PATH])?;
    Some(tree::last_name(&table))
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    let Some((object, condition, drop_kind)) = replaceable(node.kind()) else {
        return;
    };
    if tree::has(node, K::OR_REPLACE) {
        return;
    }
    let name_node = name_node(node);
    let name = name_node.as_ref().map(tree::last_name).unwrap_or_default();
    let table = table_of(node);
    if cx
        .dropped_before(drop_kind, &name, table.as_deref())
        .is_some()
    {
        return;
    }
    let Some(after_create) = tree::significant_tokens(node).nth(1) else {
        return;
    };
    let server = match node.kind() {
        K::CREATE_VIEW => format!("relation \"{name}\" already exists"),
        K::CREATE_TRIGGER | K::CREATE_RULE => format!(
            "{object} \"{name}\" for relation \"{}\" already exists",
            table.clone().unwrap_or_default()
        ),
        K::CREATE_FUNCTION | K::CREATE_PROCEDURE | K::CREATE_AGGREGATE => {
            format!("{object} \"{name}\" already exists with same argument types")
        }
        _ => format!("{object} \"{name}\" already exists"),
    };
    let what = format!("CREATE {} without OR REPLACE", object.to_uppercase());
    let constraint_trigger = node.kind() == K::CREATE_TRIGGER && tree::has(node, K::CONSTRAINT_KW);
    let help = if constraint_trigger {
        // CREATE OR REPLACE CONSTRAINT TRIGGER does not exist (0A000).
        let on = tree::first_child(node, &[K::ON_RELATION])
            .and_then(|on| on.children().last())
            .map(|t| tree::source_name(&t))
            .unwrap_or_default();
        let trigger = name_node
            .as_ref()
            .map(tree::source_name)
            .unwrap_or_default();
        format!(
            "DROP TRIGGER IF EXISTS {trigger} ON {on};\n{}",
            fix::render(node, &[])
        )
    } else {
        fix::with_insert(node, tree::token_range(&after_create).start, "OR REPLACE ")
    };
    cx.report(
        Rule::MissingOrReplace,
        tree::statement_range(node),
        fails(&what, condition, &server),
        Some(help),
        Some(condition),
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{clean, fires};
    use crate::check::Rule;

    #[test]
    fn creates_need_or_replace() {
        let cases = [
            (
                "CREATE VIEW v AS SELECT 1",
                "CREATE OR REPLACE VIEW v AS SELECT 1",
            ),
            (
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            ),
            (
                "CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
                "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
            ),
            (
                "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
                "CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            ),
            (
                "CREATE RULE r AS ON INSERT TO t DO NOTHING",
                "CREATE OR REPLACE RULE r AS ON INSERT TO t DO NOTHING",
            ),
        ];
        for (bad, good) in cases {
            fires(&format!("{bad};"), Rule::MissingOrReplace, good);
            clean(&format!("{good};"));
        }
    }

    #[test]
    fn trigger_message_names_table() {
        let d = fires(
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
            Rule::MissingOrReplace,
            "CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        );
        assert!(
            d.message
                .contains("42710 (trigger \"tr\" for relation \"t\" already exists)")
        );
    }

    #[test]
    fn drop_trigger_if_exists_before_is_accepted() {
        clean(
            "DROP TRIGGER IF EXISTS tr ON t;\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
        );
        // A drop on another table does not count.
        fires(
            "DROP TRIGGER IF EXISTS tr ON u;\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
            Rule::MissingOrReplace,
            "CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        );
    }

    #[test]
    fn constraint_trigger_gets_drop_first() {
        fires(
            "CREATE CONSTRAINT TRIGGER ct AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
            Rule::MissingOrReplace,
            "DROP TRIGGER IF EXISTS ct ON t;\nCREATE CONSTRAINT TRIGGER ct AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        );
    }
}
