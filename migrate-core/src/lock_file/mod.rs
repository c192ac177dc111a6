//! `migrations.lock`: the released migrations, committed beside Cargo.toml, so that an edited,
//! removed, reordered or renumbered migration fails the build, and two branches that each add
//! a migration conflict in git.
//!
//! # Format
//!
//! Plain text, one line per migration in list order, then one closing line:
//!
//! ```text
//! # migrations.lock: written by `migrate lock`. Do not edit: write a new migration instead.
//! # <version> <checksum> <chain>
//! 001_users 5b1e…(64 hex digits) 3f9c0a1d2e4b6c7d
//! 002_notes 0c4d…(64 hex digits) 9a8b7c6d5e4f3a2b
//! end 2 9a8b7c6d5e4f3a2b
//! ```
//!
//! - `checksum` is the migration's [`Checksum`] (whitespace and comments do not count).
//! - `chain` is the first 16 hex digits of SHA-256 over the previous line's chain, this line's
//!   version and checksum: it covers everything before it, so a hand edit anywhere shows.
//! - `end <count> <chain>` repeats the last chain. Every addition rewrites this line, so two
//!   branches that each append a migration always change the same line, and git reports a
//!   conflict at merge time instead of the build failing later on `main`.
//! - Lines starting with `#` and blank lines are comments.
//!
//! ```
//! use migrate_core::lock_file::LockFile;
//!
//! let lock = LockFile::of_list([("001_users", migrate_core::Checksum::of_sql("SELECT 1"))]);
//! let text = lock.render();
//! assert_eq!(LockFile::parse(&text).unwrap(), lock);
//! assert!(text.lines().last().unwrap().starts_with("end 1 "));
//! ```

mod compare;
mod parse;

pub use compare::{LockMismatch, MismatchKind};
pub use parse::LockFileError;

use sha2::{Digest, Sha256};

use crate::{Checksum, Migrations};

/// Domain separation of the chain hash, so a later format can never produce the same chains.
const CHAIN_DOMAIN: &[u8] = b"migrate-lock-v1\0";

/// One locked migration: its version and the checksum it had when it was locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedMigration {
    /// The full version, e.g. `006_add_user_position`.
    pub version: String,
    /// The checksum of its SQL when it was locked.
    pub checksum: Checksum,
}

/// The contents of a `migrations.lock` file (see the [module documentation](self)).
///
/// ```
/// use migrate_core::Checksum;
/// use migrate_core::lock_file::LockFile;
///
/// let one = LockFile::of_list([("001_a", Checksum::of_sql("SELECT 1"))]);
/// let two = LockFile::of_list([
///     ("001_a", Checksum::of_sql("SELECT 1")),
///     ("002_b", Checksum::of_sql("SELECT 2")),
/// ]);
/// assert_eq!(two.migrations().len(), 2);
/// // Appending changes the closing line, which is what makes parallel additions conflict.
/// assert_ne!(one.render().lines().last(), two.render().lines().last());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockFile {
    migrations: Vec<LockedMigration>,
}

impl LockFile {
    /// The lock file for a list of `(version, checksum)` pairs, in list order.
    pub fn of_list<'a>(list: impl IntoIterator<Item = (&'a str, Checksum)>) -> Self {
        LockFile {
            migrations: list
                .into_iter()
                .map(|(version, checksum)| LockedMigration {
                    version: version.to_owned(),
                    checksum,
                })
                .collect(),
        }
    }

    /// The lock file for a compiled or loaded list.
    ///
    /// ```
    /// let list = migrate_core::Migrations::from_vec(Vec::new()).unwrap();
    /// assert!(migrate_core::lock_file::LockFile::of(&list).migrations().is_empty());
    /// ```
    pub fn of(migrations: &Migrations) -> Self {
        LockFile::of_list(migrations.iter().map(|m| (m.version(), m.checksum())))
    }

    /// The locked migrations, in list order.
    pub fn migrations(&self) -> &[LockedMigration] {
        &self.migrations
    }

    /// The file's text, ending with a newline.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# migrations.lock: written by `migrate lock`. Do not edit: write a new migration instead.\n\
             # <version> <checksum> <chain>\n",
        );
        let mut chain = Chain::start();
        for m in &self.migrations {
            chain = chain.next(&m.version, &m.checksum);
            out.push_str(&format!("{} {} {}\n", m.version, m.checksum, chain));
        }
        out.push_str(&format!("end {} {}\n", self.migrations.len(), chain));
        out
    }
}

/// The running hash that links each line to everything before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chain([u8; 8]);

impl Chain {
    fn start() -> Self {
        Chain([0; 8])
    }

    fn next(self, version: &str, checksum: &Checksum) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(CHAIN_DOMAIN);
        hasher.update(self.0);
        hasher.update((version.len() as u64).to_le_bytes());
        hasher.update(version.as_bytes());
        hasher.update(checksum.as_bytes());
        let digest = hasher.finalize();
        let mut out = [0; 8];
        out.copy_from_slice(&digest[..8]);
        Chain(out)
    }
}

impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize) -> LockFile {
        let versions: Vec<String> = (1..=n).map(|i| format!("{i:03}_m{i}")).collect();
        LockFile::of_list(
            versions
                .iter()
                .map(|v| (v.as_str(), Checksum::of_sql(&format!("SELECT '{v}'")))),
        )
    }

    #[test]
    fn render_then_parse_is_identity() {
        for n in [0, 1, 5] {
            let lock = list(n);
            assert_eq!(LockFile::parse(&lock.render()), Ok(lock));
        }
    }

    #[test]
    fn every_line_depends_on_all_before_it() {
        let a = list(3).render();
        let mut edited = list(3);
        edited.migrations[0].checksum = Checksum::of_sql("SELECT 'other'");
        let b = edited.render();
        let chains = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.rsplit(' ').next().unwrap_or_default().to_owned())
                .collect()
        };
        let (ca, cb) = (chains(&a), chains(&b));
        assert_eq!(ca.len(), 4);
        assert!(ca.iter().zip(&cb).all(|(x, y)| x != y), "{a}\n{b}");
    }

    #[test]
    fn appending_rewrites_the_closing_line() {
        let two = list(2).render();
        let three = list(3).render();
        assert!(three.starts_with(two.rsplit_once("end ").map(|(head, _)| head).unwrap_or("")));
        assert_ne!(two.lines().last(), three.lines().last());
    }
}
