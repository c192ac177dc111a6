//! `migrate lint FILE…`: the compile-time checker, run on `.sql` files.

use std::io::Write;
use std::path::{Path, PathBuf};

use migrate_core::check::{Allow, Diagnostic, Severity};
use migrate_core::pipeline::{Entry, HeaderError, check_entry, deny_named};

use super::{Format, Outcome};

/// Arguments of `migrate lint`: check `.sql` files with the same rules as `migrations!`.
///
/// Each file is one migration, read as the directory loader reads it: its `-- migrate:` header
/// lines (`-- migrate:no_transaction`, `-- migrate:allow <rule> reason="…"`) are its options.
/// The file name is not checked as a version, so any naming scheme can be linted. The
/// `<version>.down.sql` beside an up file is checked with it and against it, as the loader
/// does; a down given without its up is checked against the up beside it.
///
/// ```
/// use clap::Parser;
/// use migrate::cli::{Format, Lint, Outcome};
///
/// let dir = std::env::temp_dir().join(format!("migrate_lint_doc_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let file = dir.join("001_users.sql");
/// std::fs::write(&file, "CREATE TABLE IF NOT EXISTS users (id bigint);").unwrap();
///
/// let lint = Lint::try_parse_from(["lint", file.to_str().unwrap(), "--format", "json"]).unwrap();
/// assert_eq!(lint.format, Format::Json);
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// assert_eq!(lint.run(&mut out, &mut err), Outcome::Success);
/// assert_eq!(String::from_utf8(out).unwrap().trim(), "[]");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
#[command(
    about = "Check .sql files with the rules of `migrations!` (each file = one migration, `-- migrate:` headers honoured)",
    after_help = "Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 could not run."
)]
pub struct Lint {
    /// The `.sql` files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// `human` (default) or `json`: one array of `{file, rule, severity, statement, line, column, message, help}`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Apply every fix the checker can make mechanically, in place, keeping formatting and
    /// comments; print what changed and what is left for a person.
    #[arg(long, conflicts_with = "format")]
    pub fix: bool,
    /// With `--fix`: print a unified diff of the fixes instead of writing them.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
    /// Report zero-downtime hazards as errors (exit code 1): `hazards` for all of them, or a
    /// hazard's name (`adding-field-with-default`); repeatable. Without it they are warnings.
    #[arg(long, value_name = "HAZARD", value_parser = parse_deny)]
    pub deny: Vec<Allow>,
}

fn parse_deny(name: &str) -> Result<Allow, String> {
    deny_named(name)
}

/// One diagnostic of one linted file.
///
/// ```
/// let findings = migrate::cli::lint_sql("a.sql", "CREATE TABLE t (id int);").unwrap();
/// assert_eq!(findings[0].diagnostic.rule.id(), "missing_if_not_exists");
/// assert!(findings[0].file.ends_with("a.sql"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, as given on the command line.
    pub file: PathBuf,
    /// What the checker found.
    pub diagnostic: Diagnostic,
}

/// Checks the text of one `.sql` file as one migration, its header lines included; a header
/// line that is not understood is an error.
///
/// ```
/// let text = "-- migrate:no_transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);";
/// assert!(migrate::cli::lint_sql("002_i.sql", text).unwrap().is_empty());
///
/// let findings = migrate::cli::lint_sql("003_i.sql", "CREATE INDEX CONCURRENTLY i ON t (a);").unwrap();
/// assert!(findings.iter().all(|f| f.file.ends_with("003_i.sql")));
/// assert!(findings[0].diagnostic.help.as_deref().unwrap().contains("-- migrate:no_transaction"));
///
/// assert!(migrate::cli::lint_sql("004.sql", "-- migrate:no_transactoin\n").is_err());
/// ```
pub fn lint_sql(file: impl Into<PathBuf>, text: &str) -> Result<Vec<Finding>, HeaderError> {
    lint_sql_denying(file, text, &[])
}

/// [`lint_sql`], with the hazards `deny` names reported as errors (`--deny`).
///
/// ```
/// use migrate::check::{Allow, Family, Severity};
///
/// let sql = "ALTER TABLE users DROP COLUMN IF EXISTS nickname;";
/// let warned = migrate::cli::lint_sql("005.sql", sql).unwrap();
/// assert_eq!(warned[0].diagnostic.rule.id(), "ban-drop-column");
/// assert_eq!(warned[0].diagnostic.severity, Severity::Warning);
/// let denied = migrate::cli::lint_sql_denying("005.sql", sql, &[Allow::Family(Family::Hazard)]).unwrap();
/// assert_eq!(denied[0].diagnostic.severity, Severity::Error);
/// ```
pub fn lint_sql_denying(
    file: impl Into<PathBuf>,
    text: &str,
    deny: &[Allow],
) -> Result<Vec<Finding>, HeaderError> {
    lint_with_down(&file.into(), text, None, deny)
}

/// One migration file, with its down (path and text) checked like an up and against it; a
/// down's findings name the down's file.
fn lint_with_down(
    file: &Path,
    text: &str,
    down: Option<&(PathBuf, String)>,
    deny: &[Allow],
) -> Result<Vec<Finding>, HeaderError> {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
    let mut entry = Entry::from_sql_file(file, stem.unwrap_or_default(), text)?;
    for deny in deny {
        entry = entry.with_deny(*deny);
    }
    if let Some((_, down_text)) = down {
        entry = entry.with_down(down_text.as_str());
    }
    Ok(check_entry(entry)
        .diagnostics
        .into_iter()
        .map(|diagnostic| Finding {
            file: match down {
                Some((down_path, _)) if diagnostic.in_down => down_path.clone(),
                _ => file.to_owned(),
            },
            diagnostic,
        })
        .collect())
}

impl Lint {
    /// Checks every file, prints the findings to `out` (in [`Lint::format`]) and problems that
    /// stopped a file from being read to `err`.
    ///
    /// Returns [`Outcome::Error`] if a file could not be read (the others are still checked),
    /// else [`Outcome::Failed`] if any finding is an error, else [`Outcome::Success`].
    ///
    /// ```
    /// use migrate::cli::{Format, Lint, Outcome};
    ///
    /// let lint = Lint { files: vec!["/no/such/file.sql".into()], format: Format::Human, fix: false, dry_run: false, deny: vec![] };
    /// let (mut out, mut err) = (Vec::new(), Vec::new());
    /// assert_eq!(lint.run(&mut out, &mut err), Outcome::Error);
    /// assert!(String::from_utf8(err).unwrap().contains("/no/such/file.sql"));
    /// ```
    pub fn run(&self, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
        if self.fix {
            return super::fix::fix_files(&self.files, self.dry_run, read_sql, out, err);
        }
        let mut outcome = Outcome::Success;
        let mut findings = Vec::new();
        let mut sources = Vec::new();
        for path in &self.files {
            let ups = migrate_core::load::ups_beside(path);
            if ups.iter().any(|up| self.files.contains(up)) {
                // A down given with its up is checked with it, against it.
                continue;
            }
            let checked = match ups.into_iter().find(|up| up.is_file()) {
                Some(up) => self.lint_down_of(&up, path),
                None => self.lint_up(path),
            };
            match checked {
                Ok(checked) => {
                    findings.extend(checked.findings);
                    sources.extend(checked.sources);
                }
                Err(LintError::Read(message)) => {
                    let _ = writeln!(err, "error: {message}");
                    outcome = Outcome::Error;
                }
                Err(LintError::Header(file, header)) => {
                    let (line, message) = (header.line(), header.message());
                    let _ = writeln!(err, "error: {}:{line}: {message}", file.display());
                    outcome = outcome.worst(Outcome::Failed);
                }
            }
        }
        if findings
            .iter()
            .any(|f| f.diagnostic.severity == Severity::Error)
        {
            outcome = outcome.worst(Outcome::Failed);
        }
        let written = match self.format {
            Format::Json => write_json(out, &findings),
            Format::Human => write_human(out, &findings, &sources),
        };
        if let Err(e) = written {
            let _ = writeln!(err, "error: cannot write the report: {e}");
            outcome = Outcome::Error;
        }
        outcome
    }
}

/// What stopped a file from being checked.
enum LintError {
    Read(String),
    Header(PathBuf, HeaderError),
}

/// The findings of one up (with its down) and the files they were read from.
struct Checked {
    findings: Vec<Finding>,
    sources: Vec<(PathBuf, String)>,
}

impl Lint {
    /// An up file, with the `.down.sql` beside it (if any) checked like an up and against it.
    fn lint_up(&self, path: &Path) -> Result<Checked, LintError> {
        let sql = read_sql(path).map_err(LintError::Read)?;
        let down = match migrate_core::load::down_beside(path) {
            Some(down_path) => read_down(&down_path)?.map(|down| (down_path, down)),
            None => None,
        };
        let findings = self.lint_pair(path, &sql, down.as_ref())?;
        let mut sources = vec![(path.to_owned(), sql)];
        sources.extend(down);
        Ok(Checked { findings, sources })
    }

    /// A `.down.sql` given without its up: checked against the up beside it, reporting only
    /// the down's findings.
    fn lint_down_of(&self, up: &Path, down_path: &Path) -> Result<Checked, LintError> {
        let sql = read_sql(up).map_err(LintError::Read)?;
        let Some(down) = read_down(down_path)? else {
            // Comments only: nothing to check, as the loader reads it.
            return Ok(Checked {
                findings: Vec::new(),
                sources: vec![(down_path.to_owned(), String::new())],
            });
        };
        let down = (down_path.to_owned(), down);
        let findings = self
            .lint_pair(up, &sql, Some(&down))?
            .into_iter()
            .filter(|f| f.diagnostic.in_down)
            .collect();
        Ok(Checked {
            findings,
            sources: vec![down],
        })
    }

    fn lint_pair(
        &self,
        path: &Path,
        sql: &str,
        down: Option<&(PathBuf, String)>,
    ) -> Result<Vec<Finding>, LintError> {
        lint_with_down(path, sql, down, &self.deny)
            .map_err(|e| LintError::Header(path.to_owned(), e))
    }
}

fn read_down(path: &Path) -> Result<Option<String>, LintError> {
    migrate_core::load::read_down(path).map_err(|e| {
        LintError::Read(format!(
            "cannot read `{}`: {e} (a down must be UTF-8 text)",
            path.display()
        ))
    })
}

fn read_sql(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read `{}`: {e} (pass the path of an existing .sql file)",
            path.display()
        )
    })?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not UTF-8 text (invalid byte at offset {}): save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    file: String,
    rule: &'static str,
    severity: String,
    statement: Option<usize>,
    line: u32,
    column: u32,
    message: &'a str,
    help: Option<&'a str>,
}

fn write_json(out: &mut dyn Write, findings: &[Finding]) -> std::io::Result<()> {
    let rows: Vec<JsonFinding<'_>> = findings
        .iter()
        .map(|f| JsonFinding {
            file: f.file.display().to_string(),
            rule: f.diagnostic.rule.id(),
            severity: f.diagnostic.severity.to_string(),
            statement: f.diagnostic.statement,
            line: f.diagnostic.line,
            column: f.diagnostic.column,
            message: &f.diagnostic.message,
            help: f.diagnostic.help.as_deref(),
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &rows).map_err(std::io::Error::other)?;
    writeln!(out)
}

fn write_human(
    out: &mut dyn Write,
    findings: &[Finding],
    sources: &[(PathBuf, String)],
) -> std::io::Result<()> {
    for finding in findings {
        let sql = sources
            .iter()
            .find(|(path, _)| *path == finding.file)
            .map(|(_, sql)| sql.as_str())
            .unwrap_or_default();
        write!(out, "{}", render_finding(finding, sql))?;
    }
    let errors = findings
        .iter()
        .filter(|f| f.diagnostic.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let files = sources.len();
    writeln!(
        out,
        "{files} {} checked: {errors} {}, {warnings} {}",
        plural(files, "file", "files"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
    )
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Renders one finding in the style of rustc: header, location, the source line with a caret
/// under the statement, then the fix.
fn render_finding(finding: &Finding, sql: &str) -> String {
    let d = &finding.diagnostic;
    let mut text = format!("{}[{}]: {}\n", d.severity, d.rule, d.message);
    let statement = d
        .statement
        .map(|n| format!(" (statement {n})"))
        .unwrap_or_default();
    let gutter = " ".repeat(d.line.to_string().len());
    text.push_str(&format!(
        "{gutter}--> {}:{}:{}{statement}\n",
        finding.file.display(),
        d.line,
        d.column
    ));
    let line_index = d.line.saturating_sub(1) as usize;
    if let Some(source_line) = sql.lines().nth(line_index) {
        let start_col = d.column.saturating_sub(1) as usize;
        let line_start = line_offset(sql, line_index);
        let rest_of_line = source_line.chars().count().saturating_sub(start_col);
        let in_range = sql
            .get(line_start..)
            .and_then(|from_line| {
                let skipped: usize = from_line.chars().take(start_col).map(char::len_utf8).sum();
                let start = line_start + skipped;
                sql.get(start..d.range.end.max(start))
            })
            .map(|s| s.chars().take_while(|c| *c != '\n').count())
            .unwrap_or(1);
        let width = in_range.min(rest_of_line).max(1);
        text.push_str(&format!("{gutter} |\n"));
        text.push_str(&format!("{} | {}\n", d.line, source_line.trim_end()));
        text.push_str(&format!(
            "{gutter} | {}{}\n",
            " ".repeat(start_col),
            "^".repeat(width)
        ));
    }
    if let Some(help) = &d.help {
        let indent = format!("{gutter}         ");
        text.push_str(&format!(
            "{gutter} = help: {}\n",
            help.replace('\n', &format!("\n{indent}"))
        ));
    }
    text.push('\n');
    text
}

fn line_offset(sql: &str, line_index: usize) -> usize {
    if line_index == 0 {
        return 0;
    }
    sql.match_indices('\n')
        .nth(line_index - 1)
        .map(|(i, _)| i + 1)
        .unwrap_or(sql.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_core::check::Rule;

    fn finding(line: u32, column: u32, range: std::ops::Range<usize>) -> Finding {
        Finding {
            file: PathBuf::from("db/002_users.sql"),
            diagnostic: Diagnostic::about_entry(
                Rule::MissingIfNotExists,
                "CREATE TABLE without IF NOT EXISTS",
            )
            .at(2, line, column, range)
            .with_help("CREATE TABLE IF NOT EXISTS users (id bigint)"),
        }
    }

    #[test]
    fn human_rendering_points_at_the_statement() {
        let sql = "SELECT 1;\nCREATE TABLE users (id bigint);\n";
        let start = sql.find("CREATE").unwrap();
        let text = render_finding(&finding(2, 1, start..start + 30), sql);
        assert_eq!(
            text,
            "error[missing_if_not_exists]: CREATE TABLE without IF NOT EXISTS\n\
             \x20--> db/002_users.sql:2:1 (statement 2)\n\
             \x20 |\n\
             2 | CREATE TABLE users (id bigint);\n\
             \x20 | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n\
             \x20 = help: CREATE TABLE IF NOT EXISTS users (id bigint)\n\n"
        );
    }

    #[test]
    fn caret_stops_at_the_end_of_the_line() {
        let sql = "  CREATE TABLE t (\n  id int);";
        let text = render_finding(&finding(1, 3, 2..sql.len()), sql);
        assert!(
            text.contains("\n  |   ^^^^^^^^^^^^^^^^\n"),
            "unexpected rendering:\n{text}"
        );
    }

    #[test]
    fn out_of_range_positions_do_not_panic() {
        let text = render_finding(&finding(40, 99, 500..900), "SELECT 1;");
        assert!(text.contains("db/002_users.sql:40:99"));
        assert!(text.contains("help: CREATE TABLE IF NOT EXISTS"));
    }
}
