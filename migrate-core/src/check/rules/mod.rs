//! The statement rules. Each file holds one group of the catalogue; every rule looks at one
//! statement node and reports [`Finding`]s, which `check_sql` turns into diagnostics.

mod alter_table;
mod create;
mod data;
pub(crate) mod do_block;
pub(crate) mod down_reverses_up;
mod drop;
pub(crate) mod dropped_later;
mod not_guardable;
mod opaque;
mod or_replace;
mod transaction;
mod unguarded;

#[cfg(test)]
pub(crate) mod test_support;

use std::ops::Range;

use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::tree;
use super::{Rule, Syntax};
use crate::TransactionMode;

/// What a second run of a statement raises: the SQLSTATE and its PL/pgSQL condition name, which
/// is also what an `EXCEPTION WHEN …` guard must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Condition {
    pub sqlstate: &'static str,
    pub name: &'static str,
}

pub(crate) const DUPLICATE_TABLE: Condition = Condition {
    sqlstate: "42P07",
    name: "duplicate_table",
};
pub(crate) const DUPLICATE_SCHEMA: Condition = Condition {
    sqlstate: "42P06",
    name: "duplicate_schema",
};
pub(crate) const DUPLICATE_OBJECT: Condition = Condition {
    sqlstate: "42710",
    name: "duplicate_object",
};
pub(crate) const DUPLICATE_FUNCTION: Condition = Condition {
    sqlstate: "42723",
    name: "duplicate_function",
};
pub(crate) const DUPLICATE_COLUMN: Condition = Condition {
    sqlstate: "42701",
    name: "duplicate_column",
};
pub(crate) const DUPLICATE_DATABASE: Condition = Condition {
    sqlstate: "42P04",
    name: "duplicate_database",
};
pub(crate) const UNIQUE_VIOLATION: Condition = Condition {
    sqlstate: "23505",
    name: "unique_violation",
};
pub(crate) const INVALID_TABLE_DEFINITION: Condition = Condition {
    sqlstate: "42P16",
    name: "invalid_table_definition",
};
pub(crate) const NOT_IN_PREREQUISITE_STATE: Condition = Condition {
    sqlstate: "55000",
    name: "object_not_in_prerequisite_state",
};
pub(crate) const WRONG_OBJECT_TYPE: Condition = Condition {
    sqlstate: "42809",
    name: "wrong_object_type",
};
pub(crate) const UNDEFINED_TABLE: Condition = Condition {
    sqlstate: "42P01",
    name: "undefined_table",
};
pub(crate) const UNDEFINED_COLUMN: Condition = Condition {
    sqlstate: "42703",
    name: "undefined_column",
};
pub(crate) const UNDEFINED_OBJECT: Condition = Condition {
    sqlstate: "42704",
    name: "undefined_object",
};
pub(crate) const UNDEFINED_FUNCTION: Condition = Condition {
    sqlstate: "42883",
    name: "undefined_function",
};
pub(crate) const INVALID_PARAMETER_VALUE: Condition = Condition {
    sqlstate: "22023",
    name: "invalid_parameter_value",
};
pub(crate) const INVALID_SCHEMA_NAME: Condition = Condition {
    sqlstate: "3F000",
    name: "invalid_schema_name",
};
pub(crate) const INVALID_CATALOG_NAME: Condition = Condition {
    sqlstate: "3D000",
    name: "invalid_catalog_name",
};

/// `"<what>: a second run fails with <SQLSTATE> (<server message>)"`.
pub(crate) fn fails(what: &str, condition: Condition, server_message: &str) -> String {
    format!(
        "{what}: a second run fails with {} ({server_message})",
        condition.sqlstate
    )
}

/// One problem found in one statement.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub rule: Rule,
    /// Byte range within the parsed text.
    pub range: Range<usize>,
    pub message: String,
    pub help: Option<String>,
    /// What a second run raises, when it raises anything: an exception guard naming it makes
    /// the statement safe.
    pub condition: Option<Condition>,
}

/// An earlier `DROP … IF EXISTS` of the entry, which makes some later `CREATE`s re-runnable.
#[derive(Debug, Clone)]
pub(crate) struct Dropped {
    pub kind: SyntaxKind,
    pub name: String,
    /// The table of a trigger, rule or policy.
    pub table: Option<String>,
    pub statement: usize,
}

/// What the rules know while walking one entry.
pub(crate) struct Cx {
    pub mode: TransactionMode,
    /// How the entry's options are written, for the help texts.
    pub syntax: Syntax,
    /// The statement sits inside a `DO` body.
    pub in_do: bool,
    /// 1-based number of the statement being checked.
    pub statement: usize,
    pub findings: Vec<Finding>,
    pub dropped: Vec<Dropped>,
    /// Every `DROP TABLE` of the entry: (statement number, table name).
    pub dropped_later: Vec<(usize, String)>,
    /// The SQL statements inside `DO` bodies, for the hazard pass.
    pub embedded: Vec<crate::check::hazard::Embedded>,
}

impl Cx {
    pub(crate) fn new(mode: TransactionMode, syntax: Syntax) -> Self {
        Cx {
            mode,
            syntax,
            in_do: false,
            statement: 0,
            findings: Vec::new(),
            dropped: Vec::new(),
            dropped_later: Vec::new(),
            embedded: Vec::new(),
        }
    }

    pub(crate) fn report(
        &mut self,
        rule: Rule,
        range: Range<usize>,
        message: String,
        help: Option<String>,
        condition: Option<Condition>,
    ) {
        self.findings.push(Finding {
            rule,
            range,
            message,
            help,
            condition,
        });
    }

    /// The earlier `DROP … IF EXISTS` of this kind and name (and table), if any.
    pub(crate) fn dropped_before(
        &self,
        kind: SyntaxKind,
        name: &str,
        table: Option<&str>,
    ) -> Option<&Dropped> {
        self.dropped.iter().find(|d| {
            d.kind == kind && d.name == name && (table.is_none() || d.table.as_deref() == table)
        })
    }
}

/// Runs every rule on one statement.
pub(crate) fn check_statement(node: &SyntaxNode, cx: &mut Cx) {
    transaction::check(node, cx);
    not_guardable::check(node, cx);
    create::check(node, cx);
    drop::check(node, cx);
    or_replace::check(node, cx);
    alter_table::check(node, cx);
    unguarded::check(node, cx);
    data::check(node, cx);
    opaque::check(node, cx);
    dropped_later::check(node, cx);
    remember_drops(node, cx);
}

/// Records `DROP … IF EXISTS` statements for the rules of later statements.
fn remember_drops(node: &SyntaxNode, cx: &mut Cx) {
    if node.kind() == SyntaxKind::ALTER_TABLE {
        let table = tree::child(node, SyntaxKind::TABLE_RELATION_NAME).map(|t| tree::last_name(&t));
        for action in tree::children(node, &[SyntaxKind::DROP_CONSTRAINT]) {
            if let (true, Some(name)) = (
                tree::has(&action, SyntaxKind::IF_EXISTS),
                tree::child(&action, SyntaxKind::CONSTRAINT_NAME_REF),
            ) {
                cx.dropped.push(Dropped {
                    kind: SyntaxKind::DROP_CONSTRAINT,
                    name: tree::last_name(&name),
                    table: table.clone(),
                    statement: cx.statement,
                });
            }
        }
        return;
    }
    if !tree::has(node, SyntaxKind::IF_EXISTS) {
        return;
    }
    let (names, table): (Vec<String>, Option<String>) = match node.kind() {
        SyntaxKind::DROP_TRIGGER | SyntaxKind::DROP_POLICY | SyntaxKind::DROP_RULE => {
            let name = node
                .children()
                .find(|c| {
                    !matches!(
                        c.kind(),
                        SyntaxKind::IF_EXISTS | SyntaxKind::ON_RELATION | SyntaxKind::ON_TABLE
                    )
                })
                .map(|n| tree::last_name(&n));
            let table = tree::first_child(node, &[SyntaxKind::ON_RELATION, SyntaxKind::ON_TABLE])
                .and_then(|on| on.children().last())
                .map(|n| tree::last_name(&n));
            (name.into_iter().collect(), table)
        }
        SyntaxKind::DROP_TABLE
        | SyntaxKind::DROP_VIEW
        | SyntaxKind::DROP_MATERIALIZED_VIEW
        | SyntaxKind::DROP_SEQUENCE
        | SyntaxKind::DROP_INDEX
        | SyntaxKind::DROP_FUNCTION
        | SyntaxKind::DROP_PROCEDURE
        | SyntaxKind::DROP_AGGREGATE
        | SyntaxKind::DROP_TYPE
        | SyntaxKind::DROP_DOMAIN => (drop::object_names(node), None),
        _ => return,
    };
    for name in names {
        cx.dropped.push(Dropped {
            kind: node.kind(),
            name,
            table: table.clone(),
            statement: cx.statement,
        });
    }
}
