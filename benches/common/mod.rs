//! What the benchmarks share: databases, generated migrations, the contenders (sqlx's
//! `Migrator`, psql, the floor client), timing and the output format.
#![allow(dead_code)]

#[path = "../../tests/support/mod.rs"]
pub mod support;

pub mod generate;
/// The runtime tests' counting proxy, shared so both count round trips the same way.
#[path = "../../tests/support/proxy.rs"]
pub mod proxy;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use migrate::Migrations;
use migrate::load::{CheckFailure, Loader, VersionNames};
use sqlx::PgConnection;

#[allow(unused_imports)]
pub use support::TestDb;

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "migrate_bench_{tag}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cannot create a temporary directory");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One migration as the contenders other than ours see it: a file, its SQL, its mode.
#[derive(Debug, Clone)]
pub struct SqlFile {
    pub version: String,
    pub number: i64,
    pub path: PathBuf,
    pub sql: String,
    pub transactional: bool,
    /// The statements, for clients that send non-transactional migrations one at a time.
    pub statements: Vec<String>,
}

/// A history in both shapes: our loaded list, and the files the others read.
pub struct History {
    pub migrations: Migrations,
    pub files: Vec<SqlFile>,
}

impl History {
    /// Loads `dir` with our loader (the way a file-based user would) and keeps the file paths
    /// for psql. `configure` sets loader options (e.g. `no_transaction` from metadata).
    pub fn load(dir: &Path, configure: impl FnOnce(Loader) -> Loader) -> History {
        let loaded = configure(Loader::new(dir))
            .load()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut files = Vec::new();
        for m in loaded.migrations.iter() {
            let path = ["sql", "up.sql"]
                .iter()
                .map(|ext| dir.join(format!("{}.{ext}", m.version())))
                .find(|p| p.is_file())
                .or_else(|| find_by_number(dir, m.number()))
                .unwrap_or_else(|| panic!("no file for {}", m.version()));
            files.push(SqlFile {
                version: m.version().to_owned(),
                number: m.number(),
                path,
                sql: m.sql().to_owned(),
                transactional: m.is_transactional(),
                statements: m.statements().map(|s| s.sql.to_owned()).collect(),
            });
        }
        let accepted = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
        if accepted > 0 {
            println!(
                "note: {accepted} checker errors accepted by the loader's CheckFailure policy for this run"
            );
        }
        History {
            migrations: loaded.migrations,
            files,
        }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// The same migrations as sqlx's `Migrator`: same SQL, same order, same transaction mode.
    pub fn sqlx_migrator(&self) -> sqlx::migrate::Migrator {
        let migrations = self
            .files
            .iter()
            .map(|f| {
                sqlx::migrate::Migration::new(
                    f.number,
                    Cow::Owned(f.version.clone()),
                    sqlx::migrate::MigrationType::Simple,
                    Cow::Owned(f.sql.clone()),
                    !f.transactional,
                )
            })
            .collect::<Vec<_>>();
        sqlx::migrate::Migrator {
            migrations: Cow::Owned(migrations),
            ..sqlx::migrate::Migrator::DEFAULT
        }
    }
}

/// The crates.io history as the loader sees it: diesel names normalized, the metadata-marked
/// migrations non-transactional, idempotency findings accepted (they are plain DDL).
pub fn load_crates_io(dir: &Path) -> History {
    History::load(dir, |mut loader| {
        loader = loader
            .version_names(VersionNames::Normalize)
            .on_check_failure(CheckFailure::AcceptNonIdempotent);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".metadata.toml") {
                let meta = std::fs::read_to_string(entry.path()).unwrap_or_default();
                if meta
                    .lines()
                    .any(|l| l.replace(' ', "") == "run_in_transaction=false")
                {
                    loader = loader.no_transaction(VersionNames::Normalize.version_for(stem));
                }
            }
        }
        loader
    })
}

/// Files loaded with [`migrate::load::VersionNames::Normalize`] are found by their number.
fn find_by_number(dir: &Path, number: i64) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".sql")
                && !name.ends_with(".down.sql")
                && name
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|d| d.parse::<i64>().ok())
                    == Some(number)
        })
}

/// The floor: one simple-query message per migration, `BEGIN; <sql>; COMMIT;`, over one
/// connection; non-transactional migrations one statement per message. No bookkeeping.
pub async fn floor_apply(conn: &mut PgConnection, files: &[SqlFile]) {
    for f in files {
        if f.transactional {
            let body = format!("BEGIN;\n{}\n;COMMIT;", f.sql);
            sqlx::raw_sql(&body)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("floor: {}: {e}", f.version));
        } else {
            for statement in &f.statements {
                sqlx::raw_sql(statement)
                    .execute(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("floor: {}: {e}", f.version));
            }
        }
    }
}

/// psql as people run it by hand: one `psql -1 -f FILE` per migration (`-1` left out for
/// non-transactional ones), stopping at the first error.
pub fn psql_apply(url: &str, files: &[SqlFile]) {
    for f in files {
        let mut cmd = Command::new("psql");
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
        if f.transactional {
            cmd.arg("-1");
        }
        cmd.arg("-f").arg(&f.path);
        let out = cmd.output().expect("cannot run psql: is it installed?");
        assert!(
            out.status.success(),
            "psql failed on {}: {}",
            f.version,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Whether `psql` can be run.
pub fn psql_available() -> bool {
    Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Times one async call.
pub async fn time<F: std::future::Future<Output = T>, T>(f: F) -> (Duration, T) {
    let start = Instant::now();
    let out = f.await;
    (start.elapsed(), out)
}

pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    let n = samples.len();
    if n == 0 {
        return Duration::ZERO;
    }
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Rounds for the JSON line: three decimals are well below the noise.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The server URL with any password replaced, for printing.
pub fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!(
                "{}{user}:***@{host}{}",
                &url[..scheme_end],
                &rest[authority_end..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

pub fn print_header(bench: &str) {
    println!(
        "bench `{bench}` against {} (PostgreSQL on this machine; each case on its own fresh database)",
        redacted(&support::server_url())
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redacted("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redacted("postgres://u@h/db"), "postgres://u@h/db");
    }
}
