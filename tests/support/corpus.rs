//! The real migration histories in `../shared/corpus`, laid out again as their own tool keeps
//! them (sqlx's `<version>_<name>.up.sql`, diesel's `<version>_<name>/up.sql` and
//! `metadata.toml`) in a temporary directory, so tests read and change copies only.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The corpus root, or `None` after a loud `ignored:` line when it is absent.
pub fn root(test: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if root.join("MANIFEST.tsv").is_file() {
        Some(root)
    } else {
        println!("ignored: ../shared/corpus not found; corpus test {test} did not run");
        None
    }
}

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "migrate_{label}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One file of a project's history.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// 1-based apply order upstream.
    pub order: u32,
    /// The path inside the tool's migrations directory, e.g. `2014-…_x/up.sql`.
    pub tool_path: String,
    /// The file's text.
    pub text: String,
}

/// Every file of `project` (`crates.io`, `docs.rs`, `atuin`) whose order is in `orders`.
pub fn files(root: &Path, project: &str, orders: RangeInclusive<u32>) -> Vec<CorpusFile> {
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap();
    let names: Vec<String> = std::fs::read_dir(root.join(project))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols[0] == project).then(|| (cols[1].parse::<u32>().unwrap(), cols[2]))
        })
        .filter(|(order, _)| orders.contains(order))
        .map(|(order, original)| {
            let suffix = if original.ends_with("down.sql") {
                ".down.sql"
            } else if original.ends_with("metadata.toml") {
                ".metadata.toml"
            } else {
                ".up.sql"
            };
            let prefix = format!("{order:03}_");
            let name = names
                .iter()
                .find(|n| n.starts_with(&prefix) && n.ends_with(suffix))
                .unwrap_or_else(|| panic!("no corpus file for {project} {original}"));
            let tool_path = match original.find("migrations/") {
                Some(i) => &original[i + "migrations/".len()..],
                None => original,
            };
            CorpusFile {
                order,
                tool_path: tool_path.to_owned(),
                text: std::fs::read_to_string(root.join(project).join(name)).unwrap(),
            }
        })
        .collect()
}

/// The number of migrations of `project`.
pub fn len(root: &Path, project: &str) -> u32 {
    files(root, project, 1..=u32::MAX)
        .iter()
        .map(|f| f.order)
        .max()
        .unwrap_or(0)
}

/// `project`'s migrations `orders`, written in the tool's own layout into a new directory.
pub fn tool_dir(root: &Path, project: &str, orders: RangeInclusive<u32>) -> TempDir {
    let dir = TempDir::new(&format!("corpus_{}", project.replace('.', "_")));
    for file in files(root, project, orders) {
        dir.write(&file.tool_path, &file.text);
    }
    dir
}

/// Runs `m` as sqlx and diesel do: in one transaction with `record` (the tool's history row),
/// or, for a migration the tool runs outside a transaction, statement by statement.
pub async fn apply_as_tool(pool: &sqlx::PgPool, m: &migrate::Migration, record: &str) {
    let mut conn = pool.acquire().await.unwrap();
    if m.is_transactional() {
        let script = format!("BEGIN;\n{}\n;{record};\nCOMMIT;", m.sql());
        sqlx::raw_sql(&script)
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", m.version()));
    } else {
        for s in m.statements() {
            sqlx::raw_sql(s.sql)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", m.version()));
        }
        sqlx::raw_sql(record).execute(&mut *conn).await.unwrap();
    }
}
