//! What squawk cannot see in one statement list: which tables the entry itself creates.
//!
//! A table created earlier in the same entry is new and empty when the later statements run,
//! and no running release uses it yet: an index on it needs no `CONCURRENTLY`, a column added
//! with a volatile default rewrites nothing worth a lock, renaming or dropping its columns
//! breaks no client. Every hazard on a statement that targets such a table is dropped.
//!
//! Handled: `ALTER TABLE` (every action), `CREATE INDEX … ON`, `DROP TABLE` (when every table
//! it drops is new). Tables are matched by their unqualified, folded name. A `CREATE TABLE IF
//! NOT EXISTS` counts as creating the table: in an ordered history, the entry that writes it is
//! the one that creates it.

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use crate::check::parse::ParsedStatement;
use crate::check::tree;

/// The tables each statement of an entry creates, in order.
pub(crate) struct NewTables {
    /// (0-based statement index, folded table name).
    created: Vec<(usize, String)>,
}

impl NewTables {
    pub(crate) fn of(statements: &[ParsedStatement]) -> NewTables {
        let created = statements
            .iter()
            .enumerate()
            .filter(|(_, s)| s.node.kind() == K::CREATE_TABLE)
            .filter_map(|(i, s)| Some((i, tree::last_name(&tree::child(&s.node, K::TABLE_NAME)?))))
            .collect();
        NewTables { created }
    }

    /// Whether the statement at `index` only touches tables created before it in the entry.
    pub(crate) fn targets_new_table(&self, index: usize, node: &SyntaxNode) -> bool {
        if self.created.is_empty() {
            return false;
        }
        let targets: Vec<String> = match node.kind() {
            K::ALTER_TABLE | K::CREATE_INDEX => tree::child(node, K::TABLE_RELATION_NAME)
                .map(|t| tree::last_name(&t))
                .into_iter()
                .collect(),
            K::DROP_TABLE => tree::children(node, &[K::TABLE_NAME_REF])
                .map(|t| tree::last_name(&t))
                .collect(),
            _ => Vec::new(),
        };
        !targets.is_empty()
            && targets.iter().all(|target| {
                self.created
                    .iter()
                    .any(|(i, name)| *i < index && name == target)
            })
    }
}
