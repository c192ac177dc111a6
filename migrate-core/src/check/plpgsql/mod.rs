//! A small reader of PL/pgSQL `DO` bodies: finds the SQL statements inside a body and what
//! guards each one (a catalog existence check around it, or exception handlers that catch its
//! "already exists" condition), so the idempotency rules can judge them.

/// What protects one statement inside a `DO` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Guard {
    /// The statement only runs when an `IF`/`ELSIF`/`ELSE` branch around it checked the catalog
    /// (`[NOT] EXISTS (SELECT … FROM pg_… / information_schema …)`, `to_reg…(…) IS [NOT] NULL`).
    pub catalog_check: bool,
    /// Condition names (lower case, e.g. `duplicate_object`) or SQLSTATE codes (e.g. `42710`)
    /// handled by `EXCEPTION WHEN …` clauses of the blocks around the statement; `others`
    /// appears as `"others"`.
    pub handled_conditions: Vec<String>,
}

/// One thing found inside a `DO` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A static SQL statement (plain, or the string literal of `EXECUTE '…'`). `range` is the
    /// byte range of its text within the body.
    Sql {
        /// Byte range of the SQL text within the body.
        range: std::ops::Range<usize>,
        /// The SQL text (unescaped when it came from a string literal).
        sql: String,
        /// What guards it.
        guard: Guard,
    },
    /// `EXECUTE <expression>` whose SQL is built at run time and cannot be checked.
    DynamicSql {
        /// Byte range of the EXECUTE statement within the body.
        range: std::ops::Range<usize>,
    },
}

/// A body that could not be read as PL/pgSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlpgsqlError {
    /// Byte offset within the body.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a `DO` body (the text between the dollar quotes) and lists the statements inside it.
pub fn analyze(body: &str) -> Result<Vec<Item>, PlpgsqlError> {
    let _ = body;
    Ok(Vec::new())
}
