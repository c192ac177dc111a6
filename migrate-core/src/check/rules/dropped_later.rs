//! A statement that uses a table which a later statement of the same entry drops: the usual
//! "move the data, then drop the old table" migration. The first run works; a second run finds
//! the table gone and fails (42P01), so the statement needs a guard on the table's existence.

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::{Cx, UNDEFINED_TABLE, fails};
use crate::check::Rule;
use crate::check::fix;
use crate::check::tree::{self, quote_literal};

/// The tables each statement drops (`DROP TABLE`, with or without `IF EXISTS`), by statement
/// index, for the statements before it.
pub(crate) fn dropped_tables(statements: &[&SyntaxNode]) -> Vec<(usize, String)> {
    let mut dropped = Vec::new();
    for (i, node) in statements.iter().enumerate() {
        if node.kind() == K::DROP_TABLE {
            for name in super::drop::object_names(node) {
                dropped.push((i + 1, name));
            }
        }
    }
    dropped
}

/// The statement kinds whose second run needs the table they read or change.
fn uses_tables(node: &SyntaxNode) -> bool {
    match node.kind() {
        K::UPDATE | K::INSERT | K::DELETE | K::SELECT | K::CREATE_INDEX => true,
        K::ALTER_TABLE => !tree::has(node, K::IF_EXISTS),
        _ => false,
    }
}

pub(super) fn check(node: &SyntaxNode, cx: &mut Cx) {
    if cx.in_do || !uses_tables(node) {
        return;
    }
    let later: Vec<&str> = cx
        .dropped_later
        .iter()
        .filter(|(statement, _)| *statement > cx.statement)
        .map(|(_, name)| name.as_str())
        .collect();
    if later.is_empty() {
        return;
    }
    let Some((token, table)) = tree::significant_tokens(node).find_map(|t| {
        let name = tree::fold_ident(t.text());
        later
            .iter()
            .find(|l| **l == name)
            .map(|l| (t.clone(), (*l).to_owned()))
    }) else {
        return;
    };
    let condition = format!("to_regclass({}) IS NOT NULL", quote_literal(&table));
    cx.report(
        Rule::UnguardedStatement,
        tree::token_range(&token),
        fails(
            &format!("this statement uses table \"{table}\", which a later statement of the migration drops"),
            UNDEFINED_TABLE,
            &format!("relation \"{table}\" does not exist"),
        ),
        Some(fix::do_if(&condition, &fix::render(node, &[]))),
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{clean, diagnostics, fires};
    use crate::check::Rule;

    #[test]
    fn moving_data_out_of_a_table_the_entry_drops_is_guarded_on_the_table() {
        let sql = "UPDATE emails SET token = tokens.token FROM tokens WHERE tokens.email_id = emails.id;\nDROP TABLE IF EXISTS tokens;";
        let d = diagnostics(sql);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].rule, Rule::UnguardedStatement);
        assert_eq!(d[0].statement, Some(1));
        assert!(d[0].message.contains("42P01"), "{}", d[0].message);
        let help = d[0].help.clone().unwrap();
        assert!(
            help.starts_with(
                "DO $$\nBEGIN\n  IF to_regclass('tokens') IS NOT NULL THEN\n    UPDATE emails"
            ),
            "{help}"
        );
        // The fixed form is clean, and so is the same statement without the later drop.
        clean(&format!("{help}\nDROP TABLE IF EXISTS tokens;"));
        clean(
            "UPDATE emails SET token = tokens.token FROM tokens WHERE tokens.email_id = emails.id;",
        );
    }

    #[test]
    fn an_alter_table_of_a_table_dropped_later_needs_the_guard_too() {
        fires(
            "ALTER TABLE old ADD COLUMN IF NOT EXISTS x int;\nDROP TABLE IF EXISTS old;",
            Rule::UnguardedStatement,
            "DO $$\nBEGIN\n  IF to_regclass('old') IS NOT NULL THEN\n    ALTER TABLE old ADD COLUMN IF NOT EXISTS x int;\n  END IF;\nEND $$;",
        );
        clean(
            "ALTER TABLE IF EXISTS old ADD COLUMN IF NOT EXISTS x int;\nDROP TABLE IF EXISTS old;",
        );
    }
}
