//! Running one migration: in one transaction with its history row (one round trip), or
//! statement by statement with recorded progress (`#[no_transaction]`).

use std::time::{Duration, Instant};

use sqlx::Executor;
use sqlx::PgConnection;

use super::Error;
use super::error::PgErrorDetails;
use super::history::{
    MS_SINCE_TRANSACTION_START, record_applied_sql, record_failed_sql, record_progress_sql,
    record_running_sql,
};
use super::table::HistoryTable;
use crate::{Migration, Statement};

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
) -> TransactionScript {
    let prefix = format!(
        "BEGIN;\nSET LOCAL lock_timeout = '{}ms';\n",
        lock_timeout.as_millis()
    );
    // The newline ends a trailing `--` comment; an extra `;` after a terminated statement is
    // an empty statement, which PostgreSQL ignores.
    let sql = format!(
        "{prefix}{}\n;\n{};\nCOMMIT;",
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
        format!("SET lock_timeout = '{}ms'", lock_timeout.as_millis()),
    ];
    for statement in m.statements().skip(progress) {
        sql.push(statement.sql.to_owned());
        sql.push(record_progress_sql(table, m, statement.number));
    }
    sql.push("RESET lock_timeout".to_owned());
    sql.push(record_applied_sql(table, m, "/* measured ms */ 0"));
    sql
}

/// Runs a transactional migration in one round trip; on failure rolls back and names the
/// statement.
pub(crate) async fn run_transactional(
    conn: &mut PgConnection,
    table: &HistoryTable,
    m: &Migration,
    lock_timeout: Duration,
) -> Result<usize, Error> {
    let script = transaction_script(table, m, lock_timeout);
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
    // The transaction is aborted (or the connection is gone); rolling back is all that is left.
    let rollback = (&mut *conn).execute(sqlx::raw_sql("ROLLBACK")).await;
    let Some(details) = PgErrorDetails::from_sqlx(&error) else {
        return Err(Error::Interrupted {
            version: m.version().to_owned(),
            source: error,
        });
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
    table: &HistoryTable,
    m: &Migration,
    lock_timeout: Duration,
    progress: usize,
) -> Result<usize, Error> {
    let started = Instant::now();
    let history_err = |action: &'static str| {
        let table = table.display_name();
        move |source| Error::History {
            table,
            action,
            source,
        }
    };
    (&mut *conn)
        .execute(sqlx::raw_sql(&record_running_sql(table, m, progress)))
        .await
        .map_err(history_err("record the migration in"))?;
    (&mut *conn)
        .execute(sqlx::raw_sql(&format!(
            "SET lock_timeout = '{}ms'",
            lock_timeout.as_millis()
        )))
        .await?;
    let mut ran = 0;
    let statements: Vec<Statement<'_>> = m.statements().skip(progress).collect();
    for statement in statements {
        if let Err(error) = (&mut *conn).execute(sqlx::raw_sql(statement.sql)).await {
            let done = statement.number - 1;
            let Some(details) = PgErrorDetails::from_sqlx(&error) else {
                return Err(Error::Interrupted {
                    version: m.version().to_owned(),
                    source: error,
                });
            };
            let _ = (&mut *conn)
                .execute(sqlx::raw_sql("RESET lock_timeout"))
                .await;
            (&mut *conn)
                .execute(sqlx::raw_sql(&record_failed_sql(
                    table,
                    m,
                    done,
                    &details.to_string(),
                )))
                .await
                .map_err(history_err("record the failure in"))?;
            let start = statement_offset(m, statement.number);
            let in_sql = details
                .position
                .and_then(|p| char_position_to_byte(statement.sql, p))
                .map(|b| start + b);
            return Err(migration_error(m, statement, in_sql, details));
        }
        ran += 1;
        (&mut *conn)
            .execute(sqlx::raw_sql(&record_progress_sql(
                table,
                m,
                statement.number,
            )))
            .await
            .map_err(history_err("record progress in"))?;
    }
    (&mut *conn)
        .execute(sqlx::raw_sql("RESET lock_timeout"))
        .await?;
    (&mut *conn)
        .execute(sqlx::raw_sql(&record_applied_sql(
            table,
            m,
            &started.elapsed().as_millis().to_string(),
        )))
        .await
        .map_err(history_err("record the migration in"))?;
    Ok(ran)
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
fn excerpt(sql: &str) -> String {
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
