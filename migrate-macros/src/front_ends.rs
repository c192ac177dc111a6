//! The same entries through the three front ends: every `migrations!` case under tests/ui
//! (pass and fail) is translated by the macro's own front end, checked by the pipeline, then
//! written out as `.sql` files (attributes as `-- migrate:` headers) and run through
//! `Loader` and `migrate lint`. All three must report the same rule ids, statements and lines
//! (lines relative to the SQL, since a file's headers sit above it).
//!
//! The list rules are compared where a directory can express them: a duplicate number and a
//! malformed version (a file name the loader rejects). A directory is ordered by number, so it
//! has no `version_order`; `lint` checks files one by one and has no list rules.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use migrate::cli::{Format, Lint};
use migrate::load::{CheckFailure, LoadProblem, Loader};
use migrate_core::check::{EntryOptions, Rule};
use migrate_core::pipeline::{self, check_entry, check_list};
use migrate_core::{TransactionMode, Version};

use crate::diagnostics::Diagnostics;
use crate::parse::Input;
use crate::validate::to_entry;

/// (rule id, statement, line within the SQL) of one finding.
type Found = (String, Option<u64>, u64);

/// The cases whose macro input does not parse (a syntax error in the list itself): they have
/// no entries to compare.
const UNPARSABLE: [&str; 3] = ["malformed_syntax", "missing_comma", "sql_not_a_literal"];

#[test]
fn macro_loader_and_lint_agree_on_every_ui_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scratch = Scratch::new();
    let (mut cases, mut compared, mut unparsable) = (0, 0, Vec::new());
    for path in ui_cases(&root) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let Some(input) = macro_input(&path) else {
            unparsable.push(name);
            continue;
        };
        cases += 1;
        let mut diagnostics = Diagnostics::default();
        let root_text = root.to_str().unwrap();
        let entries: Vec<pipeline::Entry> = input
            .entries
            .iter()
            .filter_map(|e| to_entry(e, Some(root_text), &mut diagnostics))
            .collect();
        for (index, entry) in entries.iter().enumerate() {
            let dir = scratch.dir(&format!("{name}_{index}"));
            let (file, headers) = write_file(&dir, entry, true);
            let by_macro = from_macro(entry);
            let by_loader = from_loader(&dir, headers);
            // `migrate lint` reads the `.down.sql` beside the up file as the loader does.
            let by_lint = from_lint(&file, headers);
            let at = format!("{} entry {index} ({})", path.display(), entry.version());
            assert_eq!(by_macro, by_loader, "macro and Loader differ on {at}");
            assert_eq!(by_macro, by_lint, "macro and lint differ on {at}");
            compared += by_macro.len();
        }
        compare_list_rules(&scratch.dir(&format!("{name}_list")), &entries, &name);
    }
    unparsable.sort();
    assert_eq!(unparsable, UNPARSABLE);
    assert!(cases >= 35, "only {cases} ui cases were read");
    assert!(compared >= 20, "only {compared} findings were compared");
    println!("{cases} cases, {compared} findings identical in the macro, Loader and lint");
}

fn ui_cases(root: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = ["tests/ui/pass", "tests/ui/fail"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root.join(dir)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    cases.sort();
    cases
}

/// The tokens of the case's `migrations!` call, parsed as the macro parses them.
fn macro_input(path: &Path) -> Option<Input> {
    let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
    let call = file.items.iter().find_map(|item| {
        let expr = match item {
            syn::Item::Static(s) => &s.expr,
            syn::Item::Const(c) => &c.expr,
            _ => return None,
        };
        match &**expr {
            syn::Expr::Macro(m) if m.mac.path.segments.last()?.ident == "migrations" => {
                Some(m.mac.tokens.clone())
            }
            _ => None,
        }
    });
    let call = call.unwrap_or_else(|| panic!("{}: no migrations! call", path.display()));
    syn::parse2(call).ok()
}

fn from_macro(entry: &pipeline::Entry) -> Vec<Found> {
    check_entry(entry.clone())
        .diagnostics
        .iter()
        .map(|d| {
            let statement = d.statement.map(|n| n as u64);
            (d.rule.id().to_owned(), statement, u64::from(d.line))
        })
        .collect()
}

fn from_loader(dir: &Path, headers: u64) -> Vec<Found> {
    let loaded = Loader::new(dir)
        .on_check_failure(CheckFailure::AcceptAll)
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
    loaded
        .diagnostics
        .iter()
        .map(|f| {
            let d = &f.diagnostic;
            let statement = d.statement.map(|n| n as u64);
            // A down file has no header lines.
            let headers = if d.in_down { 0 } else { headers };
            (
                d.rule.id().to_owned(),
                statement,
                sql_line(statement, d.line.into(), headers),
            )
        })
        .collect()
}

fn from_lint(file: &Path, headers: u64) -> Vec<Found> {
    let lint = Lint {
        files: vec![file.to_owned()],
        format: Format::Json,
        fix: false,
        dry_run: false,
        deny: Vec::new(),
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    lint.run(&mut out, &mut err);
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    items
        .iter()
        .map(|i| {
            let statement = i["statement"].as_u64();
            // A down file has no header lines.
            let in_down = i["file"].as_str().is_some_and(|f| f.ends_with(".down.sql"));
            let headers = if in_down { 0 } else { headers };
            let line = sql_line(statement, i["line"].as_u64().unwrap(), headers);
            (i["rule"].as_str().unwrap().to_owned(), statement, line)
        })
        .collect()
}

/// A file's line as a line of its SQL below the headers; a finding about the whole entry
/// sits at its start in both.
fn sql_line(statement: Option<u64>, line: u64, headers: u64) -> u64 {
    if statement.is_some() {
        line - headers
    } else {
        line
    }
}

/// Writes the entry as a `.sql` file with its options as headers; returns the file and the
/// number of header lines. `valid_name` replaces a malformed version with a loadable one.
fn write_file(dir: &Path, entry: &pipeline::Entry, valid_name: bool) -> (PathBuf, u64) {
    let mut text = headers(entry.options());
    let lines = text.lines().count() as u64;
    text.push_str(entry.sql());
    let version = entry.version();
    let stem = if valid_name && Version::parse(version).is_err() {
        "1_malformed_version"
    } else {
        version
    };
    let file = dir.join(format!("{stem}.sql"));
    std::fs::write(&file, text).unwrap();
    if let Some(down) = entry.down() {
        std::fs::write(dir.join(format!("{stem}.down.sql")), down).unwrap();
    }
    (file, lines)
}

fn headers(options: &EntryOptions) -> String {
    let mut text = String::new();
    if options.transaction == TransactionMode::NoTransaction {
        text.push_str("-- migrate:no_transaction\n");
    }
    for allow in &options.allow {
        let name = allow.name();
        text.push_str(&format!("-- migrate:allow {name} reason=\"a ui case\"\n"));
    }
    text
}

/// Duplicates and malformed versions: the macro's list check and the loader's directory.
fn compare_list_rules(dir: &Path, entries: &[pipeline::Entry], case: &str) {
    let by_macro = |rule: Rule| -> BTreeSet<String> {
        check_list(entries.iter().map(pipeline::Entry::version))
            .into_iter()
            .filter(|d| d.diagnostic.rule == rule)
            .map(|d| entries[d.entry].version().to_owned())
            .collect()
    };
    for entry in entries {
        write_file(dir, entry, false);
    }
    let problems = match Loader::new(dir)
        .on_check_failure(CheckFailure::AcceptAll)
        .load()
    {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(describe).collect(),
    };
    let by_loader = |kind: &str| -> BTreeSet<String> {
        problems
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, version)| version.clone())
            .collect()
    };
    assert_eq!(
        by_macro(Rule::DuplicateVersion),
        by_loader("duplicate"),
        "{case}"
    );
    assert_eq!(
        by_macro(Rule::InvalidVersion),
        by_loader("malformed"),
        "{case}"
    );
}

/// A loader problem as (kind, version of the file it is about).
fn describe(problem: &LoadProblem) -> (String, String) {
    let stem = |file: &Path| file.file_stem().unwrap().to_string_lossy().into_owned();
    match problem {
        LoadProblem::DuplicateVersion { file, .. } => ("duplicate".into(), stem(file)),
        LoadProblem::BadFileName { file, .. } => ("malformed".into(), stem(file)),
        other => ("other".into(), other.to_string()),
    }
}

/// A temporary directory for the test's files, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("migrate_front_ends_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
