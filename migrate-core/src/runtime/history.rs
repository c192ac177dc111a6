//! The history table: its shape, reading it, creating or adopting it, and the rows written to it.

use sqlx::Executor;
use sqlx::{PgConnection, Row, ValueRef};

use super::Error;
use super::assess::same_checksum_bytes;
use super::error::sqlstate;
use super::table::{HistoryTable, quote_literal};
use crate::{Checksum, Migration, Migrations};

/// The state column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowState {
    Applied,
    /// A `#[no_transaction]` migration started and did not finish: the run was killed, or is
    /// still going (status takes no lock, so it cannot tell which).
    Running,
    Failed,
    /// A `#[no_transaction]` down started and did not finish: `progress` counts its statements
    /// done, and a rollback resumes after them.
    Reverting,
}

impl RowState {
    /// The state column's value; an adopted table without the column reads as `applied`.
    fn parse(text: &str) -> Option<RowState> {
        [
            RowState::Applied,
            RowState::Running,
            RowState::Failed,
            RowState::Reverting,
        ]
        .into_iter()
        .find(|state| state.name() == text)
    }

    /// The state column's value: what [`RowState::parse`] reads.
    pub(crate) fn name(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::Running => "running",
            RowState::Failed => "failed",
            RowState::Reverting => "reverting",
        }
    }
}

/// One row of the history table, every column parsed into its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub(crate) version: String,
    /// `None` for rows of adopted tables written without checksums.
    pub(crate) checksum: Option<Checksum>,
    pub(crate) state: RowState,
    /// Statements done, for a `#[no_transaction]` migration that has not finished.
    pub(crate) progress: usize,
    pub(crate) error: Option<String>,
    pub(crate) applied_at: Option<String>,
    /// The checksum of the down stored with the row; `None` when it stores none.
    pub(crate) down_checksum: Option<Checksum>,
}

/// The columns of the current shape, in the order [`read_query`] selects them.
const COLUMNS: [&str; 7] = [
    "version",
    "checksum",
    "state",
    "progress",
    "error",
    "applied_at",
    "down_checksum",
];

/// The history table as found in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    Missing {
        schema_missing: bool,
    },
    Present {
        /// Names of the columns it has.
        columns: Vec<String>,
        version_is_text: bool,
        version_is_unique: bool,
    },
}

impl Shape {
    /// The shape this crate creates.
    pub(crate) fn current() -> Shape {
        Shape::Present {
            columns: COLUMNS
                .iter()
                .chain(&["execution_ms", "down_sql"])
                .map(|c| (*c).to_owned())
                .collect(),
            version_is_text: true,
            version_is_unique: true,
        }
    }

    pub(crate) fn exists(&self) -> bool {
        matches!(self, Shape::Present { .. })
    }

    fn has(&self, column: &str) -> bool {
        match self {
            Shape::Missing { .. } => false,
            Shape::Present { columns, .. } => columns.iter().any(|c| c == column),
        }
    }
}

/// The one query of the fast path; fails with 42P01/3F000 (no table) or 42703 (adoptable shape).
/// Only the columns that decide whether a run has work: it runs on every start, and each column
/// more costs the server measurably (with `progress` and `error` it took 50 % longer at 1,000
/// rows). Progress and errors are read under the lock, when there is something to resume.
pub(crate) fn read_query(table: &HistoryTable) -> String {
    format!(
        "SELECT version::text, checksum, state FROM {}",
        table.quoted()
    )
}

/// What the fast-path read found.
pub(crate) enum FastRead {
    Rows(RawRows),
    /// No table, or one that must be adopted first.
    NeedsSetup,
}

/// The fast path's rows as received, decoded only as far as a decision needs.
pub(crate) struct RawRows {
    rows: Vec<sqlx::postgres::PgRow>,
}

impl RawRows {
    /// `true` when the history is exactly the list, every migration applied with its checksum:
    /// a run has nothing to write and nothing to warn about. Borrows the text from the rows and
    /// looks each version up by binary search, so the common case costs little more than the
    /// read; anything else (an unknown, unfinished or number-only row, a missing or different
    /// checksum, an undecodable value) answers `false` and goes through the full assessment.
    pub(crate) fn all_applied(&self, migrations: &Migrations) -> bool {
        if self.rows.len() != migrations.len() {
            return false;
        }
        let list = migrations.as_slice();
        let mut seen = vec![false; list.len()];
        // A heap table usually returns rows in insertion order, which is the list's order:
        // the row after the one just found is tried before a search.
        let mut next = 0;
        self.rows.iter().all(|row| {
            // Raw bytes: `try_get`'s type check cost ten times the read itself, and the version
            // and checksum only need comparing (every simple-protocol value is text anyway).
            let raw = |i: usize| -> Option<Option<&[u8]>> {
                let value = row.try_get_raw(i).ok()?;
                if value.is_null() {
                    return Some(None);
                }
                value.as_bytes().ok().map(Some)
            };
            let (Some(Some(version)), Some(Some(checksum)), Some(Some(b"applied"))) =
                (raw(0), raw(1), raw(2))
            else {
                return false;
            };
            let in_order = list
                .get(next)
                .is_some_and(|m| m.version().as_bytes() == version);
            let Some(i) = (if in_order {
                Some(next)
            } else {
                std::str::from_utf8(version)
                    .ok()
                    .and_then(|v| migrations.position(v))
            }) else {
                return false;
            };
            next = i + 1;
            same_checksum_bytes(checksum, list[i].checksum())
                && !std::mem::replace(&mut seen[i], true)
        })
    }

    /// Every row, parsed, for deciding whether the run has work: `progress` reads as 0 and
    /// `error` as none (the query leaves them out), so these rows must not plan a resumption.
    pub(crate) fn parse(&self, table: &HistoryTable) -> Result<Vec<HistoryRow>, Error> {
        parse_rows(&self.rows, table)
    }
}

/// Reads the history in one simple-protocol round trip.
pub(crate) async fn read_fast(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<FastRead, Error> {
    let query = read_query(table);
    match conn.fetch_all(sqlx::raw_sql(&query)).await {
        Ok(rows) => Ok(FastRead::Rows(RawRows { rows })),
        Err(e) if matches!(sqlstate(&e).as_deref(), Some("42P01" | "3F000" | "42703")) => {
            Ok(FastRead::NeedsSetup)
        }
        Err(source) => Err(Error::History {
            table: table.display_name(),
            action: "read",
            source,
        }),
    }
}

fn parse_rows(
    rows: &[sqlx::postgres::PgRow],
    table: &HistoryTable,
) -> Result<Vec<HistoryRow>, Error> {
    rows.iter().map(|row| parse_row(row, table)).collect()
}

/// One row, each column parsed into its type; a value the runtime does not understand is an
/// error naming the table, the version and the value, never a default.
fn parse_row(row: &sqlx::postgres::PgRow, table: &HistoryTable) -> Result<HistoryRow, Error> {
    let text = |i: usize| {
        row.try_get::<Option<String>, _>(i)
            .map_err(|source| Error::History {
                table: table.display_name(),
                action: "read",
                source,
            })
    };
    // Columns the fast path's query leaves out.
    let optional = |i: usize| if i < row.len() { text(i) } else { Ok(None) };
    let invalid =
        |version: &str, column, value: Option<String>, expected| Error::InvalidHistoryRow {
            table: table.display_name(),
            version: version.to_owned(),
            column,
            value: value.unwrap_or_else(|| "NULL".to_owned()),
            expected,
        };
    let version = text(0)?.ok_or_else(|| invalid("", "version", None, "a version"))?;
    let invalid = |column, value, expected| invalid(&version, column, value, expected);
    let checksum_in = |column, text: Option<String>| match text {
        None => Ok(None),
        Some(recorded) => recorded.parse::<Checksum>().map(Some).map_err(|_| {
            invalid(
                column,
                Some(recorded),
                "a checksum (64 hexadecimal digits) or NULL",
            )
        }),
    };
    let checksum = checksum_in("checksum", text(1)?)?;
    let state = text(2)?;
    let state = state.as_deref().and_then(RowState::parse).ok_or_else(|| {
        invalid(
            "state",
            state.clone(),
            "'applied', 'running', 'failed' or 'reverting'",
        )
    })?;
    let progress = if row.len() <= 3 {
        0
    } else {
        let progress = text(3)?;
        progress
            .as_deref()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| invalid("progress", progress.clone(), "a number of statements"))?
    };
    Ok(HistoryRow {
        checksum,
        state,
        progress,
        error: optional(4)?,
        applied_at: optional(5)?,
        down_checksum: checksum_in("down_checksum", optional(6)?)?,
        version,
    })
}

/// Finds out whether the table exists and which columns it has; read-only.
pub(crate) async fn inspect(conn: &mut PgConnection, table: &HistoryTable) -> Result<Shape, Error> {
    let regclass = table.regclass_literal();
    let query = format!(
        "SELECT a.attname::text, a.atttypid = 'text'::regtype, \
         EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique \
                 AND i.indnatts = 1 AND i.indkey[0] = a.attnum) \
         FROM pg_attribute a WHERE a.attrelid = to_regclass({regclass}) AND a.attnum > 0 AND NOT a.attisdropped; \
         SELECT to_regnamespace({schema}) IS NULL",
        schema = quote_literal(
            &table
                .schema_name_quoted()
                .unwrap_or_else(|| "public".to_owned())
        ),
    );
    let rows = (&mut *conn)
        .fetch_all(sqlx::raw_sql(&query))
        .await
        .map_err(|source| Error::History {
            table: table.display_name(),
            action: "inspect",
            source,
        })?;
    let mut columns = Vec::new();
    let (mut version_is_text, mut version_is_unique, mut schema_missing) = (false, false, false);
    for row in &rows {
        if row.len() == 1 {
            let missing: bool = row.try_get(0).map_err(Error::Database)?;
            schema_missing = table.schema_name_quoted().is_some() && missing;
            continue;
        }
        let column: String = row.try_get(0).map_err(Error::Database)?;
        if column == "version" {
            version_is_text = row.try_get(1).map_err(Error::Database)?;
            version_is_unique = row.try_get(2).map_err(Error::Database)?;
        }
        columns.push(column);
    }
    if columns.is_empty() {
        return Ok(Shape::Missing { schema_missing });
    }
    if !columns.iter().any(|c| c == "version") {
        return Err(Error::InvalidTable {
            name: table.display_name(),
            reason: "the table exists but has no `version` column, so it is not a migration history; choose another name with Migrator::table".to_owned(),
        });
    }
    Ok(Shape::Present {
        columns,
        version_is_text,
        version_is_unique,
    })
}

/// Reads whatever shape the table has (missing columns read as defaults); read-only.
pub(crate) async fn read_any(
    conn: &mut PgConnection,
    table: &HistoryTable,
    shape: &Shape,
) -> Result<Vec<HistoryRow>, Error> {
    let rows = select_rows(conn, table, shape, &[]).await?;
    parse_rows(&rows, table)
}

/// [`read_any`], each row with the down SQL it stores (`None` where the table predates it):
/// what a rollback reads.
pub(crate) async fn read_with_downs(
    conn: &mut PgConnection,
    table: &HistoryTable,
    shape: &Shape,
) -> Result<Vec<(HistoryRow, Option<String>)>, Error> {
    let rows = select_rows(conn, table, shape, &["down_sql"]).await?;
    rows.iter()
        .map(|row| {
            let down_sql = row
                .try_get::<Option<String>, _>(COLUMNS.len())
                .map_err(|source| Error::History {
                    table: table.display_name(),
                    action: "read",
                    source,
                })?;
            Ok((parse_row(row, table)?, down_sql))
        })
        .collect()
}

/// Every row, [`COLUMNS`] then `extra`, as text; a column the table lacks reads as its default.
async fn select_rows(
    conn: &mut PgConnection,
    table: &HistoryTable,
    shape: &Shape,
    extra: &[&str],
) -> Result<Vec<sqlx::postgres::PgRow>, Error> {
    if !shape.exists() {
        return Ok(Vec::new());
    }
    let select: Vec<String> = COLUMNS
        .iter()
        .chain(extra)
        .map(|&c| match (shape.has(c), c) {
            (true, _) => format!("{c}::text"),
            (false, "state") => "'applied'::text".to_owned(),
            (false, "progress") => "'0'::text".to_owned(),
            (false, _) => "NULL::text".to_owned(),
        })
        .collect();
    let query = format!("SELECT {} FROM {}", select.join(", "), table.quoted());
    (&mut *conn)
        .fetch_all(sqlx::raw_sql(&query))
        .await
        .map_err(|source| Error::History {
            table: table.display_name(),
            action: "read",
            source,
        })
}

/// A history row whose version is only the number (hand-rolled tables often keep that): it
/// names the code's migration with that number.
pub(crate) fn resolve_version<'m>(
    row_version: &str,
    migrations: &'m Migrations,
) -> Option<&'m Migration> {
    resolve_position(row_version, migrations).map(|i| &migrations.as_slice()[i])
}

/// [`resolve_version`] as the migration's index in the list.
pub(crate) fn resolve_position(row_version: &str, migrations: &Migrations) -> Option<usize> {
    migrations.position(row_version).or_else(|| {
        let number: i64 = row_version.parse().ok()?;
        migrations.position_of_number(number)
    })
}

/// The DDL and updates that bring the table to the current shape; empty when it has it.
pub(crate) fn setup_sql(
    table: &HistoryTable,
    shape: &Shape,
    rows: &[HistoryRow],
    migrations: &Migrations,
) -> Vec<String> {
    let t = table.quoted();
    let mut sql = Vec::new();
    match shape {
        Shape::Missing { schema_missing } => {
            if *schema_missing && let Some(schema) = table.schema_name_quoted() {
                sql.push(format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
            }
            sql.push(format!(
                "CREATE TABLE IF NOT EXISTS {t} (version TEXT PRIMARY KEY, checksum TEXT, \
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_ms BIGINT, \
                 state TEXT NOT NULL DEFAULT 'applied', progress INTEGER NOT NULL DEFAULT 0, error TEXT, \
                 down_sql TEXT, down_checksum TEXT)"
            ));
        }
        Shape::Present {
            version_is_text,
            version_is_unique,
            ..
        } => {
            let added: Vec<String> = [
                ("checksum", "TEXT"),
                ("applied_at", "TIMESTAMPTZ NOT NULL DEFAULT now()"),
                ("execution_ms", "BIGINT"),
                ("state", "TEXT NOT NULL DEFAULT 'applied'"),
                ("progress", "INTEGER NOT NULL DEFAULT 0"),
                ("error", "TEXT"),
                // The down SQL of each applied migration, so an older binary can revert it.
                ("down_sql", "TEXT"),
                ("down_checksum", "TEXT"),
            ]
            .into_iter()
            .filter(|(c, _)| !shape.has(c))
            .map(|(c, ty)| format!("ADD COLUMN IF NOT EXISTS {c} {ty}"))
            .collect();
            if !*version_is_text {
                sql.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN version TYPE TEXT USING version::text"
                ));
            }
            if !added.is_empty() {
                sql.push(format!("ALTER TABLE {t} {}", added.join(", ")));
            }
            if !*version_is_unique {
                sql.push(format!(
                    "CREATE UNIQUE INDEX IF NOT EXISTS \"{}_version_key\" ON {t} (version)",
                    table.bare_name()
                ));
            }
        }
    }
    // Rows keyed by number only get the full version, so later upserts find them.
    for row in rows {
        if let Some(m) = resolve_version(&row.version, migrations)
            && m.version() != row.version
            && !rows.iter().any(|r| r.version == m.version())
        {
            sql.push(format!(
                "UPDATE {t} SET version = {} WHERE version = {}",
                quote_literal(m.version()),
                quote_literal(&row.version)
            ));
        }
    }
    let missing: Vec<String> = rows
        .iter()
        .filter(|r| r.checksum.is_none() && r.state == RowState::Applied)
        .filter_map(|r| resolve_version(&r.version, migrations))
        .map(|m| {
            format!(
                "({}, {})",
                quote_literal(m.version()),
                quote_literal(&m.checksum().to_string())
            )
        })
        .collect();
    if !missing.is_empty() {
        sql.push(format!(
            "UPDATE {t} AS h SET checksum = c.checksum FROM (VALUES {}) AS c(version, checksum) \
             WHERE h.version = c.version AND h.checksum IS NULL",
            missing.join(", ")
        ));
    }
    sql
}

/// In a transactional migration the duration is computed in SQL from the transaction's start,
/// so recording it needs no second round trip.
pub(crate) const MS_SINCE_TRANSACTION_START: &str =
    "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint";

/// The upsert that records a migration as applied; `ms` is the SQL for its duration.
/// The down's SQL and checksum as SQL values (`NULL, NULL` without a down).
fn down_values(m: &Migration) -> (String, String) {
    match m.down() {
        Some(down) => (
            quote_literal(down.sql()),
            quote_literal(&down.checksum().to_string()),
        ),
        None => ("NULL".to_owned(), "NULL".to_owned()),
    }
}

pub(crate) fn record_applied_sql(table: &HistoryTable, m: &Migration, ms: &str) -> String {
    let (down, down_checksum) = down_values(m);
    format!(
        "INSERT INTO {t} (version, checksum, applied_at, execution_ms, state, progress, error, down_sql, down_checksum) \
         VALUES ({v}, {c}, now(), {ms}, 'applied', {n}, NULL, {down}, {down_checksum}) \
         ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = EXCLUDED.applied_at, \
         execution_ms = EXCLUDED.execution_ms, state = 'applied', progress = EXCLUDED.progress, error = NULL, \
         down_sql = EXCLUDED.down_sql, down_checksum = EXCLUDED.down_checksum",
        t = table.quoted(),
        v = quote_literal(m.version()),
        c = quote_literal(&m.checksum().to_string()),
        n = m.statement_spans().len(),
    )
}

/// Marks a `#[no_transaction]` migration as started, resuming after `progress` statements.
pub(crate) fn record_running_sql(table: &HistoryTable, m: &Migration, progress: usize) -> String {
    format!(
        "INSERT INTO {t} (version, checksum, state, progress, error) \
         VALUES ({v}, {c}, 'running', {progress}, NULL) \
         ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, state = 'running', \
         progress = EXCLUDED.progress, error = NULL",
        t = table.quoted(),
        v = quote_literal(m.version()),
        c = quote_literal(&m.checksum().to_string()),
    )
}

/// Records that `progress` statements of a `#[no_transaction]` migration are done.
pub(crate) fn record_progress_sql(table: &HistoryTable, m: &Migration, progress: usize) -> String {
    format!(
        "UPDATE {} SET progress = {progress} WHERE version = {}",
        table.quoted(),
        quote_literal(m.version())
    )
}

/// Records a `#[no_transaction]` migration as failed after `progress` statements.
pub(crate) fn record_failed_sql(
    table: &HistoryTable,
    m: &Migration,
    progress: usize,
    error: &str,
) -> String {
    format!(
        "UPDATE {} SET state = 'failed', progress = {progress}, error = {} WHERE version = {}",
        table.quoted(),
        quote_literal(error),
        quote_literal(m.version())
    )
}

/// Marks a `#[no_transaction]` down as started, or as having done `progress` statements.
pub(crate) fn record_reverting_sql(table: &HistoryTable, version: &str, progress: usize) -> String {
    format!(
        "UPDATE {} SET state = 'reverting', progress = {progress}, error = NULL WHERE version = {}",
        table.quoted(),
        quote_literal(version)
    )
}

/// Records why a `#[no_transaction]` down stopped (its row stays `reverting`).
pub(crate) fn record_revert_error_sql(table: &HistoryTable, version: &str, error: &str) -> String {
    format!(
        "UPDATE {} SET error = {} WHERE version = {}",
        table.quoted(),
        quote_literal(error),
        quote_literal(version)
    )
}

/// Deletes a reverted migration's row.
pub(crate) fn delete_row_sql(table: &HistoryTable, version: &str) -> String {
    format!(
        "DELETE FROM {} WHERE version = {}",
        table.quoted(),
        quote_literal(version)
    )
}

/// Records the code's checksum for an applied migration ([`ChecksumPolicy::Accept`](super::ChecksumPolicy::Accept)).
pub(crate) fn record_checksum_sql(table: &HistoryTable, m: &Migration) -> String {
    format!(
        "UPDATE {} SET checksum = {} WHERE version = {}",
        table.quoted(),
        quote_literal(&m.checksum().to_string()),
        quote_literal(m.version())
    )
}

/// Records a migration as applied without running it (`baseline`).
pub(crate) fn record_baselined_sql(table: &HistoryTable, m: &Migration) -> String {
    format!(
        "INSERT INTO {t} (version, checksum, applied_at, execution_ms, state, progress, error) \
         VALUES ({v}, {c}, now(), NULL, 'applied', {n}, NULL) \
         ON CONFLICT (version) DO UPDATE SET checksum = EXCLUDED.checksum, state = 'applied', \
         progress = EXCLUDED.progress, error = NULL",
        t = table.quoted(),
        v = quote_literal(m.version()),
        c = quote_literal(&m.checksum().to_string()),
        n = m.statement_spans().len(),
    )
}
