//! Statements with no guard syntax at all (catalogue rows tagged [W]) outside `ALTER TABLE`:
//! `CREATE TYPE / DOMAIN / ROLE / POLICY / CAST / …`, renames, `ALTER TYPE … RENAME VALUE`, and
//! `ALTER INDEX / VIEW / SEQUENCE … RENAME` without their `IF EXISTS`. Inside a `DO` block that
//! checks the catalog or catches the right condition they are fine; `check_sql` applies that.

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::alter_table::constraint_guard;
use super::{
    Condition, Cx, DUPLICATE_COLUMN, DUPLICATE_FUNCTION, DUPLICATE_OBJECT, DUPLICATE_TABLE,
    INVALID_PARAMETER_VALUE, INVALID_SCHEMA_NAME, UNDEFINED_FUNCTION, UNDEFINED_OBJECT,
    UNDEFINED_TABLE, UNIQUE_VIOLATION, fails,
};
use crate::check::Rule;
use crate::check::fix::{self, Insert};
use crate::check::tree::{self, quote_literal, schema_expr};

fn first_name(node: &SyntaxNode) -> Option<SyntaxNode> {
    node.children()
        .find(|c| !matches!(c.kind(), K::OR_REPLACE | K::TEMP | K::IF_EXISTS))
}

fn report(
    cx: &mut Cx,
    node: &SyntaxNode,
    what: &str,
    condition: Condition,
    server: String,
    help: String,
) {
    cx.report(
        Rule::UnguardedStatement,
        tree::statement_range(node),
        fails(
            &format!(
                "{what} has no IF NOT EXISTS / IF EXISTS and is not inside a guarding DO block"
            ),
            condition,
            &server,
        ),
        Some(help),
        Some(condition),
    );
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    let kind = node.kind();
    let statement = || fix::render(node, &[]);
    let name_node = first_name(node);
    let name = name_node.as_ref().map(tree::last_name).unwrap_or_default();
    let source = name_node
        .as_ref()
        .map(tree::source_name)
        .unwrap_or_default();
    match kind {
        K::CREATE_TYPE | K::CREATE_DOMAIN => {
            let Some(n) = &name_node else { return };
            let check = format!(
                "NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = {} AND typnamespace = {}::regnamespace)",
                quote_literal(&name),
                schema_expr(n)
            );
            let what = if kind == K::CREATE_TYPE {
                "CREATE TYPE"
            } else {
                "CREATE DOMAIN"
            };
            let server = format!("type \"{name}\" already exists");
            report(
                cx,
                node,
                what,
                DUPLICATE_OBJECT,
                server,
                fix::do_if(&check, &statement()),
            );
        }
        K::CREATE_ROLE | K::CREATE_USER | K::CREATE_GROUP => {
            let check = format!(
                "NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {})",
                quote_literal(&name)
            );
            let server = format!("role \"{name}\" already exists");
            report(
                cx,
                node,
                "CREATE ROLE",
                DUPLICATE_OBJECT,
                server,
                fix::do_if(&check, &statement()),
            );
        }
        K::CREATE_POLICY => {
            let table_node = tree::child(node, K::ON_TABLE).and_then(|on| on.children().last());
            let table = table_node.as_ref().map(tree::last_name);
            if cx
                .dropped_before(K::DROP_POLICY, &name, table.as_deref())
                .is_some()
            {
                return;
            }
            let on = table_node
                .as_ref()
                .map(tree::source_name)
                .unwrap_or_default();
            let server = format!(
                "policy \"{name}\" for table \"{}\" already exists",
                table.unwrap_or_default()
            );
            let help = format!("DROP POLICY IF EXISTS {source} ON {on};\n{}", statement());
            report(cx, node, "CREATE POLICY", DUPLICATE_OBJECT, server, help);
        }
        K::CREATE_EVENT_TRIGGER
        | K::CREATE_PUBLICATION
        | K::CREATE_FOREIGN_DATA_WRAPPER
        | K::CREATE_ACCESS_METHOD
        | K::CREATE_CAST
        | K::CREATE_CONVERSION
        | K::CREATE_OPERATOR
        | K::CREATE_OPERATOR_CLASS
        | K::CREATE_OPERATOR_FAMILY
        | K::CREATE_TEXT_SEARCH_CONFIGURATION
        | K::CREATE_TEXT_SEARCH_DICTIONARY
        | K::CREATE_TEXT_SEARCH_PARSER
        | K::CREATE_TEXT_SEARCH_TEMPLATE
        | K::IMPORT_FOREIGN_SCHEMA => {
            let condition = match kind {
                K::CREATE_OPERATOR => DUPLICATE_FUNCTION,
                K::CREATE_TEXT_SEARCH_CONFIGURATION | K::CREATE_TEXT_SEARCH_DICTIONARY => {
                    UNIQUE_VIOLATION
                }
                K::IMPORT_FOREIGN_SCHEMA => DUPLICATE_TABLE,
                _ => DUPLICATE_OBJECT,
            };
            let what = keywords(node);
            let server = if kind == K::IMPORT_FOREIGN_SCHEMA {
                "relation … already exists, for the first table already imported".to_owned()
            } else {
                format!(
                    "{} \"{name}\" already exists",
                    what.trim_start_matches("CREATE ").to_lowercase()
                )
            };
            report(
                cx,
                node,
                &what,
                condition,
                server,
                fix::do_catch(condition.name, &statement()),
            );
        }
        K::SELECT_INTO => {
            cx.report(
                Rule::UnguardedStatement,
                tree::statement_range(node),
                fails(
                    "SELECT … INTO creates a table and has no IF NOT EXISTS",
                    DUPLICATE_TABLE,
                    "relation already exists",
                ),
                Some("CREATE TABLE IF NOT EXISTS <table> AS SELECT …".to_owned()),
                Some(DUPLICATE_TABLE),
            );
        }
        K::ALTER_TYPE => alter_type(node, cx),
        K::ALTER_DOMAIN => alter_domain(node, cx),
        K::ALTER_SCHEMA if tree::has(node, K::SCHEMA_RENAME_TO) => {
            let check = format!(
                "EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {})",
                quote_literal(&name)
            );
            let server = format!("schema \"{name}\" does not exist");
            report(
                cx,
                node,
                "ALTER SCHEMA … RENAME",
                INVALID_SCHEMA_NAME,
                server,
                fix::do_if(&check, &statement()),
            );
        }
        K::ALTER_ROLE | K::ALTER_USER | K::ALTER_GROUP if tree::has(node, K::ROLE_RENAME_TO) => {
            let check = format!(
                "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {})",
                quote_literal(&name)
            );
            let server = format!("role \"{name}\" does not exist");
            report(
                cx,
                node,
                "ALTER ROLE … RENAME",
                UNDEFINED_OBJECT,
                server,
                fix::do_if(&check, &statement()),
            );
        }
        K::ALTER_TRIGGER if tree::has(node, K::TRIGGER_RENAME_TO) => {
            let table = tree::child(node, K::ON_RELATION)
                .and_then(|on| on.children().last())
                .map(|t| tree::source_name(&t))
                .unwrap_or_default();
            let check = format!(
                "EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass({}) AND tgname = {})",
                quote_literal(&table),
                quote_literal(&name)
            );
            let server = format!("trigger \"{name}\" for table \"{table}\" does not exist");
            report(
                cx,
                node,
                "ALTER TRIGGER … RENAME",
                UNDEFINED_OBJECT,
                server,
                fix::do_if(&check, &statement()),
            );
        }
        K::ALTER_FUNCTION | K::ALTER_PROCEDURE | K::ALTER_ROUTINE | K::ALTER_AGGREGATE
            if tree::has(node, K::FUNCTION_RENAME_TO) || tree::has(node, K::SET_SCHEMA) =>
        {
            let signature = name_node
                .as_ref()
                .map(|n| {
                    tree::significant_tokens(n)
                        .map(|t| t.text().to_owned())
                        .collect::<Vec<_>>()
                        .join("")
                })
                .unwrap_or_default();
            let check = format!("to_regprocedure({}) IS NOT NULL", quote_literal(&signature));
            let server = format!("function {signature} does not exist");
            report(
                cx,
                node,
                &format!("{} … RENAME / SET SCHEMA", keywords(node)),
                UNDEFINED_FUNCTION,
                server,
                fix::do_if(&check, &statement()),
            );
        }
        K::ALTER_INDEX | K::ALTER_VIEW | K::ALTER_SEQUENCE | K::ALTER_MATERIALIZED_VIEW => {
            relation_rename(node, &name, cx)
        }
        _ => {}
    }
}

/// The leading keywords of a statement, e.g. `CREATE TEXT SEARCH CONFIGURATION`.
fn keywords(node: &SyntaxNode) -> String {
    tree::significant_tokens(node)
        .take_while(|t| t.kind().is_keyword() && t.parent().as_ref() == Some(node))
        .map(|t| t.text().to_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `ALTER INDEX / VIEW / SEQUENCE / MATERIALIZED VIEW … RENAME TO / SET SCHEMA` have a
/// table-level `IF EXISTS` that does guard them.
fn relation_rename(node: &SyntaxNode, name: &str, cx: &mut Cx) {
    let renames = node.children().any(|c| {
        matches!(
            c.kind(),
            K::INDEX_RENAME_TO | K::VIEW_RENAME_TO | K::SEQUENCE_RENAME_TO | K::SET_SCHEMA
        )
    }) || (node.kind() == K::ALTER_MATERIALIZED_VIEW
        && tree::has_descendant(node, K::RENAME_KW)
        && !tree::has(node, K::RENAME_COLUMN));
    if !renames || tree::has(node, K::IF_EXISTS) {
        return;
    }
    let keyword = match node.kind() {
        K::ALTER_INDEX => K::INDEX_KW,
        K::ALTER_SEQUENCE => K::SEQUENCE_KW,
        _ => K::VIEW_KW,
    };
    let Some(kw) = tree::token(node, keyword) else {
        return;
    };
    let end = tree::token_range(&kw).end;
    let Some(next) = tree::significant_tokens(node).find(|t| tree::token_range(t).start >= end)
    else {
        return;
    };
    let help = fix::render(
        node,
        &[Insert::new(tree::token_range(&next).start, "IF EXISTS ")],
    );
    cx.report(
        Rule::MissingIfExists,
        tree::statement_range(node),
        fails(
            &format!("{} without IF EXISTS", keywords(node)),
            UNDEFINED_TABLE,
            &format!("relation \"{name}\" does not exist"),
        ),
        Some(help),
        Some(UNDEFINED_TABLE),
    );
}

fn alter_type(node: &SyntaxNode, cx: &mut Cx) {
    let Some(type_node) = tree::child(node, K::TYPE_NAME_REF) else {
        return;
    };
    let type_source = tree::source_name(&type_node);
    let type_name = tree::last_name(&type_node);
    let statement = fix::render(node, &[]);
    if let Some(rename) = tree::child(node, K::RENAME_VALUE) {
        let old = tree::significant_tokens(&rename)
            .find(|t| t.kind() == K::STRING)
            .map(|t| t.text().trim_matches('\'').replace("''", "'"))
            .unwrap_or_default();
        let check = format!(
            "EXISTS (SELECT 1 FROM pg_enum WHERE enumtypid = to_regtype({}) AND enumlabel = {})",
            quote_literal(&type_source),
            quote_literal(&old)
        );
        let server = format!("\"{old}\" is not an existing enum label");
        report(
            cx,
            node,
            "ALTER TYPE … RENAME VALUE",
            INVALID_PARAMETER_VALUE,
            server,
            fix::do_if(&check, &statement),
        );
    } else if tree::has(node, K::TYPE_RENAME_TO) || tree::has(node, K::SET_SCHEMA) {
        let check = format!("to_regtype({}) IS NOT NULL", quote_literal(&type_source));
        let server = format!("type \"{type_name}\" does not exist");
        report(
            cx,
            node,
            "ALTER TYPE … RENAME / SET SCHEMA",
            UNDEFINED_OBJECT,
            server,
            fix::do_if(&check, &statement),
        );
    } else if tree::has_descendant(node, K::ADD_ATTRIBUTE) {
        let server = format!("column … of relation \"{type_name}\" already exists");
        report(
            cx,
            node,
            "ALTER TYPE … ADD ATTRIBUTE",
            DUPLICATE_COLUMN,
            server,
            fix::do_catch(DUPLICATE_COLUMN.name, &statement),
        );
    }
}

fn alter_domain(node: &SyntaxNode, cx: &mut Cx) {
    let Some(action) = tree::child(node, K::ADD_CONSTRAINT) else {
        return;
    };
    let domain = node
        .children()
        .find(|c| c.kind() != K::ADD_CONSTRAINT)
        .map(|d| tree::source_name(&d))
        .unwrap_or_default();
    let named = action
        .descendants()
        .find(|n| n.kind() == K::CONSTRAINT_NAME)
        .map(|n| tree::last_name(&n));
    let Some(name) = named else {
        let message = "ALTER DOMAIN … ADD CONSTRAINT without a name: a second run silently adds a duplicate constraint".to_owned();
        cx.report(
            Rule::UnnamedConstraint,
            tree::range(&action),
            message,
            Some(format!(
                "name it: ALTER DOMAIN {domain} ADD CONSTRAINT {}_check …, inside a DO block that checks pg_constraint (contypid, conname)",
                tree::fold_ident(&domain)
            )),
            None,
        );
        return;
    };
    let statement = fix::render(node, &[]);
    let check = format!(
        "NOT EXISTS (SELECT 1 FROM pg_constraint WHERE contypid = to_regtype({}) AND conname = {})",
        quote_literal(&domain),
        quote_literal(&name)
    );
    let server = format!(
        "constraint \"{name}\" for domain \"{}\" already exists",
        tree::fold_ident(&domain)
    );
    report(
        cx,
        node,
        "ALTER DOMAIN … ADD CONSTRAINT",
        DUPLICATE_OBJECT,
        server,
        fix::do_if(&check, &statement),
    );
    let _ = constraint_guard;
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{clean, fires, only};
    use crate::check::Rule;

    #[test]
    fn create_type_gets_a_catalog_guard() {
        let d = fires(
            "CREATE TYPE public.mood AS ENUM ('sad', 'ok');",
            Rule::UnguardedStatement,
            "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood' AND typnamespace = 'public'::regnamespace) THEN\n    CREATE TYPE public.mood AS ENUM ('sad', 'ok');\n  END IF;\nEND $$;",
        );
        assert!(d.message.contains("42710 (type \"mood\" already exists)"));
        only(
            "CREATE DOMAIN posint AS int CHECK (VALUE > 0);",
            Rule::UnguardedStatement,
        );
    }

    #[test]
    fn create_role_and_policy() {
        only("CREATE ROLE app_reader;", Rule::UnguardedStatement);
        fires(
            "CREATE POLICY p ON t USING (true);",
            Rule::UnguardedStatement,
            "DROP POLICY IF EXISTS p ON t;\nCREATE POLICY p ON t USING (true)",
        );
        clean("DROP POLICY IF EXISTS p ON t;\nCREATE POLICY p ON t USING (true);");
    }

    #[test]
    fn exception_guard_names_the_condition() {
        let d = only(
            "CREATE TEXT SEARCH CONFIGURATION c (COPY = english);",
            Rule::UnguardedStatement,
        );
        assert!(
            d.help
                .unwrap()
                .contains("EXCEPTION WHEN unique_violation THEN NULL;")
        );
    }

    #[test]
    fn renames_outside_alter_table() {
        only(
            "ALTER TYPE mood RENAME VALUE 'a' TO 'b';",
            Rule::UnguardedStatement,
        );
        only("ALTER SCHEMA s RENAME TO s2;", Rule::UnguardedStatement);
        only(
            "ALTER TRIGGER tr ON t RENAME TO tr2;",
            Rule::UnguardedStatement,
        );
        fires(
            "ALTER INDEX i RENAME TO j;",
            Rule::MissingIfExists,
            "ALTER INDEX IF EXISTS i RENAME TO j",
        );
        clean("ALTER INDEX IF EXISTS i RENAME TO j;");
        clean("ALTER TYPE mood OWNER TO app;");
    }
}
