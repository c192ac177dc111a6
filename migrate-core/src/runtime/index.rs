//! Concurrent index builds: an interrupted `CREATE INDEX CONCURRENTLY` (a killed process, a
//! lock timeout, a lost connection) leaves an INVALID index behind, which `IF NOT EXISTS` then
//! skips. After each such statement the run looks the index up in `pg_index` and rebuilds an
//! invalid one; `status` reports invalid indexes of applied migrations.
//!
//! The runtime has no SQL parser: the index is named by reading the statement's leading words,
//! which for these two statements the grammar fixes (`CREATE [UNIQUE] INDEX CONCURRENTLY [IF
//! NOT EXISTS] name ON [ONLY] table`, `REINDEX [(…)] INDEX CONCURRENTLY name`).

use std::fmt;

use sqlx::{Executor, PgConnection, Row};

use super::Error;
use super::table::quote_literal;
use crate::Migration;

/// An index that a run found INVALID after its statement and rebuilt.
///
/// ```
/// use migrate_core::IndexRebuild;
///
/// let r = IndexRebuild::new("003_orders_idx", "public.orders_created_idx");
/// assert_eq!(r.to_string(), "rebuilt invalid index public.orders_created_idx (migration 003_orders_idx)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct IndexRebuild {
    /// The migration whose statement builds the index.
    pub version: String,
    /// The index, schema-qualified.
    pub index: String,
}

impl IndexRebuild {
    /// A rebuild of `index` by migration `version`.
    pub fn new(version: impl Into<String>, index: impl Into<String>) -> Self {
        IndexRebuild {
            version: version.into(),
            index: index.into(),
        }
    }
}

impl fmt::Display for IndexRebuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rebuilt invalid index {} (migration {})",
            self.index, self.version
        )
    }
}

/// An index named by an applied migration that PostgreSQL marks INVALID (never used by
/// queries, still maintained on every write), as `status` and `verify` report it.
///
/// ```
/// use migrate_core::InvalidIndex;
///
/// let i = InvalidIndex::new("003_orders_idx", "public.orders_created_idx");
/// assert!(i.to_string().contains("DROP INDEX CONCURRENTLY"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct InvalidIndex {
    /// The applied migration that names the index.
    pub version: String,
    /// The index, schema-qualified.
    pub index: String,
}

impl InvalidIndex {
    /// Index `index` of migration `version`, found invalid.
    pub fn new(version: impl Into<String>, index: impl Into<String>) -> Self {
        InvalidIndex {
            version: version.into(),
            index: index.into(),
        }
    }
}

impl fmt::Display for InvalidIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "index {} of migration {} is INVALID (an interrupted concurrent build): run `DROP INDEX CONCURRENTLY {}` and rerun the statement that builds it",
            self.index, self.version, self.index
        )
    }
}

/// A name as PostgreSQL resolves it: unquoted parts fold to lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name {
    schema: Option<String>,
    name: String,
}

impl Name {
    /// Quoted, as `to_regclass` reads it.
    fn regclass_text(&self) -> String {
        let quote = |p: &str| format!("\"{}\"", p.replace('"', "\"\""));
        match &self.schema {
            Some(s) => format!("{}.{}", quote(s), quote(&self.name)),
            None => quote(&self.name),
        }
    }
}

/// The index a concurrent build names, and where it is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// `CREATE INDEX CONCURRENTLY name ON table`: the index is in the table's schema.
    Create { index: String, table: Name },
    /// `REINDEX INDEX CONCURRENTLY name`.
    Reindex { index: Name },
}

impl Target {
    /// The bare index name and a relation in its schema, for [`lookup_sql`].
    fn lookup(&self) -> (String, String) {
        match self {
            Target::Create { index, table } => (index.clone(), table.regclass_text()),
            Target::Reindex { index } => (index.name.clone(), index.regclass_text()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An unquoted word, lower-cased.
    Word(String),
    /// A quoted identifier, as written.
    Quoted(String),
    Punct(char),
}

/// The first tokens of a statement (comments skipped), enough to read a name.
fn tokens(sql: &str, limit: usize) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = sql.char_indices().peekable();
    while out.len() < limit {
        let Some((i, c)) = chars.next() else { break };
        match c {
            c if c.is_whitespace() => {}
            '-' if sql[i..].starts_with("--") => {
                while chars.next_if(|&(_, c)| c != '\n').is_some() {}
            }
            '/' if sql[i..].starts_with("/*") => {
                chars.next();
                let mut depth = 1;
                while depth > 0 {
                    match chars.next() {
                        Some((j, '*')) if sql[j..].starts_with("*/") => {
                            chars.next();
                            depth -= 1;
                        }
                        Some((j, '/')) if sql[j..].starts_with("/*") => {
                            chars.next();
                            depth += 1;
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
            }
            '"' => {
                let mut ident = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) if chars.next_if(|&(_, c)| c == '"').is_some() => {
                            ident.push('"')
                        }
                        Some((_, '"')) | None => break,
                        Some((_, c)) => ident.push(c),
                    }
                }
                out.push(Token::Quoted(ident));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = c.to_lowercase().collect::<String>();
                while let Some((_, c)) =
                    chars.next_if(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '$')
                {
                    word.extend(c.to_lowercase());
                }
                out.push(Token::Word(word));
            }
            c => out.push(Token::Punct(c)),
        }
    }
    out
}

/// Reads tokens in order.
struct Reader {
    tokens: Vec<Token>,
    at: usize,
}

impl Reader {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w == word)
    }

    fn word(&mut self, word: &str) -> Option<()> {
        self.peek_word(word).then(|| self.at += 1)
    }

    fn optional(&mut self, words: &[&str]) {
        if self.peek_word(words[0]) {
            self.at += words.len();
        }
    }

    fn ident(&mut self) -> Option<String> {
        let ident = match self.tokens.get(self.at)? {
            Token::Word(w) | Token::Quoted(w) => w.clone(),
            Token::Punct(_) => return None,
        };
        self.at += 1;
        Some(ident)
    }

    fn name(&mut self) -> Option<Name> {
        let first = self.ident()?;
        if self.tokens.get(self.at) == Some(&Token::Punct('.')) {
            self.at += 1;
            return Some(Name {
                schema: Some(first),
                name: self.ident()?,
            });
        }
        Some(Name {
            schema: None,
            name: first,
        })
    }

    /// Skips a parenthesised option list, if there is one.
    fn options(&mut self) -> Option<()> {
        if self.tokens.get(self.at) != Some(&Token::Punct('(')) {
            return Some(());
        }
        let close = self.tokens[self.at..]
            .iter()
            .position(|t| *t == Token::Punct(')'))?;
        self.at += close + 1;
        Some(())
    }
}

/// The index a `CREATE INDEX CONCURRENTLY` or `REINDEX INDEX CONCURRENTLY` statement names;
/// `None` for any other statement (and for an unnamed index, which the checker rejects).
fn target(sql: &str) -> Option<Target> {
    let mut r = Reader {
        tokens: tokens(sql, 24),
        at: 0,
    };
    if r.word("reindex").is_some() {
        r.options()?;
        r.word("index")?;
        r.word("concurrently")?;
        return Some(Target::Reindex { index: r.name()? });
    }
    r.word("create")?;
    r.optional(&["unique"]);
    r.word("index")?;
    r.word("concurrently")?;
    r.optional(&["if", "not", "exists"]);
    if r.peek_word("on") {
        return None;
    }
    let index = r.ident()?;
    r.word("on")?;
    r.optional(&["only"]);
    Some(Target::Create {
        index,
        table: r.name()?,
    })
}

/// Finds invalid indexes among (version, bare index name, a relation in its schema): one
/// query, returning (version, qualified index name).
fn lookup_sql(entries: &[(String, String, String)]) -> String {
    let values: Vec<String> = entries
        .iter()
        .map(|(v, index, rel)| {
            format!(
                "({}, {}, {})",
                quote_literal(v),
                quote_literal(index),
                quote_literal(rel)
            )
        })
        .collect();
    format!(
        "SELECT v.version, format('%I.%I', n.nspname, c.relname) \
         FROM (VALUES {}) AS v(version, index, rel) \
         JOIN pg_class r ON r.oid = to_regclass(v.rel) \
         JOIN pg_class c ON c.relname = v.index AND c.relnamespace = r.relnamespace \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_index i ON i.indexrelid = c.oid WHERE NOT i.indisvalid",
        values.join(", ")
    )
}

async fn invalid(
    conn: &mut PgConnection,
    entries: &[(String, String, String)],
) -> Result<Vec<InvalidIndex>, sqlx::Error> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let rows = conn.fetch_all(sqlx::raw_sql(&lookup_sql(entries))).await?;
    rows.iter()
        .map(|r| {
            Ok(InvalidIndex::new(
                r.try_get::<String, _>(0)?,
                r.try_get::<String, _>(1)?,
            ))
        })
        .collect()
}

/// After a statement of `m` ran: if it builds an index concurrently and that index is
/// INVALID (an interrupted earlier build that `IF NOT EXISTS` skipped), drops it and runs the
/// statement again. A `REINDEX … CONCURRENTLY` interrupted earlier leaves its invalid
/// `<name>_ccnew` copy behind, which is dropped.
pub(crate) async fn ensure_valid(
    conn: &mut PgConnection,
    m: &Migration,
    sql: &str,
) -> Result<Option<IndexRebuild>, sqlx::Error> {
    let Some(target) = target(sql) else {
        return Ok(None);
    };
    let (index, rel) = target.lookup();
    let entry = [(m.version().to_owned(), index.clone(), rel.clone())];
    let found = match &target {
        Target::Create { .. } => invalid(conn, &entry).await?,
        Target::Reindex { .. } => leftover_copies(conn, m, &index, &rel).await?,
    };
    let Some(bad) = found.into_iter().next() else {
        return Ok(None);
    };
    tracing::warn!(version = m.version(), index = %bad.index, "found an INVALID index from an interrupted concurrent build; dropping it and building it again");
    conn.execute(sqlx::raw_sql(&format!(
        "DROP INDEX CONCURRENTLY IF EXISTS {}",
        bad.index
    )))
    .await?;
    if matches!(target, Target::Create { .. }) {
        conn.execute(sqlx::raw_sql(sql)).await?;
        if let Some(still) = invalid(conn, &entry).await?.into_iter().next() {
            return Err(sqlx::Error::Protocol(format!(
                "{still}; the rebuild did not make it valid"
            )));
        }
    }
    Ok(Some(IndexRebuild::new(m.version(), bad.index)))
}

/// Invalid `<index>_ccnew…` / `_ccold…` copies an interrupted `REINDEX CONCURRENTLY` left.
async fn leftover_copies(
    conn: &mut PgConnection,
    m: &Migration,
    index: &str,
    rel: &str,
) -> Result<Vec<InvalidIndex>, sqlx::Error> {
    let sql = format!(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class r \
         JOIN pg_class c ON c.relnamespace = r.relnamespace \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_index i ON i.indexrelid = c.oid \
         WHERE r.oid = to_regclass({rel}) AND NOT i.indisvalid \
         AND (starts_with(c.relname, {new}) OR starts_with(c.relname, {old}))",
        rel = quote_literal(rel),
        new = quote_literal(&format!("{index}_ccnew")),
        old = quote_literal(&format!("{index}_ccold")),
    );
    let rows = conn.fetch_all(sqlx::raw_sql(&sql)).await?;
    rows.iter()
        .map(|r| Ok(InvalidIndex::new(m.version(), r.try_get::<String, _>(0)?)))
        .collect()
}

/// The invalid indexes that applied `#[no_transaction]` migrations name, for `status`.
pub(crate) async fn invalid_of_applied<'m>(
    conn: &mut PgConnection,
    applied: impl Iterator<Item = &'m Migration>,
) -> Result<Vec<InvalidIndex>, Error> {
    let entries: Vec<(String, String, String)> = applied
        .filter(|m| !m.is_transactional())
        .flat_map(|m| {
            m.statements().filter_map(move |s| {
                let (index, rel) = target(s.sql)?.lookup();
                Some((m.version().to_owned(), index, rel))
            })
        })
        .collect();
    Ok(invalid(conn, &entries).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(index: &str, schema: Option<&str>, table: &str) -> Option<Target> {
        Some(Target::Create {
            index: index.to_owned(),
            table: Name {
                schema: schema.map(str::to_owned),
                name: table.to_owned(),
            },
        })
    }

    #[test]
    fn reads_the_index_a_concurrent_build_names() {
        assert_eq!(
            target("CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email)"),
            create("users_email_idx", None, "users")
        );
        assert_eq!(
            target(
                "-- speed\ncreate unique index /* c */ concurrently \"Odd\"\"Name\" on only app.\"Orders\" using btree (id)"
            ),
            create("Odd\"Name", Some("app"), "Orders")
        );
        assert_eq!(
            target("REINDEX (VERBOSE) INDEX CONCURRENTLY app.orders_idx"),
            Some(Target::Reindex {
                index: Name {
                    schema: Some("app".to_owned()),
                    name: "orders_idx".to_owned()
                }
            })
        );
    }

    #[test]
    fn other_statements_name_no_index() {
        for sql in [
            "CREATE INDEX IF NOT EXISTS a ON t (x)",
            "CREATE INDEX CONCURRENTLY ON t (x)",
            "REINDEX TABLE CONCURRENTLY t",
            "ALTER TABLE t ADD COLUMN x int",
            "",
            "CREATE",
        ] {
            assert_eq!(target(sql), None, "{sql}");
        }
    }

    #[test]
    fn quoted_names_are_quoted_for_regclass() {
        let name = Name {
            schema: Some("a b".to_owned()),
            name: "x\"y".to_owned(),
        };
        assert_eq!(name.regclass_text(), "\"a b\".\"x\"\"y\"");
    }
}
