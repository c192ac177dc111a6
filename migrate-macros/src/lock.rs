//! `#![lock("migrations.lock")]`: the list is checked against its committed lock file, so an
//! edited, removed, reordered or renumbered released migration fails the build.

use migrate_core::Checksum;
use migrate_core::lock_file::LockFile;
use syn::LitStr;

use crate::diagnostics::Diagnostics;

/// The lock file as the build saw it.
pub enum LockState {
    /// The file exists and holds this text (the expansion includes it, so an edit rebuilds).
    Read(String),
    /// No file yet: nothing is locked.
    Missing,
}

/// Reads the lock file named by `path` (relative to CARGO_MANIFEST_DIR); `None` after
/// reporting why it cannot be read.
pub fn read(path: &LitStr, diagnostics: &mut Diagnostics) -> Option<LockState> {
    let relative = path.value();
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        diagnostics.error(
            path.span(),
            "`#![lock(…)]` paths are relative to CARGO_MANIFEST_DIR, which is not set: build \
             with cargo",
        );
        return None;
    };
    match std::fs::read_to_string(format!("{dir}/{relative}")) {
        Ok(text) => Some(LockState::Read(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            diagnostics.warning(
                path.span(),
                format!(
                    "`{relative}` does not exist yet, so no migration is locked: run \
                     `myapp migrate lock` and commit the file"
                ),
            );
            Some(LockState::Missing)
        }
        Err(e) => {
            diagnostics.error(path.span(), format!("cannot read `{relative}`: {e}"));
            None
        }
    }
}

/// One entry of the list, as the lock comparison sees it.
pub struct Locked<'a> {
    pub version: &'a LitStr,
    pub version_text: &'a str,
    pub checksum: Checksum,
}

/// Reports every departure of `entries` from the lock file's text, each spanned on the entry it
/// concerns (a removed migration on the `#![lock]` path).
pub fn check(path: &LitStr, text: &str, entries: &[Locked<'_>], diagnostics: &mut Diagnostics) {
    let lock = match LockFile::parse(text) {
        Ok(lock) => lock,
        Err(e) => {
            diagnostics.error(path.span(), format!("[locked_migration] {e}"));
            return;
        }
    };
    let list = entries.iter().map(|e| (e.version_text, e.checksum));
    for mismatch in lock.compare(list) {
        let message = format!("[locked_migration] {mismatch}");
        if let Some(index) = mismatch.entry
            && let Some(entry) = entries.get(index)
        {
            diagnostics.at_entry(index);
            diagnostics.error(entry.version.span(), message);
        } else {
            diagnostics.error(path.span(), message);
        }
    }
}
