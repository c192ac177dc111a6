//! Which PostgreSQL server the tests of this process use, chosen once per process.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::sync::OnceCell;

use super::Error;
use super::throwaway::Throwaway;

/// The local server tried when `DATABASE_URL` is not set.
const LOCAL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Set to `throwaway` to use a throwaway server even when another one is available.
pub const SERVER_VARIABLE: &str = "MIGRATE_TEST_SERVER";

/// The server test databases are created on: `DATABASE_URL` when set; else PostgreSQL on
/// `127.0.0.1:5432` as user `postgres` when it answers; else a throwaway server started from
/// the PostgreSQL binaries on the machine, stopped and deleted when the process exits.
/// `MIGRATE_TEST_SERVER=throwaway` skips the first two.
///
/// ```no_run
/// # async fn demo() -> Result<(), migrate_core::testing::Error> {
/// let server = migrate_core::testing::Server::get().await?;
/// println!("tests run on {server}");
/// let admin = sqlx::PgPool::connect_with(server.connect_options()).await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    url: String,
    options: PgConnectOptions,
    throwaway: Option<Throwaway>,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();

impl Server {
    /// The process's server, chosen (and, for a throwaway one, started) on the first call.
    pub async fn get() -> Result<&'static Server, Error> {
        SERVER.get_or_try_init(choose).await
    }

    /// Connect options for the server's administrative database (the one in `DATABASE_URL`,
    /// else `postgres`).
    pub fn connect_options(&self) -> PgConnectOptions {
        self.options.clone()
    }

    /// The URL of the administrative database, as given (it may carry a password: do not
    /// print it; [`Server`]'s `Display` hides it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of database `name` on this server: the administrative URL with its database
    /// replaced, query parameters (such as a socket `host`) kept.
    pub fn url_for(&self, name: &str) -> String {
        let (base, query) = match self.url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (self.url.as_str(), String::new()),
        };
        let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
        let root = match base[authority_end..].find('/') {
            Some(i) => &base[..authority_end + i],
            None => base,
        };
        format!("{root}/{name}{query}")
    }

    /// Whether this is a throwaway server this process started.
    pub fn is_throwaway(&self) -> bool {
        self.throwaway.is_some()
    }

    /// An administrative connection.
    pub(crate) async fn admin(&self) -> Result<PgConnection, Error> {
        self.options
            .connect()
            .await
            .map_err(|source| self.error("connecting", source))
    }

    pub(crate) fn error(&self, what: impl Into<String>, source: sqlx::Error) -> Error {
        Error::Database {
            what: what.into(),
            server: self.to_string(),
            source,
        }
    }
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.throwaway {
            Some(t) => write!(f, "the throwaway server in {}", t.dir().display()),
            None => {
                let o = &self.options;
                write!(f, "{}@{}:{}", o.get_username(), o.get_host(), o.get_port())
            }
        }
    }
}

async fn choose() -> Result<Server, Error> {
    let forced = match std::env::var(SERVER_VARIABLE) {
        Ok(v) if v == "throwaway" => true,
        Ok(v) if v.is_empty() => false,
        Ok(v) => {
            return Err(Error::Environment {
                variable: SERVER_VARIABLE,
                reason: format!("`{v}` is not a known choice; the only one is `throwaway`"),
            });
        }
        Err(_) => false,
    };
    if !forced {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            return from_url(url);
        }
        let local = from_url(LOCAL.to_owned())?;
        if answers(&local.options).await {
            return Ok(local);
        }
    }
    let throwaway = Throwaway::start().await?;
    eprintln!(
        "migrate::testing: {}; started a throwaway PostgreSQL from {} in {} (deleted when this \
         process exits)",
        if forced {
            "MIGRATE_TEST_SERVER=throwaway"
        } else {
            "DATABASE_URL is not set and nothing answers on 127.0.0.1:5432"
        },
        throwaway.bindir().display(),
        throwaway.dir().display()
    );
    Ok(Server {
        url: throwaway.url(),
        options: throwaway.options(),
        throwaway: Some(throwaway),
    })
}

fn from_url(url: String) -> Result<Server, Error> {
    let options = PgConnectOptions::from_str(&url).map_err(|e| Error::Environment {
        variable: "DATABASE_URL",
        reason: format!("not a PostgreSQL URL ({e})"),
    })?;
    Ok(Server {
        url,
        options: options.disable_statement_logging(),
        throwaway: None,
    })
}

/// Whether a server accepts us: refused connections fail at once, a silent host within 3 s.
async fn answers(options: &PgConnectOptions) -> bool {
    match tokio::time::timeout(Duration::from_secs(3), options.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            true
        }
        _ => false,
    }
}
