//! The rules for a list of versions: well formed, unique numbers, strictly increasing.

use crate::{Version, VersionError};

/// What is wrong with one entry of a version list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListProblem {
    /// The version is not `<digits>_<lower_snake_name>`.
    Malformed(VersionError),
    /// The number was already used by the entry at index `first`.
    Duplicate {
        /// Index of the entry that used the number first.
        first: usize,
    },
    /// The number is not greater than that of the entry at index `previous`.
    OutOfOrder {
        /// Index of the preceding well-formed entry.
        previous: usize,
    },
}

/// A problem found at `index` in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListIssue {
    /// Index of the offending entry.
    pub index: usize,
    /// What is wrong with it.
    pub problem: ListProblem,
}

/// Checks a list of versions in declaration order and returns every problem found.
///
/// ```
/// use migrate_core::list::{check_versions, ListProblem};
///
/// assert!(check_versions(["9_a", "10_b"]).is_empty()); // numeric order, not text order
/// let issues = check_versions(["1_a", "3_b", "2_c", "3_d"]);
/// assert_eq!(issues[0].problem, ListProblem::OutOfOrder { previous: 1 });
/// assert_eq!(issues[1].problem, ListProblem::Duplicate { first: 1 });
/// ```
pub fn check_versions<'a>(versions: impl IntoIterator<Item = &'a str>) -> Vec<ListIssue> {
    let mut issues = Vec::new();
    let mut seen: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    let mut previous: Option<(usize, i64)> = None;
    for (index, text) in versions.into_iter().enumerate() {
        let version = match Version::parse(text) {
            Ok(v) => v,
            Err(e) => {
                issues.push(ListIssue {
                    index,
                    problem: ListProblem::Malformed(e),
                });
                continue;
            }
        };
        let number = version.number();
        if let Some(&first) = seen.get(&number) {
            issues.push(ListIssue {
                index,
                problem: ListProblem::Duplicate { first },
            });
            continue;
        }
        seen.insert(number, index);
        if let Some((prev_index, prev_number)) = previous
            && number <= prev_number
        {
            issues.push(ListIssue {
                index,
                problem: ListProblem::OutOfOrder {
                    previous: prev_index,
                },
            });
        }
        if previous.is_none_or(|(_, n)| number > n) {
            previous = Some((index, number));
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem() {
        let issues = check_versions(["001_a", "x_bad", "003_c", "002_d", "003_e"]);
        assert_eq!(
            issues,
            vec![
                ListIssue {
                    index: 1,
                    problem: ListProblem::Malformed(VersionError::BadNumber)
                },
                ListIssue {
                    index: 3,
                    problem: ListProblem::OutOfOrder { previous: 2 }
                },
                ListIssue {
                    index: 4,
                    problem: ListProblem::Duplicate { first: 2 }
                },
            ]
        );
    }

    #[test]
    fn duplicate_number_with_other_name_is_a_duplicate() {
        let issues = check_versions(["006_feature_a", "006_feature_b"]);
        assert_eq!(issues[0].problem, ListProblem::Duplicate { first: 0 });
    }
}

/// A list refused by [`Migrations::from_vec`](crate::Migrations::from_vec): every problem
/// found, each with the version it is about.
///
/// ```
/// use migrate_core::{Migration, Migrations, TransactionMode};
///
/// let one = |v: &str| Migration::new(v, "SELECT 1;", TransactionMode::Transaction).unwrap();
/// let err = Migrations::from_vec(vec![one("2_b"), one("1_a")]).unwrap_err();
/// assert_eq!(err.issues().len(), 1);
/// assert!(err.to_string().contains("`1_a`"), "{err}");
/// let _: Box<dyn std::error::Error> = Box::new(err); // `?` into any error type works
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    versions: Vec<String>,
    issues: Vec<ListIssue>,
}

impl ListError {
    pub(crate) fn new<'a>(
        versions: impl IntoIterator<Item = &'a str>,
        issues: Vec<ListIssue>,
    ) -> Self {
        ListError {
            versions: versions.into_iter().map(str::to_owned).collect(),
            issues,
        }
    }

    /// Every problem, in list order.
    pub fn issues(&self) -> &[ListIssue] {
        &self.issues
    }

    fn version(&self, index: usize) -> &str {
        self.versions.get(index).map_or("?", String::as_str)
    }
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the migration list is refused:")?;
        for issue in &self.issues {
            let version = self.version(issue.index);
            match issue.problem {
                ListProblem::Malformed(error) => write!(f, " `{version}` is malformed: {error};")?,
                ListProblem::Duplicate { first } => write!(
                    f,
                    " `{version}` reuses the number of `{}`: give it the next free number;",
                    self.version(first)
                )?,
                ListProblem::OutOfOrder { previous } => write!(
                    f,
                    " `{version}` comes after `{}` but its number is not greater: \
                     list migrations in version order;",
                    self.version(previous)
                )?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ListError {}
