//! A small catalog snapshot for comparing two databases' schemas: one sorted line per object
//! of the `public` schema (columns, constraints, indexes, functions, triggers, types, views,
//! sequences, policies) plus the extensions, the migration tools' bookkeeping tables left out.
//! A stand-in until the crate's own schema snapshot can serve the tests.

use std::collections::BTreeSet;

use sqlx::PgPool;

/// Every bookkeeping table: ours and the imported tools'.
const BOOKKEEPING: &str = "('schema_migrations', '_sqlx_migrations', '__diesel_schema_migrations', 'refinery_schema_history')";

fn queries() -> [String; 9] {
    let table_filter = format!("c.relname NOT IN {BOOKKEEPING}");
    [
        format!(
            "SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) \
             || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END \
             || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 \
             AND NOT a.attisdropped AND {table_filter}"
        ),
        format!(
            "SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid) \
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND {table_filter}"
        ),
        format!(
            "SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND {table_filter}"
        ),
        "SELECT 'function ' || pg_get_functiondef(p.oid) FROM pg_proc p \
         JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
            .to_owned(),
        "SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal"
            .to_owned(),
        "SELECT 'type ' || t.typname || ' ' || coalesce(string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder), t.typtype::text) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_enum e ON e.enumtypid = t.oid \
         WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') \
         AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')) \
         GROUP BY t.typname, t.typtype"
            .to_owned(),
        "SELECT 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')"
            .to_owned(),
        "SELECT 'sequence ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'S'"
            .to_owned(),
        "SELECT 'policy ' || tablename || '.' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') \
         || ' ' || coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'public' \
         UNION ALL SELECT 'extension ' || extname FROM pg_extension"
            .to_owned(),
    ]
}

/// The schema of the database behind `pool`.
pub async fn snapshot(pool: &PgPool) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for query in queries() {
        let rows: Vec<String> = sqlx::query_scalar(&query)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("catalog query failed: {e}\n{query}"));
        lines.extend(rows);
    }
    lines
}

/// Row counts of every table of `public` (bookkeeping left out).
pub async fn row_counts(pool: &PgPool) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT IN {BOOKKEEPING} \
         ORDER BY 1"
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM public.\"{table}\""))
            .fetch_one(pool)
            .await
            .unwrap();
        counts.push((table, n));
    }
    counts
}

/// The lines only one side has, marked `-` (left) and `+` (right).
pub fn differences(left: &BTreeSet<String>, right: &BTreeSet<String>) -> Vec<String> {
    left.difference(right)
        .map(|l| format!("- {l}"))
        .chain(right.difference(left).map(|r| format!("+ {r}")))
        .collect()
}
