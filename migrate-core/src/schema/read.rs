//! Reading a snapshot from the catalog: one query, one round trip.

use sqlx::{Executor, PgConnection, PgPool, Row};

use super::{Object, ObjectId, ObjectKind, Snapshot};
use crate::runtime::Error;

/// The catalog query; see the file for what it reads and how.
const CATALOG_SQL: &str = include_str!("catalog.sql");

/// Where the excluded tables go in [`CATALOG_SQL`].
const EXCLUDED_MARKER: &str = "/*EXCLUDED*/";

/// Tables a snapshot leaves out (the history table), as string literals of their quoted,
/// qualified names, for `to_regclass`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Excluded(Vec<String>);

impl Excluded {
    pub(crate) fn tables(regclass_literals: impl IntoIterator<Item = String>) -> Excluded {
        Excluded(regclass_literals.into_iter().collect())
    }

    /// The runtime's own tables: the history table, and the lease strategy's lock table
    /// beside it (created on first use of a lease, so its presence is not drift).
    #[cfg(feature = "runtime")]
    pub(crate) fn bookkeeping(table: &crate::runtime::table::HistoryTable) -> Excluded {
        Excluded::tables([
            table.regclass_literal(),
            crate::runtime::table::quote_literal(&table.lock_table_quoted()),
        ])
    }
}

/// The rows query: (kind, schema, name, parent_kind, parent_name, key, value).
pub(crate) fn rows_query(excluded: &Excluded) -> String {
    CATALOG_SQL.replace(EXCLUDED_MARKER, &excluded.0.join(", "))
}

/// A query whose one row and column is the SHA-256 of every row of [`rows_query`], in an order
/// that does not depend on the server's collation.
pub(crate) fn digest_query(excluded: &Excluded) -> String {
    format!(
        "SELECT encode(sha256(convert_to(coalesce(string_agg(line, E'\\n' ORDER BY line COLLATE \"C\"), ''), 'UTF8')), 'hex') \
         FROM (SELECT row(kind, schema, name, parent_kind, parent_name, key, value)::text AS line FROM ({}) catalog) lines",
        rows_query(excluded)
    )
}

impl Snapshot {
    /// Reads every user object of the pool's database, in one query.
    ///
    /// Leaves out `pg_catalog`, `information_schema`, `pg_toast` and the objects extensions
    /// create (the extensions themselves are listed). To leave the history table out too, use
    /// [`Migrator::snapshot`](crate::runtime::Migrator::snapshot).
    ///
    /// ```no_run
    /// # async fn demo(pool: sqlx::PgPool) -> Result<(), migrate_core::Error> {
    /// let snapshot = migrate_core::schema::Snapshot::read(&pool).await?;
    /// println!("{} objects", snapshot.len());
    /// # Ok(()) }
    /// ```
    pub async fn read(pool: &PgPool) -> Result<Snapshot, Error> {
        let mut conn = pool.acquire().await?;
        read(&mut conn, &Excluded::default()).await
    }
}

/// Reads a snapshot on this connection.
pub(crate) async fn read(conn: &mut PgConnection, excluded: &Excluded) -> Result<Snapshot, Error> {
    let query = rows_query(excluded);
    let rows = (&mut *conn)
        .fetch_all(sqlx::raw_sql(&query))
        .await
        .map_err(|source| Error::Snapshot { source })?;
    let mut snapshot = Snapshot::default();
    for row in &rows {
        let text = |i: usize| {
            row.try_get::<Option<String>, _>(i)
                .map_err(|source| Error::Snapshot { source })
        };
        let id = object_id(text(0)?, text(1)?, text(2)?)?;
        let parent = match (text(3)?, text(4)?) {
            (Some(kind), Some(name)) => Some(object_id(Some(kind), id.schema.clone(), Some(name))?),
            _ => None,
        };
        let object = snapshot
            .objects
            .entry(id.clone())
            .or_insert_with(|| Object::new(id));
        object.parent = object.parent.take().or(parent);
        if let (Some(key), Some(value)) = (text(5)?, text(6)?) {
            object.properties.insert(key, value);
        }
    }
    Ok(snapshot)
}

fn object_id(
    kind: Option<String>,
    schema: Option<String>,
    name: Option<String>,
) -> Result<ObjectId, Error> {
    let kind_text = kind.unwrap_or_default();
    let kind = ObjectKind::parse(&kind_text).ok_or_else(|| Error::Snapshot {
        source: sqlx::Error::Protocol(format!(
            "the catalog query returned an unknown object kind {kind_text:?}"
        )),
    })?;
    Ok(ObjectId {
        kind,
        schema,
        name: name.unwrap_or_default(),
    })
}
