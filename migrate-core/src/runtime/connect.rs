//! The first connection, retried with backoff while the database starts; passwords redacted.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use super::Error;

/// Connects a pool to `url` with the defaults of [`Connect`] (retrying with backoff).
///
/// ```no_run
/// # async fn demo() -> Result<(), migrate_core::Error> {
/// let pool = migrate_core::connect("postgres://app:secret@db/app").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<PgPool, Error> {
    Connect::new(url).connect().await
}

/// Options for the first connection: attempts, backoff, pool options.
///
/// The delay doubles after each failed attempt, from 100 ms up to `max_delay`. Each attempt is
/// logged; the URL in logs and errors has its password replaced by `***`.
///
/// ```
/// use std::time::Duration;
/// use migrate_core::Connect;
///
/// let connect = Connect::new("postgres://app:secret@localhost/app")
///     .attempts(10)
///     .max_delay(Duration::from_secs(5));
/// assert_eq!(connect.url_redacted(), "postgres://app:***@localhost/app");
/// ```
#[derive(Debug, Clone)]
#[must_use = "call `.connect().await`"]
pub struct Connect {
    url: String,
    attempts: u32,
    initial_delay: Duration,
    max_delay: Duration,
    pool_options: PgPoolOptions,
}

impl Connect {
    /// Connection options for `url`: 8 attempts, delays from 100 ms doubling up to 5 s.
    pub fn new(url: impl Into<String>) -> Self {
        Connect {
            url: url.into(),
            attempts: 8,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            pool_options: PgPoolOptions::new(),
        }
    }

    /// How many attempts before giving up (at least 1).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The longest pause between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The pause after the first failed attempt (doubled after each further one).
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Options of the pool to create (size, timeouts…).
    pub fn pool_options(mut self, options: PgPoolOptions) -> Self {
        self.pool_options = options;
        self
    }

    /// The URL with its password replaced by `***`, as logs and errors show it.
    pub fn url_redacted(&self) -> String {
        redact_url(&self.url)
    }

    /// Connects, retrying with exponential backoff.
    pub async fn connect(self) -> Result<PgPool, Error> {
        let url_redacted = self.url_redacted();
        let options = PgConnectOptions::from_str(&self.url).map_err(|source| Error::Connect {
            url_redacted: url_redacted.clone(),
            attempts: 0,
            source: scrub(source, &self.url),
        })?;
        let mut delay = self.initial_delay;
        let mut attempt = 1;
        loop {
            // A plain connection per attempt: the pool's own connect retries silently until
            // its acquire timeout, which would hide the attempts and ignore ours.
            let probe = match PgConnection::connect_with(&options).await {
                Ok(probe) => probe.close().await,
                Err(error) => Err(error),
            };
            let connected = match probe {
                Ok(()) => {
                    self.pool_options
                        .clone()
                        .connect_with(options.clone())
                        .await
                }
                Err(error) => Err(error),
            };
            match connected {
                Ok(pool) => {
                    tracing::info!(url = %url_redacted, attempt, "connected to PostgreSQL");
                    return Ok(pool);
                }
                Err(error) if attempt < self.attempts && retryable(&error) => {
                    tracing::warn!(
                        url = %url_redacted,
                        attempt,
                        of = self.attempts,
                        retry_in_ms = delay.as_millis() as u64,
                        "cannot connect to PostgreSQL yet: {}",
                        scrub_text(&error.to_string(), &self.url)
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.max_delay);
                    attempt += 1;
                }
                Err(error) => {
                    tracing::error!(url = %url_redacted, attempt, "cannot connect to PostgreSQL: {}", scrub_text(&error.to_string(), &self.url));
                    return Err(Error::Connect {
                        url_redacted,
                        attempts: attempt,
                        source: scrub(error, &self.url),
                    });
                }
            }
        }
    }
}

/// Errors a starting server gives (refused, reset, timed out, "the database system is starting
/// up"); a wrong password or database will not fix itself, so it fails at once.
fn retryable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c == "57P03"),
        _ => false,
    }
}

/// The password, if the URL has one.
fn password(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    let (_, password) = userinfo.split_once(':')?;
    Some(password).filter(|p| !p.is_empty())
}

/// Replaces the password of a `postgres://user:password@host/db` URL (and any `password=`
/// query parameter) with `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let mut out = match password(url) {
        Some(p) => {
            let start = url.find("://").map_or(0, |i| i + 3);
            let at = url[start..].rfind('@').map_or(url.len(), |i| start + i);
            let colon = url[start..at].find(':').map_or(at, |i| start + i);
            debug_assert_eq!(&url[colon + 1..at], p);
            format!("{}:***{}", &url[..colon], &url[at..])
        }
        None => url.to_owned(),
    };
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_owned(),
            })
            .collect();
        out = format!("{base}{}", query.join("&"));
    }
    out
}

/// Secrets of the URL (password, also percent-decoded) removed from a message.
fn scrub_text(text: &str, url: &str) -> String {
    let mut secrets: Vec<String> = Vec::new();
    if let Some(p) = password(url) {
        secrets.push(p.to_owned());
    }
    if let Some(q) = url.split_once('?').map(|(_, q)| q) {
        for kv in q.split('&') {
            if let Some((k, v)) = kv.split_once('=')
                && k.eq_ignore_ascii_case("password")
                && !v.is_empty()
            {
                secrets.push(v.to_owned());
            }
        }
    }
    let mut out = text.to_owned();
    for s in secrets {
        out = out.replace(&s, "***");
    }
    out
}

/// The driver's error, rewritten if its message could carry the password.
fn scrub(error: sqlx::Error, url: &str) -> sqlx::Error {
    let text = error.to_string();
    let scrubbed = scrub_text(&text, url);
    if scrubbed == text {
        error
    } else {
        sqlx::Error::Configuration(scrubbed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:p%40ss@h:5432/db?sslmode=disable"),
            "postgres://u:***@h:5432/db?sslmode=disable"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=s3cret"),
            "postgres://h/db?user=u&password=***"
        );
        assert_eq!(
            scrub_text("bad s3cret here", "postgres://u:s3cret@h/db"),
            "bad *** here"
        );
    }
}
