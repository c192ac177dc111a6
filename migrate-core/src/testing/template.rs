//! Template databases: a list applied once, into a database named by the list's digest, then
//! cloned for every test with `CREATE DATABASE … TEMPLATE`.
//!
//! A template is built under a temporary name and renamed when complete, so a clone never
//! sees a half-built one; builders of the same digest (other tests, other test binaries)
//! queue on an advisory lock and find it built. A template accepts no connections
//! (`ALLOW_CONNECTIONS false`): PostgreSQL clones only a database nobody is connected to.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};

use super::{Error, Server};
use crate::Migrator;

/// Published templates: `migrate_tpl_<digest>`.
const PREFIX: &str = "migrate_tpl_";
/// Templates being built: `migrate_tpb_<digest>_<pid>`.
const BUILDING_PREFIX: &str = "migrate_tpb_";
/// Hex digits of the digest in the name (80 bits).
const DIGEST_DIGITS: usize = 20;

/// The template of one list, applied with one migrator's options.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    digest: String,
    lock_key: i64,
    /// The list's lineage: the crate under test, the history table and the first migration.
    /// A template of the same lineage with another digest is an older version of the list,
    /// stale, and dropped when this one is built.
    lineage: String,
}

impl Template {
    pub(crate) fn new(migrator: &Migrator<'_>) -> Template {
        let mut hash = Sha256::new();
        hash.update(b"migrate test template 2\0");
        hash.update(migrator.table_name().as_bytes());
        for m in migrator.migrations().iter() {
            hash.update(b"\0");
            hash.update(m.version().as_bytes());
            hash.update(b"\0");
            hash.update(m.checksum().as_bytes());
            hash.update([u8::from(m.is_transactional())]);
        }
        let bytes: [u8; 32] = hash.finalize().into();
        let digest: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut key = [0u8; 8];
        key.copy_from_slice(&bytes[..8]);
        // Cargo names the package whose tests run; outside cargo the lineage is shared.
        let krate = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
        let first = migrator
            .migrations()
            .iter()
            .next()
            .map_or("", |m| m.version());
        Template {
            digest: digest[..DIGEST_DIGITS].to_owned(),
            lock_key: i64::from_be_bytes(key),
            lineage: format!(
                "crate {krate}, table {}, first {first}",
                migrator.table_name()
            ),
        }
    }

    /// The template database's name.
    pub(crate) fn name(&self) -> String {
        format!("{PREFIX}{}", self.digest)
    }

    fn comment(&self) -> String {
        format!("migrate test template: {}", self.lineage)
    }

    /// Creates `database` as a clone of the template, building the template first if it does
    /// not exist (or was dropped meanwhile as stale by another run).
    pub(crate) async fn clone_into(
        &self,
        server: &Server,
        migrator: &Migrator<'_>,
        database: &str,
    ) -> Result<(), Error> {
        let sql = format!(
            "CREATE DATABASE \"{database}\" TEMPLATE \"{}\"",
            self.name()
        );
        let mut admin = server.admin().await?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = sqlx::raw_sql(&sql).execute(&mut admin).await;
            let code = result.as_ref().err().and_then(sql_state);
            match (result, code.as_deref()) {
                (Ok(_), _) => break,
                // The template does not exist yet.
                (Err(_), Some("3D000")) if attempt <= 3 => {
                    self.build(server, migrator, &mut admin).await?;
                }
                // Someone is connected to the template: only a builder renaming it, briefly.
                (Err(_), Some("55006")) if attempt <= 50 => {
                    tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
                }
                (Err(e), _) => return Err(server.error(sql, e)),
            }
        }
        let _ = admin.close().await;
        Ok(())
    }

    /// Builds the template unless another builder did, holding the digest's advisory lock.
    async fn build(
        &self,
        server: &Server,
        migrator: &Migrator<'_>,
        admin: &mut PgConnection,
    ) -> Result<(), Error> {
        execute_bound(server, admin, "SELECT pg_advisory_lock($1)", self.lock_key).await?;
        let built = self.build_locked(server, migrator, admin).await;
        let unlocked = execute_bound(
            server,
            admin,
            "SELECT pg_advisory_unlock($1)",
            self.lock_key,
        )
        .await;
        built.and(unlocked)
    }

    async fn build_locked(
        &self,
        server: &Server,
        migrator: &Migrator<'_>,
        admin: &mut PgConnection,
    ) -> Result<(), Error> {
        if self.exists(server, admin).await? {
            return Ok(());
        }
        // A builder that died left its half-built database; nobody else builds this digest now.
        let leftovers = format!("{BUILDING_PREFIX}{}_%", self.digest);
        for name in databases_like(server, admin, &leftovers).await? {
            execute(
                server,
                admin,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            )
            .await?;
        }
        let building = format!("{BUILDING_PREFIX}{}_{}", self.digest, std::process::id());
        execute(server, admin, &format!("CREATE DATABASE \"{building}\"")).await?;
        let applied = self.apply(server, migrator, admin, &building).await;
        if applied.is_err() {
            let drop = format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)");
            let _ = execute(server, admin, &drop).await;
            return applied;
        }
        self.drop_stale(server, admin).await;
        Ok(())
    }

    /// Runs the list in `building`, then publishes it under the template's name.
    async fn apply(
        &self,
        server: &Server,
        migrator: &Migrator<'_>,
        admin: &mut PgConnection,
        building: &str,
    ) -> Result<(), Error> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(server.connect_options().database(building))
            .await
            .map_err(|e| server.error(format!("connecting to `{building}`"), e))?;
        let run = migrator.clone().run(&pool).await;
        pool.close().await;
        run.map_err(|e| Error::Migrate {
            template: self.name(),
            source: Box::new(e),
        })?;
        compact(server, building).await?;
        let comment = self.comment().replace('\'', "''");
        execute(
            server,
            admin,
            &format!("COMMENT ON DATABASE \"{building}\" IS '{comment}'"),
        )
        .await?;
        let seal =
            format!("ALTER DATABASE \"{building}\" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true");
        execute(server, admin, &seal).await?;
        let publish = format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{}\"",
            self.name()
        );
        execute_when_unused(server, admin, &publish).await
    }

    async fn exists(&self, server: &Server, admin: &mut PgConnection) -> Result<bool, Error> {
        let sql = "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)";
        sqlx::query_scalar(sql)
            .bind(self.name())
            .fetch_one(admin)
            .await
            .map_err(|e| server.error(sql, e))
    }

    /// Drops the templates of the same lineage with another digest. Best effort: a template
    /// being cloned is dropped once the clone finishes (DROP waits for it), and a run that
    /// still wants it rebuilds it.
    async fn drop_stale(&self, server: &Server, admin: &mut PgConnection) {
        let sql = "SELECT datname::text FROM pg_database \
                   WHERE starts_with(datname, $1) AND datname <> $2 \
                   AND shobj_description(oid, 'pg_database') = $3";
        let stale: Vec<String> = match sqlx::query_scalar(sql)
            .bind(PREFIX)
            .bind(self.name())
            .bind(self.comment())
            .fetch_all(&mut *admin)
            .await
        {
            Ok(names) => names,
            Err(_) => return,
        };
        for name in stale {
            let unseal = format!("ALTER DATABASE \"{name}\" WITH IS_TEMPLATE false");
            if execute(server, admin, &unseal).await.is_ok() {
                let _ = execute(
                    server,
                    admin,
                    &format!("DROP DATABASE IF EXISTS \"{name}\""),
                )
                .await;
            }
        }
    }
}

/// Rewrites the database's own tables and catalogs without their dead rows.
///
/// Every clone copies the template page by page, and a history's DDL leaves the catalogs full
/// of dead rows (crates.io's 285 migrations: 10.0 MB, 8.8 MB compacted, against 7.5 MB for an
/// empty database), which every test would pay for again. The shared catalogs are left alone:
/// compacting `pg_database` would lock out every other test creating its database meanwhile.
/// One connection of its own, closed before the template is published (a pool's backends may
/// linger, and the rename needs the database unused).
async fn compact(server: &Server, building: &str) -> Result<(), Error> {
    let options = server.connect_options().database(building);
    let mut conn = PgConnection::connect_with(&options)
        .await
        .map_err(|e| server.error(format!("connecting to `{building}`"), e))?;
    let list = "SELECT string_agg(oid::regclass::text, ', ') FROM pg_class \
                WHERE relkind IN ('r', 'm') AND NOT relisshared AND relpersistence = 'p'";
    let tables: Option<String> = match sqlx::query_scalar(list).fetch_one(&mut conn).await {
        Ok(tables) => tables,
        Err(e) => return Err(server.error(list, e)),
    };
    let result = match tables {
        Some(tables) => {
            let vacuum = format!("VACUUM FULL {tables}");
            let done = sqlx::raw_sql(&vacuum).execute(&mut conn).await;
            done.map(drop).map_err(|e| server.error("VACUUM FULL", e))
        }
        None => Ok(()),
    };
    let _ = conn.close().await;
    result
}

fn sql_state(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

async fn execute(server: &Server, admin: &mut PgConnection, sql: &str) -> Result<(), Error> {
    sqlx::raw_sql(sql)
        .execute(admin)
        .await
        .map(drop)
        .map_err(|e| server.error(sql, e))
}

/// [`execute`] for a statement that needs the database to itself: a closed pool's backends
/// exit a moment after their clients (55006 until then), so it is tried again, for up to
/// about 4 s.
async fn execute_when_unused(
    server: &Server,
    admin: &mut PgConnection,
    sql: &str,
) -> Result<(), Error> {
    let mut attempt = 0u64;
    loop {
        attempt += 1;
        match sqlx::raw_sql(sql).execute(&mut *admin).await {
            Ok(_) => return Ok(()),
            Err(e) if attempt < 30 && sql_state(&e).as_deref() == Some("55006") => {
                tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
            }
            Err(e) => return Err(server.error(sql, e)),
        }
    }
}

async fn execute_bound(
    server: &Server,
    admin: &mut PgConnection,
    sql: &str,
    key: i64,
) -> Result<(), Error> {
    sqlx::query(sql)
        .bind(key)
        .execute(admin)
        .await
        .map(drop)
        .map_err(|e| server.error(sql, e))
}

async fn databases_like(
    server: &Server,
    admin: &mut PgConnection,
    pattern: &str,
) -> Result<Vec<String>, Error> {
    let sql = "SELECT datname::text FROM pg_database WHERE datname LIKE $1";
    sqlx::query_scalar(sql)
        .bind(pattern)
        .fetch_all(admin)
        .await
        .map_err(|e| server.error(sql, e))
}
