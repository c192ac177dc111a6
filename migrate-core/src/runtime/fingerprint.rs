//! The schema fingerprint: a digest of the schema snapshot, stored after each run that took
//! the lock, compared by `verify` with the live schema's in one round trip.
//!
//! It covers exactly what a [`Snapshot`](crate::schema::Snapshot) covers (objects by name and
//! their definitions; not statistics, sequence values, ownership, privileges or comments),
//! minus the history table, and is computed by the server: SHA-256 over the snapshot's rows in
//! byte order. It is stored as the history table's comment, so it needs no table of its own,
//! is read with the history's own privileges, and travels with the history through
//! `pg_dump`. The comment also records how many history rows there were: a fingerprint
//! recorded for another history (a run whose recording failed, rows deleted by hand) counts as
//! not recorded rather than as drift.

use sqlx::{Executor, PgConnection, PgPool, Row};

use super::table::{HistoryTable, quote_literal};
use super::{Error, Status};
use crate::schema::read::{Excluded, digest_query};

/// The comment's first word, so another comment is never taken for a fingerprint.
const TAG: &str = "migrate-schema-fingerprint";

/// What the stored fingerprint says about the live schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// The schema is the one the last run left.
    Matches,
    /// The schema changed since.
    Drifted { recorded: String, live: String },
    /// No fingerprint, or one recorded for another history.
    NotRecorded,
}

/// The stored fingerprint, as the comment holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Recorded {
    digest: String,
    history_rows: i64,
}

impl Recorded {
    fn comment(&self) -> String {
        format!(
            "{TAG} sha256:{} rows:{} (written by migrate after each run; do not edit)",
            self.digest, self.history_rows
        )
    }

    fn parse(comment: &str) -> Option<Recorded> {
        let mut words = comment.split_whitespace();
        (words.next()? == TAG).then_some(())?;
        let digest = words.next()?.strip_prefix("sha256:")?.to_owned();
        let history_rows = words.next()?.strip_prefix("rows:")?.parse().ok()?;
        Some(Recorded {
            digest,
            history_rows,
        })
    }
}

fn excluded(table: &HistoryTable) -> Excluded {
    Excluded::bookkeeping(table)
}

/// Computes the live fingerprint and stores it on the history table; called under the run
/// lock after a run. Two round trips: the digest, then the comment.
pub(crate) async fn record(conn: &mut PgConnection, table: &HistoryTable) -> Result<(), Error> {
    let query = format!(
        "SELECT ({}), (SELECT count(*) FROM {})::text",
        digest_query(&excluded(table)),
        table.quoted()
    );
    let row = (&mut *conn)
        .fetch_one(sqlx::raw_sql(&query))
        .await
        .map_err(|source| Error::Snapshot { source })?;
    let text = |i: usize| row.try_get::<String, _>(i).map_err(Error::Database);
    let recorded = Recorded {
        digest: text(0)?,
        history_rows: text(1)?.parse().unwrap_or(-1),
    };
    let comment = format!(
        "COMMENT ON TABLE {} IS {}",
        table.quoted(),
        quote_literal(&recorded.comment())
    );
    (&mut *conn)
        .execute(sqlx::raw_sql(&comment))
        .await
        .map_err(|source| Error::History {
            table: table.display_name(),
            action: "record the schema fingerprint on",
            source,
        })?;
    Ok(())
}

/// [`record`], logging instead of failing: the migrations are applied by then, and a missing
/// fingerprint only means `verify` cannot tell drift until the next run records one.
pub(crate) async fn record_or_warn(conn: &mut PgConnection, table: &HistoryTable) {
    if let Err(e) = record(conn, table).await {
        tracing::warn!(
            "the schema fingerprint was not recorded, so verify cannot detect drift until a run records it: {e}"
        );
    }
}

/// Compares the stored fingerprint with the live schema's, in one query: one round trip once
/// the connection has prepared it (one more, the first time).
pub(crate) async fn check(conn: &mut PgConnection, table: &HistoryTable) -> Result<Check, Error> {
    let query = format!(
        "SELECT obj_description({}::regclass, 'pg_class'), (SELECT count(*) FROM {})::text, ({})",
        table.regclass_literal(),
        table.quoted(),
        digest_query(&excluded(table))
    );
    // Prepared (and cached by the connection): planning this query costs more than running
    // it, and a health check runs it again and again on the same connections.
    let row = (&mut *conn)
        .fetch_one(sqlx::query(&query))
        .await
        .map_err(|source| Error::Snapshot { source })?;
    let text = |i: usize| row.try_get::<Option<String>, _>(i).map_err(Error::Database);
    let recorded = text(0)?.as_deref().and_then(Recorded::parse);
    let history_rows: Option<i64> = text(1)?.and_then(|n| n.parse().ok());
    let live = text(2)?.unwrap_or_default();
    Ok(match recorded {
        Some(r) if Some(r.history_rows) != history_rows => Check::NotRecorded,
        Some(r) if r.digest == live => Check::Matches,
        Some(r) => Check::Drifted {
            recorded: format!("sha256:{}", r.digest),
            live: format!("sha256:{live}"),
        },
        None => Check::NotRecorded,
    })
}

/// `verify`'s last step, for a status with everything applied: `Err(Drifted)` when the schema
/// changed since the last run.
pub(crate) async fn verify(
    pool: &PgPool,
    table: &HistoryTable,
    status: Status,
) -> Result<Status, Error> {
    if !status.history_table_exists {
        return Ok(status);
    }
    let mut conn = pool.acquire().await?;
    match check(&mut conn, table).await? {
        Check::Drifted { recorded, live } => Err(Error::Drifted {
            status: Box::new(status),
            recorded,
            live,
        }),
        Check::Matches | Check::NotRecorded => Ok(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comment_round_trips_and_other_comments_are_not_fingerprints() {
        let r = Recorded {
            digest: "ab".repeat(32),
            history_rows: 12,
        };
        assert_eq!(Recorded::parse(&r.comment()), Some(r));
        assert_eq!(Recorded::parse("the history of our migrations"), None);
        assert_eq!(Recorded::parse(&format!("{TAG} md5:00 rows:1")), None);
    }
}
