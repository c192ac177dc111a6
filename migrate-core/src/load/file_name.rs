//! Which files of a migrations directory are migrations, and their versions.

use std::path::Path;

/// What a directory entry is, judged by its name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `<version>.sql` or `<version>.up.sql`: the version text (not yet validated).
    Up(String),
    /// Anything the loader leaves alone: `*.down.sql` (read with their up, not on their own),
    /// non-`.sql` files (READMEs, diesel `metadata.toml`), hidden files (editor and OS litter).
    Ignored,
}

/// Classifies a file by its name.
pub(crate) fn classify(path: &Path) -> FileKind {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        // A name that is not UTF-8 cannot be a version; `.sql` files among them are reported
        // by the caller, which still has the raw name.
        return FileKind::Ignored;
    };
    if name.starts_with('.') {
        return FileKind::Ignored;
    }
    let Some(stem) = name.strip_suffix(".sql") else {
        return FileKind::Ignored;
    };
    if stem.ends_with(".down") {
        return FileKind::Ignored;
    }
    let version = stem.strip_suffix(".up").unwrap_or(stem);
    FileKind::Up(version.to_owned())
}

/// The `<version>.down.sql` file beside an up file (`001_t.up.sql` or `001_t.sql`), whether or
/// not it exists: sqlx's and diesel's convention. `None` for a name that is not an up file's.
///
/// ```
/// use std::path::Path;
/// use migrate_core::load::down_beside;
///
/// assert_eq!(down_beside(Path::new("db/001_t.up.sql")).unwrap(), Path::new("db/001_t.down.sql"));
/// assert_eq!(down_beside(Path::new("db/001_t.down.sql")), None);
/// ```
pub fn down_beside(up: &Path) -> Option<std::path::PathBuf> {
    let name = up.file_name()?.to_str()?;
    let stem = name.strip_suffix(".sql")?;
    if stem.ends_with(".down") {
        return None;
    }
    let stem = stem.strip_suffix(".up").unwrap_or(stem);
    Some(up.with_file_name(format!("{stem}.down.sql")))
}

/// The up files a `<version>.down.sql` may belong to, in the order the loader prefers them
/// (`<version>.up.sql`, then `<version>.sql`), whether or not they exist; empty for a file
/// that is not a down.
///
/// ```
/// use std::path::{Path, PathBuf};
/// use migrate_core::load::ups_beside;
///
/// assert_eq!(
///     ups_beside(Path::new("db/001_t.down.sql")),
///     [PathBuf::from("db/001_t.up.sql"), PathBuf::from("db/001_t.sql")]
/// );
/// assert!(ups_beside(Path::new("db/001_t.up.sql")).is_empty());
/// ```
pub fn ups_beside(down: &Path) -> Vec<std::path::PathBuf> {
    let stem = down
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".down.sql"));
    match stem {
        Some(stem) if !stem.is_empty() => ["up.sql", "sql"]
            .iter()
            .map(|ext| down.with_file_name(format!("{stem}.{ext}")))
            .collect(),
        _ => Vec::new(),
    }
}

/// Turns a file stem such as `146_2017-08-31-230457_Invitations` into a version text
/// (`146_2017_08_31_230457_invitations`): ASCII lower case, every run of other characters one
/// `_`, no `_` at either end. Deterministic, so the history key stays stable while the file name
/// does.
pub(crate) fn normalize(stem: &str) -> String {
    let mut out = String::with_capacity(stem.len());
    for c in stem.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> FileKind {
        classify(Path::new(name))
    }

    #[test]
    fn up_and_plain_files_are_migrations() {
        assert_eq!(kind("001_init.sql"), FileKind::Up("001_init".into()));
        assert_eq!(kind("001_init.up.sql"), FileKind::Up("001_init".into()));
        assert_eq!(kind("Init.sql"), FileKind::Up("Init".into()));
    }

    #[test]
    fn the_down_sits_beside_the_up() {
        let down = |up: &str| down_beside(Path::new(up)).unwrap();
        assert_eq!(down("db/001_t.up.sql"), Path::new("db/001_t.down.sql"));
        assert_eq!(down("db/001_t.sql"), Path::new("db/001_t.down.sql"));
    }

    #[test]
    fn the_rest_is_ignored() {
        assert_eq!(kind("001_init.down.sql"), FileKind::Ignored);
        assert_eq!(kind("001_init.metadata.toml"), FileKind::Ignored);
        assert_eq!(kind("README.md"), FileKind::Ignored);
        assert_eq!(kind(".001_init.sql"), FileKind::Ignored);
        assert_eq!(kind("001_init.sql.swp"), FileKind::Ignored);
    }

    #[test]
    fn normalize_makes_snake_case() {
        assert_eq!(
            normalize("222_2024-03-05-120032_add-crate-downloads-index"),
            "222_2024_03_05_120032_add_crate_downloads_index"
        );
        assert_eq!(normalize("7__Add  Users!_"), "7_add_users");
        assert_eq!(normalize("-1_a"), "1_a");
    }
}
