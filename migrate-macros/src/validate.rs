//! Every build-time rule of one invocation: attributes, the version list, and the SQL checker.

use migrate_core::check::{Severity, check_sql};
use migrate_core::list::{ListProblem, check_versions};
use migrate_core::{Checksum, StatementSpan, TransactionMode, Version};
use syn::LitStr;

use crate::attributes::entry_options;
use crate::diagnostics::Diagnostics;
use crate::list_attributes::list_options;
use crate::lock::{self, LockState, Locked};
use crate::parse::{Entry, Input, Source};

/// An entry that passed every rule, with what the expansion needs.
pub struct Valid {
    pub entry: Entry,
    pub number: i64,
    pub name: String,
    pub statements: Vec<StatementSpan>,
    pub mode: TransactionMode,
    pub checksum: Checksum,
}

/// The outcome of validating one invocation: the entries are only meaningful when
/// `diagnostics` holds no error.
pub struct Validated {
    pub entries: Vec<Valid>,
    pub diagnostics: Diagnostics,
    /// `#![lock("…")]`'s path, and whether the file exists (the expansion includes it then).
    pub lock: Option<(LitStr, bool)>,
}

pub fn validate(input: Input) -> Validated {
    let mut diagnostics = Diagnostics::default();
    let options = list_options(&input.attrs, &mut diagnostics);
    let declared = input.entries.len();
    check_list(&input.entries, &mut diagnostics);
    let mut entries = Vec::with_capacity(input.entries.len());
    for (index, entry) in input.entries.into_iter().enumerate() {
        diagnostics.at_entry(index);
        let options = entry_options(&entry.attrs, &mut diagnostics);
        let version_text = entry.version.value();
        let Some(sql) = load_sql(&entry, &version_text, &mut diagnostics) else {
            continue;
        };
        let checked = check_sql(&sql, &options);
        let span = entry.source.literal().span();
        for diagnostic in &checked.diagnostics {
            let text = diagnostic.compiler_message(&version_text);
            match diagnostic.severity {
                Severity::Error => diagnostics.error(span, text),
                Severity::Warning => diagnostics.warning(span, text),
            }
        }
        let Ok(version) = Version::parse(&version_text) else {
            // Already reported by `check_list`.
            continue;
        };
        entries.push(Valid {
            number: version.number(),
            name: version.name().to_owned(),
            statements: checked.statements,
            mode: options.transaction,
            checksum: Checksum::of_sql(&sql),
            entry,
        });
    }
    let lock = options.lock.and_then(|path| {
        let state = lock::read(&path, &mut diagnostics)?;
        let exists = matches!(state, LockState::Read(_));
        // With entries missing (unreadable files, bad versions) the comparison would report
        // them as removed: their own errors fail the build already.
        if let LockState::Read(text) = &state
            && entries.len() == declared
        {
            let versions: Vec<String> = entries.iter().map(|v| v.entry.version.value()).collect();
            let locked: Vec<Locked<'_>> = entries
                .iter()
                .zip(&versions)
                .map(|(v, text)| Locked {
                    version: &v.entry.version,
                    version_text: text,
                    checksum: v.checksum,
                })
                .collect();
            lock::check(&path, text, &locked, &mut diagnostics);
        }
        Some((path, exists))
    });
    Validated {
        entries,
        diagnostics,
        lock,
    }
}

/// The list rules, each spanned on the offending version literal.
fn check_list(entries: &[Entry], diagnostics: &mut Diagnostics) {
    let texts: Vec<String> = entries.iter().map(|e| e.version.value()).collect();
    let highest = texts
        .iter()
        .filter_map(|t| Version::parse(t).ok())
        .map(|v| v.number())
        .max()
        .unwrap_or(0);
    for issue in check_versions(texts.iter().map(String::as_str)) {
        diagnostics.at_entry(issue.index);
        let text = &texts[issue.index];
        let span = entries[issue.index].version.span();
        match issue.problem {
            ListProblem::Malformed(error) => diagnostics.error(
                span,
                format!("[invalid_version] migration `{text}`: {error}"),
            ),
            ListProblem::Duplicate { first } => {
                let number = number_of(text);
                diagnostics.error(
                    span,
                    format!(
                        "[duplicate_version] migration `{text}` reuses number {number} of \
                         `{}`: every migration needs its own number, even with a different name \
                         (two entries with one number have no defined order); renumber it, e.g. \
                         `{}`",
                        texts[first],
                        renumbered(text, highest)
                    ),
                );
                diagnostics.error(
                    entries[first].version.span(),
                    format!("number {number} first used here, by `{}`", texts[first]),
                );
            }
            ListProblem::OutOfOrder { previous } => diagnostics.error(
                span,
                format!(
                    "[version_order] migration `{text}` has number {}, but the previous \
                     migration `{}` has number {}: numbers must increase down the list (they are \
                     compared as integers, so `9_a` before `10_b` is fine); renumber it, e.g. \
                     `{}`",
                    number_of(text),
                    texts[previous],
                    number_of(&texts[previous]),
                    renumbered(text, highest)
                ),
            ),
        }
    }
}

fn number_of(text: &str) -> i64 {
    Version::parse(text).map_or(0, |v| v.number())
}

/// `text` with the next free number, keeping its zero padding: `003_b` after 7 → `008_b`.
fn renumbered(text: &str, highest: i64) -> String {
    let (digits, name) = text.split_once('_').unwrap_or((text, "name"));
    let width = digits.len();
    format!("{:0width$}_{name}", highest.saturating_add(1))
}

fn load_sql(entry: &Entry, version: &str, diagnostics: &mut Diagnostics) -> Option<String> {
    match &entry.source {
        Source::Inline(lit) => Some(lit.value()),
        Source::File(path) => {
            let relative = path.value();
            let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
                diagnostics.error(
                    path.span(),
                    "`file(…)` paths are relative to CARGO_MANIFEST_DIR, which is not set: \
                     build with cargo, or inline the SQL",
                );
                return None;
            };
            // The same string `include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", path))`
            // will read, so the checked text is the compiled text.
            let full = format!("{dir}/{relative}");
            match std::fs::read_to_string(&full) {
                Ok(sql) => Some(sql),
                Err(error) => {
                    diagnostics.error(
                        path.span(),
                        format!(
                            "cannot read `{relative}` for migration `{version}`: {error}; \
                             `file(…)` paths are relative to the directory holding the crate's \
                             Cargo.toml (CARGO_MANIFEST_DIR)"
                        ),
                    );
                    None
                }
            }
        }
    }
}
