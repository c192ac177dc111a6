//! The part of squawk's post-parse validation the checker keeps.
//!
//! squawk's `Parse::errors()` runs its whole `validation` pass over every node and re-parses
//! every SQL function body, which costs about twice the parse itself. What a migration needs
//! from it is the errors PostgreSQL would raise when the statement is sent, in the statements
//! migrations are made of; those are checked here, each only where it can apply:
//!
//! - a missing `;` between two statements (the split would otherwise run them one by one,
//!   where PostgreSQL rejects the text);
//! - a column without a type in `CREATE TABLE`;
//! - the body of a `LANGUAGE sql` function or procedure, parsed and given these same checks
//!   (PostgreSQL parses such bodies at creation, so a typo there fails the migration).
//!
//! The rest of squawk's validation is left out: expression, query and literal details (a
//! reserved keyword used as a name, a join without a condition, `IN ()`, a bad Unicode escape)
//! and routine signature details (`VARIADIC` not last, conflicting options). They are rare in
//! migrations, and PostgreSQL reports them with a clear message on the first run against any
//! database, before anything is committed.

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::parse::{self, SyntaxProblem};
use super::stack::Grammar;
use super::tree;

/// Adds the kept validation errors of the tree `root` to `errors`, which holds the parser's
/// own errors.
pub(crate) fn validate(root: &SyntaxNode, errors: &mut Vec<SyntaxProblem>) {
    let Some(file) = ast::SourceFile::cast(root.clone()) else {
        return;
    };
    let mut found = Vec::new();
    missing_semicolons(&file, &mut found);
    for statement in root.children() {
        match statement.kind() {
            SyntaxKind::CREATE_TABLE => missing_column_types(&statement, &mut found),
            SyntaxKind::CREATE_FUNCTION | SyntaxKind::CREATE_PROCEDURE => {
                let range = tree::range(&statement);
                // A statement the parser already rejected gets no second opinion.
                if !errors.iter().any(|e| range.contains(&e.offset)) {
                    sql_body(&statement, &mut found);
                }
            }
            _ => {}
        }
    }
    errors.extend(found);
}

/// squawk's `validate_source_file`: two statements with no `;` between them.
fn missing_semicolons(file: &ast::SourceFile, found: &mut Vec<SyntaxProblem>) {
    let mut statements = file.stmts().peekable();
    while let Some(statement) = statements.next() {
        let node = statement.syntax();
        if node.kind() == SyntaxKind::EMPTY_STMT {
            continue;
        }
        let Some(next) = statements.peek() else {
            continue;
        };
        let ends_with_semicolon = tree::last_token_kind(node) == Some(SyntaxKind::SEMICOLON);
        if ends_with_semicolon || next.syntax().kind() == SyntaxKind::EMPTY_STMT {
            continue;
        }
        found.push(SyntaxProblem::syntax(
            tree::range(node).end,
            "Missing semicolon between statements".to_owned(),
        ));
    }
}

/// squawk's `validate_create_table`: a column needs a type unless the table is a partition or
/// is typed (`OF type`).
fn missing_column_types(statement: &SyntaxNode, found: &mut Vec<SyntaxProblem>) {
    let Some(table) = ast::CreateTable::cast(statement.clone()) else {
        return;
    };
    let Some(args) = table.table_arg_list() else {
        return;
    };
    if table.partition_of().is_some() || table.of_type().is_some() {
        return;
    }
    for arg in args.args() {
        if let ast::TableArg::Column(column) = arg
            && column.ty().is_none()
            && let Some(name) = column.name()
        {
            found.push(SyntaxProblem::syntax(
                tree::range(name.syntax()).end,
                "Missing column type".to_owned(),
            ));
        }
    }
}

/// squawk's `sql_body_errors` for one routine: its `LANGUAGE sql` body parsed, with the same
/// kept checks as a migration, errors placed in the migration's text. Other languages' bodies
/// are not parsed here.
fn sql_body(statement: &SyntaxNode, found: &mut Vec<SyntaxProblem>) {
    let options = ast::CreateFunction::cast(statement.clone())
        .and_then(|f| f.option_list())
        .or_else(|| ast::CreateProcedure::cast(statement.clone()).and_then(|p| p.option_list()));
    let Some(options) = options else {
        return;
    };
    // The last LANGUAGE and AS options win, as in squawk's `Body::from_options`.
    let mut is_sql = false;
    let mut body = None;
    for option in options.options() {
        match option {
            ast::FuncOption::LanguageFuncOption(option) => {
                is_sql = option.language_name().is_some_and(|l| l.name == "sql");
            }
            ast::FuncOption::AsFuncOption(option) => {
                if let Some(ast::AsFuncTarget::AsDefinition(definition)) = option.as_func_target() {
                    body = definition.literal();
                }
            }
            _ => {}
        }
    }
    let Some(decoded) = body.filter(|_| is_sql).and_then(|b| b.decoded_value()) else {
        return;
    };
    let (root, mut errors) = parse::build_tree(decoded.text(), Grammar::Sql);
    validate(&root, &mut errors);
    found.extend(errors.into_iter().map(|e| {
        let at = rowan::TextSize::try_from(e.offset).unwrap_or_default();
        let source = decoded.source_range(rowan::TextRange::empty(at));
        SyntaxProblem {
            offset: usize::from(source.start()),
            ..e
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;

    fn messages(sql: &str) -> Vec<(usize, String)> {
        parse(sql)
            .errors
            .into_iter()
            .map(|e| (e.offset, e.message))
            .collect()
    }

    /// Every kept check agrees with squawk's own `Parse::errors()`.
    fn same_as_squawk(sql: &str) {
        let squawk: Vec<(usize, String)> = squawk_syntax::SourceFile::parse(sql)
            .errors()
            .into_iter()
            .map(|e| (usize::from(e.range().start()), e.message().to_owned()))
            .collect();
        assert!(!squawk.is_empty(), "{sql}");
        assert_eq!(messages(sql), squawk, "{sql}");
    }

    #[test]
    fn missing_semicolon_between_statements() {
        let sql = "CREATE TABLE a (id int) CREATE TABLE b (id int);";
        same_as_squawk(sql);
        assert_eq!(
            messages(sql),
            [(23, "Missing semicolon between statements".to_owned())]
        );
    }

    #[test]
    fn column_without_a_type() {
        same_as_squawk("CREATE TABLE t (id int, name);");
        assert!(messages("CREATE TABLE p PARTITION OF t (id) FOR VALUES IN (1);").is_empty());
    }

    #[test]
    fn sql_bodies_are_parsed() {
        // PostgreSQL parses the body of a LANGUAGE sql routine at creation.
        for sql in [
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELEC 1 $$;",
            "SELECT 1;\nCREATE FUNCTION f() RETURNS int AS 'SELECT 1 +' LANGUAGE sql;",
            "CREATE PROCEDURE p() LANGUAGE sql AS $$ INSERT INTO $$;",
            "CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 SELECT 2 $$;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT ''a'' ||';",
        ] {
            same_as_squawk(sql);
        }
        assert!(
            messages("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;").is_empty()
        );
        assert!(
            messages("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ SELEC 1 $$;")
                .is_empty()
        );
    }

    #[test]
    fn signature_details_are_left_to_postgres() {
        let sql =
            "CREATE FUNCTION f(VARIADIC a int[], b int) RETURNS int LANGUAGE sql AS 'SELECT 1';";
        assert!(!squawk_syntax::SourceFile::parse(sql).errors().is_empty());
        assert!(messages(sql).is_empty());
    }

    #[test]
    fn lexer_errors_are_kept() {
        same_as_squawk("SELECT 'unterminated");
    }
}
