//! `migrate lint --fix [--dry-run]`: writes the checker's machine-applicable fixes back into
//! the files, and says what is left for a person.

use std::io::Write;
use std::path::{Path, PathBuf};

use migrate_core::check::{EntryOptions, Fixed, Severity, fix_sql};

use super::Outcome;

/// Fixes every file in place (or, with `dry_run`, prints a unified diff and writes nothing).
/// [`Outcome::Failed`] when findings are left for a person, [`Outcome::Error`] when a file
/// could not be read or written.
pub(crate) fn fix_files(
    files: &[PathBuf],
    dry_run: bool,
    read: impl Fn(&Path) -> Result<String, String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Outcome {
    let mut outcome = Outcome::Success;
    let (mut applied, mut left) = (0, 0);
    for path in files {
        let sql = match read(path) {
            Ok(sql) => sql,
            Err(message) => {
                let _ = writeln!(err, "error: {message}");
                outcome = Outcome::Error;
                continue;
            }
        };
        let fixed = fix_sql(&sql, &EntryOptions::default());
        applied += fixed.applied.len();
        left += report(out, path, &fixed);
        if !fixed.changed() {
            continue;
        }
        if dry_run {
            let name = path.display().to_string();
            let diff = similar::TextDiff::from_lines(&sql, &fixed.sql);
            let _ = write!(
                out,
                "{}",
                diff.unified_diff().context_radius(3).header(&name, &name)
            );
        } else if let Err(e) = std::fs::write(path, &fixed.sql) {
            let _ = writeln!(err, "error: cannot write `{}`: {e}", path.display());
            outcome = Outcome::Error;
        }
    }
    let verb = if dry_run { "would apply" } else { "applied" };
    let _ = writeln!(
        out,
        "{} file(s): {verb} {applied} fix(es), {left} finding(s) left for a person",
        files.len()
    );
    if left > 0 {
        outcome = outcome.worst(Outcome::Failed);
    }
    outcome
}

/// One line per fix and per finding left; returns how many errors are left.
fn report(out: &mut dyn Write, path: &Path, fixed: &Fixed) -> usize {
    let file = path.display();
    for d in &fixed.applied {
        let _ = writeln!(
            out,
            "fixed {file}:{}: [{}] {}",
            d.line,
            d.rule,
            first_line(d.help.as_deref().unwrap_or_default())
        );
    }
    let mut left = 0;
    for d in &fixed.left {
        if d.severity == Severity::Error {
            left += 1;
        }
        let _ = writeln!(
            out,
            "left {file}:{}: {}[{}] {}",
            d.line, d.severity, d.rule, d.message
        );
    }
    left
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
