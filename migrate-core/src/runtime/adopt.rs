//! Adopting another tool's history: a database migrated by sqlx, diesel or refinery gets our
//! history table with every version that tool applied recorded as applied, so the first run
//! applies only what the old tool had not.
//!
//! Versions match by number: the imported list keeps each tool's version number
//! (`20210425153745_create_history` for sqlx's 20210425153745, diesel's `2021-04-25-153745`
//! recorded as `20210425153745`, refinery's `V1__initial` as 1). The other tool's table is only
//! read, so the team can still go back to that tool.

use sqlx::{Executor, PgConnection, Row};

use super::Error;
use super::history::{HistoryRow, RowState, Shape, record_baselined_sql, resolve_version};
use super::status::PendingAdoption;
use super::table::HistoryTable;
use crate::{Migration, Migrations, Tool};

/// The versions another tool recorded as applied.
#[derive(Debug)]
pub(crate) struct Found {
    tool: Tool,
    numbers: Vec<i64>,
    /// The first version the tool recorded as failed (sqlx's `success = false`).
    failed: Option<String>,
}

/// The adoption the next run performs on this database: another tool's history is adopted
/// only together with creating ours (`shape` missing), or when asked (`from`). `run`, `adopt`,
/// `status` and `plan` all decide through this one function.
pub(crate) async fn detect(
    conn: &mut PgConnection,
    table: &HistoryTable,
    shape: &Shape,
    migrations: &Migrations,
    rows: &[HistoryRow],
    from: Option<Tool>,
) -> Result<Option<Adoption>, Error> {
    let found = match (shape.exists(), from) {
        (true, None) => None,
        (_, from) => find(conn, from).await?,
    };
    Ok(found.map(|f| f.adoption(table, migrations, rows)))
}

/// Finds the tool's history to adopt: `from`'s table (an error when it is missing), or, when
/// `from` is `None`, the one tool table present (none: `Ok(None)`; several: an error, since
/// guessing could record the wrong history). A failed migration is kept in [`Found`].
async fn find(conn: &mut PgConnection, from: Option<Tool>) -> Result<Option<Found>, Error> {
    let present = present_tools(conn).await?;
    let tool = match (from, present.as_slice()) {
        (Some(tool), _) if present.contains(&tool) => tool,
        (Some(tool), _) => {
            return Err(Error::AdoptionSource {
                problem: format!(
                    "{tool}'s history table {} does not exist in this database (searched the search_path); check the database URL, or adopt from another tool",
                    tool.history_table()
                ),
            });
        }
        (None, []) => return Ok(None),
        (None, [tool]) => *tool,
        (None, several) => {
            let names: Vec<&str> = several.iter().map(|t| t.history_table()).collect();
            return Err(Error::AdoptionSource {
                problem: format!(
                    "the database has the history tables of several tools ({}); choose one with `migrate adopt --from <tool>` (Migrator::adopt)",
                    names.join(", ")
                ),
            });
        }
    };
    read(conn, tool).await.map(Some)
}

async fn present_tools(conn: &mut PgConnection) -> Result<Vec<Tool>, Error> {
    let checks: Vec<String> = Tool::ALL
        .iter()
        .map(|t| format!("(to_regclass('{}') IS NOT NULL)::text", t.history_table()))
        .collect();
    let row = conn
        .fetch_one(sqlx::raw_sql(&format!("SELECT {}", checks.join(", "))))
        .await?;
    let mut present = Vec::new();
    for (i, tool) in Tool::ALL.into_iter().enumerate() {
        if row.try_get::<String, _>(i)? == "true" {
            present.push(tool);
        }
    }
    Ok(present)
}

/// Selects `version` as text and whether the migration finished, one row per migration.
fn read_query(tool: Tool) -> String {
    let success = match tool {
        Tool::Sqlx => "success::text",
        Tool::Diesel | Tool::Refinery => "'true'",
    };
    format!(
        "SELECT version::text, {success} FROM {}",
        tool.history_table()
    )
}

async fn read(conn: &mut PgConnection, tool: Tool) -> Result<Found, Error> {
    let rows = conn
        .fetch_all(sqlx::raw_sql(&read_query(tool)))
        .await
        .map_err(|source| Error::History {
            table: tool.history_table().to_owned(),
            action: "read the other tool's",
            source,
        })?;
    let mut numbers = Vec::with_capacity(rows.len());
    let mut failed = None;
    for row in &rows {
        let version: String = row.try_get(0)?;
        if row.try_get::<String, _>(1)? != "true" {
            failed.get_or_insert(version);
            continue;
        }
        // diesel keeps the timestamp's digits (older versions kept the dashes too).
        let digits: String = version.chars().filter(char::is_ascii_digit).collect();
        let number = digits.parse().map_err(|_| Error::AdoptionSource {
            problem: format!(
                "{tool}'s history table {} holds version {version:?}, which is not a number",
                tool.history_table()
            ),
        })?;
        numbers.push(number);
    }
    Ok(Found {
        tool,
        numbers,
        failed,
    })
}

/// What adopting writes: one row per migration of the list the tool applied and our history
/// does not have yet.
pub(crate) struct Adoption {
    pub(crate) sql: Vec<String>,
    versions: Vec<String>,
    /// Our history's rows once the adoption is written.
    rows: Vec<HistoryRow>,
    unknown: usize,
    tool: Tool,
    failed: Option<String>,
}

impl Found {
    /// The rows to record, given our history's current `rows`.
    pub(crate) fn adoption(
        &self,
        table: &HistoryTable,
        migrations: &Migrations,
        rows: &[HistoryRow],
    ) -> Adoption {
        let recorded = |number: i64| {
            rows.iter().any(|r| {
                resolve_version(&r.version, migrations).is_some_and(|m| m.number() == number)
            })
        };
        let mut adoption = Adoption {
            sql: Vec::new(),
            versions: Vec::new(),
            rows: rows.to_vec(),
            unknown: 0,
            tool: self.tool,
            failed: self.failed.clone(),
        };
        for &number in &self.numbers {
            match migrations.get_by_number(number) {
                Some(m) if !recorded(number) => {
                    adoption.sql.push(record_baselined_sql(table, m));
                    adoption.versions.push(m.version().to_owned());
                    adoption.rows.push(baselined_row(m));
                }
                Some(_) => {}
                None => adoption.unknown += 1,
            }
        }
        adoption
    }
}

/// The row [`record_baselined_sql`] writes for `m`, as the history reads it back.
fn baselined_row(m: &Migration) -> HistoryRow {
    HistoryRow {
        version: m.version().to_owned(),
        checksum: Some(m.checksum()),
        state: RowState::Applied,
        progress: m.statement_spans().len(),
        error: None,
        applied_at: None,
        down_checksum: None,
    }
}

impl Adoption {
    /// Refuses a history that records a failed migration: adopting it would record a
    /// half-applied migration as applied.
    pub(crate) fn refuse_if_blocked(&self) -> Result<(), Error> {
        match &self.failed {
            Some(version) => Err(Error::AdoptFailedMigration {
                tool: self.tool,
                version: version.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Our history's rows as they will be once the adoption is written (what `plan` assesses).
    pub(crate) fn rows_after(&self) -> &[HistoryRow] {
        &self.rows
    }

    /// What `status` and `plan` show of it.
    pub(crate) fn pending(&self) -> PendingAdoption {
        PendingAdoption {
            tool: self.tool,
            history_table: self.tool.history_table().to_owned(),
            versions: self.versions.clone(),
            unknown: self.unknown,
            failed: self.failed.clone(),
        }
    }

    /// The versions recorded, in the other tool's order.
    pub(crate) fn into_versions(self) -> Vec<String> {
        self.versions
    }

    /// The one log line of an adoption, once its rows are written.
    pub(crate) fn log(&self, table: &HistoryTable) {
        tracing::info!(
            tool = self.tool.name(),
            adopted = self.versions.len(),
            unknown = self.unknown,
            "adopted {}'s history: recorded {} migration(s) it applied as applied in {} ({} version(s) of {} not in this list; {} left untouched)",
            self.tool,
            self.versions.len(),
            table.display_name(),
            self.unknown,
            self.tool.history_table(),
            self.tool.history_table(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlx_reads_a_success_column() {
        assert!(read_query(Tool::Sqlx).contains("success"));
        assert!(!read_query(Tool::Diesel).contains("success"));
    }
}
