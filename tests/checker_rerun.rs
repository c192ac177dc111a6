//! Every idempotency rule checked against PostgreSQL itself: for each rule, a statement the
//! checker flags must fail or change the database when run a second time, and its fixed form
//! (which the checker accepts) must re-run cleanly and leave the database as the first run did.
//! The rules are thereby checked against the server, not just against our reading of it.

mod support;

use migrate_core::TransactionMode;
use migrate_core::check::{Allow, EntryOptions, Family, Rule, check_sql};
use sqlx::PgConnection;

/// One rule's example: the schema it needs, the flagged SQL, the fixed SQL, and what "live
/// traffic" writes between the two runs (for statements that destroy data written since).
struct Case {
    rule: Rule,
    setup: &'static str,
    bad: &'static str,
    fixed: &'static str,
    between: &'static str,
    no_transaction: bool,
}

const fn case(rule: Rule, setup: &'static str, bad: &'static str, fixed: &'static str) -> Case {
    Case {
        rule,
        setup,
        bad,
        fixed,
        between: "",
        no_transaction: false,
    }
}

const T: &str = "CREATE TABLE t (a int, b int)";
const FUNC: &str =
    "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$";

fn cases() -> Vec<Case> {
    use Rule::*;
    let mut cases = vec![
        // --- missing_if_not_exists ---
        case(
            MissingIfNotExists,
            "",
            "CREATE TABLE users (id bigint)",
            "CREATE TABLE IF NOT EXISTS users (id bigint)",
        ),
        case(
            MissingIfNotExists,
            "CREATE TABLE users (id bigint)",
            "ALTER TABLE users ADD COLUMN position text",
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS position text",
        ),
        case(
            MissingIfNotExists,
            T,
            "CREATE INDEX t_a_idx ON t (a)",
            "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)",
        ),
        case(
            MissingIfNotExists,
            "",
            "CREATE SEQUENCE s",
            "CREATE SEQUENCE IF NOT EXISTS s",
        ),
        case(
            MissingIfNotExists,
            "",
            "CREATE SCHEMA app",
            "CREATE SCHEMA IF NOT EXISTS app",
        ),
        case(
            MissingIfNotExists,
            "",
            "CREATE EXTENSION pg_trgm",
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        ),
        case(
            MissingIfNotExists,
            "",
            "CREATE MATERIALIZED VIEW m AS SELECT 1 AS one",
            "CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT 1 AS one",
        ),
        case(
            MissingIfNotExists,
            "",
            "CREATE TABLE t2 AS SELECT 1 AS one",
            "CREATE TABLE IF NOT EXISTS t2 AS SELECT 1 AS one",
        ),
        case(
            MissingIfNotExists,
            T,
            "CREATE STATISTICS st ON a, b FROM t",
            "CREATE STATISTICS IF NOT EXISTS st ON a, b FROM t",
        ),
        case(
            MissingIfNotExists,
            "CREATE TYPE mood AS ENUM ('ok')",
            "ALTER TYPE mood ADD VALUE 'sad'",
            "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad'",
        ),
        // --- missing_if_exists ---
        case(MissingIfExists, T, "DROP TABLE t", "DROP TABLE IF EXISTS t"),
        case(
            MissingIfExists,
            "CREATE TABLE t (a int); CREATE INDEX i ON t (a)",
            "DROP INDEX i",
            "DROP INDEX IF EXISTS i",
        ),
        case(
            MissingIfExists,
            "CREATE VIEW v AS SELECT 1 AS one",
            "DROP VIEW v",
            "DROP VIEW IF EXISTS v",
        ),
        case(
            MissingIfExists,
            "CREATE SEQUENCE s",
            "DROP SEQUENCE s",
            "DROP SEQUENCE IF EXISTS s",
        ),
        case(
            MissingIfExists,
            "CREATE SCHEMA app",
            "DROP SCHEMA app",
            "DROP SCHEMA IF EXISTS app",
        ),
        case(
            MissingIfExists,
            "CREATE TYPE mood AS ENUM ('ok')",
            "DROP TYPE mood",
            "DROP TYPE IF EXISTS mood",
        ),
        case(
            MissingIfExists,
            "CREATE FUNCTION g(int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "DROP FUNCTION g(int)",
            "DROP FUNCTION IF EXISTS g(int)",
        ),
        case(
            MissingIfExists,
            T,
            "ALTER TABLE t DROP COLUMN b",
            "ALTER TABLE t DROP COLUMN IF EXISTS b",
        ),
        case(
            MissingIfExists,
            "CREATE TABLE t (a int CONSTRAINT k CHECK (a > 0))",
            "ALTER TABLE t DROP CONSTRAINT k",
            "ALTER TABLE t DROP CONSTRAINT IF EXISTS k",
        ),
        case(
            MissingIfExists,
            "CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY)",
            "ALTER TABLE t ALTER COLUMN a DROP IDENTITY",
            "ALTER TABLE t ALTER COLUMN a DROP IDENTITY IF EXISTS",
        ),
        case(
            MissingIfExists,
            "CREATE TABLE t (a int); CREATE INDEX i ON t (a)",
            "ALTER INDEX i RENAME TO j",
            "ALTER INDEX IF EXISTS i RENAME TO j",
        ),
        case(
            MissingIfExists,
            "CREATE SCHEMA s2; CREATE TABLE t (a int)",
            "ALTER TABLE t SET SCHEMA s2",
            "ALTER TABLE IF EXISTS t SET SCHEMA s2",
        ),
        // --- missing_or_replace ---
        case(
            MissingOrReplace,
            "",
            "CREATE VIEW v AS SELECT 1 AS one",
            "CREATE OR REPLACE VIEW v AS SELECT 1 AS one",
        ),
        case(
            MissingOrReplace,
            "",
            "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "CREATE OR REPLACE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        ),
        case(
            MissingOrReplace,
            "",
            "CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
            "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
        ),
        case(
            MissingOrReplace,
            FUNC,
            "CREATE TABLE IF NOT EXISTS t (a int); CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            "CREATE TABLE IF NOT EXISTS t (a int); CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        ),
        case(
            MissingOrReplace,
            FUNC,
            "CREATE TABLE IF NOT EXISTS t (a int); CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            "CREATE TABLE IF NOT EXISTS t (a int); DROP TRIGGER IF EXISTS tr ON t; CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        ),
        case(
            MissingOrReplace,
            T,
            "CREATE RULE r AS ON INSERT TO t DO NOTHING",
            "CREATE OR REPLACE RULE r AS ON INSERT TO t DO NOTHING",
        ),
        // --- unnamed_index / unnamed_constraint: the second run silently duplicates ---
        case(
            UnnamedIndex,
            T,
            "CREATE INDEX ON t (a)",
            "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)",
        ),
        case(
            UnnamedConstraint,
            T,
            "ALTER TABLE t ADD CHECK (a > 0)",
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('t') AND conname = 't_a_check') THEN ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0); END IF; END $$",
        ),
        case(
            UnnamedConstraint,
            "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE t (u_id int)",
            "ALTER TABLE t ADD FOREIGN KEY (u_id) REFERENCES u (id)",
            "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_u_id_fkey, ADD CONSTRAINT t_u_id_fkey FOREIGN KEY (u_id) REFERENCES u (id)",
        ),
        // --- unguarded_statement ---
        case(
            UnguardedStatement,
            "",
            "CREATE TYPE mood AS ENUM ('sad', 'ok')",
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood' AND typnamespace = current_schema()::regnamespace) THEN CREATE TYPE mood AS ENUM ('sad', 'ok'); END IF; END $$",
        ),
        case(
            UnguardedStatement,
            "",
            "CREATE TYPE mood AS ENUM ('sad', 'ok')",
            "DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'ok'); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        ),
        case(
            UnguardedStatement,
            "",
            "CREATE DOMAIN posint AS int CHECK (VALUE > 0)",
            "DO $$ BEGIN IF to_regtype('posint') IS NULL THEN CREATE DOMAIN posint AS int CHECK (VALUE > 0); END IF; END $$",
        ),
        case(
            UnguardedStatement,
            T,
            "CREATE POLICY p ON t USING (a > 0)",
            "DROP POLICY IF EXISTS p ON t; CREATE POLICY p ON t USING (a > 0)",
        ),
        case(
            UnguardedStatement,
            T,
            "ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0)",
            "DO $$ BEGIN ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        ),
        case(
            UnguardedStatement,
            T,
            "ALTER TABLE t RENAME COLUMN a TO c",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('t') AND attname = 'a' AND NOT attisdropped) THEN ALTER TABLE t RENAME COLUMN a TO c; END IF; END $$",
        ),
        case(
            UnguardedStatement,
            "CREATE TABLE t (a int CONSTRAINT k CHECK (a > 0))",
            "ALTER TABLE t RENAME CONSTRAINT k TO k2",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('t') AND conname = 'k') THEN ALTER TABLE t RENAME CONSTRAINT k TO k2; END IF; END $$",
        ),
        case(
            UnguardedStatement,
            T,
            "ALTER TABLE t RENAME TO u",
            "ALTER TABLE IF EXISTS t RENAME TO u",
        ),
        case(
            UnguardedStatement,
            "CREATE TABLE pt (a int) PARTITION BY LIST (a); CREATE TABLE p1 (a int)",
            "ALTER TABLE pt ATTACH PARTITION p1 FOR VALUES IN (1)",
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass('p1') AND inhparent = to_regclass('pt')) THEN ALTER TABLE pt ATTACH PARTITION p1 FOR VALUES IN (1); END IF; END $$",
        ),
        case(
            UnguardedStatement,
            "CREATE TYPE mood AS ENUM ('sad')",
            "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_enum WHERE enumtypid = to_regtype('mood') AND enumlabel = 'sad') THEN ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'; END IF; END $$",
        ),
        case(
            UnguardedStatement,
            "CREATE TABLE t (a int); CREATE PUBLICATION feed",
            "ALTER PUBLICATION feed ADD TABLE t",
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = 'feed' \
             AND schemaname = current_schema() AND tablename = 't') THEN \
             ALTER PUBLICATION feed ADD TABLE t; END IF; END $$",
        ),
        case(
            UnguardedStatement,
            "CREATE EXTENSION pg_trgm; CREATE FUNCTION g() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "ALTER EXTENSION pg_trgm ADD FUNCTION g()",
            "DO $$ BEGIN ALTER EXTENSION pg_trgm ADD FUNCTION g(); \
             EXCEPTION WHEN object_not_in_prerequisite_state THEN NULL; END $$",
        ),
        case(
            UnguardedStatement,
            "CREATE EXTENSION postgres_fdw; CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw",
            "ALTER SERVER remote OPTIONS (ADD host 'db')",
            "DO $$ BEGIN ALTER SERVER remote OPTIONS (ADD host 'db'); \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        ),
        // --- if_exists_wrong_level ---
        case(
            IfExistsWrongLevel,
            T,
            "ALTER TABLE IF EXISTS t ADD COLUMN c int",
            "ALTER TABLE IF EXISTS t ADD COLUMN IF NOT EXISTS c int",
        ),
        case(
            IfExistsWrongLevel,
            T,
            "ALTER TABLE IF EXISTS t DROP COLUMN b",
            "ALTER TABLE IF EXISTS t DROP COLUMN IF EXISTS b",
        ),
        case(
            IfExistsWrongLevel,
            T,
            "ALTER TABLE IF EXISTS t RENAME COLUMN a TO c",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('t') AND attname = 'a' AND NOT attisdropped) THEN ALTER TABLE t RENAME COLUMN a TO c; END IF; END $$",
        ),
        // --- insert_without_on_conflict ---
        case(
            InsertWithoutOnConflict,
            "CREATE TABLE settings (key text PRIMARY KEY, value text)",
            "INSERT INTO settings (key, value) VALUES ('x', '1')",
            "INSERT INTO settings (key, value) VALUES ('x', '1') ON CONFLICT (key) DO NOTHING",
        ),
        case(
            InsertWithoutOnConflict,
            "CREATE TABLE settings (key text, value text)",
            "INSERT INTO settings (key, value) VALUES ('x', '1')",
            "INSERT INTO settings (key, value) SELECT 'x', '1' WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'x')",
        ),
        // --- on_conflict_without_target: without a unique index nothing conflicts ---
        case(
            OnConflictWithoutTarget,
            "CREATE TABLE tags (name text)",
            "INSERT INTO tags (name) VALUES ('new') ON CONFLICT DO NOTHING",
            "CREATE UNIQUE INDEX IF NOT EXISTS tags_name_key ON tags (name); \
             INSERT INTO tags (name) VALUES ('new') ON CONFLICT (name) DO NOTHING",
        ),
        // --- unchecked_dynamic_sql ---
        case(
            UncheckedDynamicSql,
            "",
            "DO $$ BEGIN EXECUTE format('CREATE TABLE %I (a int)', 'dyn'); END $$",
            "DO $$ BEGIN EXECUTE 'CREATE TABLE IF NOT EXISTS dyn (a int)'; END $$",
        ),
        // A procedure is opaque to the checker: this one inserts its row again on every call.
        case(
            UncheckedDynamicSql,
            "CREATE TABLE log (id int); \
             CREATE PROCEDURE add_row() LANGUAGE sql AS 'INSERT INTO log VALUES (1)'",
            "CALL add_row()",
            "INSERT INTO log (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM log WHERE id = 1)",
        ),
        // --- destructive_rerun: the second run changes data ---
        case(
            DestructiveRerun,
            "CREATE TABLE counters (n int); INSERT INTO counters VALUES (0)",
            "UPDATE counters SET n = n + 1",
            "UPDATE counters SET n = 1",
        ),
        case(
            DestructiveRerun,
            "CREATE TABLE users (id int, role text); INSERT INTO users VALUES (1, NULL)",
            "UPDATE users SET role = coalesce(role, '') || 'x'",
            "UPDATE users SET role = 'x' WHERE role IS DISTINCT FROM 'x'",
        ),
        case(
            DestructiveRerun,
            "CREATE TABLE counters (id int PRIMARY KEY, n int); CREATE TABLE src (id int, n int); \
             INSERT INTO src VALUES (1, 10), (2, 20)",
            "MERGE INTO counters c USING src s ON c.id = s.id \
             WHEN MATCHED THEN UPDATE SET n = c.n + s.n \
             WHEN NOT MATCHED THEN INSERT (id, n) VALUES (s.id, s.n)",
            "MERGE INTO counters c USING src s ON c.id = s.id \
             WHEN MATCHED THEN UPDATE SET n = s.n \
             WHEN NOT MATCHED THEN INSERT (id, n) VALUES (s.id, s.n)",
        ),
    ];
    let live = |rule, setup, bad, fixed, between| Case {
        rule,
        setup,
        bad,
        fixed,
        between,
        no_transaction: false,
    };
    cases.extend([
        live(
            DestructiveRerun,
            T,
            "TRUNCATE t",
            "DELETE FROM t WHERE a = 1",
            "INSERT INTO t VALUES (2, 2)",
        ),
        live(
            DestructiveRerun,
            T,
            "DELETE FROM t",
            "DELETE FROM t WHERE a = 1",
            "INSERT INTO t VALUES (2, 2)",
        ),
        live(
            DestructiveRerun,
            "",
            "DROP TABLE IF EXISTS t; CREATE TABLE t (a int)",
            "CREATE TABLE IF NOT EXISTS t (a int)",
            "INSERT INTO t VALUES (2)",
        ),
        live(
            DestructiveRerun,
            "CREATE SEQUENCE s",
            "ALTER SEQUENCE s RESTART WITH 5",
            "SELECT setval('s', GREATEST(5, (SELECT last_value FROM s)))",
            "SELECT nextval('s'); SELECT nextval('s')",
        ),
        live(
            DestructiveRerun,
            "CREATE SEQUENCE s",
            "SELECT setval('s', 5)",
            "SELECT setval('s', GREATEST(5, (SELECT last_value FROM s)))",
            "SELECT nextval('s')",
        ),
    ]);
    cases.push(Case {
        rule: MissingIfNotExists,
        setup: T,
        bad: "CREATE INDEX CONCURRENTLY t_a_idx ON t (a)",
        fixed: "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a)",
        between: "",
        no_transaction: true,
    });
    cases.push(Case {
        rule: MissingIfExists,
        setup: "CREATE TABLE t (a int); CREATE INDEX i ON t (a)",
        bad: "DROP INDEX CONCURRENTLY i",
        fixed: "DROP INDEX CONCURRENTLY IF EXISTS i",
        between: "",
        no_transaction: true,
    });
    cases
}

fn options(case: &Case) -> EntryOptions {
    EntryOptions {
        transaction: if case.no_transaction {
            TransactionMode::NoTransaction
        } else {
            TransactionMode::Transaction
        },
        // The idempotency rules are under test here; the hazards have tests/hazards.rs.
        allow: vec![Allow::Family(Family::Hazard)],
        deny: Vec::new(),
    }
}

/// Runs an entry the way the runtime does: one implicit transaction, or statement by statement.
async fn run(conn: &mut PgConnection, sql: &str, no_transaction: bool) -> Result<(), sqlx::Error> {
    if no_transaction {
        let checked = check_sql(sql, &EntryOptions::default());
        for span in checked.statements {
            sqlx::raw_sql(&sql[span.start as usize..span.end as usize])
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    } else {
        sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
    }
}

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')";

/// Everything a migration could have changed: objects, definitions, labels, rows, sequences.
async fn snapshot(conn: &mut PgConnection) -> Vec<String> {
    let queries = [
        format!("SELECT format('rel %s.%s %s', n.nspname, c.relname, c.relkind) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMAS}"),
        format!("SELECT format('col %s.%s %s %s', c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attnum > 0 AND NOT a.attisdropped AND {USER_SCHEMAS}"),
        "SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint WHERE connamespace <> 'pg_catalog'::regnamespace".to_owned(),
        format!("SELECT format('type %s %s', t.oid::regtype, t.typtype) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {USER_SCHEMAS} AND t.typtype IN ('e', 'd', 'r')"),
        "SELECT format('enum %s %s %s', enumtypid::regtype, enumsortorder, enumlabel) FROM pg_enum".to_owned(),
        format!("SELECT format('proc %s', p.oid::regprocedure) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_SCHEMAS}"),
        "SELECT format('trg %s %s', tgrelid::regclass, tgname) FROM pg_trigger WHERE NOT tgisinternal".to_owned(),
        "SELECT format('pol %s %s %s', schemaname, tablename, policyname) FROM pg_policies".to_owned(),
        "SELECT format('rule %s %s', tablename, rulename) FROM pg_rules".to_owned(),
        "SELECT format('inh %s %s', inhrelid::regclass, inhparent::regclass) FROM pg_inherits".to_owned(),
        "SELECT format('nsp %s', nspname) FROM pg_namespace".to_owned(),
        "SELECT format('ext %s', extname) FROM pg_extension".to_owned(),
        "SELECT format('stx %s', stxname) FROM pg_statistic_ext".to_owned(),
        format!("SELECT format('data %s %s', c.oid::regclass, (xpath('/row/h/text()', query_to_xml(format('SELECT md5(coalesce(string_agg(x::text, %L ORDER BY x::text), %L)) AS h FROM %s x', ',', '', c.oid::regclass), false, true, '')))[1]::text) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND {USER_SCHEMAS}"),
        format!("SELECT format('seq %s %s %s', c.oid::regclass, (xpath('/row/v/text()', query_to_xml(format('SELECT last_value AS v FROM %s', c.oid::regclass), false, true, '')))[1]::text, (xpath('/row/v/text()', query_to_xml(format('SELECT is_called AS v FROM %s', c.oid::regclass), false, true, '')))[1]::text) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND {USER_SCHEMAS}"),
    ];
    let mut rows = Vec::new();
    for query in queries {
        let mut found: Vec<String> = sqlx::query_scalar(&query)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("snapshot query failed: {e}\n{query}"));
        found.sort();
        rows.extend(found);
    }
    rows
}

/// Runs `sql` on a fresh database twice (with `between` in between) and returns whether the
/// second run failed, and the snapshots before and after it.
async fn twice(case: &Case, sql: &str) -> (Option<String>, Vec<String>, Vec<String>) {
    let db = support::TestDb::new().await;
    let mut conn = db.connect().await;
    if !case.setup.is_empty() {
        sqlx::raw_sql(case.setup)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("setup failed: {e}\n{}", case.setup));
    }
    run(&mut conn, sql, case.no_transaction)
        .await
        .unwrap_or_else(|e| panic!("first run failed: {e}\n{sql}"));
    if !case.between.is_empty() {
        sqlx::raw_sql(case.between)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("between failed: {e}"));
    }
    let before = snapshot(&mut conn).await;
    let second = run(&mut conn, sql, case.no_transaction).await.err();
    let after = snapshot(&mut conn).await;
    (second.map(|e| e.to_string()), before, after)
}

async fn check_case(case: Case) -> Vec<String> {
    let mut problems = Vec::new();
    let options = options(&case);
    let bad = check_sql(case.bad, &options);
    if !bad.diagnostics.iter().any(|d| d.rule == case.rule) {
        problems.push(format!(
            "not flagged with {}: {}\n{:#?}",
            case.rule, case.bad, bad.diagnostics
        ));
    }
    let fixed = check_sql(case.fixed, &options);
    if !fixed.diagnostics.is_empty() {
        problems.push(format!(
            "fixed form flagged: {}\n{:#?}",
            case.fixed, fixed.diagnostics
        ));
    }
    let (error, before, after) = twice(&case, case.bad).await;
    if error.is_none() && before == after {
        problems.push(format!(
            "[{}] flagged SQL re-ran without error and without changing anything: {}",
            case.rule, case.bad
        ));
    }
    let (error, before, after) = twice(&case, case.fixed).await;
    if let Some(error) = error {
        problems.push(format!(
            "[{}] fixed SQL failed on its second run: {error}\n{}",
            case.rule, case.fixed
        ));
    } else if before != after {
        let changed: Vec<_> = before
            .iter()
            .filter(|r| !after.contains(r))
            .chain(after.iter().filter(|r| !before.contains(r)))
            .collect();
        problems.push(format!(
            "[{}] fixed SQL changed the database on its second run: {}\n{changed:?}",
            case.rule, case.fixed
        ));
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flagged_sql_breaks_on_second_run_and_fixed_sql_does_not() {
    let cases = cases();
    let covered: Vec<Rule> = cases.iter().map(|c| c.rule).collect();
    let mut problems = Vec::new();
    // Each case needs two fresh databases: run a few cases at a time. (sqlx's executor futures
    // are not `Send` for every lifetime, hence a LocalSet.)
    let mut pending = cases.into_iter().peekable();
    while pending.peek().is_some() {
        let local = tokio::task::LocalSet::new();
        let chunk: Vec<Case> = pending.by_ref().take(6).collect();
        let found = local
            .run_until(async move {
                let handles: Vec<_> = chunk
                    .into_iter()
                    .map(|case| tokio::task::spawn_local(check_case(case)))
                    .collect();
                let mut found = Vec::new();
                for handle in handles {
                    found.extend(handle.await.expect("case task panicked"));
                }
                found
            })
            .await;
        problems.extend(found);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    for rule in Rule::ALL
        .iter()
        .filter(|r| r.family() == migrate_core::check::Family::NonIdempotent)
    {
        let untested_here = [Rule::NotGuardable, Rule::BroadExceptionGuard];
        assert!(
            covered.contains(rule) || untested_here.contains(rule),
            "no database example for {rule}"
        );
    }
}

/// `requires_no_transaction`: inside a transaction block (as every ordinary entry runs) the
/// statement fails even the first time; in a `#[no_transaction]` entry it runs.
#[tokio::test]
async fn non_transactional_statements_fail_inside_a_transaction() {
    let sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a)";
    let flagged = check_sql(sql, &EntryOptions::default());
    assert_eq!(flagged.diagnostics[0].rule, Rule::RequiresNoTransaction);
    let db = support::TestDb::new().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(T).execute(&mut conn).await.unwrap();
    let error = sqlx::raw_sql(&format!("BEGIN; {sql}; COMMIT"))
        .execute(&mut conn)
        .await
        .expect_err("CREATE INDEX CONCURRENTLY ran inside a transaction block");
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("25001"), "{error}");
    sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.ok();
    run(&mut conn, sql, true).await.unwrap();
    run(&mut conn, sql, true).await.unwrap();
}

/// A name no other test (or test process) uses: roles and databases are cluster-wide.
fn cluster_unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{nanos}", std::process::id())
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
}

/// `CREATE DATABASE` (not_guardable) and `CREATE ROLE` (unguarded_statement) act on the whole
/// cluster; with unique names and cleanup they are checked against the server like the rest.
#[tokio::test]
async fn cluster_wide_statements_are_checked_against_the_server() {
    let db = support::TestDb::new().await;
    let mut conn = db.connect().await;

    let database = cluster_unique("migrate_rerun_db");
    let create_database = format!("CREATE DATABASE {database}");
    let options = EntryOptions {
        transaction: TransactionMode::NoTransaction,
        allow: Vec::new(),
        deny: Vec::new(),
    };
    let flagged = check_sql(&create_database, &options);
    assert!(
        flagged
            .diagnostics
            .iter()
            .any(|d| d.rule == Rule::NotGuardable),
        "{:?}",
        flagged.diagnostics
    );
    run(&mut conn, &create_database, true).await.unwrap();
    let second = run(&mut conn, &create_database, true).await;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {database}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let error = second.expect_err("CREATE DATABASE succeeded twice");
    assert_eq!(sqlstate(&error).as_deref(), Some("42P04"), "{error}");

    let role = cluster_unique("migrate_rerun_role");
    let create_role = format!("CREATE ROLE {role}");
    let guarded = format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN \
         CREATE ROLE {role}; END IF; END $$"
    );
    let flagged = check_sql(&create_role, &EntryOptions::default());
    assert_eq!(flagged.diagnostics[0].rule, Rule::UnguardedStatement);
    assert!(
        check_sql(&guarded, &EntryOptions::default())
            .diagnostics
            .is_empty()
    );
    run(&mut conn, &create_role, false).await.unwrap();
    let second = run(&mut conn, &create_role, false).await;
    let guarded_twice = async {
        run(&mut conn, &guarded, false).await?;
        run(&mut conn, &guarded, false).await
    }
    .await;
    sqlx::raw_sql(&format!("DROP ROLE IF EXISTS {role}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let error = second.expect_err("CREATE ROLE succeeded twice");
    assert_eq!(sqlstate(&error).as_deref(), Some("42710"), "{error}");
    guarded_twice.expect("the guarded CREATE ROLE failed on a re-run");
}

/// `EXCEPTION WHEN others` makes a statement re-runnable (hence only a warning), but it also
/// swallows real failures: the migration "succeeds" and the table is not there.
#[tokio::test]
async fn an_others_handler_is_a_warning_because_it_hides_real_failures() {
    let sql = "DO $$ BEGIN CREATE TABLE orders (id int REFERENCES missing (id)); \
               EXCEPTION WHEN others THEN NULL; END $$";
    let checked = check_sql(sql, &EntryOptions::default());
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.rule == Rule::BroadExceptionGuard),
        "{:?}",
        checked.diagnostics
    );
    let db = support::TestDb::new().await;
    let mut conn = db.connect().await;
    run(&mut conn, sql, false).await.unwrap();
    run(&mut conn, sql, false).await.unwrap();
    let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass('orders')::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, None, "the failure was not swallowed after all");
}
