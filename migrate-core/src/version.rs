//! Migration versions: `<digits>_<lower_snake_name>`, ordered by their number.

use std::fmt;

/// A parsed migration version such as `006_add_user_position`.
///
/// The number is the order key (compared as an integer, so `9_a` comes before `10_b`); the name
/// is lower snake case and only documents the migration.
///
/// ```
/// use migrate_core::Version;
///
/// let v = Version::parse("006_add_user_position").unwrap();
/// assert_eq!(v.number(), 6);
/// assert_eq!(v.name(), "add_user_position");
/// assert!(Version::parse("6-Add").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version<'a> {
    text: &'a str,
    number: i64,
    name: &'a str,
}

impl<'a> Version<'a> {
    /// Parses `<digits>_<name>`, where the name is lower snake case (`[a-z0-9_]`, starting with
    /// a letter or digit, no trailing or doubled underscore).
    pub fn parse(text: &'a str) -> Result<Self, VersionError> {
        let Some((digits, name)) = text.split_once('_') else {
            return Err(VersionError::MissingName);
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VersionError::BadNumber);
        }
        let number: i64 = digits.parse().map_err(|_| VersionError::NumberTooLarge)?;
        if name.is_empty() {
            return Err(VersionError::MissingName);
        }
        let snake = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !snake || name.starts_with('_') || name.ends_with('_') || name.contains("__") {
            return Err(VersionError::BadName);
        }
        Ok(Version { text, number, name })
    }

    /// The whole version text, e.g. `006_add_user_position`.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The order key, e.g. `6`.
    pub fn number(&self) -> i64 {
        self.number
    }

    /// The name after the first underscore, e.g. `add_user_position`.
    pub fn name(&self) -> &'a str {
        self.name
    }
}

impl fmt::Display for Version<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

/// Why a version text is not of the form `<digits>_<lower_snake_name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// Nothing after the number, or no underscore at all.
    #[error(
        "a version is `<digits>_<name>`, e.g. `006_add_user_position`: the `_<name>` part is missing"
    )]
    MissingName,
    /// The part before the first underscore is not all digits.
    #[error(
        "a version starts with its number, e.g. `006_add_user_position`: the part before the first `_` must be digits only"
    )]
    BadNumber,
    /// The number does not fit in an `i64`.
    #[error("the version number does not fit in a 64-bit signed integer")]
    NumberTooLarge,
    /// The name is not lower snake case.
    #[error(
        "the name after the number must be lower snake case (`a-z`, `0-9`, single `_` between words), e.g. `006_add_user_position`"
    )]
    BadName,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_number_and_name() {
        let v = Version::parse("0010_users_email_idx").unwrap();
        assert_eq!(
            (v.number(), v.name(), v.as_str()),
            (10, "users_email_idx", "0010_users_email_idx")
        );
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Version::parse("001"), Err(VersionError::MissingName));
        assert_eq!(Version::parse("001_"), Err(VersionError::MissingName));
        assert_eq!(Version::parse("v1_init"), Err(VersionError::BadNumber));
        assert_eq!(Version::parse("_init"), Err(VersionError::BadNumber));
        assert_eq!(Version::parse("1_Init"), Err(VersionError::BadName));
        assert_eq!(Version::parse("1_a-b"), Err(VersionError::BadName));
        assert_eq!(Version::parse("1_a__b"), Err(VersionError::BadName));
        assert_eq!(Version::parse("1_a_"), Err(VersionError::BadName));
        assert_eq!(
            Version::parse("99999999999999999999_a"),
            Err(VersionError::NumberTooLarge)
        );
    }
}
