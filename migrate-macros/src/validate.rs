//! The macro's front end of the entry pipeline: each parsed entry becomes a
//! `migrate_core::pipeline::Entry`, and every diagnostic of the list and of the entries lands
//! on the literal it is about.

use migrate_core::Migration;
use migrate_core::check::{Diagnostic, Severity};
use migrate_core::pipeline::{self, check_entry, check_list};
use syn::LitStr;

use crate::attributes::{Reversal, entry_options, reversal};
use crate::diagnostics::Diagnostics;
use crate::list_attributes::list_options;
use crate::lock::{self, LockState, Locked};
use crate::parse::{Entry, Input, Source};

/// An entry that passed every rule, with its checked migration.
pub struct Valid {
    pub entry: Entry,
    pub migration: Migration,
    pub reversal: Reversal,
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
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok();
    let mut diagnostics = Diagnostics::default();
    let options = list_options(&input.attrs, &mut diagnostics);
    let declared = input.entries.len();
    list_rules(&input.entries, &mut diagnostics);
    let mut entries = Vec::with_capacity(input.entries.len());
    for (index, entry) in input.entries.into_iter().enumerate() {
        diagnostics.at_entry(index);
        let reversal = reversal(&entry.attrs, &mut diagnostics);
        let Some(mut checked) =
            to_entry_with(&entry, &reversal, manifest_dir.as_deref(), &mut diagnostics)
        else {
            continue;
        };
        for deny in &options.deny {
            checked = checked.with_deny(*deny);
        }
        let version = checked.version().to_owned();
        let checked = check_entry(checked);
        let span = entry.source.literal().span();
        let down_span = reversal.down.as_ref().map_or(span, |d| d.literal().span());
        for diagnostic in &checked.diagnostics {
            let at = if diagnostic.in_down { down_span } else { span };
            report(diagnostic, &version, at, &mut diagnostics);
        }
        // A malformed version has no migration; `list_rules` reported it.
        if let Some(migration) = checked.migration {
            entries.push(Valid {
                entry,
                migration,
                reversal,
            });
        }
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
                    checksum: v.migration.checksum(),
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

/// The pipeline's entry for one parsed entry: its attributes as options, its SQL read from the
/// literal or the file. `None` when the SQL could not be read (reported).
#[cfg(test)]
pub fn to_entry(
    entry: &Entry,
    manifest_dir: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Option<pipeline::Entry> {
    let reversal = reversal(&entry.attrs, diagnostics);
    to_entry_with(entry, &reversal, manifest_dir, diagnostics)
}

fn to_entry_with(
    entry: &Entry,
    reversal: &Reversal,
    manifest_dir: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Option<pipeline::Entry> {
    let version = entry.version.value();
    let options = entry_options(&entry.attrs, &version, diagnostics);
    let sql = load_sql(&entry.source, &version, manifest_dir, diagnostics)?;
    let mut out =
        pipeline::Entry::new(version.clone(), sql, pipeline::Origin::Macro).with_options(options);
    if let Some(down) = &reversal.down {
        out = out.with_down(load_sql(down, &version, manifest_dir, diagnostics)?);
    }
    if let Some(reason) = &reversal.irreversible {
        out = out.with_irreversible(reason.value());
    }
    Some(out)
}

fn report(diagnostic: &Diagnostic, version: &str, span: proc_macro2::Span, to: &mut Diagnostics) {
    let text = diagnostic.compiler_message(version);
    match diagnostic.severity {
        Severity::Error => to.error(span, text),
        Severity::Warning => to.warning(span, text),
    }
}

/// The list rules, each spanned on the offending version literal.
fn list_rules(entries: &[Entry], diagnostics: &mut Diagnostics) {
    let texts: Vec<String> = entries.iter().map(|e| e.version.value()).collect();
    for found in check_list(texts.iter().map(String::as_str)) {
        diagnostics.at_entry(found.entry);
        let entry = &entries[found.entry];
        report(
            &found.diagnostic,
            &texts[found.entry],
            entry.version.span(),
            diagnostics,
        );
        if let Some(first) = found.first_use {
            diagnostics.error(entries[first.entry].version.span(), first.note);
        }
    }
}

fn load_sql(
    source: &Source,
    version: &str,
    manifest_dir: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    match source {
        Source::Inline(lit) => Some(lit.value()),
        Source::File(path) => {
            let relative = path.value();
            let Some(dir) = manifest_dir else {
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
