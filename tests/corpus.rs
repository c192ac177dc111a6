//! The checker against real migrations (../shared/corpus, when present): never a syntax error,
//! and every plain `CREATE TABLE`, `CREATE INDEX` and `ADD COLUMN` flagged.

use std::path::{Path, PathBuf};

use migrate_core::TransactionMode;
use migrate_core::check::{EntryOptions, Rule, check_sql};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} is absent; corpus tests skipped", dir.display());
        None
    }
}

fn up_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for project in std::fs::read_dir(dir).unwrap().flatten() {
        if !project.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(project.path()).unwrap().flatten() {
            let path = file.path();
            if path.to_string_lossy().ends_with(".up.sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// crates.io marks its non-transactional migrations in a `metadata.toml` beside them.
fn options_for(path: &Path) -> EntryOptions {
    let metadata = path.to_string_lossy().replace(".up.sql", ".metadata.toml");
    let no_tx = std::fs::read_to_string(metadata)
        .is_ok_and(|m| m.replace(' ', "").contains("run_in_transaction=false"));
    EntryOptions {
        transaction: if no_tx {
            TransactionMode::NoTransaction
        } else {
            TransactionMode::Transaction
        },
        allow: Vec::new(),
        deny: Vec::new(),
    }
}

#[test]
fn corpus_has_no_syntax_errors() {
    let Some(dir) = corpus() else { return };
    let files = up_files(&dir);
    assert!(
        files.len() >= 300,
        "expected the corpus' 338 files, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let sql = std::fs::read_to_string(path).unwrap();
        let checked = check_sql(&sql, &options_for(path));
        for d in checked
            .diagnostics
            .iter()
            .filter(|d| d.rule == Rule::SyntaxError)
        {
            failures.push(format!(
                "{}:{}:{}: {}",
                path.display(),
                d.line,
                d.column,
                d.message
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What a plain statement of the three kinds must be flagged with, found by looking at its
/// words only (independently of the checker's parser-based rules).
fn expected(statement: &str) -> Vec<(&'static str, &'static [Rule])> {
    let words: Vec<String> = statement
        .split_whitespace()
        .map(|w| w.to_uppercase())
        .collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let mut out = Vec::new();
    if w(0) == "CREATE" {
        let mut i = 1;
        while matches!(w(i), "UNIQUE" | "TEMP" | "TEMPORARY" | "UNLOGGED") {
            i += 1;
        }
        if w(i) == "TABLE" && w(i + 1) != "IF" {
            out.push((
                "CREATE TABLE",
                &[Rule::MissingIfNotExists, Rule::DestructiveRerun][..],
            ));
        }
        if w(i) == "INDEX" {
            let mut j = i + 1;
            if w(j) == "CONCURRENTLY" {
                j += 1;
            }
            if w(j) == "ON" {
                out.push(("CREATE INDEX", &[Rule::UnnamedIndex][..]));
            } else if w(j) != "IF" {
                out.push(("CREATE INDEX", &[Rule::MissingIfNotExists][..]));
            }
        }
    }
    if w(0) == "ALTER" && w(1) == "TABLE" {
        for (k, word) in words.iter().enumerate() {
            let word = word.trim_start_matches(',');
            if word == "ADD" && w(k + 1) == "COLUMN" && w(k + 2) != "IF" {
                out.push((
                    "ADD COLUMN",
                    &[Rule::MissingIfNotExists, Rule::IfExistsWrongLevel][..],
                ));
            }
        }
    }
    out
}

#[test]
fn corpus_plain_creates_and_add_columns_are_flagged() {
    let Some(dir) = corpus() else { return };
    let mut counts = [
        ("CREATE TABLE", 0usize),
        ("CREATE INDEX", 0),
        ("ADD COLUMN", 0),
    ];
    let mut missed = Vec::new();
    for path in up_files(&dir) {
        let sql = std::fs::read_to_string(&path).unwrap();
        let checked = check_sql(&sql, &options_for(&path));
        for (i, span) in checked.statements.iter().enumerate() {
            let text = &sql[span.start as usize..span.end as usize];
            let diagnostics: Vec<_> = checked
                .diagnostics
                .iter()
                .filter(|d| d.statement == Some(i + 1))
                .collect();
            let expected = expected(text);
            for (kind, rules) in &expected {
                let n = expected.iter().filter(|(k, _)| k == kind).count();
                let got = diagnostics
                    .iter()
                    .filter(|d| rules.contains(&d.rule))
                    .count();
                if let Some(c) = counts.iter_mut().find(|(k, _)| k == kind) {
                    c.1 += 1;
                }
                if got < n {
                    missed.push(format!(
                        "{} statement {}: {kind} not flagged: {}",
                        path.display(),
                        i + 1,
                        text.chars().take(120).collect::<String>()
                    ));
                }
            }
        }
    }
    eprintln!("plain statements found and flagged: {counts:?}");
    assert!(counts.iter().all(|(_, n)| *n > 10), "{counts:?}");
    missed.dedup();
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// The hazards (squawk's lock, rewrite and compatibility rules) add no error in default mode:
/// every corpus file has exactly the errors it has with the hazards allowed. Prints the hazard
/// warnings per project and per rule.
#[test]
fn corpus_hazards_add_no_error_and_are_counted() {
    use migrate_core::check::{Allow, Family, Severity};
    use std::collections::BTreeMap;

    let Some(dir) = corpus() else { return };
    let mut per_project: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut per_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut new_errors = Vec::new();
    for path in up_files(&dir) {
        let sql = std::fs::read_to_string(&path).unwrap();
        let options = options_for(&path);
        let with = check_sql(&sql, &options).diagnostics;
        let without = check_sql(
            &sql,
            &EntryOptions {
                allow: vec![Allow::Family(Family::Hazard)],
                ..options.clone()
            },
        )
        .diagnostics;
        let errors = |d: &[migrate_core::check::Diagnostic]| -> Vec<(Rule, Option<usize>)> {
            d.iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| (d.rule, d.statement))
                .collect()
        };
        if errors(&with) != errors(&without) {
            new_errors.push(path.display().to_string());
        }
        let project = path
            .strip_prefix(&dir)
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let hazards: Vec<Rule> = with
            .iter()
            .filter(|d| d.rule.family() == Family::Hazard)
            .map(|d| {
                assert_eq!(d.severity, Severity::Warning, "{}", path.display());
                d.rule
            })
            .collect();
        let entry = per_project.entry(project).or_default();
        entry.0 += 1;
        entry.1 += hazards.len();
        for rule in hazards {
            *per_rule.entry(rule.id()).or_default() += 1;
        }
    }
    assert!(
        new_errors.is_empty(),
        "hazards changed the errors of: {new_errors:?}"
    );
    for (project, (files, warnings)) in &per_project {
        println!("{project}: {files} migrations, {warnings} hazard warnings");
    }
    println!("per rule: {per_rule:?}");
    assert!(per_project.len() >= 3, "{per_project:?}");
    assert!(
        per_project.values().map(|(_, w)| w).sum::<usize>() > 0,
        "no hazard in the whole corpus"
    );
}
