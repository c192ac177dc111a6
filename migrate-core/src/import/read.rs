//! One reader per tool: which files are migrations, in which order, with which options.

use std::path::{Path, PathBuf};

use super::version::convert;
use super::{DownFile, Entry, ImportError, Source};
use crate::Tool;

/// The tool whose layout `dir` has: diesel when a subdirectory holds `up.sql`, refinery for
/// `V<n>__<name>.sql` files, sqlx for `<digits>_<name>.sql` files.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("migrate_detect_doc_{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("20240101000000_users.sql"), "CREATE TABLE users (id int);").unwrap();
/// assert_eq!(migrate_core::import::detect(&dir).unwrap(), migrate_core::Tool::Sqlx);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn detect(dir: &Path) -> Result<Tool, ImportError> {
    let mut found: Vec<Tool> = Vec::new();
    for (path, name) in list(dir)? {
        let tool = if path.join("up.sql").is_file() {
            Some(Tool::Diesel)
        } else if !name.ends_with(".sql") || path.is_dir() {
            None
        } else if name.starts_with('V') && name.contains("__") {
            Some(Tool::Refinery)
        } else if name
            .split_once('_')
            .is_some_and(|(d, _)| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            Some(Tool::Sqlx)
        } else {
            None
        };
        if let Some(tool) = tool
            && !found.contains(&tool)
        {
            found.push(tool);
        }
    }
    match found.as_slice() {
        [] => Err(ImportError::NotDetected {
            dir: dir.to_owned(),
        }),
        [tool] => Ok(*tool),
        [first, second, ..] => Err(ImportError::Ambiguous {
            dir: dir.to_owned(),
            first: *first,
            second: *second,
        }),
    }
}

/// Reads `dir` as `from`'s layout (detected when `None`), in the tool's apply order.
pub fn read_dir(dir: &Path, from: Option<Tool>) -> Result<Source, ImportError> {
    let tool = match from {
        Some(tool) => tool,
        None => detect(dir)?,
    };
    let mut numbered = Vec::new();
    for (path, name) in list(dir)? {
        let migration = match tool {
            Tool::Sqlx => sqlx_file(&path, &name)?,
            Tool::Diesel => diesel_dir(&path, &name)?,
            Tool::Refinery => refinery_file(&path, &name)?,
        };
        if let Some(found) = migration {
            numbered.push(found);
        }
    }
    numbered.sort_by_key(|(number, _)| *number);
    for pair in numbered.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(ImportError::DuplicateNumber {
                number: pair[0].0,
                first: pair[0].1.path.clone(),
                second: pair[1].1.path.clone(),
            });
        }
    }
    Ok(Source {
        tool,
        dir: dir.to_owned(),
        entries: numbered.into_iter().map(|(_, e)| e).collect(),
    })
}

/// The entries of `dir`, hidden ones left out, sorted by name so errors come in a stable order.
fn list(dir: &Path) -> Result<Vec<(PathBuf, String)>, ImportError> {
    let read_err = |source| ImportError::ReadDir {
        dir: dir.to_owned(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if !name.starts_with('.') {
            out.push((path, name));
        }
    }
    out.sort();
    Ok(out)
}

fn read(path: &Path) -> Result<String, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::ReadFile {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let mut text = String::from_utf8(bytes).map_err(|_| ImportError::ReadFile {
        path: path.to_owned(),
        reason: "the file is not UTF-8".to_owned(),
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

type Found = Option<(i64, Entry)>;

/// The down file at `path`, when there is one.
fn down_file(path: PathBuf) -> Result<Option<DownFile>, ImportError> {
    if !path.is_file() {
        return Ok(None);
    }
    let sql = read(&path)?;
    Ok(Some(DownFile { path, sql }))
}

/// sqlx: `<version>_<description>.sql`, or `.up.sql` beside `.down.sql` (reversible); a first
/// line `-- no-transaction` runs it outside a transaction.
fn sqlx_file(path: &Path, name: &str) -> Result<Found, ImportError> {
    if path.is_dir() || name.ends_with(".down.sql") {
        return Ok(None);
    }
    let Some(stem) = name.strip_suffix(".sql") else {
        return Ok(None);
    };
    let reversible = stem.strip_suffix(".up");
    let stem = reversible.unwrap_or(stem);
    let (version, number) = convert(Tool::Sqlx, stem, path)?;
    let sql = read(path)?;
    let no_transaction = sql.starts_with("-- no-transaction");
    // sqlx reads a down only beside a `.up.sql`.
    let down = match reversible {
        Some(stem) => down_file(path.with_file_name(format!("{stem}.down.sql")))?,
        None => None,
    };
    Ok(Some((
        number,
        Entry {
            version,
            path: path.to_owned(),
            sql,
            no_transaction,
            down,
        },
    )))
}

/// diesel: a directory `<version>_<name>/` with `up.sql` (and `down.sql`); `metadata.toml`
/// with `run_in_transaction = false` runs it outside a transaction.
fn diesel_dir(path: &Path, name: &str) -> Result<Found, ImportError> {
    let up = path.join("up.sql");
    if !path.is_dir() {
        return Ok(None);
    }
    if !up.is_file() {
        return Err(ImportError::BadName {
            path: path.to_owned(),
            reason: "a diesel migration directory holds `up.sql`; this one does not".to_owned(),
        });
    }
    let (version, number) = convert(Tool::Diesel, name, path)?;
    let metadata = path.join("metadata.toml");
    let no_transaction = metadata.is_file() && runs_outside_transaction(&read(&metadata)?);
    Ok(Some((
        number,
        Entry {
            version,
            sql: read(&up)?,
            path: up,
            no_transaction,
            down: down_file(path.join("down.sql"))?,
        },
    )))
}

/// `run_in_transaction = false` in diesel's `metadata.toml` (the one key diesel reads there).
fn runs_outside_transaction(toml: &str) -> bool {
    toml.lines().any(|line| {
        let line = line.split('#').next().unwrap_or("");
        line.split_once('=').is_some_and(|(key, value)| {
            key.trim() == "run_in_transaction" && value.trim() == "false"
        })
    })
}

/// refinery: `V<n>__<name>.sql`.
fn refinery_file(path: &Path, name: &str) -> Result<Found, ImportError> {
    if path.is_dir() {
        return Ok(None);
    }
    if name.ends_with(".rs") {
        return Err(ImportError::BadName {
            path: path.to_owned(),
            reason:
                "refinery's Rust migrations cannot be imported: write its SQL into a `.sql` file"
                    .to_owned(),
        });
    }
    let Some(stem) = name.strip_suffix(".sql") else {
        return Ok(None);
    };
    let (version, number) = convert(Tool::Refinery, stem, path)?;
    Ok(Some((
        number,
        Entry {
            version,
            path: path.to_owned(),
            sql: read(path)?,
            no_transaction: false,
            // refinery has no down migrations (a `U` file is an unversioned migration, not
            // Flyway's undo).
            down: None,
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diesel_metadata_is_read_as_diesel_does() {
        assert!(runs_outside_transaction("run_in_transaction = false\n"));
        assert!(!runs_outside_transaction("run_in_transaction = true"));
        assert!(!runs_outside_transaction("# run_in_transaction = false"));
    }
}
