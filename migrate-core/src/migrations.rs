//! The ordered list of migrations an application carries.

use std::borrow::Cow;

use crate::Migration;
use crate::list::{ListError, check_versions};

/// An ordered list of migrations: what `migrations!` produces, and what the runtime applies.
///
/// Numbers are unique and strictly increasing; both constructors guarantee it (the macro at
/// compile time, [`Migrations::from_vec`] at run time).
///
/// ```
/// # #[cfg(feature = "check")] {
/// use migrate_core::{Migration, Migrations, TransactionMode};
///
/// let sql = "CREATE TABLE IF NOT EXISTS t (id int)";
/// let m = Migration::new("001_create_t", sql, TransactionMode::Transaction).unwrap();
/// let list = Migrations::from_vec(vec![m]).unwrap();
/// assert_eq!(list.len(), 1);
/// assert_eq!(list.get("001_create_t").unwrap().number(), 1);
/// assert!(list.get("002_missing").is_none());
/// assert_eq!(list.iter().map(|m| m.name()).collect::<Vec<_>>(), ["create_t"]);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    list: Cow<'static, [Migration]>,
    /// The `migrations.lock` the list was checked against at build time, as an absolute path
    /// on the machine that built it (`#![lock("…")]`).
    lock_file: Option<&'static str>,
}

impl Migrations {
    /// Used by the `migrations!` expansion, which has validated the list at compile time.
    #[doc(hidden)]
    pub const fn __from_static(list: &'static [Migration]) -> Self {
        Migrations {
            list: Cow::Borrowed(list),
            lock_file: None,
        }
    }

    /// Used by the `migrations!` expansion of a list declared with `#![lock("…")]`.
    #[doc(hidden)]
    pub const fn __from_static_locked(list: &'static [Migration], lock_file: &'static str) -> Self {
        Migrations {
            list: Cow::Borrowed(list),
            lock_file: Some(lock_file),
        }
    }

    /// The `migrations.lock` this list was checked against when it was built (declared with
    /// `#![lock("migrations.lock")]` in `migrations!`), as the absolute path it had on the
    /// building machine; `None` for lists without one. `myapp migrate lock` writes there.
    ///
    /// ```
    /// let list = migrate_core::Migrations::from_vec(Vec::new()).unwrap();
    /// assert_eq!(list.lock_file(), None);
    /// ```
    pub fn lock_file(&self) -> Option<&'static str> {
        self.lock_file
    }

    /// Builds a list at run time, refusing malformed, duplicate or out-of-order versions.
    pub fn from_vec(list: Vec<Migration>) -> Result<Self, ListError> {
        let issues = check_versions(list.iter().map(Migration::version));
        if issues.is_empty() {
            Ok(Migrations {
                list: Cow::Owned(list),
                lock_file: None,
            })
        } else {
            Err(ListError::new(list.iter().map(Migration::version), issues))
        }
    }

    /// The number of migrations.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// `true` when the list holds no migration.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The migrations in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Migration> {
        self.list.iter()
    }

    /// The migrations as a slice, in order.
    pub fn as_slice(&self) -> &[Migration] {
        &self.list
    }

    /// The migration with this full version text (e.g. `"006_add_user_position"`).
    pub fn get(&self, version: &str) -> Option<&Migration> {
        self.position(version).map(|i| &self.list[i])
    }

    /// The index of the migration with this full version text. A binary search on the number
    /// (the list is sorted by it), then the text must match: the runtime resolves every history
    /// row this way, so a linear scan would make a no-op run quadratic in the history's length.
    pub(crate) fn position(&self, version: &str) -> Option<usize> {
        let (digits, _) = version.split_once('_')?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: i64 = digits.parse().ok()?;
        self.position_of_number(number)
            .filter(|&i| self.list[i].version() == version)
    }

    /// The index of the migration with this number.
    pub(crate) fn position_of_number(&self, number: i64) -> Option<usize> {
        self.list
            .binary_search_by_key(&number, Migration::number)
            .ok()
    }

    /// The migration with this number.
    pub fn get_by_number(&self, number: i64) -> Option<&Migration> {
        self.position_of_number(number).map(|i| &self.list[i])
    }
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
