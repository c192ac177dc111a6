//! Reading `migrations.lock`, with an error that names the line and says how to repair it.

use super::{Chain, LockFile, LockedMigration};
use crate::Checksum;

/// Why a `migrations.lock` text could not be read.
///
/// ```
/// use migrate_core::lock_file::LockFile;
///
/// let err = LockFile::parse("001_a 00 11\n").unwrap_err();
/// assert_eq!(err.line(), 1);
/// assert!(err.to_string().contains("line 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("migrations.lock, line {line}: {problem}")]
pub struct LockFileError {
    line: usize,
    problem: String,
}

impl LockFileError {
    fn at(line: usize, problem: impl Into<String>) -> Self {
        LockFileError {
            line,
            problem: problem.into(),
        }
    }

    /// The 1-based line the problem is on.
    pub fn line(&self) -> usize {
        self.line
    }
}

const REGENERATE: &str = "regenerate it with `migrate lock` (`myapp migrate lock`) from the list \
                          you mean to keep";

impl LockFile {
    /// Reads a lock file written by [`LockFile::render`], verifying every chain.
    ///
    /// ```
    /// use migrate_core::Checksum;
    /// use migrate_core::lock_file::LockFile;
    ///
    /// let text = LockFile::of_list([("001_a", Checksum::of_sql("SELECT 1"))]).render();
    /// assert_eq!(LockFile::parse(&text).unwrap().migrations()[0].version, "001_a");
    ///
    /// // A merge conflict between two branches that both added a migration:
    /// let conflicted = text.replace("end 1", "<<<<<<< HEAD\nend 1");
    /// let err = LockFile::parse(&conflicted).unwrap_err();
    /// assert!(err.to_string().contains("merge conflict"));
    /// ```
    pub fn parse(text: &str) -> Result<LockFile, LockFileError> {
        let mut migrations = Vec::new();
        let mut chain = Chain::start();
        let mut ended = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if is_conflict_marker(trimmed) {
                return Err(LockFileError::at(line, CONFLICT));
            }
            if ended {
                return Err(LockFileError::at(
                    line,
                    format!("text after the closing `end` line; {REGENERATE}"),
                ));
            }
            let fields: Vec<&str> = trimmed.split_whitespace().collect();
            match fields.as_slice() {
                ["end", count, last] => {
                    check_end(line, count, last, migrations.len(), chain)?;
                    ended = true;
                }
                [version, checksum, link] => {
                    let checksum: Checksum = checksum.parse().map_err(|_| {
                        LockFileError::at(
                            line,
                            format!("`{checksum}` is not a checksum (64 hex digits); {REGENERATE}"),
                        )
                    })?;
                    chain = chain.next(version, &checksum);
                    if *link != chain.to_string() {
                        return Err(LockFileError::at(
                            line,
                            format!(
                                "the chain of `{version}` does not match the lines before it: the \
                                 file was edited by hand or merged line by line; {REGENERATE}"
                            ),
                        ));
                    }
                    migrations.push(LockedMigration {
                        version: (*version).to_owned(),
                        checksum,
                    });
                }
                _ => {
                    return Err(LockFileError::at(
                        line,
                        format!(
                            "expected `<version> <checksum> <chain>` or `end <count> <chain>`, \
                             found `{trimmed}`; {REGENERATE}"
                        ),
                    ));
                }
            }
        }
        if !ended {
            let line = text.lines().count().max(1);
            return Err(LockFileError::at(
                line,
                format!(
                    "the closing `end <count> <chain>` line is missing (a truncated file?); {REGENERATE}"
                ),
            ));
        }
        Ok(LockFile { migrations })
    }
}

const CONFLICT: &str = "merge conflict: two branches each added migrations. Take the lock file of \
                        the branch you merge into (e.g. `git checkout main -- migrations.lock`), \
                        give your new migrations the next free numbers after its last one, then \
                        run `migrate lock` (`myapp migrate lock`) and commit the result";

fn is_conflict_marker(line: &str) -> bool {
    ["<<<<<<<", "=======", ">>>>>>>", "|||||||"]
        .iter()
        .any(|marker| line.starts_with(marker))
}

fn check_end(
    line: usize,
    count: &str,
    last: &str,
    expected_count: usize,
    chain: Chain,
) -> Result<(), LockFileError> {
    if count.parse::<usize>().ok() != Some(expected_count) {
        return Err(LockFileError::at(
            line,
            format!(
                "the closing line counts {count} migrations, but the file lists \
                 {expected_count}; {REGENERATE}"
            ),
        ));
    }
    if last != chain.to_string() {
        return Err(LockFileError::at(
            line,
            format!("the closing chain does not match the lines before it; {REGENERATE}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> String {
        LockFile::of_list([
            ("001_a", Checksum::of_sql("SELECT 1")),
            ("002_b", Checksum::of_sql("SELECT 2")),
        ])
        .render()
    }

    #[test]
    fn a_hand_edit_is_found_on_its_line() {
        let text = two();
        let edited = text.replacen("001_a", "001_x", 1);
        let err = LockFile::parse(&edited).unwrap_err();
        assert_eq!(err.line(), 3, "{err}");
        assert!(err.to_string().contains("edited by hand"));
    }

    #[test]
    fn truncation_and_trailing_text_are_errors() {
        let text = two();
        let truncated: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
        assert!(
            LockFile::parse(&truncated)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        let trailing = format!("{text}003_c {} 0000000000000000\n", Checksum::of_sql("x"));
        assert!(
            LockFile::parse(&trailing)
                .unwrap_err()
                .to_string()
                .contains("after the closing")
        );
    }

    #[test]
    fn malformed_lines_say_what_was_expected() {
        for bad in [
            "end 2\n",
            "001_a\n",
            "001_a nothex 0000000000000000\nend 1 00\n",
        ] {
            let err = LockFile::parse(bad).unwrap_err();
            assert_eq!(err.line(), 1, "{bad:?}: {err}");
        }
        let wrong_count = two().replace("end 2", "end 3");
        assert!(
            LockFile::parse(&wrong_count)
                .unwrap_err()
                .to_string()
                .contains("counts 3")
        );
    }

    #[test]
    fn conflict_markers_explain_the_merge() {
        let err = LockFile::parse("=======\n").unwrap_err();
        assert!(err.to_string().contains("next free numbers after"), "{err}");
    }
}
