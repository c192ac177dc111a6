//! Statements with no guard syntax at all (catalogue rows tagged [W]) outside `ALTER TABLE`:
//! `CREATE TYPE / DOMAIN / ROLE / POLICY / CAST / …`, renames, `ALTER TYPE … RENAME VALUE`, and
//! `ALTER INDEX / VIEW / SEQUENCE … RENAME` without their `IF EXISTS`, publication and extension
//! membership changes, and foreign `OPTIONS (ADD …)`. Inside a `DO` block that checks the
//! catalog or catches the right condition they are fine; `check_sql` applies that.

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::alter_table::constraint_guard;
use super::{
    Condition, Cx, DUPLICATE_COLUMN, DUPLICATE_FUNCTION, DUPLICATE_OBJECT, DUPLICATE_TABLE,
    INVALID_PARAMETER_VALUE, INVALID_SCHEMA_NAME, NOT_IN_PREREQUISITE_STATE, UNDEFINED_FUNCTION,
    UNDEFINED_OBJECT, UNDEFINED_TABLE, UNIQUE_VIOLATION, fails,
};
use crate::check::Rule;
use crate::check::fix;
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
        K::ALTER_PUBLICATION => alter_publication(node, cx),
        K::ALTER_EXTENSION => alter_extension(node, cx),
        K::ALTER_SERVER | K::ALTER_FOREIGN_DATA_WRAPPER | K::ALTER_USER_MAPPING => {
            foreign_options(node, cx)
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
    let help = fix::with_insert(node, tree::token_range(&next).start, "IF EXISTS ");
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

/// `ALTER PUBLICATION … ADD / DROP TABLE | TABLES IN SCHEMA` (catalogue row 109); `SET` replaces
/// the whole list and re-runs cleanly.
fn alter_publication(node: &SyntaxNode, cx: &mut Cx) {
    let Some(action) = tree::first_child(
        node,
        &[K::ADD_PUBLICATION_OBJECTS, K::DROP_PUBLICATION_OBJECTS],
    ) else {
        return;
    };
    let adds = action.kind() == K::ADD_PUBLICATION_OBJECTS;
    let publication = tree::child(node, K::PUBLICATION_REF)
        .map(|p| tree::last_name(&p))
        .unwrap_or_default();
    let objects: Vec<SyntaxNode> = action.children().collect();
    let first = objects
        .first()
        .and_then(|o| o.children().last())
        .map(|n| tree::last_name(&n))
        .unwrap_or_default();
    let schema_object = objects
        .first()
        .is_some_and(|o| o.kind() != K::PUBLICATION_OBJECT_TABLE);
    let noun = if schema_object { "schema" } else { "relation" };
    let (what, condition, server) = if adds {
        (
            "ALTER PUBLICATION … ADD",
            DUPLICATE_OBJECT,
            format!("{noun} \"{first}\" is already member of publication \"{publication}\""),
        )
    } else {
        (
            "ALTER PUBLICATION … DROP",
            UNDEFINED_OBJECT,
            format!("{noun} \"{first}\" is not part of the publication"),
        )
    };
    let statement = fix::render(node, &[]);
    // One table: check pg_publication_tables as the catalogue advises; several tables or a
    // schema: the statement is all-or-nothing, so catching the condition is exact.
    let table = match objects.as_slice() {
        [only] if only.kind() == K::PUBLICATION_OBJECT_TABLE => {
            tree::child(only, K::TABLE_NAME_REF)
        }
        _ => None,
    };
    let help = match table {
        Some(table) => {
            let check = format!(
                "{}EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = {} AND schemaname = {} AND tablename = {})",
                if adds { "NOT " } else { "" },
                quote_literal(&publication),
                schema_expr(&table),
                quote_literal(&tree::last_name(&table))
            );
            fix::do_if(&check, &statement)
        }
        None => fix::do_catch(condition.name, &statement),
    };
    report(cx, node, what, condition, server, help);
}

/// `ALTER EXTENSION … ADD / DROP <member>` (catalogue row 100); `UPDATE` re-runs cleanly.
fn alter_extension(node: &SyntaxNode, cx: &mut Cx) {
    let Some(action) = tree::first_child(node, &[K::ALTER_EXTENSION_ADD, K::ALTER_EXTENSION_DROP])
    else {
        return;
    };
    let extension = tree::child(node, K::EXTENSION_REF)
        .map(|e| tree::last_name(&e))
        .unwrap_or_default();
    let member = action
        .children()
        .next()
        .map(|m| fix::render(&m, &[]))
        .unwrap_or_default();
    let (what, relation) = if action.kind() == K::ALTER_EXTENSION_ADD {
        ("ALTER EXTENSION … ADD", "already")
    } else {
        ("ALTER EXTENSION … DROP", "not")
    };
    let server = format!("{member} is {relation} a member of extension \"{extension}\"");
    let help = fix::do_catch(NOT_IN_PREREQUISITE_STATE.name, &fix::render(node, &[]));
    report(cx, node, what, NOT_IN_PREREQUISITE_STATE, server, help);
}

/// `ALTER SERVER / FOREIGN DATA WRAPPER / USER MAPPING … OPTIONS (ADD …)` (catalogue row 107;
/// `ADD` is also the action of an option written without one). `SET` re-runs cleanly but fails
/// on an option that does not exist yet, so it is the fix only for options set at creation.
fn foreign_options(node: &SyntaxNode, cx: &mut Cx) {
    let Some(option) = node
        .descendants()
        .find(|n| n.kind() == K::ADD_FOREIGN_OPTION)
    else {
        return;
    };
    let name = tree::child(&option, K::FOREIGN_OPTION_NAME)
        .map(|n| tree::source_name(&n))
        .unwrap_or_default();
    let what = match node.kind() {
        K::ALTER_SERVER => "ALTER SERVER",
        K::ALTER_FOREIGN_DATA_WRAPPER => "ALTER FOREIGN DATA WRAPPER",
        _ => "ALTER USER MAPPING",
    };
    let server = format!(
        "option \"{}\" provided more than once",
        tree::fold_ident(&name)
    );
    let help = format!(
        "use OPTIONS (SET {name} …) if the option already exists; to add it, guard it:\n{}",
        fix::do_catch(DUPLICATE_OBJECT.name, &fix::render(node, &[]))
    );
    report(
        cx,
        node,
        &format!("{what} … OPTIONS (ADD {name} …)"),
        DUPLICATE_OBJECT,
        server,
        help,
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

    #[test]
    fn publication_membership() {
        let d = fires(
            "ALTER PUBLICATION feed ADD TABLE app.orders;",
            Rule::UnguardedStatement,
            "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = 'feed' AND schemaname = 'app' AND tablename = 'orders') THEN\n    ALTER PUBLICATION feed ADD TABLE app.orders;\n  END IF;\nEND $$;",
        );
        assert_eq!(
            d.message,
            "ALTER PUBLICATION … ADD has no IF NOT EXISTS / IF EXISTS and is not inside a guarding \
             DO block: a second run fails with 42710 (relation \"orders\" is already member of \
             publication \"feed\")"
        );
        let d = fires(
            "ALTER PUBLICATION feed DROP TABLE orders, items;",
            Rule::UnguardedStatement,
            "DO $$\nBEGIN\n  ALTER PUBLICATION feed DROP TABLE orders, items;\nEXCEPTION WHEN undefined_object THEN NULL;\nEND $$;",
        );
        assert!(
            d.message
                .ends_with("42704 (relation \"orders\" is not part of the publication)")
        );
        clean("ALTER PUBLICATION feed SET TABLE orders, items;");
        clean(
            "DO $$ BEGIN ALTER PUBLICATION feed ADD TABLE orders; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
        );
    }

    #[test]
    fn extension_membership() {
        let d = fires(
            "ALTER EXTENSION pg_trgm ADD FUNCTION g(int);",
            Rule::UnguardedStatement,
            "DO $$\nBEGIN\n  ALTER EXTENSION pg_trgm ADD FUNCTION g(int);\nEXCEPTION WHEN object_not_in_prerequisite_state THEN NULL;\nEND $$;",
        );
        assert!(
            d.message
                .ends_with("55000 (FUNCTION g(int) is already a member of extension \"pg_trgm\")")
        );
        let d = only(
            "ALTER EXTENSION pg_trgm DROP TABLE t;",
            Rule::UnguardedStatement,
        );
        assert!(
            d.message
                .ends_with("55000 (TABLE t is not a member of extension \"pg_trgm\")")
        );
        clean("ALTER EXTENSION pg_trgm UPDATE;");
    }

    #[test]
    fn foreign_options_add() {
        let d = fires(
            "ALTER SERVER remote OPTIONS (ADD host 'db', SET port '5433');",
            Rule::UnguardedStatement,
            "use OPTIONS (SET host …) if the option already exists; to add it, guard it:\nDO $$\nBEGIN\n  ALTER SERVER remote OPTIONS (ADD host 'db', SET port '5433');\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND $$;",
        );
        assert!(
            d.message
                .starts_with("ALTER SERVER … OPTIONS (ADD host …) has no")
        );
        assert!(
            d.message
                .ends_with("42710 (option \"host\" provided more than once)")
        );
        for sql in [
            "ALTER SERVER remote OPTIONS (host 'db');",
            "ALTER FOREIGN DATA WRAPPER w OPTIONS (ADD debug 'true');",
            "ALTER USER MAPPING FOR app SERVER remote OPTIONS (ADD user 'app');",
        ] {
            only(sql, Rule::UnguardedStatement);
        }
        clean("ALTER SERVER remote OPTIONS (SET host 'db', DROP port);");
        clean("ALTER USER MAPPING FOR app SERVER remote OPTIONS (SET password 'x');");
    }
}
