//! A migration's version text, shared rather than copied.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A version such as `006_add_user_position`, as held by a [`Migration`](crate::Migration) and
/// listed in reports. Cloning never copies the text: a `migrations!` list's versions are
/// compiled in, a list built at run time shares each one, so a run at startup that finds
/// everything applied allocates nothing per migration to report it.
///
/// It reads like a `&str`:
///
/// ```
/// use migrate_core::VersionText;
///
/// let v = VersionText::from("006_add_user_position");
/// assert_eq!(v, "006_add_user_position");
/// assert!(v.starts_with("006_"));
/// assert_eq!(v.to_string(), "006_add_user_position");
/// ```
#[derive(Clone)]
pub struct VersionText(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl VersionText {
    /// Wraps compiled-in text (used by the `migrations!` expansion).
    pub const fn from_static(text: &'static str) -> Self {
        VersionText(Repr::Static(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }
}

impl From<&'static str> for VersionText {
    fn from(text: &'static str) -> Self {
        VersionText::from_static(text)
    }
}

impl From<String> for VersionText {
    fn from(text: String) -> Self {
        VersionText(Repr::Shared(text.into()))
    }
}

impl Deref for VersionText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for VersionText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for VersionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for VersionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for VersionText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for VersionText {}

impl std::hash::Hash for VersionText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for VersionText {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for VersionText {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialEq<str> for VersionText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for VersionText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for VersionText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for VersionText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_text() {
        let owned = VersionText::from(String::from("001_a"));
        let copy = owned.clone();
        assert!(std::ptr::eq(owned.as_str(), copy.as_str()));
        let compiled = VersionText::from_static("001_a");
        assert_eq!(owned, compiled);
    }
}
