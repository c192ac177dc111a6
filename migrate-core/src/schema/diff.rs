//! Comparing two snapshots: what the migrations make (expected) against what a database has
//! (actual).

use std::collections::BTreeSet;

use super::{Object, ObjectId, Snapshot};

/// How one object differs.
///
/// ```
/// use migrate_core::schema::{Difference, Object, ObjectId, ObjectKind};
///
/// let column = Object::new(ObjectId::new(ObjectKind::Column, Some("public"), "pdfs.processing_started_at"))
///     .with_property("type", "timestamp without time zone");
/// let d = Difference::Missing { object: column };
/// assert_eq!(
///     d.to_string(),
///     "column pdfs.processing_started_at (timestamp without time zone): made by the migrations, missing in the database"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "difference", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Difference {
    /// The migrations make it; the database lacks it.
    Missing {
        /// The object as the migrations make it.
        object: Object,
    },
    /// The database has it; the migrations do not make it.
    Unexpected {
        /// The object as the database has it.
        object: Object,
    },
    /// Both have it, with different properties.
    Changed {
        /// Which object.
        id: ObjectId,
        /// The properties that differ, by name.
        changes: Vec<Change>,
    },
}

impl Difference {
    /// The object the difference is about.
    pub fn id(&self) -> &ObjectId {
        match self {
            Difference::Missing { object } | Difference::Unexpected { object } => &object.id,
            Difference::Changed { id, .. } => id,
        }
    }
}

/// One property that differs; `None` where a side has no value (no default, …).
///
/// ```
/// use migrate_core::schema::Change;
///
/// let c = Change::new("default", Some("'free'::text"), None);
/// assert_eq!(c.expected.as_deref(), Some("'free'::text"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Change {
    /// The property, e.g. `type`, `not_null`, `default`, `definition`.
    pub property: String,
    /// Its value as the migrations make it.
    pub expected: Option<String>,
    /// Its value in the database.
    pub actual: Option<String>,
}

impl Change {
    /// A changed property.
    pub fn new(
        property: impl Into<String>,
        expected: Option<&str>,
        actual: Option<&str>,
    ) -> Change {
        Change {
            property: property.into(),
            expected: expected.map(str::to_owned),
            actual: actual.map(str::to_owned),
        }
    }
}

/// Every difference between two snapshots, ordered by object. A table missing (or unexpected)
/// as a whole is one difference: its columns, constraints, indexes, triggers and policies are
/// not listed again.
///
/// ```
/// use migrate_core::schema::{Object, ObjectId, ObjectKind, Snapshot};
///
/// let users = ObjectId::new(ObjectKind::Table, Some("public"), "users");
/// let email = Object::new(ObjectId::new(ObjectKind::Column, Some("public"), "users.email"))
///     .with_parent(users.clone())
///     .with_property("type", "text");
/// let expected = Snapshot::from_objects([Object::new(users.clone()), email.clone()]);
/// let actual = Snapshot::from_objects([Object::new(users), email.with_property("type", "varchar(10)")]);
/// let diff = expected.diff(&actual);
/// assert_eq!(diff.len(), 1);
/// assert_eq!(
///     diff.to_string(),
///     "column users.email: type: the migrations make text, the database has varchar(10)"
/// );
/// assert!(expected.diff(&expected).is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[non_exhaustive]
pub struct Diff {
    /// The differences, ordered by object.
    pub differences: Vec<Difference>,
}

impl Diff {
    /// `true` when the snapshots are the same.
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }

    /// How many objects differ.
    pub fn len(&self) -> usize {
        self.differences.len()
    }

    /// The differences, ordered by object.
    pub fn iter(&self) -> std::slice::Iter<'_, Difference> {
        self.differences.iter()
    }
}

impl Snapshot {
    /// How `actual` differs from `self`, the expected schema (what the migrations make).
    ///
    /// ```
    /// use migrate_core::schema::{Difference, Object, ObjectId, ObjectKind, Snapshot};
    ///
    /// let extra = Object::new(ObjectId::new(ObjectKind::Table, Some("public"), "scratch"));
    /// let diff = Snapshot::default().diff(&Snapshot::from_objects([extra]));
    /// assert!(matches!(diff.differences[0], Difference::Unexpected { .. }));
    /// ```
    pub fn diff(&self, actual: &Snapshot) -> Diff {
        let missing = absent_from(self, actual);
        let unexpected = absent_from(actual, self);
        let mut differences = Vec::new();
        let ids: BTreeSet<&ObjectId> = self.objects.keys().chain(actual.objects.keys()).collect();
        for id in ids {
            match (self.get(id), actual.get(id)) {
                (Some(object), None) if !has_absent_parent(object, &missing) => {
                    differences.push(Difference::Missing {
                        object: object.clone(),
                    })
                }
                (None, Some(object)) if !has_absent_parent(object, &unexpected) => differences
                    .push(Difference::Unexpected {
                        object: object.clone(),
                    }),
                (Some(expected), Some(actual)) => {
                    let changes = changes(expected, actual);
                    if !changes.is_empty() {
                        differences.push(Difference::Changed {
                            id: id.clone(),
                            changes,
                        });
                    }
                }
                _ => {}
            }
        }
        Diff { differences }
    }
}

/// The identities in `from` that `other` lacks.
fn absent_from<'a>(from: &'a Snapshot, other: &Snapshot) -> BTreeSet<&'a ObjectId> {
    from.objects
        .keys()
        .filter(|id| !other.objects.contains_key(id))
        .collect()
}

fn has_absent_parent(object: &Object, absent: &BTreeSet<&ObjectId>) -> bool {
    object.parent.as_ref().is_some_and(|p| absent.contains(p))
}

fn changes(expected: &Object, actual: &Object) -> Vec<Change> {
    let keys: BTreeSet<&String> = expected
        .properties
        .keys()
        .chain(actual.properties.keys())
        .collect();
    keys.into_iter()
        .filter_map(|key| {
            let (e, a) = (expected.property(key), actual.property(key));
            (e != a).then(|| Change::new(key.as_str(), e, a))
        })
        .collect()
}
