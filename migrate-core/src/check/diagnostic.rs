//! What the checker reports.

use std::fmt;
use std::ops::Range;

use super::{Family, Rule, Severity};

/// One finding of the checker inside one migration entry.
///
/// Positions are relative to the entry's SQL: `line` and `column` are 1-based (column counted
/// in characters), `range` is a byte range. `statement` is 1-based; it is `None` only for
/// findings about the whole entry (an empty migration).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The rule that fired.
    pub rule: Rule,
    /// Error (fails the build) or warning.
    pub severity: Severity,
    /// 1-based statement number within the entry.
    pub statement: Option<usize>,
    /// 1-based line within the entry.
    pub line: u32,
    /// 1-based column (in characters) within that line.
    pub column: u32,
    /// Byte range within the entry's SQL.
    pub range: Range<usize>,
    /// What is wrong, and for idempotency rules what a second run does, e.g.
    /// "CREATE TABLE without IF NOT EXISTS: a second run fails with 42P07 (relation \"users\" already exists)".
    pub message: String,
    /// The fix: the corrected statement where one exists, else a concrete instruction.
    pub help: Option<String>,
    /// `true` for a finding in the entry's down SQL: positions are then relative to the down.
    pub in_down: bool,
}

impl Diagnostic {
    /// A finding about the whole entry (no statement), at its start, with the rule's severity.
    ///
    /// ```
    /// use migrate_core::check::{Diagnostic, Rule, Severity};
    /// let d = Diagnostic::about_entry(Rule::EmptyMigration, "the entry holds no statement");
    /// assert_eq!((d.severity, d.statement, d.line, d.column), (Severity::Error, None, 1, 1));
    /// ```
    pub fn about_entry(rule: Rule, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: rule.severity(),
            statement: None,
            line: 1,
            column: 1,
            range: 0..0,
            message: message.into(),
            help: None,
            in_down: false,
        }
    }

    /// The same finding placed in statement `statement`, at `line`:`column`, covering `range`.
    pub fn at(
        mut self,
        statement: usize,
        line: u32,
        column: u32,
        range: Range<usize>,
    ) -> Diagnostic {
        self.statement = Some(statement);
        (self.line, self.column, self.range) = (line, column, range);
        self
    }

    /// The same finding with a fix.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic for a human, naming the migration:
    ///
    /// ```text
    /// error[missing_if_not_exists]: migration `001_init`, statement 1 (line 2): CREATE TABLE without IF NOT EXISTS: a second run fails with 42P07 …
    ///   help: CREATE TABLE IF NOT EXISTS users (id bigint)
    /// ```
    ///
    /// ```
    /// use migrate_core::check::{Diagnostic, Rule};
    /// let d = Diagnostic::about_entry(Rule::UnnamedIndex, "unnamed index")
    ///     .at(2, 3, 1, 10..20)
    ///     .with_help("CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)");
    /// let text = d.render("002_idx");
    /// assert!(text.starts_with("error[unnamed_index]: migration `002_idx`, statement 2 (line 3): unnamed index"));
    /// assert!(text.ends_with("help: CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)"));
    /// ```
    pub fn render(&self, version: &str) -> String {
        format!("{}[{}]: {}", self.severity, self.rule, self.body(version))
    }

    /// The same text without the severity, for a compiler that prints its own `error:` prefix:
    /// `[unnamed_index] migration `002_idx`, statement 2 (line 3): …`.
    ///
    /// ```
    /// use migrate_core::check::{Diagnostic, Rule};
    /// let d = Diagnostic::about_entry(Rule::EmptyMigration, "the entry holds no statement");
    /// assert_eq!(
    ///     d.compiler_message("003_x"),
    ///     "[empty_migration] migration `003_x`, the whole entry: the entry holds no statement"
    /// );
    /// ```
    pub fn compiler_message(&self, version: &str) -> String {
        format!("[{}] {}", self.rule, self.body(version))
    }

    fn body(&self, version: &str) -> String {
        let mut out = String::new();
        // A list rule's message names the migration (and the one it collides with) itself.
        if self.rule.family() != Family::List {
            let direction = if self.in_down { " (down)" } else { "" };
            out.push_str(&format!("migration `{version}`{direction}, "));
            match self.statement {
                Some(n) => out.push_str(&format!("statement {n} (line {}): ", self.line)),
                None => out.push_str("the whole entry: "),
            }
        }
        out.push_str(&self.message);
        if let Some(help) = &self.help {
            out.push_str("\n  help: ");
            out.push_str(&help.replace('\n', "\n        "));
        }
        out
    }
}

/// `true` when at least one of `diagnostics` is an error.
pub(crate) fn any_error(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("<entry>"))
    }
}
