//! `migrate import DIR`: a sqlx, diesel or refinery migrations directory as a `migrations!`
//! module.

use std::io::Write;
use std::path::PathBuf;

use migrate_core::Tool;
use migrate_core::import::{ImportError, Module, ModuleOptions, Source, read_dir, write_module};

use super::Outcome;

/// Arguments of `migrate import`: write a Rust module with one `migrations!` list for another
/// tool's migrations directory, keeping that tool's version numbers so the first run adopts
/// its history table.
///
/// ```
/// use clap::Parser;
/// use migrate::cli::{Import, Outcome};
///
/// let dir = std::env::temp_dir().join(format!("migrate_import_cli_doc_{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("20240101000000_users.sql"), "CREATE TABLE users (id bigint);").unwrap();
///
/// let import = Import::try_parse_from(["import", dir.to_str().unwrap(), "--inline", "--fix"]).unwrap();
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// assert_eq!(import.run(&mut out, &mut err), Outcome::Success);
/// let module = String::from_utf8(out).unwrap();
/// assert!(module.contains(r##""20240101000000_users" => r#"CREATE TABLE IF NOT EXISTS users (id bigint);"#,"##));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, clap::Parser)]
#[command(
    about = "Write a migrations! module for a sqlx, diesel or refinery migrations directory",
    after_help = "Exit codes: 0 module written, 2 could not import."
)]
#[non_exhaustive]
pub struct Import {
    /// The other tool's migrations directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The tool whose layout DIR has: `sqlx`, `diesel` or `refinery` (detected when omitted).
    #[arg(long)]
    pub from: Option<Tool>,
    /// Write the module to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Put the SQL in string literals instead of `file("…")` entries.
    #[arg(long)]
    pub inline: bool,
    /// Apply the checker's machine-applicable fixes to the files first (in place).
    #[arg(long)]
    pub fix: bool,
    /// The directory of the Cargo.toml whose crate holds the module: `file("…")` paths are
    /// relative to it.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub crate_root: PathBuf,
}

impl Import {
    /// Imports, writing the module to `out` (or `--out`) and a summary to `err`.
    pub fn run(&self, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
        match self.import(out, err) {
            Ok(()) => Outcome::Success,
            Err(message) => {
                let _ = writeln!(err, "error: {message}");
                Outcome::Error
            }
        }
    }

    fn import(&self, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), String> {
        let mut source = read_dir(&self.dir, self.from).map_err(|e| e.to_string())?;
        let fixed = if self.fix {
            fix_in_place(&mut source)?
        } else {
            FixCount::default()
        };
        let options = ModuleOptions::new(&self.crate_root).inline(self.inline);
        let module = write_module(&source, &options).map_err(|e: ImportError| e.to_string())?;
        match &self.out {
            Some(path) => std::fs::write(path, &module.text)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
            None => out
                .write_all(module.text.as_bytes())
                .map_err(|e| format!("cannot write the module: {e}"))?,
        }
        summary(err, &source, fixed, &module);
        Ok(())
    }
}

/// What `--fix` changed: statements fixed, files changed, down files among them.
#[derive(Default)]
struct FixCount {
    fixes: usize,
    files: usize,
    downs: usize,
}

/// Fixes every entry and its down and writes the changed files back.
fn fix_in_place(source: &mut Source) -> Result<FixCount, String> {
    let results = source.fix();
    let mut count = FixCount::default();
    let mut write = |path: &std::path::Path, sql: &str, fixes: usize| {
        std::fs::write(path, sql).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        count.fixes += fixes;
        count.files += 1;
        Ok::<(), String>(())
    };
    let mut downs = 0;
    for (entry, fixed) in source.entries.iter().zip(&results) {
        if fixed.up.changed() {
            write(&entry.path, &entry.sql, fixed.up.applied.len())?;
        }
        if let (Some(down), Some(fixed)) = (&entry.down, &fixed.down)
            && fixed.changed()
        {
            write(&down.path, &down.sql, fixed.applied.len())?;
            downs += 1;
        }
    }
    count.downs = downs;
    Ok(count)
}

fn summary(err: &mut dyn Write, source: &Source, fixed: FixCount, module: &Module) {
    let tool = source.tool;
    let _ = writeln!(
        err,
        "imported {} migration(s) from {tool} ({})",
        source.entries.len() - module.empty.len(),
        source.dir.display()
    );
    if fixed.fixes > 0 {
        let _ = writeln!(
            err,
            "fixed {} statement(s) in {} file(s) ({} of them down files)",
            fixed.fixes, fixed.files, fixed.downs
        );
    }
    let _ = writeln!(
        err,
        "carried {} down file(s) over as #[down]",
        module.carried_downs.len()
    );
    for (version, reversal) in &module.left_out_downs {
        let _ = writeln!(
            err,
            "left out the down of {version} (marked #[irreversible]): {}",
            reversal.why_left_out()
        );
    }
    if !module.allowed.is_empty() {
        let _ = writeln!(
            err,
            "{} migration(s) keep an #[allow] ({tool} already applied them; review before reusing their SQL):",
            module.allowed.len()
        );
        for (version, rules) in &module.allowed {
            let names: Vec<&str> = rules.iter().map(|r| r.id()).collect();
            let _ = writeln!(err, "  {version}: {}", names.join(", "));
        }
    }
    for version in &module.empty {
        let _ = writeln!(err, "left out {version}: it holds no statement");
    }
    let _ = writeln!(
        err,
        "the first run records what {tool} applied (from {}) and applies the rest",
        tool.history_table()
    );
}
