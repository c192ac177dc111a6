//! The history table's name: validated once, then only ever used quoted.

use sha2::{Digest, Sha256};

use super::Error;

/// The default history table.
pub(crate) const DEFAULT_TABLE: &str = "schema_migrations";

/// PostgreSQL truncates longer identifiers, which would make two names silently collide.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// A validated, optionally schema-qualified history table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryTable {
    schema: Option<String>,
    name: String,
}

impl HistoryTable {
    /// Accepts `name` or `schema.name`, each part a lower-case unquoted identifier, so the name
    /// means the same thing quoted or not and can never inject SQL.
    pub(crate) fn parse(text: &str) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidTable {
            name: text.to_owned(),
            reason,
        };
        let parts: Vec<&str> = text.split('.').collect();
        let (schema, name) = match parts.as_slice() {
            [name] => (None, *name),
            [schema, name] => (Some(*schema), *name),
            _ => {
                return Err(invalid(
                    "use `table` or `schema.table` (at most one dot)".to_owned(),
                ));
            }
        };
        for part in schema.iter().chain(std::iter::once(&name)) {
            check_identifier(part).map_err(invalid)?;
        }
        Ok(HistoryTable {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        })
    }

    /// The name as the user wrote it, for messages.
    pub(crate) fn display_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The quoted, qualified name for use in SQL.
    pub(crate) fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("\"{schema}\".\"{}\"", self.name),
            None => format!("\"{}\"", self.name),
        }
    }

    /// The quoted name as a string literal, for `to_regclass(…)`.
    pub(crate) fn regclass_literal(&self) -> String {
        quote_literal(&self.quoted())
    }

    /// The quoted schema, when the name is qualified.
    pub(crate) fn schema_name_quoted(&self) -> Option<String> {
        self.schema.as_ref().map(|s| format!("\"{s}\""))
    }

    /// The bare table name (for naming an index next to it).
    pub(crate) fn bare_name(&self) -> &str {
        &self.name
    }

    /// The lease strategy's lock table, next to the history table, quoted. (PostgreSQL cuts a
    /// name past 63 bytes; the lock key in each row keeps two tables sharing it apart.)
    pub(crate) fn lock_table_quoted(&self) -> String {
        let name = format!("{}_lock", self.name);
        match &self.schema {
            Some(schema) => format!("\"{schema}\".\"{name}\""),
            None => format!("\"{name}\""),
        }
    }

    /// The advisory lock key: stable across processes and versions of this crate, distinct per
    /// history table, so two applications with their own tables never wait on each other.
    pub(crate) fn lock_key(&self) -> i64 {
        let digest = Sha256::digest(format!("migrate-lock-v1:{}", self.display_name()));
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(bytes)
    }
}

fn check_identifier(part: &str) -> Result<(), String> {
    if part.is_empty() {
        return Err("a part of the name is empty".to_owned());
    }
    if part.len() > MAX_IDENTIFIER_BYTES {
        return Err(format!(
            "`{part}` is longer than PostgreSQL's {MAX_IDENTIFIER_BYTES}-byte identifier limit"
        ));
    }
    let mut chars = part.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(format!(
            "`{part}` must be a lower-case identifier (`a-z`, `0-9`, `_`, not starting with a digit)"
        ))
    }
}

/// A SQL string literal (standard_conforming_strings, the default since PostgreSQL 9.1).
pub(crate) fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_qualified_names() {
        let t = HistoryTable::parse("schema_migrations").unwrap();
        assert_eq!(t.quoted(), "\"schema_migrations\"");
        let t = HistoryTable::parse("app.history_2").unwrap();
        assert_eq!(t.quoted(), "\"app\".\"history_2\"");
        assert_eq!(t.regclass_literal(), "'\"app\".\"history_2\"'");
    }

    #[test]
    fn rejects_what_could_inject_or_mislead() {
        for bad in [
            "",
            "a.b.c",
            "Users",
            "x\"; DROP TABLE y; --",
            "1abc",
            ".t",
            "t.",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(HistoryTable::parse(bad), Err(Error::InvalidTable { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        let a = HistoryTable::parse("schema_migrations").unwrap();
        let b = HistoryTable::parse("other.schema_migrations").unwrap();
        assert_eq!(a.lock_key(), a.clone().lock_key());
        assert_ne!(a.lock_key(), b.lock_key());
    }

    #[test]
    fn literals_double_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
