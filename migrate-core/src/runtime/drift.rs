//! `drift`: the live schema against what its applied migrations make, replayed into a scratch
//! database that is dropped on every path.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection, PgPool, Row};

use super::error::sqlstate;
use super::table::HistoryTable;
use super::{Error, MigrationState, Status};
use crate::schema::read::{Excluded, read};
use crate::schema::{Diff, Snapshot};
use crate::{Migration, Migrations};

/// How the live schema compares with what its applied migrations make.
///
/// ```
/// use migrate_core::Drift;
///
/// let drift = Drift::default();
/// assert!(!drift.has_drift());
/// assert_eq!(drift.to_string(), "no drift: the schema is what the 0 applied migrations make");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Drift {
    /// How the live schema differs from the replayed one (expected: the migrations).
    pub differences: Diff,
    /// How many applied migrations were replayed.
    pub replayed: usize,
    /// Migrations pending (or failed) in the live database: not replayed.
    pub pending: Vec<String>,
    /// Versions the live history records and this program does not have: they could not be
    /// replayed, so what they made shows as unexpected.
    pub unknown: Vec<String>,
}

impl Drift {
    /// `true` when the live schema differs from what its applied migrations make.
    pub fn has_drift(&self) -> bool {
        !self.differences.is_empty()
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.differences.len();
        if n == 0 {
            write!(
                f,
                "no drift: the schema is what the {} applied migrations make",
                self.replayed
            )?;
        } else {
            write!(
                f,
                "drift: {n} difference{} between what the {} applied migrations make and the database:",
                if n == 1 { "" } else { "s" },
                self.replayed
            )?;
            for d in self.differences.iter() {
                write!(f, "\n  {d}")?;
            }
        }
        if !self.pending.is_empty() {
            write!(
                f,
                "\n{} pending migration(s) not replayed: {}",
                self.pending.len(),
                self.pending.join(", ")
            )?;
        }
        if !self.unknown.is_empty() {
            write!(
                f,
                "\n{} version(s) in the history that this program does not have, not replayed: {}",
                self.unknown.len(),
                self.unknown.join(", ")
            )?;
        }
        Ok(())
    }
}

/// What `drift` needs from the migrator.
pub(crate) struct Replay<'a> {
    pub(crate) migrations: &'a Migrations,
    pub(crate) table: HistoryTable,
    pub(crate) lock_timeout: Duration,
    /// A server where the scratch database is created instead of the live one's.
    pub(crate) scratch_url: Option<&'a str>,
}

pub(crate) async fn drift(
    replay: Replay<'_>,
    pool: &PgPool,
    status: Status,
) -> Result<Drift, Error> {
    let applied: Vec<Migration> = status
        .migrations
        .iter()
        .filter(|s| {
            matches!(
                s.state,
                MigrationState::Applied { .. } | MigrationState::Modified { .. }
            )
        })
        .filter_map(|s| replay.migrations.get(&s.version).cloned())
        .collect();
    let replayed = applied.len();
    let list = Migrations::from_vec(applied).map_err(|_| Error::Scratch {
        action: "list the migrations for",
        name: String::new(),
        hint: "",
        source: sqlx::Error::Protocol("the applied migrations do not form a valid list".into()),
    })?;
    let admin = match replay.scratch_url {
        Some(url) => PgConnectOptions::from_str(url).map_err(|source| Error::Scratch {
            action: "parse the server URL for",
            name: String::new(),
            hint: "; Migrator::scratch_url takes postgres://user@host:port/database",
            source,
        })?,
        None => (*pool.connect_options()).clone(),
    };
    let scratch = Scratch::create(admin, replay.scratch_url.is_some()).await?;
    let excluded = Excluded::bookkeeping(&replay.table);
    let expected = replay_into(&scratch, &list, &replay, &excluded);
    let live = async {
        let mut conn = pool.acquire().await?;
        read(&mut conn, &excluded).await
    };
    let (expected, live) = tokio::join!(expected, live);
    scratch.drop_now().await?;
    Ok(Drift {
        differences: expected?.diff(&live?),
        replayed,
        pending: status.pending().into_iter().map(str::to_owned).collect(),
        unknown: status.unknown,
    })
}

/// Applies `list` to the scratch database with the runtime, then reads its schema.
async fn replay_into(
    scratch: &Scratch,
    list: &Migrations,
    replay: &Replay<'_>,
    excluded: &Excluded,
) -> Result<Snapshot, Error> {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(scratch.options())
        .await
        .map_err(|source| scratch.error("connect to", "", source))?;
    let result = async {
        list.migrator()
            .table(replay.table.display_name())
            .lock_timeout(replay.lock_timeout)
            .run(&pool)
            .await
            .map_err(|source| Error::Replay {
                name: scratch.name.clone(),
                source: Box::new(source),
            })?;
        let mut conn = pool.acquire().await?;
        read(&mut conn, excluded).await
    }
    .await;
    pool.close().await;
    result
}

/// A scratch database; dropped (with `FORCE`) when this value is dropped, even on a panic or
/// when the future that owns it is cancelled.
struct Scratch {
    admin: PgConnectOptions,
    name: String,
    /// The backend that runs `CREATE DATABASE`: if the future is cancelled while it runs, the
    /// database appears after this value is gone, so the drop waits for that backend first.
    creator_pid: Option<i32>,
    dropped: bool,
}

impl Scratch {
    async fn create(admin: PgConnectOptions, own_server: bool) -> Result<Scratch, Error> {
        let mut scratch = Scratch {
            admin,
            name: scratch_name(),
            creator_pid: None,
            dropped: false,
        };
        let mut conn = PgConnection::connect_with(&scratch.admin)
            .await
            .map_err(|source| scratch.error("connect to the server to create", "", source))?;
        let pid: i32 = (&mut conn)
            .fetch_one(sqlx::query("SELECT pg_backend_pid()"))
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|source| scratch.error("create", "", source))?;
        scratch.creator_pid = Some(pid);
        let created = (&mut conn)
            .execute(sqlx::raw_sql(&format!(
                "CREATE DATABASE \"{}\"",
                scratch.name
            )))
            .await;
        scratch.creator_pid = None;
        let _ = conn.close().await;
        if let Err(source) = created {
            // Nothing was created: there is nothing to drop.
            scratch.dropped = true;
            let hint = if sqlstate(&source).as_deref() == Some("42501") && !own_server {
                "; the role may not create databases: grant it CREATEDB, or give drift a server where it may with Migrator::scratch_url (CLI: --scratch-url)"
            } else {
                ""
            };
            return Err(scratch.error("create", hint, source));
        }
        Ok(scratch)
    }

    fn options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }

    fn error(&self, action: &'static str, hint: &'static str, source: sqlx::Error) -> Error {
        Error::Scratch {
            action,
            name: self.name.clone(),
            hint,
            source,
        }
    }

    /// Drops the database now, reporting a failure.
    async fn drop_now(mut self) -> Result<(), Error> {
        let dropped = drop_database(&self.admin, &self.name, None).await;
        // Cancelled before this line, the value's `Drop` still drops the database.
        self.dropped = true;
        dropped.map_err(|source| self.error("drop", "; drop it by hand", source))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin, name, pid) = (self.admin.clone(), self.name.clone(), self.creator_pid);
        // Drop may run on a runtime that is shutting down, or during a panic: a thread with
        // its own runtime, joined so the database is gone when this returns.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(rt) => rt.block_on(drop_database(&admin, &name, pid)).err(),
                Err(e) => Some(sqlx::Error::Io(e)),
            }
            .map(|e| (name, e))
        });
        if let Ok(Some((name, e))) = dropper.join() {
            tracing::error!(
                "the scratch database {name} of a drift check could not be dropped; drop it by hand: {e}"
            );
        }
    }
}

async fn drop_database(
    admin: &PgConnectOptions,
    name: &str,
    creator_pid: Option<i32>,
) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect_with(admin).await?;
    if let Some(pid) = creator_pid {
        // The creating backend finishes its CREATE DATABASE before it notices its client left.
        for _ in 0..100 {
            let running: bool = (&mut conn)
                .fetch_one(
                    sqlx::query("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                        .bind(pid),
                )
                .await?
                .try_get(0)?;
            if !running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (&mut conn)
        .execute(sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .await?;
    let _ = conn.close().await;
    Ok(())
}

/// A name no other scratch database has: process, counter, clock.
fn scratch_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "migrate_drift_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
