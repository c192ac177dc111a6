//! Running one migration: in one transaction with its history row (one round trip), or
//! statement by statement with recorded progress (`#[no_transaction]`).

use std::time::{Duration, Instant};

use sqlx::Executor;
use sqlx::PgConnection;

use super::Error;
use super::error::{PgErrorDetails, is_connection_loss};
use super::history::{
    MS_SINCE_TRANSACTION_START, record_applied_sql, record_failed_sql, record_progress_sql,
    record_running_sql,
};
use super::index::{self, IndexRebuild};
use super::retry::LockRetries;
use super::table::HistoryTable;
use crate::{Migration, Statement};

/// How the run applies its migrations.
pub(crate) struct Apply<'a> {
    pub(crate) table: &'a HistoryTable,
    pub(crate) lock_timeout: Duration,
    pub(crate) retries: LockRetries,
    /// Whether a session `SET` reaches the next statement (not through a transaction pooler,
    /// where `#[no_transaction]` statements then run without the run's `lock_timeout`).
    pub(crate) sessions_hold: bool,
    /// A statement a transaction runs before `COMMIT` that fails (division by zero) unless the
    /// run still holds its lock; `None` only where nothing runs (`plan`, tests).
    pub(crate) commit_guard: Option<String>,
}

/// What applying noticed, for the report.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) lock_timeout_retries: u32,
    pub(crate) rebuilt_indexes: Vec<IndexRebuild>,
}

/// Retries of one migration (or statement) that hits `lock_timeout`.
struct Retrying {
    retries: LockRetries,
    done: u32,
}

impl Retrying {
    fn new(retries: LockRetries) -> Retrying {
        Retrying { retries, done: 0 }
    }

    /// Whether to try `what` again after `error`: after a pause, if it hit `lock_timeout`
    /// and retries are left. Logs and counts each retry.
    async fn again(&mut self, error: &Error, what: &str, tally: &mut Tally) -> bool {
        if !hit_lock_timeout(error) {
            return false;
        }
        let Some(pause) = self.retries.pause_before(self.done + 1) else {
            return false;
        };
        self.done += 1;
        tracing::warn!(
            retry = self.done,
            of = self.retries.retries,
            pause_ms = pause.as_millis() as u64,
            "{what} hit lock_timeout (a busy table); retrying: {error}"
        );
        tally.lock_timeout_retries += 1;
        tokio::time::sleep(pause).await;
        true
    }
}

fn hit_lock_timeout(error: &Error) -> bool {
    matches!(error, Error::Migration { source, .. } if source.code == "55P03")
}

/// The longest excerpt of a failing statement put in an error.
const EXCERPT_CHARS: usize = 160;

/// The script of a transactional migration, sent as one simple-query message.
pub(crate) struct TransactionScript {
    pub(crate) sql: String,
    /// Byte offset of the migration's SQL within `sql`.
    sql_offset: usize,
    /// Statements before the migration's own (BEGIN, SET LOCAL).
    prefix_statements: usize,
}

pub(crate) fn transaction_script(
    table: &HistoryTable,
    m: &Migration,
    lock_timeout: Duration,
    commit_guard: Option<&str>,
) -> TransactionScript {
    let prefix = format!(
        "BEGIN;\nSET LOCAL lock_timeout = '{}ms';\n",
        lock_timeout.as_millis()
    );
    // The newline ends a trailing `--` comment; an extra `;` after a terminated statement is
    // an empty statement, which PostgreSQL ignores.
    let guard = commit_guard.map(|g| format!("{g};\n")).unwrap_or_default();
    let sql = format!(
        "{prefix}{}\n;\n{guard}{};\nCOMMIT;",
        m.sql(),
        record_applied_sql(table, m, MS_SINCE_TRANSACTION_START)
    );
    TransactionScript {
        sql,
        sql_offset: prefix.len(),
        prefix_statements: 2,
    }
}

/// The statements a `#[no_transaction]` migration sends, in order, starting after `progress`.
pub(crate) fn no_transaction_script(
    table: &HistoryTable,
    m: &Migration,
    lock_timeout: Duration,
    progress: usize,
) -> Vec<String> {
    let mut sql = vec![
        record_running_sql(table, m, progress),
        set_lock_timeout_sql(lock_timeout),
    ];
    for statement in m.statements().skip(progress) {
        sql.push(statement.sql.to_owned());
        sql.push(record_progress_sql(table, m, statement.number));
    }
    sql.push(RESET_LOCK_TIMEOUT.to_owned());
    sql.push(record_applied_sql(table, m, "/* measured ms */ 0"));
    sql
}

fn set_lock_timeout_sql(lock_timeout: Duration) -> String {
    format!("SET lock_timeout = '{}ms'", lock_timeout.as_millis())
}

const RESET_LOCK_TIMEOUT: &str = "RESET lock_timeout";

/// Runs a transactional migration in one round trip, again while it hits `lock_timeout`.
pub(crate) async fn run_transactional(
    conn: &mut PgConnection,
    apply: &Apply<'_>,
    m: &Migration,
    tally: &mut Tally,
) -> Result<usize, Error> {
    let what = format!("migration {}", m.version());
    let mut retrying = Retrying::new(apply.retries);
    loop {
        match run_transaction_once(conn, apply, m).await {
            Err(e) if retrying.again(&e, &what, tally).await => {}
            done => return done,
        }
    }
}

/// Runs a transactional migration in one round trip; on failure rolls back and names the
/// statement.
async fn run_transaction_once(
    conn: &mut PgConnection,
    apply: &Apply<'_>,
    m: &Migration,
) -> Result<usize, Error> {
    let table = apply.table;
    let script = transaction_script(table, m, apply.lock_timeout, apply.commit_guard.as_deref());
    let mut completed = 0usize;
    let failure = {
        let mut results = (&mut *conn).execute_many(sqlx::raw_sql(&script.sql));
        loop {
            match std::future::poll_fn(|cx| results.as_mut().poll_next(cx)).await {
                None => break None,
                Some(Ok(_)) => completed += 1,
                Some(Err(e)) => break Some(e),
            }
        }
    };
    let Some(error) = failure else {
        return Ok(m.statement_spans().len());
    };
    if is_connection_loss(&error) {
        // PostgreSQL rolls back what the lost session had not committed.
        return Err(Error::Interrupted {
            version: m.version().to_owned(),
            source: error,
        });
    }
    // The transaction is aborted; rolling back is all that is left.
    let rollback = (&mut *conn).execute(sqlx::raw_sql("ROLLBACK")).await;
    let Some(details) = PgErrorDetails::from_sqlx(&error) else {
        return Err(Error::Database(error));
    };
    if let Err(e) = rollback {
        tracing::warn!(error = %e, "ROLLBACK after a failed migration failed");
    }
    let in_sql = details
        .position
        .and_then(|p| char_position_to_byte(&script.sql, p))
        .and_then(|b| b.checked_sub(script.sql_offset))
        .filter(|&b| b <= m.sql().len());
    let by_count = completed
        .checked_sub(script.prefix_statements)
        .map(|done| done + 1)
        .filter(|&n| n <= m.statement_spans().len());
    let statement = in_sql
        .and_then(|b| statement_at(m, b))
        .or(by_count)
        .and_then(|n| m.statements().nth(n - 1));
    match statement {
        Some(statement) => Err(migration_error(m, statement, in_sql, details)),
        // The commit guard found the lease taken over (it divides by zero to say so).
        None if apply.commit_guard.is_some() && details.code == "22012" => Err(Error::LockLost {
            table: table.display_name(),
        }),
        // The error is in the bookkeeping around the migration (BEGIN, SET, the history row).
        None => Err(Error::History {
            table: table.display_name(),
            action: "record the migration in",
            source: error,
        }),
    }
}

/// Runs a `#[no_transaction]` migration statement by statement from `progress`, recording
/// progress after each; on failure records it as failed.
pub(crate) async fn run_no_transaction(
    conn: &mut PgConnection,
    apply: &Apply<'_>,
    m: &Migration,
    progress: usize,
    tally: &mut Tally,
) -> Result<usize, Error> {
    let started = Instant::now();
    let table = apply.table;
    let history_err = |action: &'static str| {
        let table = table.display_name();
        move |source| Error::History {
            table,
            action,
            source,
        }
    };
    let interrupted = |source| Error::Interrupted {
        version: m.version().to_owned(),
        source,
    };
    let bookkeeping = |action: &'static str| {
        let history_err = history_err(action);
        move |source: sqlx::Error| {
            if is_connection_loss(&source) {
                interrupted(source)
            } else {
                history_err(source)
            }
        }
    };
    (&mut *conn)
        .execute(sqlx::raw_sql(&record_running_sql(table, m, progress)))
        .await
        .map_err(bookkeeping("record the migration in"))?;
    if apply.sessions_hold {
        (&mut *conn)
            .execute(sqlx::raw_sql(&set_lock_timeout_sql(apply.lock_timeout)))
            .await
            .map_err(bookkeeping("set lock_timeout before"))?;
    } else {
        tracing::warn!(
            version = m.version(),
            "the connection is pooled per transaction: #[no_transaction] statements run without the run's lock_timeout (set one for the role instead)"
        );
    }
    let mut ran = 0;
    let statements: Vec<Statement<'_>> = m.statements().skip(progress).collect();
    for statement in statements {
        let what = format!("migration {}, statement {}", m.version(), statement.number);
        let mut retrying = Retrying::new(apply.retries);
        let done = loop {
            match run_statement(conn, m, statement).await {
                Err(e) if retrying.again(&e, &what, tally).await => {}
                done => break done,
            }
        };
        if let Err(error) = done {
            if let Error::Migration { source, .. } = &error {
                record_failure(conn, apply, m, statement.number - 1, source).await?;
            }
            return Err(error);
        }
        if let Some(rebuild) = index::ensure_valid(conn, m, statement.sql)
            .await
            .map_err(|source| statement_error(m, statement, source))?
        {
            tally.rebuilt_indexes.push(rebuild);
        }
        ran += 1;
        (&mut *conn)
            .execute(sqlx::raw_sql(&record_progress_sql(
                table,
                m,
                statement.number,
            )))
            .await
            .map_err(bookkeeping("record progress in"))?;
    }
    if apply.sessions_hold {
        (&mut *conn)
            .execute(sqlx::raw_sql(RESET_LOCK_TIMEOUT))
            .await
            .map_err(bookkeeping("reset lock_timeout after"))?;
    }
    (&mut *conn)
        .execute(sqlx::raw_sql(&record_applied_sql(
            table,
            m,
            &started.elapsed().as_millis().to_string(),
        )))
        .await
        .map_err(bookkeeping("record the migration in"))?;
    Ok(ran)
}

/// Runs one statement of a `#[no_transaction]` migration.
async fn run_statement(
    conn: &mut PgConnection,
    m: &Migration,
    statement: Statement<'_>,
) -> Result<(), Error> {
    match (&mut *conn).execute(sqlx::raw_sql(statement.sql)).await {
        Ok(_) => Ok(()),
        Err(error) => Err(statement_error(m, statement, error)),
    }
}

/// The error of a failed statement: the migration's, or the connection's.
fn statement_error(m: &Migration, statement: Statement<'_>, error: sqlx::Error) -> Error {
    if is_connection_loss(&error) {
        return Error::Interrupted {
            version: m.version().to_owned(),
            source: error,
        };
    }
    let Some(details) = PgErrorDetails::from_sqlx(&error) else {
        return Error::Database(error);
    };
    let start = statement_offset(m, statement.number);
    let in_sql = details
        .position
        .and_then(|p| char_position_to_byte(statement.sql, p))
        .map(|b| start + b);
    migration_error(m, statement, in_sql, details)
}

/// Records a `#[no_transaction]` migration as failed after `done` statements. If the
/// connection goes away meanwhile the row stays `running` at `done`, which resumes the same
/// way: the run reconnects, reruns the statement and records what it says then.
async fn record_failure(
    conn: &mut PgConnection,
    apply: &Apply<'_>,
    m: &Migration,
    done: usize,
    cause: &PgErrorDetails,
) -> Result<(), Error> {
    if apply.sessions_hold {
        let _ = (&mut *conn)
            .execute(sqlx::raw_sql(RESET_LOCK_TIMEOUT))
            .await;
    }
    let sql = record_failed_sql(apply.table, m, done, &cause.to_string());
    match (&mut *conn).execute(sqlx::raw_sql(&sql)).await {
        Ok(_) => Ok(()),
        Err(source) if is_connection_loss(&source) => {
            tracing::error!(
                version = m.version(),
                "migration {} failed at statement {}: {cause}; the connection was lost before the failure could be recorded",
                m.version(),
                done + 1
            );
            Err(Error::Interrupted {
                version: m.version().to_owned(),
                source,
            })
        }
        Err(source) => Err(Error::History {
            table: apply.table.display_name(),
            action: "record the failure in",
            source,
        }),
    }
}

fn migration_error(
    m: &Migration,
    statement: Statement<'_>,
    byte_in_sql: Option<usize>,
    details: PgErrorDetails,
) -> Error {
    let (line, column) = match byte_in_sql.and_then(|b| m.sql().get(..b)) {
        Some(before) => {
            let line = before.matches('\n').count() as u32 + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before[line_start..].chars().count() as u32 + 1;
            (line, Some(column))
        }
        None => (statement.line, None),
    };
    Error::Migration {
        version: m.version().to_owned(),
        statement: statement.number,
        line,
        column,
        excerpt: excerpt(statement.sql),
        transactional: m.is_transactional(),
        source: Box::new(details),
    }
}

/// The statement on one line, shortened.
pub(crate) fn excerpt(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= EXCERPT_CHARS {
        one_line
    } else {
        let cut: String = one_line.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    }
}

/// The statement (1-based) whose span holds this byte offset of the migration's SQL.
fn statement_at(m: &Migration, byte: usize) -> Option<usize> {
    m.statement_spans()
        .iter()
        .position(|s| (s.start as usize) <= byte && byte <= s.end as usize)
        .map(|i| i + 1)
}

fn statement_offset(m: &Migration, number: usize) -> usize {
    m.statement_spans()
        .get(number - 1)
        .map_or(0, |s| s.start as usize)
}

/// PostgreSQL's error position counts characters from 1.
fn char_position_to_byte(text: &str, position: usize) -> Option<usize> {
    let index = position.checked_sub(1)?;
    text.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .nth(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        assert_eq!(char_position_to_byte("héllo", 3), Some(3));
        assert_eq!(char_position_to_byte("abc", 1), Some(0));
        assert_eq!(char_position_to_byte("abc", 0), None);
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("SELECT\n   1,\n 2"), "SELECT 1, 2");
        assert!(excerpt(&"x ".repeat(500)).ends_with('…'));
    }
}
