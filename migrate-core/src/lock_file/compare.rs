//! Comparing a list with its lock file: every locked migration must still be in the list, at
//! its position, with its checksum; entries after the last locked one are new.

use std::collections::HashMap;
use std::fmt;

use super::LockFile;
use crate::{Checksum, Version};

/// How a list departs from its lock file.
///
/// ```
/// use migrate_core::Checksum;
/// use migrate_core::lock_file::{LockFile, MismatchKind};
///
/// let lock = LockFile::of_list([("001_a", Checksum::of_sql("SELECT 1"))]);
/// let found = lock.compare([("001_a", Checksum::of_sql("SELECT 2"))]);
/// assert!(matches!(found[0].kind, MismatchKind::Edited { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MismatchKind {
    /// A locked migration's SQL changed (whitespace and comments do not count).
    Edited {
        /// Its version.
        version: String,
    },
    /// A locked migration is gone from the list.
    Removed {
        /// Its version.
        version: String,
    },
    /// A locked migration's SQL is in the list under another version.
    Renumbered {
        /// The locked version.
        locked: String,
        /// The version it has now.
        now: String,
    },
    /// Locked migrations are in another order than the lock file's.
    Reordered {
        /// The migration that moved.
        version: String,
        /// The locked migration it now comes before.
        before: String,
    },
    /// A migration the lock file does not have, placed before the last locked one.
    Inserted {
        /// Its version.
        version: String,
        /// The locked migration it comes before.
        before: String,
    },
}

/// One departure of a list from its lock file, with the entry to point at.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockMismatch {
    /// What changed.
    pub kind: MismatchKind,
    /// The index of the list entry it concerns; `None` when the entry is gone (a removal).
    pub entry: Option<usize>,
    /// The next free version for a new migration: the suggested way to write the change.
    pub suggestion: String,
}

impl LockFile {
    /// Every departure of `list` (`(version, checksum)` in list order) from this lock file.
    /// Entries after the last locked migration are new and never reported.
    ///
    /// ```
    /// use migrate_core::Checksum;
    /// use migrate_core::lock_file::LockFile;
    ///
    /// let sql = |s: &str| Checksum::of_sql(s);
    /// let lock = LockFile::of_list([("001_a", sql("SELECT 1")), ("002_b", sql("SELECT 2"))]);
    /// // Appending passes; so does a comment added to a locked migration.
    /// assert!(lock
    ///     .compare([("001_a", sql("SELECT 1 -- why")), ("002_b", sql("SELECT 2")), ("003_c", sql("SELECT 3"))])
    ///     .is_empty());
    /// // Removing `002_b` is reported, naming it.
    /// let found = lock.compare([("001_a", sql("SELECT 1"))]);
    /// assert_eq!(found.len(), 1);
    /// assert!(found[0].to_string().contains("`002_b`"));
    /// ```
    pub fn compare<'a>(
        &self,
        list: impl IntoIterator<Item = (&'a str, Checksum)>,
    ) -> Vec<LockMismatch> {
        let list: Vec<(&str, Checksum)> = list.into_iter().collect();
        let suggestion = next_free_version(&list);
        let position: HashMap<&str, usize> =
            list.iter().enumerate().map(|(i, (v, _))| (*v, i)).collect();
        let locked: HashMap<&str, usize> = self
            .migrations
            .iter()
            .enumerate()
            .map(|(i, m)| (m.version.as_str(), i))
            .collect();
        let mut found = Vec::new();
        let mut explained = vec![false; list.len()];
        for m in &self.migrations {
            let mismatch = |kind, entry| LockMismatch {
                kind,
                entry,
                suggestion: suggestion.clone(),
            };
            match position.get(m.version.as_str()) {
                Some(&j) => {
                    explained[j] = true;
                    if list[j].1 != m.checksum {
                        let version = m.version.clone();
                        found.push(mismatch(MismatchKind::Edited { version }, Some(j)));
                    }
                }
                None => {
                    let moved = list.iter().enumerate().find(|(j, (v, c))| {
                        !explained[*j] && !locked.contains_key(v) && *c == m.checksum
                    });
                    match moved {
                        Some((j, (now, _))) => {
                            explained[j] = true;
                            let kind = MismatchKind::Renumbered {
                                locked: m.version.clone(),
                                now: (*now).to_owned(),
                            };
                            found.push(mismatch(kind, Some(j)));
                        }
                        None => {
                            let version = m.version.clone();
                            found.push(mismatch(MismatchKind::Removed { version }, None));
                        }
                    }
                }
            }
        }
        found.extend(self.order_problems(&list, &locked, &explained, &suggestion));
        found.sort_by_key(|m| m.entry.unwrap_or(usize::MAX));
        found
    }

    /// Locked migrations out of their locked order, and new entries placed among them.
    fn order_problems(
        &self,
        list: &[(&str, Checksum)],
        locked: &HashMap<&str, usize>,
        explained: &[bool],
        suggestion: &str,
    ) -> Vec<LockMismatch> {
        let mut found = Vec::new();
        // The last list position that holds a locked migration: anything new before it is an
        // insertion.
        let Some(last_locked) = (0..list.len())
            .rev()
            .find(|&j| locked.contains_key(list[j].0))
        else {
            return found;
        };
        let mut highest_so_far: Option<(usize, &str)> = None;
        for (j, (version, _)) in list.iter().enumerate().take(last_locked + 1) {
            match locked.get(version) {
                Some(&at) => {
                    if let Some((seen, seen_version)) = highest_so_far
                        && at < seen
                    {
                        found.push(LockMismatch {
                            kind: MismatchKind::Reordered {
                                version: (*version).to_owned(),
                                before: seen_version.to_owned(),
                            },
                            entry: Some(j),
                            suggestion: suggestion.to_owned(),
                        });
                    }
                    if highest_so_far.is_none_or(|(seen, _)| at > seen) {
                        highest_so_far = Some((at, version));
                    }
                }
                None if !explained[j] => {
                    let before = list[j + 1..=last_locked]
                        .iter()
                        .find(|(v, _)| locked.contains_key(v))
                        .map_or_else(String::new, |(v, _)| (*v).to_owned());
                    found.push(LockMismatch {
                        kind: MismatchKind::Inserted {
                            version: (*version).to_owned(),
                            before,
                        },
                        entry: Some(j),
                        suggestion: suggestion.to_owned(),
                    });
                }
                None => {}
            }
        }
        found
    }
}

/// `<highest number + 1>_<name>`, keeping the list's zero padding: the version to suggest for
/// a new migration.
fn next_free_version(list: &[(&str, Checksum)]) -> String {
    let highest = list
        .iter()
        .filter_map(|(v, _)| Version::parse(v).ok())
        .map(|v| v.number())
        .max()
        .unwrap_or(0);
    let width = list
        .first()
        .and_then(|(v, _)| v.split_once('_'))
        .map_or(3, |(digits, _)| digits.len());
    format!("{:0width$}_<name>", highest.saturating_add(1))
}

impl fmt::Display for LockMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let new = &self.suggestion;
        match &self.kind {
            MismatchKind::Edited { version } => write!(
                f,
                "migration `{version}` was edited after it was locked in migrations.lock (its \
                 statements changed): databases that already ran it will never run the new SQL; \
                 restore the locked SQL (whitespace and comments may change) and write the change \
                 as a new migration at the end of the list, `{new}`"
            ),
            MismatchKind::Removed { version } => write!(
                f,
                "the locked migration `{version}` is no longer in the list: databases that ran it \
                 keep what it made; restore it, and to undo it add a new migration at the end of \
                 the list, `{new}`, that drops its objects"
            ),
            MismatchKind::Renumbered { locked, now } => write!(
                f,
                "migration `{now}` is the locked migration `{locked}` under another version: \
                 databases that ran `{locked}` would run it again as `{now}`; give it back its \
                 version `{locked}`"
            ),
            MismatchKind::Reordered { version, before } => write!(
                f,
                "the locked migration `{version}` now comes before `{before}`, but was locked \
                 after it: databases apply them in the locked order; restore the order, and write \
                 any change as a new migration at the end of the list, `{new}`"
            ),
            MismatchKind::Inserted { version, before } => write!(
                f,
                "migration `{version}` is not in migrations.lock but comes before the locked \
                 migration `{before}`: databases that already ran `{before}` would apply it out \
                 of order; move it to the end of the list as `{new}` and run `migrate lock`"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(n: u32) -> Checksum {
        Checksum::of_sql(&format!("SELECT {n}"))
    }

    fn locked() -> LockFile {
        LockFile::of_list([("001_a", sql(1)), ("002_b", sql(2)), ("003_c", sql(3))])
    }

    fn kinds(list: &[(&str, Checksum)]) -> Vec<(MismatchKind, Option<usize>)> {
        locked()
            .compare(list.iter().copied())
            .into_iter()
            .map(|m| (m.kind, m.entry))
            .collect()
    }

    #[test]
    fn unchanged_and_appended_lists_pass() {
        assert!(kinds(&[("001_a", sql(1)), ("002_b", sql(2)), ("003_c", sql(3))]).is_empty());
        let appended = [
            ("001_a", sql(1)),
            ("002_b", sql(2)),
            ("003_c", sql(3)),
            ("004_d", sql(4)),
        ];
        assert!(kinds(&appended).is_empty());
    }

    #[test]
    fn an_edit_names_the_entry() {
        let found = kinds(&[("001_a", sql(1)), ("002_b", sql(9)), ("003_c", sql(3))]);
        let version = "002_b".to_owned();
        assert_eq!(found, [(MismatchKind::Edited { version }, Some(1))]);
    }

    #[test]
    fn a_removal_is_reported_once_without_cascading() {
        let found = kinds(&[("001_a", sql(1)), ("003_c", sql(3))]);
        let version = "002_b".to_owned();
        assert_eq!(found, [(MismatchKind::Removed { version }, None)]);
    }

    #[test]
    fn a_renumbering_names_both_versions() {
        let found = kinds(&[("001_a", sql(1)), ("002_b", sql(2)), ("004_c", sql(3))]);
        let kind = MismatchKind::Renumbered {
            locked: "003_c".into(),
            now: "004_c".into(),
        };
        assert_eq!(found, [(kind, Some(2))]);
    }

    #[test]
    fn a_reordering_points_at_the_moved_entry() {
        let found = kinds(&[("001_a", sql(1)), ("003_c", sql(3)), ("002_b", sql(2))]);
        let kind = MismatchKind::Reordered {
            version: "002_b".into(),
            before: "003_c".into(),
        };
        assert_eq!(found, [(kind, Some(2))]);
    }

    #[test]
    fn a_new_entry_among_locked_ones_is_an_insertion() {
        let list = [
            ("001_a", sql(1)),
            ("002_b", sql(2)),
            ("0025_new", sql(7)),
            ("003_c", sql(3)),
        ];
        let found = locked().compare(list);
        let kind = MismatchKind::Inserted {
            version: "0025_new".into(),
            before: "003_c".into(),
        };
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].kind.clone(), found[0].entry), (kind, Some(2)));
        assert_eq!(found[0].suggestion, "026_<name>");
        assert!(found[0].to_string().contains("`026_<name>`"));
    }
}
