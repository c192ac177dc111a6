//! Writes a [`Source`] as a Rust module with one `migrations!` list.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::down::{self, Reversal};
use super::{Entry, ImportError, Source};
use crate::Tool;
use crate::check::{EntryOptions, Family, Rule, Severity, check_sql};

/// How [`write_module`] writes entries.
///
/// ```
/// let options = migrate_core::import::ModuleOptions::new(".").inline(true);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModuleOptions {
    crate_root: PathBuf,
    inline: bool,
}

impl ModuleOptions {
    /// `file(…)` entries, with paths relative to `crate_root` (the directory of the
    /// `Cargo.toml` whose crate will hold the module).
    pub fn new(crate_root: impl Into<PathBuf>) -> Self {
        ModuleOptions {
            crate_root: crate_root.into(),
            inline: false,
        }
    }

    /// String literals instead of `file(…)` entries.
    pub fn inline(mut self, inline: bool) -> Self {
        self.inline = inline;
        self
    }
}

/// The module's text, and the entries that needed an `#[allow]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Module {
    /// The Rust source: `pub static MIGRATIONS: Migrations = migrations! { … };`.
    pub text: String,
    /// Each entry that carries an `#[allow]`, with the rules it allows.
    pub allowed: Vec<(String, Vec<Rule>)>,
    /// Migrations left out because they hold no statement (the tool ran them as no-ops; the
    /// macro refuses an empty entry).
    pub empty: Vec<String>,
    /// Each entry whose down file was carried over as `#[down(…)]`.
    pub carried_downs: Vec<String>,
    /// Each entry whose down file was left out, with why: the checker rejects it with a rule
    /// no `#[allow]` covers. The entry is `#[irreversible]` in the module.
    pub left_out_downs: Vec<(String, Reversal)>,
}

/// Writes the module: one entry per migration, `#[no_transaction]` where the tool runs it
/// outside a transaction, its down file as `#[down(file("…"))]` (`#[down("…")]` inline), and
/// for whatever the checker still flags an
/// `#[allow(<rule>, reason = "imported from <tool>: already applied; …")]`, so that the module
/// compiles as written. A down the checker rejects with a rule no `#[allow]` covers (the
/// rollback rules, syntax) is left out, with a comment saying why, and the entry is marked
/// `#[irreversible(reason = "…")]`.
///
/// ```
/// use migrate_core::import::{ModuleOptions, read_dir, write_module};
///
/// # let dir = std::env::temp_dir().join(format!("migrate_module_doc_{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("V1__initial.sql"), "CREATE TABLE t (id int);").unwrap();
/// let source = read_dir(&dir, None).unwrap();
/// let module = write_module(&source, &ModuleOptions::new(&dir).inline(true)).unwrap();
/// assert!(module.text.contains("#[allow(missing_if_not_exists, reason = \"imported from refinery: already applied;"));
/// assert!(module.text.contains("\"1_initial\" => r#\"CREATE TABLE t (id int);\"#,"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_module(source: &Source, options: &ModuleOptions) -> Result<Module, ImportError> {
    let tool = source.tool;
    let mut text = format!(
        "// Migrations imported from {tool} by `migrate import`, in {tool}'s order. Versions keep\n\
         // {tool}'s numbers, so the first run adopts {tool}'s history table ({}).\n\
         use migrate::{{Migrations, migrations}};\n\n\
         /// Every migration, oldest first.\n\
         pub static MIGRATIONS: Migrations = migrations! {{\n",
        tool.history_table()
    );
    let mut module = Module {
        text: String::new(),
        allowed: Vec::new(),
        empty: Vec::new(),
        carried_downs: Vec::new(),
        left_out_downs: Vec::new(),
    };
    for entry in &source.entries {
        let Some(mut rules) = rules_to_allow(entry)? else {
            let _ = writeln!(
                text,
                "    // {}: empty in {tool} (comments only), left out: an entry needs a statement.",
                entry.version
            );
            module.empty.push(entry.version.clone());
            continue;
        };
        let reversal = down::reversal(entry, &rules);
        if let Reversal::Carried { allow, .. } = &reversal {
            rules.extend(allow.iter().copied());
            rules.sort();
        }
        if let Reversal::LeftOut { .. } = &reversal {
            let _ = writeln!(
                text,
                "    // {}: {tool}'s down file left out, the checker rejects it: {}",
                entry.version,
                one_line(&reversal.why_left_out())
            );
        }
        if entry.no_transaction {
            text.push_str("    #[no_transaction]\n");
        }
        if !rules.is_empty() {
            let names: Vec<&str> = rules.iter().map(|r| r.id()).collect();
            let _ = writeln!(
                text,
                "    #[allow({}, reason = \"imported from {tool}: already applied; written without guards, so it is never run twice on one database\")]",
                names.join(", ")
            );
            module.allowed.push((entry.version.clone(), rules));
        }
        match (&reversal, &entry.down) {
            (Reversal::Carried { .. }, Some(down)) => {
                let body = sql_body(&down.sql, &down.path, options)?;
                let _ = writeln!(text, "    #[down({body})]");
                module.carried_downs.push(entry.version.clone());
            }
            (Reversal::LeftOut { .. }, _) => {
                let _ = writeln!(
                    text,
                    "    #[irreversible(reason = {})]",
                    string_literal(&irreversible_reason(tool, &reversal))
                );
                module
                    .left_out_downs
                    .push((entry.version.clone(), reversal));
            }
            _ => {}
        }
        let body = sql_body(&entry.sql, &entry.path, options)?;
        let _ = writeln!(text, "    {} => {body},", string_literal(&entry.version));
    }
    text.push_str("};\n");
    module.text = text;
    Ok(module)
}

/// The `#[irreversible]` reason of an entry whose down was left out.
pub(crate) fn irreversible_reason(tool: Tool, reversal: &Reversal) -> String {
    let ids: Vec<&str> = reversal.rules().iter().map(|r| r.id()).collect();
    format!(
        "imported from {tool}: its down file was left out, the checker rejects it ({}); fix the down and add it as #[down(…)]",
        ids.join(", ")
    )
}

/// A literal of `sql`, or a `file(…)` of `path` relative to the crate root.
fn sql_body(sql: &str, path: &Path, options: &ModuleOptions) -> Result<String, ImportError> {
    Ok(if options.inline {
        raw_literal(sql)
    } else {
        format!(
            "file({})",
            string_literal(&relative(path, &options.crate_root)?)
        )
    })
}

/// `text` on one line, for a `//` comment.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The idempotency rules the checker still reports as errors, or `None` for an entry with no
/// statement; a finding no `#[allow]` can silence fails the import.
fn rules_to_allow(entry: &Entry) -> Result<Option<Vec<Rule>>, ImportError> {
    let options = EntryOptions {
        transaction: entry.transaction_mode(),
        ..EntryOptions::default()
    };
    let checked = check_sql(&entry.sql, &options);
    if checked
        .diagnostics
        .iter()
        .any(|d| d.rule == Rule::EmptyMigration)
    {
        return Ok(None);
    }
    let errors = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error);
    let (allowable, fatal): (Vec<_>, Vec<_>) =
        errors.partition(|d| d.rule.family() == Family::NonIdempotent);
    if !fatal.is_empty() {
        return Err(ImportError::Unimportable {
            version: entry.version.clone(),
            path: entry.path.clone(),
            messages: fatal
                .iter()
                .map(|d| d.render(&entry.version))
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    let mut rules: Vec<Rule> = allowable.iter().map(|d| d.rule).collect();
    rules.sort();
    rules.dedup();
    Ok(Some(rules))
}

/// `path` relative to `root`, with `/` separators (the macro joins it to CARGO_MANIFEST_DIR).
fn relative(path: &Path, root: &Path) -> Result<String, ImportError> {
    let outside = || ImportError::OutsideCrate {
        path: path.to_owned(),
        root: root.to_owned(),
    };
    let absolute = |p: &Path| std::path::absolute(p).map_err(|_| outside());
    let (path_abs, root_abs) = (absolute(path)?, absolute(root)?);
    let rel = path_abs.strip_prefix(&root_abs).map_err(|_| outside())?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|p| p.join("/")).ok_or_else(outside)
}

fn string_literal(text: &str) -> String {
    format!("{text:?}")
}

/// A raw string literal with enough `#`s that the SQL cannot close it.
fn raw_literal(sql: &str) -> String {
    let mut hashes = 1;
    while sql.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    format!("r{h}\"{sql}\"{h}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_literals_outgrow_the_sql() {
        assert_eq!(raw_literal("SELECT 1"), "r#\"SELECT 1\"#");
        assert_eq!(raw_literal("SELECT '\"#'"), "r##\"SELECT '\"#'\"##");
    }

    #[test]
    fn paths_are_relative_to_the_crate_root() {
        let rel = relative(Path::new("/a/b/migrations/x.sql"), Path::new("/a/b")).unwrap();
        assert_eq!(rel, "migrations/x.sql");
        assert!(relative(Path::new("/elsewhere/x.sql"), Path::new("/a/b")).is_err());
    }
}
