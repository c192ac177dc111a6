//! `assert_idempotent`: every migration, run twice in a row on a real database, leaves the
//! same schema and the same data.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use sqlx::{Executor, PgConnection, PgPool, Row};

use crate::runtime::table::HistoryTable;
use crate::runtime::{Error, Migrator, PgErrorDetails};
use crate::schema::read::{Excluded, read};
use crate::schema::{Diff, Difference, Headline, ObjectKind, Snapshot};
use crate::{Migration, Migrations};

/// Why a migration is not idempotent: what went wrong, in which migration and statement.
///
/// ```
/// use migrate_core::testing::{NotIdempotent, Reason};
///
/// let e = NotIdempotent::new("002_seed", Some((1, "INSERT INTO audit_log …".into())), Reason::Changed {
///     schema: Default::default(),
///     data: vec!["rows of table audit_log: 1 after the first run, 2 after the second".into()],
/// });
/// assert!(e.to_string().starts_with("migration 002_seed is not idempotent"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotIdempotent {
    /// The migration's version.
    pub version: String,
    /// The statement (1-based) and its text, when one statement is to blame.
    pub statement: Option<(usize, String)>,
    /// What happened.
    pub reason: Reason,
}

impl NotIdempotent {
    /// A failure of one migration.
    pub fn new(
        version: impl Into<String>,
        statement: Option<(usize, String)>,
        reason: Reason,
    ) -> Self {
        NotIdempotent {
            version: version.into(),
            statement,
            reason,
        }
    }
}

/// What a second run did wrong (or why the check could not run).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The first run (by the runtime) failed, or the database could not be read.
    FirstRunFailed {
        /// The error.
        message: String,
    },
    /// The second run failed.
    SecondRunFailed {
        /// PostgreSQL's error.
        message: String,
    },
    /// The second run changed the schema or the data.
    Changed {
        /// How the schema after the second run differs from the one after the first.
        schema: Diff,
        /// How the data changed, one line per table.
        data: Vec<String>,
    },
}

impl fmt::Display for NotIdempotent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "migration {} is not idempotent: ", self.version)?;
        let at = match &self.statement {
            Some((n, sql)) => format!(" at statement {n} ({sql})"),
            None => String::new(),
        };
        match &self.reason {
            Reason::FirstRunFailed { message } => write!(f, "its first run failed: {message}"),
            Reason::SecondRunFailed { message } => {
                write!(f, "its second run failed{at}: {message}")
            }
            Reason::Changed { schema, data } => {
                write!(f, "its second run changed the database{at}:")?;
                for d in schema.iter() {
                    write!(f, "\n  {}", SecondRun(d))?;
                }
                for line in data {
                    write!(f, "\n  {line}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for NotIdempotent {}

/// A schema difference in the words of a second run (before: the first run's schema).
struct SecondRun<'a>(&'a Difference);

impl fmt::Display for SecondRun<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Difference::Missing { object } => write!(f, "{}: dropped", Headline(object)),
            Difference::Unexpected { object } => write!(f, "{}: created", Headline(object)),
            Difference::Changed { id, changes } => {
                write!(f, "{id}:")?;
                for c in changes {
                    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
                    write!(
                        f,
                        " {} was {}, is now {};",
                        c.property,
                        value(&c.expected),
                        value(&c.actual)
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Panics unless every migration of `migrations`, applied one by one to the (fresh) database
/// of `pool`, can run a second time right after its first and change nothing: same schema,
/// same rows in every table. The panic names the migration, the statement and the difference.
///
/// Each migration is applied by the runtime, as at startup; its SQL is then run once more
/// exactly as the runtime would run it (in a transaction, or statement by statement for
/// `#[no_transaction]`). Sequence values are not compared: a guarded `INSERT … ON CONFLICT DO
/// NOTHING` consumes one and still changes nothing.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) {
/// // In the application's tests, on an empty database:
/// migrate_core::testing::assert_idempotent(migrations, &pool).await;
/// # }
/// ```
pub async fn assert_idempotent(migrations: &Migrations, pool: &PgPool) {
    if let Err(e) = check_idempotent(migrations.migrator(), pool).await {
        panic!("{e}");
    }
}

/// [`assert_idempotent`] with the migrator's options (history table, `lock_timeout`),
/// returning the first failure instead of panicking.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) {
/// let result = migrate_core::testing::check_idempotent(migrations.migrator().table("app_history"), &pool).await;
/// if let Err(e) = result {
///     eprintln!("{e} (migration {})", e.version);
/// }
/// # }
/// ```
pub async fn check_idempotent(migrator: Migrator<'_>, pool: &PgPool) -> Result<(), NotIdempotent> {
    match walk(migrator, pool, Stop::AtFirst).await.into_iter().next() {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// Every migration whose second run fails or changes something, in list order: the survey
/// behind [`check_idempotent`], for a history with known exceptions (migrations imported with
/// an `#[allow]`). A transactional second run is always rolled back, so the walk goes on from
/// the state the first run left; a `#[no_transaction]` one cannot be, and keeps what its
/// statements did up to the one that failed or changed something; a migration whose *first* run fails ends it, because every later one
/// would run on the wrong schema.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, migrations: &migrate_core::Migrations) {
/// for failure in migrate_core::testing::find_not_idempotent(migrations.migrator(), &pool).await {
///     eprintln!("{failure}");
/// }
/// # }
/// ```
pub async fn find_not_idempotent(migrator: Migrator<'_>, pool: &PgPool) -> Vec<NotIdempotent> {
    walk(migrator, pool, Stop::AtFirstRunFailure).await
}

/// Where [`walk`] stops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    AtFirst,
    AtFirstRunFailure,
}

async fn walk(migrator: Migrator<'_>, pool: &PgPool, stop: Stop) -> Vec<NotIdempotent> {
    let mut failures = Vec::new();
    let mut each = |result: Result<(), NotIdempotent>| -> bool {
        let Err(failure) = result else { return true };
        let go_on = stop == Stop::AtFirstRunFailure
            && !matches!(failure.reason, Reason::FirstRunFailed { .. });
        failures.push(failure);
        go_on
    };
    let list = migrator.migrations.as_slice();
    let table = match HistoryTable::parse(&migrator.table) {
        Ok(table) => table,
        Err(e) => {
            each(Err(first_run_failed("", &e)));
            return failures;
        }
    };
    let excluded = Excluded::bookkeeping(&table);
    for i in 0..list.len() {
        if !each(one(&migrator, pool, &list[..=i], &excluded).await) {
            break;
        }
    }
    failures
}

/// Applies the last migration of `prefix` (the rest is applied already), then runs it again.
async fn one(
    migrator: &Migrator<'_>,
    pool: &PgPool,
    prefix: &[Migration],
    excluded: &Excluded,
) -> Result<(), NotIdempotent> {
    let Some(m) = prefix.last() else {
        return Ok(());
    };
    let prefix = Migrations::from_vec(prefix.to_vec()).map_err(|_| NotIdempotent {
        version: m.version().to_owned(),
        statement: None,
        reason: Reason::FirstRunFailed {
            message: "the list is not valid".into(),
        },
    })?;
    migrator
        .for_list(&prefix)
        .run(pool)
        .await
        .map_err(|e| first_run_failed(m.version(), &e))?;
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| first_run_failed(m.version(), &e.into()))?;
    let first = State::read(&mut conn, excluded)
        .await
        .map_err(|e| first_run_failed(m.version(), &e))?;
    second_run(&mut conn, m, &first, excluded, migrator.lock_timeout).await
}

fn first_run_failed(version: &str, e: &Error) -> NotIdempotent {
    NotIdempotent::new(
        version,
        None,
        Reason::FirstRunFailed {
            message: e.to_string(),
        },
    )
}

/// The schema plus each table's row count and content digest.
#[derive(Debug, PartialEq, Eq)]
struct State {
    schema: Snapshot,
    /// Table name -> (rows, digest of the rows in byte order).
    data: BTreeMap<String, (i64, String)>,
}

impl State {
    async fn read(conn: &mut PgConnection, excluded: &Excluded) -> Result<State, Error> {
        let schema = read(conn, excluded).await?;
        let tables: Vec<String> = schema
            .iter()
            .filter(|o| {
                o.id.kind == ObjectKind::Table && o.property("table_kind") == Some("ordinary")
            })
            .map(|o| {
                format!(
                    "{}.{}",
                    o.id.schema.as_deref().unwrap_or("public"),
                    o.id.name
                )
            })
            .collect();
        let mut data = BTreeMap::new();
        if !tables.is_empty() {
            let query = tables
                .iter()
                .map(|t| {
                    format!(
                        "SELECT {name}, count(*)::text, coalesce(md5(string_agg(r::text, E'\\n' ORDER BY r::text COLLATE \"C\")), '') FROM {t} r",
                        name = crate::runtime::table::quote_literal(t)
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let rows = conn
                .fetch_all(sqlx::raw_sql(&query))
                .await
                .map_err(|source| Error::Snapshot { source })?;
            for row in rows {
                let text = |i: usize| row.try_get::<String, _>(i).map_err(Error::Database);
                data.insert(text(0)?, (text(1)?.parse().unwrap_or(-1), text(2)?));
            }
        }
        Ok(State { schema, data })
    }

    /// How `after` differs from `self`.
    fn changes(&self, after: &State) -> Option<Reason> {
        let schema = self.schema.diff(&after.schema);
        let data: Vec<String> = after
            .data
            .iter()
            .filter_map(|(table, (rows, digest))| match self.data.get(table) {
                Some((before, _)) if before != rows => Some(format!(
                    "rows of table {table}: {before} after the first run, {rows} after the second"
                )),
                Some((_, before)) if before != digest => Some(format!(
                    "rows of table {table}: the same {rows}, but their contents changed"
                )),
                _ => None,
            })
            .collect();
        (!schema.is_empty() || !data.is_empty()).then_some(Reason::Changed { schema, data })
    }
}

/// Runs `m` once more as the runtime would, and compares the result with `first`.
async fn second_run(
    conn: &mut PgConnection,
    m: &Migration,
    first: &State,
    excluded: &Excluded,
    lock_timeout: Duration,
) -> Result<(), NotIdempotent> {
    let fail = |statement: Option<usize>, reason: Reason| NotIdempotent {
        version: m.version().to_owned(),
        statement: statement
            .and_then(|n| m.statements().nth(n - 1))
            .map(|s| (s.number, excerpt(s.sql))),
        reason,
    };
    let read_error = |e: Error| {
        fail(
            None,
            Reason::FirstRunFailed {
                message: e.to_string(),
            },
        )
    };
    if !m.is_transactional() {
        execute(
            conn,
            &format!("SET lock_timeout = '{}ms'", lock_timeout.as_millis()),
        )
        .await
        .map_err(|message| fail(None, Reason::SecondRunFailed { message }))?;
        for s in m.statements() {
            execute(conn, s.sql)
                .await
                .map_err(|message| fail(Some(s.number), Reason::SecondRunFailed { message }))?;
            let after = State::read(conn, excluded).await.map_err(read_error)?;
            if let Some(reason) = first.changes(&after) {
                return Err(fail(Some(s.number), reason));
            }
        }
        let _ = execute(conn, "RESET lock_timeout").await;
        return Ok(());
    }
    let script = format!(
        "BEGIN;\nSET LOCAL lock_timeout = '{}ms';\n{}\n;",
        lock_timeout.as_millis(),
        m.sql()
    );
    let outcome = match execute(conn, &script).await {
        Err(message) => Some(Reason::SecondRunFailed { message }),
        Ok(()) => {
            let after = State::read(conn, excluded).await.map_err(read_error)?;
            first.changes(&after)
        }
    };
    let _ = execute(conn, "ROLLBACK").await;
    match outcome {
        None => Ok(()),
        Some(reason) => {
            let statement = blame(conn, m, first, excluded).await;
            Err(fail(statement, reason))
        }
    }
}

/// The first statement that fails or changes something when `m` runs statement by statement
/// in a transaction that is then rolled back.
async fn blame(
    conn: &mut PgConnection,
    m: &Migration,
    first: &State,
    excluded: &Excluded,
) -> Option<usize> {
    execute(conn, "BEGIN").await.ok()?;
    let mut found = None;
    for s in m.statements() {
        let changed = match execute(conn, s.sql).await {
            Err(_) => true,
            Ok(()) => match State::read(conn, excluded).await {
                Ok(after) => first.changes(&after).is_some(),
                Err(_) => true,
            },
        };
        if changed {
            found = Some(s.number);
            break;
        }
    }
    let _ = execute(conn, "ROLLBACK").await;
    found
}

/// Runs a simple query; the error as PostgreSQL reported it.
async fn execute(conn: &mut PgConnection, sql: &str) -> Result<(), String> {
    conn.execute(sqlx::raw_sql(sql))
        .await
        .map(|_| ())
        .map_err(|e| PgErrorDetails::from_sqlx(&e).map_or_else(|| e.to_string(), |d| d.to_string()))
}

/// The statement on one line, at most 100 characters.
fn excerpt(sql: &str) -> String {
    let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= 100 {
        line
    } else {
        format!("{}…", line.chars().take(100).collect::<String>())
    }
}
