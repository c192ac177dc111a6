//! Adopting another tool's history table: real sqlx, a diesel-shaped table, a refinery fixture,
//! real PostgreSQL.

mod support;

use migrate::import::read_dir;
use migrate::{Error, Migrations, Tool};
use sqlx::{PgPool, Row};
use support::TestDb;
use support::corpus::{self, TempDir};

/// The list `migrate import` makes of the tool's directory, with the original SQL.
fn load(dir: &TempDir) -> Migrations {
    read_dir(dir.path(), None).unwrap().migrations().unwrap()
}

/// The list `migrate import --fix` makes: what a team switching deploys.
fn load_fixed(dir: &TempDir) -> Migrations {
    let mut source = read_dir(dir.path(), None).unwrap();
    source.fix();
    source.migrations().unwrap()
}

async fn exists(pool: &PgPool, table: &str) -> bool {
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The versions of `list` numbered above what the other tool applied: what the first run
/// must apply.
async fn after_tool(pool: &PgPool, list: &Migrations, query: &str) -> Vec<String> {
    let last: i64 = sqlx::query_scalar(query).fetch_one(pool).await.unwrap();
    let rest: Vec<String> = list
        .iter()
        .filter(|m| m.number() > last)
        .map(|m| m.version().to_owned())
        .collect();
    assert!(!rest.is_empty() && rest.len() < list.len());
    rest
}

/// docs.rs's first half applied by sqlx's own `Migrator`; the whole list then runs here.
#[tokio::test]
async fn sqlx_history_is_adopted_and_the_second_half_applied() {
    let Some(root) = corpus::root("sqlx_history_is_adopted_and_the_second_half_applied") else {
        return;
    };
    let total = corpus::len(&root, "docs.rs");
    let half = total / 2;
    let db = TestDb::new().await;
    let pool = db.pool().await;
    sqlx_applies(&root, &pool, 1..=half).await;
    let sqlx_rows_before = count(&pool, "_sqlx_migrations").await;
    assert_eq!(sqlx_rows_before, i64::from(half));

    let list = load_fixed(&corpus::tool_dir(&root, "docs.rs", 1..=total));
    let report = list.run(&pool).await.unwrap();
    let applied: Vec<String> = report.applied.iter().map(|a| a.version.clone()).collect();
    let expected = after_tool(&pool, &list, "SELECT max(version) FROM _sqlx_migrations").await;
    assert_eq!(applied, expected);
    assert_eq!(count(&pool, "schema_migrations").await, list.len() as i64);
    // The other tool's table is left as it was, so the team can go back.
    assert_eq!(count(&pool, "_sqlx_migrations").await, sqlx_rows_before);
    let report = list.run(&pool).await.unwrap();
    assert!(report.applied.is_empty(), "{report}");
}

/// docs.rs's migrations `orders` applied by sqlx's own `Migrator`; their directory.
async fn sqlx_applies(
    root: &std::path::Path,
    pool: &PgPool,
    orders: std::ops::RangeInclusive<u32>,
) -> TempDir {
    let dir = corpus::tool_dir(root, "docs.rs", orders);
    sqlx::migrate::Migrator::new(dir.path())
        .await
        .unwrap()
        .run(pool)
        .await
        .unwrap();
    dir
}

/// A database on which sqlx applied docs.rs's first three migrations, the last then marked
/// `success = false`, with the list of the same files (`None`: the corpus is absent, which
/// `corpus::root` reports).
struct FailedSqlx {
    db: TestDb,
    pool: PgPool,
    list: Migrations,
    /// The version marked failed.
    failed: i64,
    _dir: TempDir,
}

async fn failed_sqlx_history(test: &str) -> Option<FailedSqlx> {
    let root = corpus::root(test)?;
    let db = TestDb::new().await;
    let pool = db.pool().await;
    let dir = sqlx_applies(&root, &pool, 1..=3).await;
    let failed: i64 = sqlx::query_scalar(
        "UPDATE _sqlx_migrations SET success = false \
         WHERE version = (SELECT max(version) FROM _sqlx_migrations) RETURNING version",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    Some(FailedSqlx {
        db,
        pool,
        list: load(&dir),
        failed,
        _dir: dir,
    })
}

/// A row with `success = false` is refused, naming the version; nothing is written.
#[tokio::test]
async fn a_failed_sqlx_migration_is_refused() {
    let Some(case) = failed_sqlx_history("a_failed_sqlx_migration_is_refused").await else {
        return;
    };
    let (pool, list, failed) = (&case.pool, &case.list, case.failed);
    let err = list.run(pool).await.unwrap_err();
    assert!(
        matches!(&err, Error::AdoptFailedMigration { tool: Tool::Sqlx, version } if *version == failed.to_string()),
        "{err}"
    );
    assert!(err.to_string().contains(&failed.to_string()), "{err}");
    assert!(!exists(pool, "schema_migrations").await);
}

/// diesel's table: the first half of crates.io applied as diesel does (one transaction per
/// migration unless `run_in_transaction = false`), versions recorded as diesel records them.
#[tokio::test]
async fn diesel_history_is_adopted_and_the_second_half_applied() {
    let Some(root) = corpus::root("diesel_history_is_adopted_and_the_second_half_applied") else {
        return;
    };
    let total = corpus::len(&root, "crates.io");
    let half = total / 2;
    let db = TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
         run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let originals = load(&corpus::tool_dir(&root, "crates.io", 1..=total));
    assert_eq!(originals.len(), total as usize);
    for m in &originals.as_slice()[..half as usize] {
        let record = format!(
            "INSERT INTO __diesel_schema_migrations (version) VALUES ('{}')",
            m.number()
        );
        corpus::apply_as_tool(&pool, m, &record).await;
    }
    let list = load_fixed(&corpus::tool_dir(&root, "crates.io", 1..=total));
    let report = list.run(&pool).await.unwrap();
    let applied: Vec<String> = report.applied.iter().map(|a| a.version.clone()).collect();
    let expected = after_tool(
        &pool,
        &list,
        "SELECT max(version)::bigint FROM __diesel_schema_migrations",
    )
    .await;
    assert_eq!(applied, expected);
    assert_eq!(expected.len(), (total - half) as usize);
    assert_eq!(
        count(&pool, "__diesel_schema_migrations").await,
        i64::from(half)
    );
}

/// A refinery history (its own table shape, `V<n>__<name>.sql` versions), automatic adoption
/// on the first run, then the explicit `adopt` filling in an existing history.
#[tokio::test]
async fn refinery_history_is_adopted() {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), \
         applied_on VARCHAR(255), checksum VARCHAR(255));
         CREATE TABLE accounts (id bigint PRIMARY KEY);
         CREATE TABLE orders (id bigint PRIMARY KEY, account bigint REFERENCES accounts);
         INSERT INTO refinery_schema_history VALUES
           (1, 'initial', '2024-01-01T00:00:00Z', '123'), (2, 'orders', '2024-01-02T00:00:00Z', '456');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let dir = TempDir::new("refinery_adopt");
    dir.write(
        "V1__initial.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY);",
    )
    .write(
        "V2__orders.sql",
        "CREATE TABLE orders (id bigint PRIMARY KEY, account bigint REFERENCES accounts);",
    )
    .write(
        "V3__order_notes.sql",
        "ALTER TABLE orders ADD COLUMN note text;",
    );
    let list = load(&dir);
    let report = list.run(&pool).await.unwrap();
    let applied: Vec<&str> = report.applied.iter().map(|a| a.version.as_str()).collect();
    assert_eq!(applied, ["3_order_notes"]);
    assert_eq!(count(&pool, "refinery_schema_history").await, 2);

    // A version refinery applied after our table existed is filled in only when asked.
    sqlx::raw_sql(
        "CREATE TABLE shipments (id bigint); \
         INSERT INTO refinery_schema_history VALUES (4, 'shipments', '2024-01-04T00:00:00Z', '789')",
    )
    .execute(&pool)
    .await
    .unwrap();
    dir.write("V4__shipments.sql", "CREATE TABLE shipments (id bigint);");
    let list = load(&dir);
    let report = list.migrator().adopt(&pool, Tool::Refinery).await.unwrap();
    assert_eq!(report.baselined, ["4_shipments"]);
    let report = list.run(&pool).await.unwrap();
    assert!(report.applied.is_empty(), "{report}");
    let err = list.migrator().adopt(&pool, Tool::Sqlx).await.unwrap_err();
    assert!(
        err.to_string().contains("_sqlx_migrations does not exist"),
        "{err}"
    );
}

/// Two tools' tables: the first run does not guess.
#[tokio::test]
async fn two_tool_histories_are_not_guessed() {
    let db = TestDb::new().await;
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255), \
         applied_on VARCHAR(255), checksum VARCHAR(255));
         CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY, run_on TIMESTAMP);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let dir = TempDir::new("two_tools");
    dir.write("V1__initial.sql", "CREATE TABLE IF NOT EXISTS t (id int);");
    let err = load(&dir).run(&pool).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("refinery_schema_history")
            && text.contains("__diesel_schema_migrations")
            && text.contains("--from"),
        "{text}"
    );
    assert!(!exists(&pool, "schema_migrations").await);
    let row = sqlx::query("SELECT count(*) FROM refinery_schema_history")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>(0), 0);
}

/// Runs the embedded CLI's `args` for `list` against `url`; (exit code, stdout).
async fn cli(list: &Migrations, url: &str, args: &[&str]) -> (migrate::cli::Outcome, String) {
    use clap::Parser;
    let mut argv = vec!["app", "migrate"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--database-url", url]);
    let cli = migrate::cli::Cli::try_parse_from(&argv).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = cli.migrate().run_with(list, &mut out, &mut err).await;
    (outcome, String::from_utf8(out).unwrap())
}

/// Before the first run, `status` and `plan` (API and CLI, text and JSON) say which versions
/// that run adopts from sqlx's table and which it then applies; the run does exactly that.
#[tokio::test]
async fn status_and_plan_show_the_pending_adoption() {
    let Some(root) = corpus::root("status_and_plan_show_the_pending_adoption") else {
        return;
    };
    let total = corpus::len(&root, "docs.rs");
    let db = TestDb::new().await;
    let pool = db.pool().await;
    sqlx_applies(&root, &pool, 1..=total / 2).await;
    let list = load_fixed(&corpus::tool_dir(&root, "docs.rs", 1..=total));
    let rest = after_tool(&pool, &list, "SELECT max(version) FROM _sqlx_migrations").await;
    let adopted: Vec<String> = list
        .iter()
        .map(|m| m.version().to_owned())
        .filter(|v| !rest.contains(v))
        .collect();

    let status = list.status(&pool).await.unwrap();
    let adoption = status.adoption.clone().expect("a pending adoption");
    assert_eq!(
        (adoption.tool, adoption.failed.as_deref()),
        (Tool::Sqlx, None)
    );
    assert_eq!(adoption.versions, adopted);
    assert_eq!(status.to_apply(), rest);
    let text = status.to_string();
    assert!(
        text.contains(&format!(
            "the first run adopts sqlx's history (_sqlx_migrations): it records {} version(s)",
            adopted.len()
        )) && text.contains(&format!(
            "adopts {} and applies {}",
            adopted.len(),
            rest.len()
        )),
        "{text}"
    );
    let plan = list.plan(&pool).await.unwrap();
    assert_eq!(plan.migrations(), rest);
    assert!(plan.to_string().contains("then it applies"), "{plan}");

    let url = db.url();
    let (outcome, out) = cli(&list, &url, &["status"]).await;
    assert_eq!(outcome, migrate::cli::Outcome::Failed, "{out}");
    assert!(out.contains("adopt") && out.contains(&adopted[0]), "{out}");
    let (_, out) = cli(&list, &url, &["status", "--format", "json"]).await;
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["adoption"]["tool"], "sqlx");
    assert_eq!(
        json["adoption"]["versions"].as_array().unwrap().len(),
        adopted.len()
    );
    let (_, out) = cli(&list, &url, &["plan", "--format", "json"]).await;
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["adoption"]["versions"][0], adopted[0].as_str());
    let (_, out) = cli(&list, &url, &["plan"]).await;
    assert!(out.contains("the first run adopts sqlx's history"), "{out}");
    assert!(
        !exists(&pool, "schema_migrations").await,
        "status and plan wrote"
    );

    let report = list.run(&pool).await.unwrap();
    let applied: Vec<String> = report.applied.iter().map(|a| a.version.clone()).collect();
    assert_eq!(applied, rest);
    assert_eq!(list.status(&pool).await.unwrap().adoption, None);
}

/// A failed sqlx row: `status` shows it as what blocks the adoption; `plan` refuses as the
/// run does, naming the version.
#[tokio::test]
async fn status_shows_a_failed_sqlx_row_blocking_adoption() {
    let Some(case) = failed_sqlx_history("status_shows_a_failed_sqlx_row_blocking_adoption").await
    else {
        return;
    };
    let (pool, list, failed) = (&case.pool, &case.list, case.failed);
    let status = list.status(pool).await.unwrap();
    let adoption = status.adoption.clone().unwrap();
    assert_eq!(adoption.failed, Some(failed.to_string()));
    assert_eq!(status.to_apply().len(), list.len(), "nothing is adopted");
    let text = status.to_string();
    assert!(
        text.contains(&format!("adoption blocked: sqlx's history (_sqlx_migrations) records migration {failed} as failed")),
        "{text}"
    );
    let err = list.plan(pool).await.unwrap_err();
    assert!(matches!(err, Error::AdoptFailedMigration { .. }), "{err}");
    let (_, out) = cli(list, &case.db.url(), &["status", "--format", "json"]).await;
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["adoption"]["failed"], failed.to_string());
}
