//! PgBouncer in transaction pooling mode in front of the shared server, started by a test on
//! a free port (as the `postgres` user when the tests run as root: PgBouncer refuses root) and
//! stopped when dropped. `.ci/run` installs it; without it the tests fail saying so.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::cluster::{OwnedDir, as_postgres, free_port};
use super::server_url;

pub struct PgBouncer {
    child: Child,
    addr: String,
    port: u16,
    dir: OwnedDir,
}

impl PgBouncer {
    /// Starts PgBouncer in front of the shared server on a free port, with
    /// `server_connections` server connections per database and user, in transaction mode,
    /// and waits until it accepts connections.
    pub async fn start(server_connections: u32) -> PgBouncer {
        let server = PgConnectOptions::from_str(&server_url()).unwrap();
        let (host, port) = (server.get_host().to_owned(), server.get_port());
        PgBouncer::start_in_front_of(&host, port, "127.0.0.1", free_port(), server_connections)
            .await
    }

    /// Starts PgBouncer on `addr:port` in front of the server at `host:server_port`.
    pub async fn start_in_front_of(
        host: &str,
        server_port: u16,
        addr: &str,
        port: u16,
        server_connections: u32,
    ) -> PgBouncer {
        let server = PgConnectOptions::from_str(&server_url()).unwrap();
        let dir = OwnedDir::new("pgbouncer");
        let config = format!(
            "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\n\
             listen_addr = {addr}\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {dir}/users.txt\n\
             pool_mode = transaction\ndefault_pool_size = {server_connections}\n\
             max_client_conn = 500\nmax_db_connections = {server_connections}\n\
             ignore_startup_parameters = extra_float_digits\n\
             server_reset_query =\nlogfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n",
            dir = dir.path().display(),
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), config).unwrap();
        std::fs::write(
            dir.path().join("users.txt"),
            format!("\"{}\" \"\"\n", server.get_username()),
        )
        .unwrap();
        // As root the program runs through runuser, which starts even when pgbouncer is
        // missing: ask for it first, so the failure says what to install.
        assert!(
            Command::new("pgbouncer").arg("--version").output().is_ok(),
            "pgbouncer is not installed: apt-get install pgbouncer (.ci/run does)"
        );
        let child = as_postgres("pgbouncer")
            .arg(dir.path().join("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start pgbouncer: install it (apt-get install pgbouncer; .ci/run does)");
        let bouncer = PgBouncer {
            child,
            addr: addr.to_owned(),
            port,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while PgConnection::connect_with(&bouncer.options("postgres"))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "pgbouncer did not start on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bouncer
    }

    /// Connect options for `database` through PgBouncer.
    pub fn options(&self, database: &str) -> PgConnectOptions {
        let server = PgConnectOptions::from_str(&server_url()).unwrap();
        PgConnectOptions::new()
            .host(&self.addr)
            .port(self.port)
            .username(server.get_username())
            .database(database)
    }

    /// A URL for `database` through PgBouncer.
    pub fn url(&self, database: &str) -> String {
        let server = PgConnectOptions::from_str(&server_url()).unwrap();
        format!(
            "postgres://{}@{}:{}/{database}",
            server.get_username(),
            self.addr,
            self.port
        )
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        // PgBouncer's own pid (runuser in front of it may not pass a signal on), then runuser.
        let pid =
            std::fs::read_to_string(self.dir.path().join("pgbouncer.pid")).unwrap_or_default();
        for pid in [pid.trim().to_owned(), self.child.id().to_string()] {
            if !pid.is_empty() {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid])
                    .status();
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
