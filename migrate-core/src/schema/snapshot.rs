//! The model: a database's user objects, identified by name, each with its properties as text.

use std::collections::BTreeMap;

/// What sort of object a schema object is.
///
/// ```
/// use migrate_core::schema::ObjectKind;
///
/// assert_eq!(ObjectKind::MaterializedView.to_string(), "materialized view");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum ObjectKind {
    /// A schema (namespace).
    Schema,
    /// An installed extension (its own objects are not listed).
    Extension,
    /// A table: ordinary, partitioned or foreign (property `table_kind`).
    Table,
    /// A column of a table, named `table.column`.
    Column,
    /// A table or domain constraint, named `table.constraint` or `domain.constraint`.
    Constraint,
    /// An index.
    Index,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A sequence (its parameters, never its current value).
    Sequence,
    /// A function, named with its argument types: `name(integer, text)`.
    Function,
    /// A procedure, named like a function.
    Procedure,
    /// An aggregate, named like a function.
    Aggregate,
    /// A trigger, named `table.trigger`.
    Trigger,
    /// A row-level security policy, named `table.policy`.
    Policy,
    /// An enum type (property `labels`, in order).
    Enum,
    /// A domain.
    Domain,
    /// A composite type (`CREATE TYPE … AS (…)`).
    CompositeType,
}

impl ObjectKind {
    const ALL: [(ObjectKind, &'static str); 17] = [
        (ObjectKind::Schema, "schema"),
        (ObjectKind::Extension, "extension"),
        (ObjectKind::Table, "table"),
        (ObjectKind::Column, "column"),
        (ObjectKind::Constraint, "constraint"),
        (ObjectKind::Index, "index"),
        (ObjectKind::View, "view"),
        (ObjectKind::MaterializedView, "materialized_view"),
        (ObjectKind::Sequence, "sequence"),
        (ObjectKind::Function, "function"),
        (ObjectKind::Procedure, "procedure"),
        (ObjectKind::Aggregate, "aggregate"),
        (ObjectKind::Trigger, "trigger"),
        (ObjectKind::Policy, "policy"),
        (ObjectKind::Enum, "enum"),
        (ObjectKind::Domain, "domain"),
        (ObjectKind::CompositeType, "composite_type"),
    ];

    /// The kind as the catalog query spells it.
    pub(crate) fn parse(text: &str) -> Option<ObjectKind> {
        Self::ALL.iter().find(|(_, t)| *t == text).map(|(k, _)| *k)
    }

    /// The kind in words, as messages print it.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::CompositeType => "composite type",
            other => Self::ALL
                .iter()
                .find(|(k, _)| *k == other)
                .map_or("object", |(_, t)| t),
        }
    }
}

/// Which object: its kind, its schema (none for schemas and extensions) and its name.
///
/// Names are as PostgreSQL's `quote_ident` prints them, so `"Weird Name"` keeps its quotes
/// and a qualified name (`table.column`) is unambiguous.
///
/// ```
/// use migrate_core::schema::{ObjectId, ObjectKind};
///
/// let id = ObjectId::new(ObjectKind::Column, Some("public"), "pdfs.processing_started_at");
/// assert_eq!(id.to_string(), "column pdfs.processing_started_at");
/// let id = ObjectId::new(ObjectKind::Table, Some("billing"), "invoices");
/// assert_eq!(id.to_string(), "table billing.invoices");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ObjectId {
    /// What sort of object.
    pub kind: ObjectKind,
    /// Its schema; `None` for a schema or an extension.
    pub schema: Option<String>,
    /// Its name within the schema (`table.column` for the parts of a table).
    pub name: String,
}

impl ObjectId {
    /// An object's identity.
    pub fn new(kind: ObjectKind, schema: Option<&str>, name: impl Into<String>) -> ObjectId {
        ObjectId {
            kind,
            schema: schema.map(str::to_owned),
            name: name.into(),
        }
    }
}

/// One object with its properties (`type`, `not_null`, `default`, `definition`, …), each as
/// the catalog prints it (`format_type`, `pg_get_indexdef`, `pg_get_functiondef`, …).
///
/// ```
/// use migrate_core::schema::{Object, ObjectId, ObjectKind};
///
/// let column = Object::new(ObjectId::new(ObjectKind::Column, Some("public"), "users.email"))
///     .with_property("type", "text")
///     .with_property("not_null", "true");
/// assert_eq!(column.property("type"), Some("text"));
/// assert_eq!(column.property("default"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Object {
    /// Which object.
    pub id: ObjectId,
    /// The table (or domain) it belongs to, for columns, constraints, indexes, triggers,
    /// policies and owned sequences: a table that is missing or unexpected as a whole is
    /// reported once, not once per part.
    pub parent: Option<ObjectId>,
    /// Its properties; a property without a value (no default, …) is absent.
    pub properties: BTreeMap<String, String>,
}

impl Object {
    /// An object without properties or parent.
    pub fn new(id: ObjectId) -> Object {
        Object {
            id,
            parent: None,
            properties: BTreeMap::new(),
        }
    }

    /// The object with one more property.
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Object {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// The object with a parent.
    pub fn with_parent(mut self, parent: ObjectId) -> Object {
        self.parent = Some(parent);
        self
    }

    /// A property's value.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }
}

/// A normalized model of every user schema of a database: what `CREATE`/`ALTER` statements
/// made, without OIDs, statistics, ownership or privileges. Read it with
/// [`Snapshot::read`](crate::schema::Snapshot::read) or
/// [`Migrator::snapshot`](crate::runtime::Migrator::snapshot); compare two with
/// [`Snapshot::diff`].
///
/// ```
/// use migrate_core::schema::{Object, ObjectId, ObjectKind, Snapshot};
///
/// let users = ObjectId::new(ObjectKind::Table, Some("public"), "users");
/// let snapshot = Snapshot::from_objects([Object::new(users.clone())]);
/// assert_eq!(snapshot.len(), 1);
/// assert!(snapshot.get(&users).is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Snapshot {
    /// The objects, ordered by identity.
    #[cfg_attr(feature = "serde", serde(serialize_with = "objects_as_list"))]
    pub objects: BTreeMap<ObjectId, Object>,
}

impl Snapshot {
    /// A snapshot holding these objects (a later one with the same identity replaces an
    /// earlier one).
    pub fn from_objects(objects: impl IntoIterator<Item = Object>) -> Snapshot {
        Snapshot {
            objects: objects.into_iter().map(|o| (o.id.clone(), o)).collect(),
        }
    }

    /// One object.
    pub fn get(&self, id: &ObjectId) -> Option<&Object> {
        self.objects.get(id)
    }

    /// All objects, ordered by identity.
    pub fn iter(&self) -> impl Iterator<Item = &Object> {
        self.objects.values()
    }

    /// How many objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// `true` for a database without user objects.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

#[cfg(feature = "serde")]
fn objects_as_list<S: serde::Serializer>(
    objects: &BTreeMap<ObjectId, Object>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(objects.values())
}
