//! Comparing the history with the code, and applying the policies to the differences.

use super::history::{HistoryRow, RowState, resolve_position};
use super::{ChecksumPolicy, Error, OutOfOrderPolicy, UnknownPolicy, Warning};
use crate::{Checksum, Migration, Migrations, Version};

/// Where one migration of the code stands in the history.
#[derive(Debug, Clone)]
pub(crate) enum Standing<'h> {
    Applied(&'h HistoryRow),
    /// Applied, but the code's SQL changed since: the row, and the checksum it recorded.
    Modified(&'h HistoryRow, Checksum),
    Pending,
    /// A `#[no_transaction]` migration that failed or was interrupted.
    Unfinished(&'h HistoryRow),
    /// A `#[no_transaction]` down that failed or was interrupted: the rollback must finish.
    Reverting(&'h HistoryRow),
}

/// The history compared with the code.
#[derive(Debug)]
pub(crate) struct Assessment<'m, 'h> {
    pub(crate) entries: Vec<(&'m Migration, Standing<'h>)>,
    /// Rows whose version the code does not have.
    pub(crate) unknown: Vec<String>,
    /// Those of `unknown` whose row stores a down.
    pub(crate) unknown_with_down: Vec<String>,
    /// The highest-numbered applied version (known or not).
    pub(crate) latest_applied: Option<(i64, String)>,
}

pub(crate) fn assess<'m, 'h>(
    migrations: &'m Migrations,
    rows: &'h [HistoryRow],
) -> Assessment<'m, 'h> {
    let list = migrations.as_slice();
    let mut unknown = Vec::new();
    let mut unknown_with_down = Vec::new();
    let mut latest_applied: Option<(i64, &str)> = None;
    // Indexed like the list: each row is resolved once, and each migration finds its row
    // without a search.
    let mut found: Vec<Option<&'h HistoryRow>> = vec![None; list.len()];
    for row in rows {
        let position = resolve_position(&row.version, migrations);
        match position {
            Some(i) => {
                let slot = &mut found[i];
                // A full-version row wins over a number-only one for the same migration.
                if slot.is_none() || list[i].version() == row.version {
                    *slot = Some(row);
                }
            }
            None => {
                unknown.push(row.version.clone());
                if row.down_checksum.is_some() {
                    unknown_with_down.push(row.version.clone());
                }
            }
        }
        if row.state == RowState::Applied {
            let known = position.map(|i| (list[i].number(), list[i].version()));
            let parsed = || {
                Version::parse(&row.version)
                    .ok()
                    .map(|v| (v.number(), row.version.as_str()))
            };
            if let Some((number, version)) = known.or_else(parsed)
                && latest_applied.is_none_or(|(n, _)| number > n)
            {
                latest_applied = Some((number, version));
            }
        }
    }
    unknown.sort();
    unknown_with_down.sort();
    let entries = list
        .iter()
        .zip(found)
        .map(|(m, row)| {
            let standing = match row {
                None => Standing::Pending,
                Some(row) if row.state == RowState::Reverting => Standing::Reverting(row),
                Some(row) if row.state != RowState::Applied => Standing::Unfinished(row),
                Some(row) => match edited_since(row, m) {
                    Some(recorded) => Standing::Modified(row, recorded),
                    None => Standing::Applied(row),
                },
            };
            (m, standing)
        })
        .collect();
    Assessment {
        entries,
        unknown,
        unknown_with_down,
        latest_applied: latest_applied.map(|(n, v)| (n, v.to_owned())),
    }
}

/// The one answer to "was this migration edited since the row was written?", for `status`,
/// `verify`, `plan` and `run` alike: the recorded checksum, when it is not the code's. A row
/// without a checksum (an adopted table's) records no edit.
pub(crate) fn edited_since(row: &HistoryRow, m: &Migration) -> Option<Checksum> {
    row.checksum.filter(|&recorded| recorded != m.checksum())
}

/// The policies of one run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Policies {
    pub(crate) checksum: ChecksumPolicy,
    pub(crate) unknown: UnknownPolicy,
    pub(crate) out_of_order: OutOfOrderPolicy,
}

/// What a run has to do, once the policies allowed it.
#[derive(Debug, Default)]
pub(crate) struct Work<'m> {
    /// Migrations to run, each with the number of statements already done.
    pub(crate) to_apply: Vec<(&'m Migration, usize)>,
    /// Applied migrations whose new checksum is to be recorded.
    pub(crate) accept_checksums: Vec<&'m Migration>,
    pub(crate) already_applied: Vec<crate::VersionText>,
    pub(crate) warnings: Vec<Warning>,
}

impl Work<'_> {
    /// Whether the run must take the lock and write.
    pub(crate) fn writes(&self) -> bool {
        !self.to_apply.is_empty() || !self.accept_checksums.is_empty()
    }
}

pub(crate) fn plan_work<'m>(
    assessment: &Assessment<'m, '_>,
    policies: Policies,
) -> Result<Work<'m>, Error> {
    let mut work = Work::default();
    for (m, standing) in &assessment.entries {
        match standing {
            Standing::Applied(_) => work.already_applied.push(m.version_text().clone()),
            Standing::Modified(_, recorded) => {
                work.already_applied.push(m.version_text().clone());
                let (recorded, current) = (recorded.to_string(), m.checksum().to_string());
                match policies.checksum {
                    ChecksumPolicy::Error => {
                        return Err(Error::ChecksumMismatch {
                            version: m.version().to_owned(),
                            recorded,
                            current,
                        });
                    }
                    policy => {
                        let accepted = policy == ChecksumPolicy::Accept;
                        if accepted {
                            work.accept_checksums.push(m);
                        }
                        work.warnings.push(Warning::ChecksumMismatch {
                            version: m.version().to_owned(),
                            recorded,
                            current,
                            accepted,
                        });
                    }
                }
            }
            Standing::Pending => work.to_apply.push((m, 0)),
            // Running the up again would build on a half-dropped schema: the down is resumable,
            // so the rollback is what finishes it.
            Standing::Reverting(row) => {
                return Err(Error::RevertUnfinished {
                    version: m.version().to_owned(),
                    done: row.progress,
                });
            }
            Standing::Unfinished(row) => {
                // An edited migration's statement numbers may have moved: start it over (its
                // statements are idempotent).
                let same = row.checksum.is_some() && edited_since(row, m).is_none();
                let progress = if same && !m.is_transactional() {
                    row.progress.min(m.statement_spans().len())
                } else {
                    0
                };
                work.warnings.push(Warning::Resumed {
                    version: m.version().to_owned(),
                    from_statement: progress + 1,
                });
                work.to_apply.push((m, progress));
            }
        }
    }
    if !assessment.unknown.is_empty() {
        match policies.unknown {
            UnknownPolicy::Error => {
                return Err(Error::UnknownVersions {
                    versions: assessment.unknown.clone(),
                });
            }
            UnknownPolicy::Warn => work.warnings.push(Warning::UnknownVersions {
                versions: assessment.unknown.clone(),
            }),
        }
    }
    if let Some((latest, latest_version)) = &assessment.latest_applied {
        let early: Vec<String> = work
            .to_apply
            .iter()
            .filter(|(m, _)| m.number() < *latest)
            .map(|(m, _)| m.version().to_owned())
            .collect();
        if !early.is_empty() {
            match policies.out_of_order {
                OutOfOrderPolicy::Error => {
                    return Err(Error::OutOfOrder {
                        versions: early,
                        latest_applied: latest_version.clone(),
                    });
                }
                OutOfOrderPolicy::Apply => {
                    work.warnings
                        .extend(early.into_iter().map(|version| Warning::OutOfOrder {
                            version,
                            latest_applied: latest_version.clone(),
                        }))
                }
            }
        }
    }
    Ok(work)
}

/// Compares the raw text of a history row's checksum with the code's, for the no-op path: no
/// hex formatting per migration, and the answer [`edited_since`] gives on the parsed row (a
/// recorded text in upper case is the same checksum).
pub(crate) fn same_checksum_bytes(recorded: &[u8], current: Checksum) -> bool {
    hex_matches(recorded, current.as_bytes())
        || std::str::from_utf8(recorded)
            .ok()
            .and_then(|text| text.parse::<Checksum>().ok())
            == Some(current)
}

/// Whether `text` is the lower-case hex of these bytes: the no-op run asks it once per history
/// row, so it writes the 64 digits into a buffer and compares them in one `memcmp` (a
/// nibble-by-nibble parse cost about four times as much). Anything else (upper case,
/// surrounding spaces…) is left to the parser.
fn hex_matches(text: &[u8], bytes: &[u8; 32]) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    if text.len() != 64 {
        return false;
    }
    let mut hex = [0u8; 64];
    for (pair, &byte) in hex.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    text == hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_checksum(recorded: &str, current: Checksum) -> bool {
        same_checksum_bytes(recorded.as_bytes(), current)
    }

    #[test]
    fn recorded_checksums_compare_as_bytes() {
        let c = Checksum::of_sql("SELECT 1");
        let hex = c.to_string();
        assert!(same_checksum(&hex, c));
        assert!(same_checksum(&hex.to_uppercase(), c));
        assert!(same_checksum(&format!(" {hex}\n"), c));
        let mut edited = hex.clone().into_bytes();
        edited[63] = if edited[63] == b'0' { b'1' } else { b'0' };
        assert!(!same_checksum(std::str::from_utf8(&edited).unwrap(), c));
        assert!(!same_checksum(&hex[..62], c));
        assert!(!same_checksum("", c));
        assert!(!same_checksum(&Checksum::of_sql("SELECT 2").to_string(), c));
    }
}
