//! The list rules as diagnostics: malformed, duplicate and out-of-order versions.

use crate::check::{Diagnostic, Rule};
use crate::list::{ListProblem, check_versions};
use crate::{Version, VersionError};

/// A list rule that fired on one entry.
///
/// The [`Diagnostic`] carries the rule and the message (which names the migration); it has no
/// statement, and its position is the start of the entry. A front end places it on the
/// entry's version: the macro on the version literal, the loader on the file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListDiagnostic {
    /// Index of the offending entry, in the order given.
    pub entry: usize,
    /// The rule (`invalid_version`, `duplicate_version`, `version_order`) and what to do.
    pub diagnostic: Diagnostic,
    /// For a duplicate: the entry that used the number first, and a note to show there.
    pub first_use: Option<FirstUse>,
}

/// The entry a duplicate version collides with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FirstUse {
    /// Its index.
    pub entry: usize,
    /// "number 6 first used here, by `006_feature_a`".
    pub note: String,
}

/// Checks a list of versions in declaration order: every malformed version, every number used
/// twice, every number not greater than the previous entry's.
///
/// ```
/// use migrate_core::check::Rule;
/// use migrate_core::pipeline::check_list;
///
/// let found = check_list(["001_a", "3_b", "2_c", "003_d"]);
/// let rules: Vec<(usize, Rule)> = found.iter().map(|d| (d.entry, d.diagnostic.rule)).collect();
/// assert_eq!(rules, [(2, Rule::VersionOrder), (3, Rule::DuplicateVersion)]);
/// assert_eq!(found[1].first_use.as_ref().unwrap().entry, 1);
/// assert!(found[0].diagnostic.message.starts_with("migration `2_c` has number 2"));
/// ```
pub fn check_list<'a>(versions: impl IntoIterator<Item = &'a str>) -> Vec<ListDiagnostic> {
    let texts: Vec<&str> = versions.into_iter().collect();
    let highest = texts
        .iter()
        .filter_map(|t| Version::parse(t).ok())
        .map(|v| v.number())
        .max()
        .unwrap_or(0);
    check_versions(texts.iter().copied())
        .into_iter()
        .map(|issue| {
            let text = texts[issue.index];
            let (rule, message, first_use) = match issue.problem {
                ListProblem::Malformed(error) => {
                    (Rule::InvalidVersion, malformed(text, error), None)
                }
                ListProblem::Duplicate { first } => {
                    let first_text = texts[first];
                    let note = format!(
                        "number {} first used here, by `{first_text}`",
                        number_of(text)
                    );
                    (
                        Rule::DuplicateVersion,
                        duplicate(text, first_text, highest),
                        Some(FirstUse { entry: first, note }),
                    )
                }
                ListProblem::OutOfOrder { previous } => (
                    Rule::VersionOrder,
                    out_of_order(text, texts[previous], highest),
                    None,
                ),
            };
            ListDiagnostic {
                entry: issue.index,
                diagnostic: Diagnostic::about_entry(rule, message),
                first_use,
            }
        })
        .collect()
}

fn malformed(text: &str, error: VersionError) -> String {
    format!("migration `{text}`: {error}")
}

fn duplicate(text: &str, first: &str, highest: i64) -> String {
    format!(
        "migration `{text}` reuses number {} of `{first}`: every migration needs its own number, \
         even with a different name (two entries with one number have no defined order); \
         renumber it, e.g. `{}`",
        number_of(text),
        renumbered(text, highest)
    )
}

fn out_of_order(text: &str, previous: &str, highest: i64) -> String {
    format!(
        "migration `{text}` has number {}, but the previous migration `{previous}` has number {}: \
         numbers must increase down the list (they are compared as integers, so `9_a` before \
         `10_b` is fine); renumber it, e.g. `{}`",
        number_of(text),
        number_of(previous),
        renumbered(text, highest)
    )
}

/// The number of a version the list check already parsed.
fn number_of(text: &str) -> i64 {
    Version::parse(text).map_or(0, |v| v.number())
}

/// `text` with the next free number, keeping its zero padding: `003_b` after 7 → `008_b`.
fn renumbered(text: &str, highest: i64) -> String {
    let (digits, name) = text.split_once('_').unwrap_or((text, "name"));
    let width = digits.len();
    format!("{:0width$}_{name}", highest.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbering_keeps_the_padding() {
        assert_eq!(renumbered("003_b", 7), "008_b");
        assert_eq!(renumbered("1_again", 5), "6_again");
    }

    #[test]
    fn every_problem_is_a_list_rule() {
        let found = check_list(["001_a", "four_d", "1_b"]);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|d| d.diagnostic.statement.is_none()));
        assert_eq!(found[0].diagnostic.rule, Rule::InvalidVersion);
        assert_eq!(
            found[1].first_use.as_ref().map(|f| f.note.as_str()),
            Some("number 1 first used here, by `001_a`")
        );
    }
}
