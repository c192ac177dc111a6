//! Data statements (catalogue §5) and other statements that re-run without error but destroy,
//! duplicate or rewind data ([!] rows): `INSERT` without `ON CONFLICT`, relative `UPDATE` (also
//! as a `MERGE` action), `DELETE` without `WHERE`, `TRUNCATE`, `COPY FROM`, `setval`/`nextval`,
//! `ALTER SEQUENCE … RESTART`, `DROP OWNED`.

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::{Cx, UNIQUE_VIOLATION};
use crate::check::Rule;
use crate::check::fix::{self, Insert};
use crate::check::tree;

/// Functions whose value differs on every run.
const VOLATILE: &[&str] = &[
    "now",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "nextval",
    "setval",
];

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    match node.kind() {
        K::INSERT => insert(node, cx),
        K::UPDATE => update(node, cx),
        K::MERGE => merge(node, cx),
        K::DELETE if !tree::has(node, K::WHERE_CLAUSE) => destructive(
            node,
            cx,
            "DELETE without WHERE: a second run also deletes every row written since the first run",
            "restrict it with a WHERE clause that matches only the rows this migration means to remove",
        ),
        K::TRUNCATE => destructive(
            node,
            cx,
            "TRUNCATE: a second run also deletes every row written since the first run",
            "keep TRUNCATE out of schema migrations, or make it conditional in a DO block",
        ),
        K::COPY if tree::has(node, K::COPY_FROM) => destructive(
            node,
            cx,
            "COPY … FROM appends the rows again on every run (or fails with 23505 on a unique key)",
            "load into a staging table, then INSERT … SELECT … ON CONFLICT (<key>) DO NOTHING",
        ),
        K::DROP_OWNED => destructive(
            node,
            cx,
            "DROP OWNED drops every object the role owns in this database, again on every run",
            "drop the specific objects with DROP … IF EXISTS",
        ),
        K::ALTER_SEQUENCE if tree::has(node, K::OPTION_RESTART) => destructive(
            node,
            cx,
            "ALTER SEQUENCE … RESTART rewinds the sequence on every run: later inserts get duplicate keys",
            "SELECT setval('<sequence>', GREATEST(<n>, (SELECT last_value FROM <sequence>)))",
        ),
        K::SELECT => sequence_calls(node, cx),
        _ => {}
    }
}

fn destructive(node: &SyntaxNode, cx: &mut Cx, message: &str, help: &str) {
    cx.report(
        Rule::DestructiveRerun,
        tree::statement_range(node),
        message.to_owned(),
        Some(help.to_owned()),
        None,
    );
}

fn insert(node: &SyntaxNode, cx: &mut Cx) {
    if let Some(conflict) = tree::child(node, K::ON_CONFLICT_CLAUSE) {
        conflict_target(node, &conflict, cx);
        return;
    }
    if guarded_by_not_exists(node) {
        return;
    }
    let table = target_table(node);
    let key = key_column(node);
    let end = tree::child(node, K::RETURNING_CLAUSE)
        .map(|r| tree::range(&r).start)
        .unwrap_or_else(|| tree::statement_range(node).end);
    let text = if end == tree::statement_range(node).end {
        format!(" ON CONFLICT ({key}) DO NOTHING")
    } else {
        format!("ON CONFLICT ({key}) DO NOTHING ")
    };
    let help = fix::with_insert(node, end, &text);
    cx.report(
        Rule::InsertWithoutOnConflict,
        tree::statement_range(node),
        format!(
            "INSERT without ON CONFLICT: a second run fails with 23505 (duplicate key value violates \
             unique constraint) or, without a unique key on \"{table}\", inserts the rows again"
        ),
        Some(format!("{help}  -- ({key}) must be a unique key")),
        Some(UNIQUE_VIOLATION),
    );
}

fn target_table(node: &SyntaxNode) -> String {
    tree::child(node, K::RELATION_NAME_REF)
        .map(|t| tree::last_name(&t))
        .unwrap_or_default()
}

/// The first inserted column, the likeliest key to name in a conflict target.
fn key_column(node: &SyntaxNode) -> String {
    tree::child(node, K::COLUMN_TARGET_LIST)
        .and_then(|l| l.descendants().find(|n| n.kind() == K::COLUMN_NAME_REF))
        .map(|c| tree::source_name(&c))
        .unwrap_or_else(|| "<key>".to_owned())
}

/// `ON CONFLICT DO NOTHING` with no `(<key>)` or `ON CONSTRAINT`: it skips a row only when the
/// row violates some unique index, and on a table without one every run inserts the rows again
/// (catalogue §5). Whether such an index exists is not in the migration's text, hence a warning.
fn conflict_target(node: &SyntaxNode, conflict: &SyntaxNode, cx: &mut Cx) {
    if tree::has(conflict, K::CONFLICT_ON_INDEX) || tree::has(conflict, K::CONFLICT_ON_CONSTRAINT) {
        return;
    }
    let Some(action) = tree::child(conflict, K::CONFLICT_DO_NOTHING) else {
        return;
    };
    let Some(at) = tree::token(&action, K::DO_KW).map(|t| tree::token_range(&t).start) else {
        return;
    };
    let key = key_column(node);
    let help = fix::render(node, &[Insert::new(at, format!("({key}) "))]);
    cx.report(
        Rule::OnConflictWithoutTarget,
        tree::range(conflict),
        format!(
            "ON CONFLICT DO NOTHING without a conflict target only skips rows that violate a \
             unique index or constraint: unless \"{}\" has one covering these rows, a second run \
             inserts them again",
            target_table(node)
        ),
        Some(format!("{help}  -- ({key}) must be a unique key")),
        None,
    );
}

/// `INSERT … SELECT … WHERE NOT EXISTS (SELECT … FROM <target> …)`.
fn guarded_by_not_exists(node: &SyntaxNode) -> bool {
    let Some(target) = tree::child(node, K::RELATION_NAME_REF).map(|t| tree::last_name(&t)) else {
        return false;
    };
    node.descendants()
        .filter(|n| n.kind() == K::PREFIX_EXPR && tree::has(n, K::NOT_KW))
        .filter_map(|n| n.descendants().find(|e| e.kind() == K::EXISTS_FN))
        .any(|exists| {
            exists
                .descendants()
                .filter(|n| n.kind() == K::FROM_CLAUSE)
                .flat_map(|f| {
                    f.descendants()
                        .filter(|n| n.kind() == K::RELATION_NAME_REF)
                        .collect::<Vec<_>>()
                })
                .any(|r| tree::last_name(&r) == target)
        })
}

fn update(node: &SyntaxNode, cx: &mut Cx) {
    let Some(set) = tree::child(node, K::SET_CLAUSE) else {
        return;
    };
    let assigned = assigned_columns(&set);
    let Some(what) = relative_value(&set, &assigned, &target_names(node)) else {
        return;
    };
    if excludes_updated_rows(tree::child(node, K::WHERE_CLAUSE), &assigned) {
        return;
    }
    cx.report(
        Rule::DestructiveRerun,
        tree::statement_range(node),
        format!("UPDATE whose new value depends on {what}: a second run changes the data again"),
        Some(
            "assign absolute values, or exclude rows already migrated in WHERE \
             (e.g. WHERE c IS NULL or WHERE c IS DISTINCT FROM <new value>)"
                .to_owned(),
        ),
        None,
    );
}

/// `MERGE`: its `WHEN NOT MATCHED THEN INSERT` is upsert-shaped (a second run finds the rows
/// matched) and `DELETE` converges, so only its `UPDATE` actions can repeat a change, exactly
/// as a plain `UPDATE` does; the `WHEN … AND <condition>` plays the part of `WHERE`.
fn merge(node: &SyntaxNode, cx: &mut Cx) {
    let targets = target_names(node);
    for when in tree::children(
        node,
        &[K::MERGE_WHEN_MATCHED, K::MERGE_WHEN_NOT_MATCHED_SOURCE],
    ) {
        let Some(set) =
            tree::child(&when, K::MERGE_UPDATE).and_then(|u| tree::child(&u, K::SET_CLAUSE))
        else {
            continue;
        };
        let assigned = assigned_columns(&set);
        let Some(what) = relative_value(&set, &assigned, &targets) else {
            continue;
        };
        if excludes_updated_rows(tree::child(&when, K::MERGE_CONDITION), &assigned) {
            continue;
        }
        cx.report(
            Rule::DestructiveRerun,
            tree::range(&when),
            format!(
                "MERGE … THEN UPDATE whose new value depends on {what}: a second run changes \
                 the matched rows again"
            ),
            Some(
                "assign absolute values (e.g. SET c = <source>.c), or skip rows already migrated \
                 in the WHEN condition (e.g. WHEN MATCHED AND <target>.c IS DISTINCT FROM \
                 <new value> THEN UPDATE …)"
                    .to_owned(),
            ),
            None,
        );
    }
}

fn assigned_columns(set: &SyntaxNode) -> Vec<String> {
    set.descendants()
        .filter(|n| n.kind() == K::COLUMN_TARGET)
        .map(|n| tree::last_name(&n))
        .collect()
}

/// The names a column of the updated table can be qualified with: the table and its alias.
fn target_names(node: &SyntaxNode) -> Vec<String> {
    let table = tree::first_child(node, &[K::RELATION_NAME, K::TABLE_RELATION_NAME])
        .map(|t| tree::last_name(&t));
    let alias = tree::child(node, K::OPTIONAL_AS_ALIAS)
        .and_then(|a| tree::child(&a, K::TABLE_ALIAS))
        .and_then(|a| tree::significant_tokens(&a).next())
        .map(|t| tree::fold_ident(t.text()));
    table.into_iter().chain(alias).collect()
}

/// What makes a `SET` list's new values depend on the current ones: an assigned column of the
/// target read back (`n = n + 1`, `n = t.n || 'x'`) or a volatile function, if any. A column
/// qualified with another table (`n = s.n` from a `FROM` or `USING` source) is absolute.
fn relative_value(set: &SyntaxNode, assigned: &[String], targets: &[String]) -> Option<String> {
    for expr in set.descendants().filter(|n| n.kind() == K::SET_EXPR) {
        for n in expr.descendants() {
            match n.kind() {
                K::CALL_EXPR => {
                    if let Some(f) = tree::child(&n, K::NAME_REF).map(|f| tree::last_name(&f))
                        && VOLATILE.contains(&f.as_str())
                    {
                        return Some(format!("{f}()"));
                    }
                }
                K::NAME_REF if reads_target_column(&n, targets) => {
                    let name = tree::last_name(&n);
                    if assigned.contains(&name) {
                        return Some(name);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// Whether a name in an expression is a column of the target: unqualified (a function's name
/// is not), or qualified with the target's name or alias.
fn reads_target_column(name: &SyntaxNode, targets: &[String]) -> bool {
    let Some(parent) = name.parent() else {
        return true;
    };
    match parent.kind() {
        K::CALL_EXPR => false,
        K::FIELD_EXPR => {
            let is_field = parent.children().last().as_ref() == Some(name);
            // `public.t` in `public.t.n` is itself a qualifier, not a column.
            let is_qualifier = parent.parent().is_some_and(|outer| {
                outer.kind() == K::FIELD_EXPR && outer.first_child().as_ref() == Some(&parent)
            });
            let qualifier = parent.first_child().map(|q| match q.kind() {
                K::FIELD_EXPR => q.children().last().map(|n| tree::last_name(&n)),
                _ => Some(tree::last_name(&q)),
            });
            is_field && !is_qualifier && qualifier.flatten().is_some_and(|q| targets.contains(&q))
        }
        _ => true,
    }
}

/// A `WHERE` (or `MERGE … WHEN … AND`) condition testing an assigned column with `IS NULL`,
/// `IS DISTINCT FROM` or `<>` makes the second run find nothing left to change.
fn excludes_updated_rows(filter: Option<SyntaxNode>, assigned: &[String]) -> bool {
    let Some(filter) = filter else {
        return false;
    };
    filter.descendants().any(|n| {
        let tests_change = tree::has(&n, K::IS_KW)
            || tree::has(&n, K::NEQ)
            || tree::has(&n, K::NEQB)
            || tree::has(&n, K::IS_DISTINCT_FROM);
        tests_change
            && n.descendants()
                .filter(|r| r.kind() == K::NAME_REF)
                .any(|r| assigned.contains(&tree::last_name(&r)))
    })
}

/// `SELECT setval(…)` / `nextval(…)` at the top of a migration.
fn sequence_calls(node: &SyntaxNode, cx: &mut Cx) {
    for call in node.descendants().filter(|n| n.kind() == K::CALL_EXPR) {
        let Some(f) = tree::child(&call, K::NAME_REF).map(|f| tree::last_name(&f)) else {
            continue;
        };
        if f != "setval" && f != "nextval" {
            continue;
        }
        let computed = tree::has_descendant(&call, K::GREATEST_KW)
            || call.descendants().any(|n| {
                n.kind() == K::SELECT
                    || (n.kind() == K::NAME_REF
                        && matches!(tree::last_name(&n).as_str(), "greatest" | "max"))
            });
        if f == "setval" && computed {
            continue;
        }
        let message = if f == "setval" {
            "setval with a fixed value rewinds the sequence on every run: later inserts get duplicate keys"
        } else {
            "nextval consumes a sequence value on every run"
        };
        cx.report(
            Rule::DestructiveRerun,
            tree::range(&call),
            message.to_owned(),
            Some(
                "compute the value from the data: SELECT setval('<sequence>', GREATEST(<n>, (SELECT max(id) FROM <table>)))"
                    .to_owned(),
            ),
            None,
        );
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{clean, fires, only};
    use crate::check::{Rule, Severity};

    #[test]
    fn insert_needs_on_conflict() {
        fires(
            "INSERT INTO settings (key, value) VALUES ('x', '1');",
            Rule::InsertWithoutOnConflict,
            "INSERT INTO settings (key, value) VALUES ('x', '1') ON CONFLICT (key) DO NOTHING  -- (key) must be a unique key",
        );
        clean("INSERT INTO settings (key, value) VALUES ('x', '1') ON CONFLICT (key) DO NOTHING;");
        clean(
            "INSERT INTO settings (key, value) SELECT 'x', '1' WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'x');",
        );
    }

    #[test]
    fn on_conflict_needs_a_target() {
        let sql = "INSERT INTO tags (name) VALUES ('new') ON CONFLICT DO NOTHING;";
        let d = fires(
            sql,
            Rule::OnConflictWithoutTarget,
            "INSERT INTO tags (name) VALUES ('new') ON CONFLICT (name) DO NOTHING  -- (name) must be a unique key",
        );
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(&sql[d.range.clone()], "ON CONFLICT DO NOTHING");
        assert_eq!(
            d.message,
            "ON CONFLICT DO NOTHING without a conflict target only skips rows that violate a \
             unique index or constraint: unless \"tags\" has one covering these rows, a second \
             run inserts them again"
        );
        fires(
            "insert into tags values ('new') on conflict do nothing returning id;",
            Rule::OnConflictWithoutTarget,
            "insert into tags values ('new') on conflict (<key>) do nothing returning id  -- (<key>) must be a unique key",
        );
        clean("INSERT INTO tags (name) VALUES ('new') ON CONFLICT (name) DO NOTHING;");
        clean(
            "INSERT INTO tags (name) VALUES ('new') ON CONFLICT ON CONSTRAINT tags_name_key DO NOTHING;",
        );
        clean(
            "INSERT INTO tags (name) VALUES ('new') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name;",
        );
    }

    #[test]
    fn relative_updates_are_destructive() {
        only("UPDATE counters SET n = n + 1;", Rule::DestructiveRerun);
        only("UPDATE users SET seen_at = now();", Rule::DestructiveRerun);
        clean("UPDATE users SET role = 'member' WHERE role IS NULL;");
        clean("UPDATE users SET seen_at = now() WHERE seen_at IS NULL;");
        clean("UPDATE users SET name = lower(email);");
    }

    #[test]
    fn columns_of_another_table_are_absolute() {
        only(
            "UPDATE t AS x SET n = x.n + 1 FROM s WHERE x.id = s.id;",
            Rule::DestructiveRerun,
        );
        only(
            "UPDATE public.t SET n = public.t.n + 1;",
            Rule::DestructiveRerun,
        );
        clean("UPDATE t SET n = s.n FROM s WHERE t.id = s.id;");
        clean("UPDATE t SET slug = lower(slug) WHERE slug IS DISTINCT FROM lower(slug);");
    }

    #[test]
    fn merge_updates_follow_the_update_rules() {
        let sql = "MERGE INTO counters AS c USING src s ON c.id = s.id \
                   WHEN MATCHED THEN UPDATE SET n = c.n + 1 \
                   WHEN NOT MATCHED THEN INSERT (id, n) VALUES (s.id, s.n);";
        let d = fires(
            sql,
            Rule::DestructiveRerun,
            "assign absolute values (e.g. SET c = <source>.c), or skip rows already migrated in \
             the WHEN condition (e.g. WHEN MATCHED AND <target>.c IS DISTINCT FROM <new value> \
             THEN UPDATE …)",
        );
        assert_eq!(
            d.message,
            "MERGE … THEN UPDATE whose new value depends on n: a second run changes the matched \
             rows again"
        );
        assert_eq!(
            &sql[d.range.clone()],
            "WHEN MATCHED THEN UPDATE SET n = c.n + 1"
        );
        only(
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET seen = now();",
            Rule::DestructiveRerun,
        );
        clean(
            "MERGE INTO counters AS c USING src s ON c.id = s.id \
             WHEN MATCHED THEN UPDATE SET n = s.n \
             WHEN NOT MATCHED THEN INSERT (id, n) VALUES (s.id, s.n);",
        );
        clean(
            "MERGE INTO t USING s ON t.id = s.id \
             WHEN MATCHED AND t.migrated_at IS NULL THEN UPDATE SET n = t.n * 100, migrated_at = now() \
             WHEN MATCHED THEN DELETE;",
        );
        clean("MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN DO NOTHING;");
    }

    #[test]
    fn data_destroying_statements() {
        for sql in [
            "TRUNCATE t",
            "DELETE FROM t",
            "COPY t FROM stdin",
            "ALTER SEQUENCE s RESTART WITH 5",
            "SELECT setval('s', 5)",
            "DROP OWNED BY app",
        ] {
            only(&format!("{sql};"), Rule::DestructiveRerun);
        }
        clean("DELETE FROM t WHERE id = 1;");
        clean("SELECT setval('s', (SELECT max(id) FROM t));");
    }
}
