//! A PostgreSQL server of the test process's own, started from the binaries on the machine
//! when no server is available, and gone — process and directory — once the process exits.
//!
//! A Rust process runs no destructors for statics at exit, and a test binary may also die from
//! a signal. So the cleanup does not live in this process: a small `sh` watchdog starts the
//! server as its child and blocks reading a pipe whose only writer is this process. When this
//! process ends, however it ends, the kernel closes the pipe; the watchdog stops the server
//! (immediate shutdown: the data is thrown away anyway), waits for it and deletes the directory.
//!
//! The server listens on a free port of 127.0.0.1 (and a unix socket in its directory) and
//! trusts local connections, like a stock test server.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::Error;

/// How long the server may take to accept connections after `postgres` started.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);

/// The watchdog: `$1` the bin dir, `$2` the directory (data, socket, log), `$3` the port.
const WATCHDOG: &str = r#"
"$1/postgres" -D "$2/data" -k "$2" -c listen_addresses=127.0.0.1 -p "$3" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
  </dev/null >"$2/server.log" 2>&1 &
server=$!
while read -r _; do :; done
kill -QUIT "$server" 2>/dev/null
wait "$server"
rm -rf "$2"
"#;

/// A running throwaway server. Dropping the value does not stop it; the process exiting does.
#[derive(Debug)]
pub(crate) struct Throwaway {
    dir: PathBuf,
    bindir: PathBuf,
    port: u16,
    /// The write end of the watchdog's pipe: held until the process exits.
    _lifeline: ChildStdin,
}

/// The user the server runs as, when this process is root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl Throwaway {
    /// `initdb` into a fresh directory under the system temp dir, start the server on a free
    /// port of 127.0.0.1 (and a unix socket in that directory), and wait until it accepts
    /// connections. A port taken between choosing and binding it means starting over.
    pub(crate) async fn start() -> Result<Throwaway, Error> {
        let bindir = find_bindir().ok_or(Error::NoBinaries)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Throwaway::start_once(&bindir).await {
                Err(Error::Throwaway { detail, .. })
                    if attempt < 3 && detail.contains("could not bind") => {}
                result => return result,
            }
        }
    }

    async fn start_once(bindir: &Path) -> Result<Throwaway, Error> {
        let dir = private_dir()?;
        let run_as = run_as(&dir)?;
        let prepared = tokio::task::spawn_blocking({
            let (dir, bindir) = (dir.clone(), bindir.to_owned());
            move || prepare(&dir, &bindir, run_as)
        })
        .await
        .map_err(|e| throwaway("initdb", e.to_string()))?;
        if let Err(e) = prepared {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        let port = free_port(&dir)?;
        let mut watchdog = spawn_watchdog(&dir, bindir, port, run_as)?;
        let lifeline = watchdog
            .stdin
            .take()
            .ok_or_else(|| throwaway("starting the watchdog", "no stdin pipe".into()))?;
        // From here on, an error drops the lifeline and the watchdog cleans up.
        let server = Throwaway {
            dir,
            bindir: bindir.to_owned(),
            port,
            _lifeline: lifeline,
        };
        server.wait_ready(&mut watchdog).await?;
        Ok(server)
    }

    /// Connect options for the `postgres` database as the `postgres` superuser.
    pub(crate) fn options(&self) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .database("postgres")
    }

    /// A libpq/sqlx URL for the server's `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The directory holding the data, the socket and the log; deleted at exit.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the binaries came from.
    pub(crate) fn bindir(&self) -> &Path {
        &self.bindir
    }

    async fn wait_ready(&self, watchdog: &mut Child) -> Result<(), Error> {
        let started = Instant::now();
        let options = self.options().disable_statement_logging();
        loop {
            if let Ok(conn) = options.connect().await {
                let _ = conn.close().await;
                return Ok(());
            }
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            let exited = matches!(watchdog.try_wait(), Ok(Some(_)));
            if exited || failed(&log) || started.elapsed() > STARTUP_LIMIT {
                return Err(throwaway("starting postgres", log_tail(&log)));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn throwaway(step: &str, detail: String) -> Error {
    Error::Throwaway {
        step: step.to_owned(),
        detail,
    }
}

/// Whether the server's log says it gave up (our own early connection attempts are refused
/// with "starting up", which is not a failure).
fn failed(log: &str) -> bool {
    log.lines()
        .any(|l| (l.contains("FATAL:") || l.contains("PANIC:")) && !l.contains("is starting up"))
}

fn log_tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n");
    if tail.is_empty() {
        "the server wrote no log".to_owned()
    } else {
        tail
    }
}

/// The first directory holding both `initdb` and `postgres`: `pg_config --bindir`, then the
/// highest `/usr/lib/postgresql/<major>/bin` (Debian's layout, not on PATH), then PATH.
fn find_bindir() -> Option<PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    debian.sort();
    let path = std::env::var_os("PATH").unwrap_or_default();
    from_pg_config
        .into_iter()
        .chain(debian.into_iter().rev().map(|(_, dir)| dir))
        .chain(std::env::split_paths(&path))
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
}

/// A port nothing listens on right now (the OS's choice for an ephemeral bind).
fn free_port(dir: &Path) -> Result<u16, Error> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|source| Error::Io {
            what: "finding a free port for",
            path: dir.to_owned(),
            source,
        })
}

/// A new directory only this process uses: `<temp>/migrate-pg-<pid>-<nanos>`.
fn private_dir() -> Result<PathBuf, Error> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("migrate-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|source| Error::Io {
        what: "creating",
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// `None` for a normal user; as root (the new directory's owner is 0) the `postgres` system
/// user, who then owns the directory.
fn run_as(dir: &Path) -> Result<Option<RunAs>, Error> {
    let io = |what, source| Error::Io {
        what,
        path: dir.to_owned(),
        source,
    };
    let owner = std::fs::metadata(dir).map_err(|e| io("reading", e))?.uid();
    if owner != 0 {
        return Ok(None);
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    let (Some(uid), Some(gid)) = (id("-u"), id("-g")) else {
        let _ = std::fs::remove_dir_all(dir);
        return Err(Error::NoPostgresUser);
    };
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).map_err(|e| io("handing over", e))?;
    Ok(Some(RunAs { uid, gid }))
}

fn command(program: impl AsRef<std::ffi::OsStr>, dir: &Path, run_as: Option<RunAs>) -> Command {
    let mut cmd = Command::new(program);
    // The server user may not be allowed into the caller's working directory.
    cmd.current_dir(dir);
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    cmd
}

/// `initdb`, trusting local connections like a stock test server (no password round trip: a
/// backend waiting for a password holds up every `DROP DATABASE` on the server), without
/// fsync (the data is discarded).
fn prepare(dir: &Path, bindir: &Path, run_as: Option<RunAs>) -> Result<(), Error> {
    let out = command(bindir.join("initdb"), dir, run_as)
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-U", "postgres", "-A", "trust"])
        .args(["-E", "UTF8", "--locale=C", "--no-sync"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| throwaway("running initdb", e.to_string()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(throwaway(
        "initdb failed",
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// The watchdog runs in its own process group, so a Ctrl-C aimed at the test run reaches the
/// test process (whose exit triggers the cleanup) and not the watchdog (which must survive it).
fn spawn_watchdog(
    dir: &Path,
    bindir: &Path,
    port: u16,
    run_as: Option<RunAs>,
) -> Result<Child, Error> {
    command("sh", dir, run_as)
        .arg("-c")
        .arg(WATCHDOG)
        .arg("migrate-test-watchdog")
        .arg(bindir)
        .arg(dir)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        // Not piped: a write to a closed pipe after this process exits would kill the
        // watchdog before it cleans up.
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| throwaway("starting the watchdog (sh)", e.to_string()))
}
