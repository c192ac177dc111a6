//! A throwaway PostgreSQL cluster that a test may restart or break: `initdb` in a temporary
//! directory (as the `postgres` system user when the tests run as root, since PostgreSQL
//! refuses to run as root), started on a free port, stopped and removed on drop. Never the
//! shared server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;

/// Whether the tests run as root (then servers run as `postgres`).
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program` with `args`, run as the `postgres` user when the tests run as root.
pub fn as_postgres(program: &str) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// A temporary directory the server user owns, removed on drop.
pub struct OwnedDir(PathBuf);

impl OwnedDir {
    pub fn new(what: &str) -> OwnedDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "migrate_{what}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if running_as_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown postgres {}", dir.display());
        }
        OwnedDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for OwnedDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(command: &mut Command, what: &str) {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (are the PostgreSQL binaries on PATH?)"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running throwaway cluster; stopped (immediately) and deleted when dropped.
pub struct Cluster {
    dir: OwnedDir,
    port: u16,
}

impl Cluster {
    /// Runs `initdb` (trust authentication, no fsync) and starts the server.
    pub fn start() -> Cluster {
        let dir = OwnedDir::new("cluster");
        let data = dir.path().join("data");
        run(
            as_postgres("initdb")
                .args(["-A", "trust", "-U", "postgres", "-N", "-E", "UTF8", "-D"])
                .arg(&data),
            "initdb",
        );
        let cluster = Cluster {
            dir,
            port: free_port(),
        };
        cluster.pg_ctl(&["start"]);
        cluster
    }

    fn pg_ctl(&self, action: &[&str]) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c max_connections=60",
            self.port,
            self.dir.path().display()
        );
        run(
            as_postgres("pg_ctl")
                .args(["-D"])
                .arg(self.dir.path().join("data"))
                .args(["-l"])
                .arg(self.dir.path().join("log"))
                .args(["-o", &options, "-w", "-t", "60"])
                .args(action),
            &format!("pg_ctl {}", action.join(" ")),
        );
    }

    /// Restarts the server: `fast` ends every session (SQLSTATE 57P01), as a failover or a
    /// maintenance restart does.
    pub fn restart(&self) {
        self.pg_ctl(&["-m", "fast", "restart"]);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connect options for `database` on this cluster.
    pub fn options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .database(database)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .args(["-D"])
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
