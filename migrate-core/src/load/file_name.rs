//! Which files of a migrations directory are migrations, and their versions.

use std::path::Path;

/// What a directory entry is, judged by its name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `<version>.sql` or `<version>.up.sql`: the version text (not yet validated).
    Up(String),
    /// Anything the loader leaves alone: `*.down.sql` (reverse migrations are not applied),
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
    fn the_rest_is_ignored() {
        assert_eq!(kind("001_init.down.sql"), FileKind::Ignored);
        assert_eq!(kind("001_init.metadata.toml"), FileKind::Ignored);
        assert_eq!(kind("README.md"), FileKind::Ignored);
        assert_eq!(kind(".001_init.sql"), FileKind::Ignored);
        assert_eq!(kind("001_init.sql.swp"), FileKind::Ignored);
    }
}
