//! "Did you mean …?": the known name closest to a misspelt one.

use crate::check::{Allow, Hazard, Rule, Syntax};

/// The allowance a name in `#[allow(<name>, …)]` or `-- migrate:allow <name> …` stands for,
/// or the error explaining why there is none (with the closest accepted name), in the syntax
/// of where the entry lives.
///
/// ```
/// use migrate_core::check::{Allow, Rule, Syntax};
/// use migrate_core::pipeline::allow_named;
///
/// assert_eq!(allow_named("unnamed_index", Syntax::Headers), Ok(Allow::Rule(Rule::UnnamedIndex)));
/// let err = allow_named("missing_if_not_exist", Syntax::Attributes).unwrap_err();
/// assert!(err.starts_with(
///     "unknown rule `missing_if_not_exist` in `#[allow]`; did you mean `missing_if_not_exists`? accepted names:"
/// ));
/// assert!(allow_named("syntax_error", Syntax::Headers).unwrap_err().contains("never silenced"));
/// ```
pub fn allow_named(name: &str, syntax: Syntax) -> Result<Allow, String> {
    if let Some(allow) = Allow::parse(name) {
        return Ok(allow);
    }
    let accepted: Vec<String> = Allow::accepted_names().collect();
    let names = accepted
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if Rule::from_id(name).is_some() {
        return Err(format!(
            "`{name}` cannot be allowed: syntax, structure and version-list rules are never \
             silenced; fix the migration instead (rules that can be allowed: {names})"
        ));
    }
    let guess = closest(name, accepted.iter().map(String::as_str))
        .map(|known| format!("did you mean `{known}`? "))
        .unwrap_or_default();
    let option = match syntax {
        Syntax::Headers => "-- migrate:allow",
        _ => "#[allow]",
    };
    Err(format!(
        "unknown rule `{name}` in `{option}`; {guess}accepted names: {names}"
    ))
}

/// The hazards a name in `#![deny(<name>)]` or `migrate lint --deny <name>` turns into errors:
/// `hazards` (all of them) or one hazard, written with `_` or `-`.
///
/// ```
/// use migrate_core::check::{Allow, Family, Hazard, Rule};
/// use migrate_core::pipeline::deny_named;
///
/// assert_eq!(deny_named("hazards"), Ok(Allow::Family(Family::Hazard)));
/// assert_eq!(deny_named("ban-drop-column"), Ok(Allow::Rule(Rule::Hazard(Hazard::BanDropColumn))));
/// assert!(deny_named("unnamed_index").unwrap_err().contains("only hazards can be denied"));
/// ```
pub fn deny_named(name: &str) -> Result<Allow, String> {
    if name == "hazards" {
        return Ok(Allow::Family(crate::check::Family::Hazard));
    }
    if let Some(hazard) = Hazard::from_name(name) {
        return Ok(Allow::Rule(Rule::Hazard(hazard)));
    }
    let known: Vec<String> = Hazard::ALL.iter().map(|h| h.attribute_name()).collect();
    let guess = closest(name, known.iter().map(String::as_str))
        .map(|k| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    Err(format!(
        "`{name}`: only hazards can be denied (the other rules are errors already); {guess}\
         write `hazards` or one of: {}",
        known.join(", ")
    ))
}

/// The error for an option (an attribute in Rust, a `-- migrate:` line in a file) that is not
/// one of the entry options: it names the entry, suggests the closest known option and lists
/// them all, in the syntax of where the entry lives.
///
/// ```
/// use migrate_core::check::Syntax;
/// use migrate_core::pipeline::unknown_option;
///
/// assert_eq!(
///     unknown_option(Syntax::Attributes, "no_transactoin", "001_users"),
///     "unknown attribute `#[no_transactoin]` on migration `001_users`: did you mean \
///      `#[no_transaction]`? a migration entry accepts `#[no_transaction]` and \
///      `#[allow(<rule>, reason = \"…\")]`"
/// );
/// assert!(unknown_option(Syntax::Headers, "retry", "001_users").starts_with(
///     "unknown directive `-- migrate:retry` on migration `001_users`: the known ones are"
/// ));
/// ```
pub fn unknown_option(syntax: Syntax, name: &str, version: &str) -> String {
    let guess = closest(name, ["no_transaction", "allow"])
        .map(|known| format!("did you mean `{}`? ", syntax.option(known)))
        .unwrap_or_default();
    let (kind, accepted) = match syntax {
        Syntax::Headers => (
            "directive",
            "the known ones are `-- migrate:no_transaction` and \
             `-- migrate:allow <rule> reason=\"…\"`",
        ),
        _ => (
            "attribute",
            "a migration entry accepts `#[no_transaction]` and \
             `#[allow(<rule>, reason = \"…\")]`",
        ),
    };
    format!(
        "unknown {kind} `{}` on migration `{version}`: {guess}{accepted}",
        syntax.option(name)
    )
}

/// The candidate closest to `name` by edit distance, when it is close enough to be what was
/// meant (at most half the longer name's length changed); ties go to the earlier candidate.
fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, c)| *d > 0 && d * 2 <= name.chars().count().max(c.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters (names are short: one row of memory suffices).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("allow", "allow"), 0);
    }

    #[test]
    fn suggests_only_close_names() {
        let known = ["no_transaction", "allow"];
        assert_eq!(closest("no_transactoin", known), Some("no_transaction"));
        assert_eq!(closest("notransaction", known), Some("no_transaction"));
        assert_eq!(closest("transactional", known), Some("no_transaction"));
        assert_eq!(closest("alow", known), Some("allow"));
        assert_eq!(closest("retry", known), None);
        assert_eq!(closest("allow", known), None);
    }
}
