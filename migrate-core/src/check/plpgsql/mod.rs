//! A small reader of PL/pgSQL `DO` bodies: finds the SQL statements inside a body and what
//! guards each one (a catalog existence check around it, or exception handlers that catch its
//! "already exists" condition), so the idempotency rules can judge them.
//!
//! The body is parsed with squawk's PL/pgSQL grammar; see [`analyze`] for what is reported.

mod condition;
mod parse;
mod walk;

#[cfg(test)]
mod tests;

/// What protects one statement inside a `DO` body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Guard {
    /// The statement only runs when an `IF`/`ELSIF`/`ELSE` branch around it checked the catalog
    /// (`[NOT] EXISTS (SELECT … FROM pg_… / information_schema …)`, `to_reg…(…) IS [NOT] NULL`).
    /// Always equal to `!catalog_checks.is_empty()`; kept as a field for simple callers.
    pub catalog_check: bool,
    /// Condition names (lower case, e.g. `duplicate_object`) or SQLSTATE codes (e.g. `42710`)
    /// handled by `EXCEPTION WHEN …` clauses of the blocks around the statement; `others`
    /// appears as `"others"`.
    pub handled_conditions: Vec<String>,
    /// Every catalog test the statement's branches settled, outermost first: which way it went
    /// (the object was absent or present), which catalogs it consulted and which names it
    /// mentioned, so a rule can insist that the test is about the object the statement touches.
    pub catalog_checks: Vec<CatalogCheck>,
}

/// One catalog test known to have a given outcome wherever a statement runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogCheck {
    /// Whether the statement runs only when the tested object is absent (`NOT EXISTS`,
    /// `IS NULL`, `count = 0`, `NOT FOUND`) or only when it is present (`EXISTS`, and the `ELSE`
    /// of a negative test). Creations want `Absent`; drops and renames of the old name want
    /// `Present`.
    pub runs_when: Presence,
    /// What the test consulted, lower case: catalog relations without the `pg_catalog.` prefix
    /// (`pg_type`), `information_schema.…` views with their prefix, and `to_reg…` function names.
    pub catalogs: Vec<String>,
    /// The string literals inside the test, unescaped, in source order (object and schema names,
    /// or the `'schema.name'` argument of `to_reg…`).
    pub names: Vec<String>,
    /// Byte range within the body of the query or call that consulted the catalog (for the
    /// variable forms, the `SELECT … INTO` that filled the variable).
    pub range: std::ops::Range<usize>,
}

/// Which state of a tested object a statement runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The statement only runs when the object does not exist.
    Absent,
    /// The statement only runs when the object exists.
    Present,
}

/// One thing found inside a `DO` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A static SQL statement (plain, or the string literal of `EXECUTE '…'`). `range` is the
    /// byte range of its text within the body.
    Sql {
        /// Byte range of the SQL text within the body, without the closing `;`. For
        /// `EXECUTE '…'` it is the literal's content, inside the quotes.
        range: std::ops::Range<usize>,
        /// The SQL text: `body[range]` for plain statements, except that a PL/pgSQL
        /// `INTO target` clause (`SELECT count(*) INTO n FROM …`, `… RETURNING id INTO v`) is
        /// replaced by spaces so the text parses as plain SQL (same length, same offsets). For
        /// `EXECUTE '…'` it is the literal unescaped (`''` → `'`, `E'\n'` → newline), so offsets
        /// inside it match `range` only when the literal holds no escapes.
        sql: String,
        /// What guards it.
        guard: Guard,
    },
    /// `EXECUTE <expression>` whose SQL is built at run time and cannot be checked.
    DynamicSql {
        /// Byte range of the `EXECUTE …` statement (or of the `FOR … IN EXECUTE …` loop) within
        /// the body.
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
    /// The body nests deeper than the checker reads (`too_deeply_nested`).
    pub(crate) too_deep: bool,
}

/// Reads a `DO` body (the text between the dollar quotes, already decoded) and lists the
/// statements inside it, in source order. All ranges are byte offsets into `body`.
///
/// Reported as [`Item::Sql`]: embedded SQL statements (DDL, DML, `SELECT … INTO`), `CALL`,
/// nested `DO`, `COMMIT`/`ROLLBACK`, the query of `FOR … IN <query> LOOP`, and the literal of
/// `EXECUTE '…'` (plain, `E''` or dollar-quoted); statements in loops, `CASE`, nested blocks and
/// exception handlers are all found. Reported as [`Item::DynamicSql`]: any other `EXECUTE`
/// (`format(…)`, concatenation, variables). Not reported: `PERFORM`, assignments, `RAISE`,
/// `RETURN`, `NULL`, `ASSERT`, cursor and `GET DIAGNOSTICS` statements.
///
/// Guards: a statement inside `BEGIN … EXCEPTION WHEN c THEN … END` gets `c` in
/// `handled_conditions` (blocks nest and accumulate; the handler bodies themselves are not
/// protected by their own block). A statement inside a branch whose condition settles a catalog
/// test gets a [`CatalogCheck`]: `THEN` of `NOT EXISTS (SELECT … FROM pg_…)`, of
/// `to_reg…(…) IS NULL`, of `a AND b`; `ELSE` of the positive forms; `ELSIF` (its own condition
/// true, the earlier ones false); searched `CASE WHEN`; `WHILE`. The variable forms are followed
/// in straight-line code: `SELECT count(*) INTO n FROM pg_… ; IF n = 0`, `SELECT … INTO v FROM
/// pg_… ; IF v IS NULL` or `IF NOT FOUND`, `PERFORM 1 FROM pg_… ; IF NOT FOUND`,
/// `b := EXISTS (…); IF NOT b` (a variable assigned again in a branch or loop is forgotten).
///
/// # Errors
///
/// A body that is not valid PL/pgSQL (or whose embedded SQL does not parse) gives a
/// [`PlpgsqlError`] with the byte offset of the first problem.
pub fn analyze(body: &str) -> Result<Vec<Item>, PlpgsqlError> {
    super::stack::run(analyze_here, body)
}

fn analyze_here(body: &str) -> Result<Vec<Item>, PlpgsqlError> {
    let parsed = parse::parse_body(body)?;
    Ok(walk::Walker::walk(&parsed))
}
