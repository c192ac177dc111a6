//! The database URL argument: kept whole for connecting, shown only with its password hidden.

use std::fmt;
use std::str::FromStr;

/// A PostgreSQL URL from `--database-url` or `DATABASE_URL`.
///
/// `Debug` and `Display` hide the password, so the value can be logged or appear in clap's
/// messages without leaking it.
///
/// ```
/// use migrate::cli::DatabaseUrl;
///
/// let url: DatabaseUrl = "postgres://app:s3cret@db:5432/app".parse().unwrap();
/// assert_eq!(url.to_string(), "postgres://app:***@db:5432/app");
/// assert_eq!(format!("{url:?}"), "DatabaseUrl(\"postgres://app:***@db:5432/app\")");
/// assert_eq!(url.expose(), "postgres://app:s3cret@db:5432/app");
/// assert!("mysql://x".parse::<DatabaseUrl>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The full URL, password included: pass it to the driver, never to a log.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with its password replaced by `***`.
    ///
    /// ```
    /// let url: migrate::cli::DatabaseUrl = "postgresql://u@h/db".parse().unwrap();
    /// assert_eq!(url.redacted(), "postgresql://u@h/db");
    /// ```
    pub fn redacted(&self) -> String {
        let Some(scheme_end) = self.0.find("://").map(|i| i + 3) else {
            return self.0.clone();
        };
        let rest = &self.0[scheme_end..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        match authority.rfind('@') {
            Some(at) => match authority[..at].split_once(':') {
                Some((user, _password)) => format!(
                    "{}{user}:***{}",
                    &self.0[..scheme_end],
                    &self.0[scheme_end + at..]
                ),
                None => self.0.clone(),
            },
            None => self.0.clone(),
        }
    }
}

/// Why a text is not a PostgreSQL URL.
///
/// ```
/// let err = "localhost:5432".parse::<migrate::cli::DatabaseUrl>().unwrap_err();
/// assert!(err.to_string().contains("postgres://"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrlError;

impl fmt::Display for DatabaseUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "expected a URL like postgres://user:password@host:5432/database \
             (scheme postgres:// or postgresql://)",
        )
    }
}

impl std::error::Error for DatabaseUrlError {}

impl FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(DatabaseUrl(s.to_owned()))
        } else {
            Err(DatabaseUrlError)
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}
