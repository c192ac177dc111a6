//! `migrate lock`: write or check `migrations.lock` from a list (the compiled one, or a
//! directory loaded with the checker).

use std::io::Write;
use std::path::Path;

use migrate_core::Migrations;
use migrate_core::lock_file::LockFile;

use super::Outcome;

/// What `lock` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockMode {
    /// Write the file (refusing to rewrite locked lines unless forced).
    Write {
        /// Rewrite even when locked migrations changed.
        force: bool,
    },
    /// Change nothing; exit 1 when the file is not what `Write` would write.
    Check,
}

/// Writes or checks the lock file at `path` for `migrations`; messages go to `out`.
pub(crate) fn lock(
    migrations: &Migrations,
    path: &Path,
    mode: LockMode,
    out: &mut dyn Write,
) -> Result<Outcome, String> {
    let wanted = LockFile::of(migrations);
    let text = wanted.render();
    let shown = path.display();
    let existing = match std::fs::read_to_string(path) {
        Ok(existing) => Some(existing),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read `{shown}`: {e}")),
    };
    if existing.as_deref() == Some(text.as_str()) {
        say(
            out,
            format!(
                "`{shown}` is up to date ({} migrations)",
                wanted.migrations().len()
            ),
        )?;
        return Ok(Outcome::Success);
    }
    let problems = existing
        .as_deref()
        .map(|existing| departures(existing, migrations))
        .unwrap_or_default();
    match mode {
        LockMode::Check => {
            report_missing(out, path, existing.as_deref(), &wanted)?;
            for problem in &problems {
                say(out, format!("error: {problem}"))?;
            }
            Ok(Outcome::Failed)
        }
        LockMode::Write { force } if !problems.is_empty() && !force => {
            for problem in &problems {
                say(out, format!("error: {problem}"))?;
            }
            Err(format!(
                "`{shown}` was not rewritten: the list changed migrations it had already locked \
                 (above). Write those changes as new migrations instead; pass --force only to \
                 re-lock migrations that no database has run"
            ))
        }
        LockMode::Write { .. } => {
            std::fs::write(path, &text).map_err(|e| format!("cannot write `{shown}`: {e}"))?;
            say(
                out,
                format!(
                    "wrote `{shown}` ({} migrations): commit it together with the migrations",
                    wanted.migrations().len()
                ),
            )?;
            Ok(Outcome::Success)
        }
    }
}

/// Why the existing file cannot simply be extended: it does not parse, or the list changed
/// what it locked.
fn departures(existing: &str, migrations: &Migrations) -> Vec<String> {
    match LockFile::parse(existing) {
        Ok(locked) => locked
            .compare(migrations.iter().map(|m| (m.version(), m.checksum())))
            .iter()
            .map(ToString::to_string)
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

/// For `--check`: which of the list's migrations the file lacks.
fn report_missing(
    out: &mut dyn Write,
    path: &Path,
    existing: Option<&str>,
    wanted: &LockFile,
) -> Result<(), String> {
    let shown = path.display();
    let Some(existing) = existing else {
        return say(
            out,
            format!(
                "`{shown}` does not exist: run `migrate lock` (`myapp migrate lock`) and commit it"
            ),
        );
    };
    let locked = LockFile::parse(existing).unwrap_or_default();
    let missing: Vec<&str> = wanted
        .migrations()
        .iter()
        .filter(|m| !locked.migrations().iter().any(|l| l.version == m.version))
        .map(|m| m.version.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    say(
        out,
        format!(
            "`{shown}` lacks {} migration{}: {}; run `migrate lock` (`myapp migrate lock`) and \
             commit the file with them",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ),
    )
}

fn say(out: &mut dyn Write, line: String) -> Result<(), String> {
    writeln!(out, "{line}").map_err(|e| format!("cannot write the output: {e}"))
}

/// Arguments of `migrate lock DIR`: write or check the lock file of a directory of `.sql`
/// migrations (read as [`Loader`](migrate_core::load::Loader) reads it).
///
/// ```
/// use clap::Parser;
/// use migrate::cli::{LockDir, Outcome};
///
/// let dir = std::env::temp_dir().join(format!("migrate_lock_doc_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("001_users.sql"), "CREATE TABLE IF NOT EXISTS users (id bigint);").unwrap();
/// let file = dir.join("migrations.lock");
///
/// let check = LockDir::try_parse_from(["lock", dir.to_str().unwrap(), "--check"]).unwrap();
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// assert_eq!(check.run(&mut out, &mut err), Outcome::Failed); // no lock file yet
///
/// let write = LockDir::try_parse_from(["lock", dir.to_str().unwrap()]).unwrap();
/// assert_eq!(write.run(&mut out, &mut err), Outcome::Success);
/// assert!(std::fs::read_to_string(&file).unwrap().contains("001_users "));
/// assert_eq!(check.run(&mut out, &mut err), Outcome::Success);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
#[command(
    about = "Write migrations.lock for a directory of .sql migrations; --check exits 1 when it is behind",
    after_help = "Exit codes: 0 ok, 1 the lock file is missing migrations (--check), 2 error."
)]
pub struct LockDir {
    /// The directory of migrations (`<version>.sql` or `<version>.up.sql`).
    #[arg(value_name = "DIR")]
    pub dir: std::path::PathBuf,
    /// The lock file; defaults to `migrations.lock` inside DIR.
    #[arg(long, value_name = "PATH")]
    pub file: Option<std::path::PathBuf>,
    /// Write nothing; exit 1 unless the file is exactly what `lock` would write.
    #[arg(long)]
    pub check: bool,
    /// Rewrite lines of migrations that were already locked (only for migrations that no
    /// database has run).
    #[arg(long, conflicts_with = "check")]
    pub force: bool,
}

impl LockDir {
    /// Loads the directory, then writes or checks its lock file; messages go to `out`,
    /// errors to `err`.
    pub fn run(&self, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
        // The lock records checksums, not verdicts: the checker's findings are `lint`'s job.
        let loaded = migrate_core::load::Loader::new(&self.dir)
            .on_check_failure(migrate_core::load::CheckFailure::AcceptAll)
            .load();
        let migrations = match loaded {
            Ok(loaded) => loaded.migrations,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return Outcome::Error;
            }
        };
        let path = self
            .file
            .clone()
            .unwrap_or_else(|| self.dir.join("migrations.lock"));
        let mode = if self.check {
            LockMode::Check
        } else {
            LockMode::Write { force: self.force }
        };
        match lock(&migrations, &path, mode, out) {
            Ok(outcome) => outcome,
            Err(message) => {
                let _ = writeln!(err, "error: {message}");
                Outcome::Error
            }
        }
    }
}
