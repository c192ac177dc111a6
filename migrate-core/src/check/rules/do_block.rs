//! `DO` blocks: the statements inside a PL/pgSQL body go through the same rules, and count as
//! guarded when the body checks the catalog before running them or catches the condition a
//! second run would raise (catalogue §4).

use std::ops::Range;

use squawk_syntax::{SyntaxKind as K, SyntaxNode};

use super::{Cx, Finding};
use crate::check::plpgsql::{self, Guard, Item};
use crate::check::tree;
use crate::check::{Family, Rule, parse};

/// A `DO` body: its text as PL/pgSQL sees it and where each of its bytes sits in the entry.
pub(crate) struct Body {
    pub text: String,
    /// Entry offset of each body byte (plus one past the end), so findings inside the body
    /// point at the right line and column even when quotes were unescaped.
    offsets: Vec<usize>,
}

impl Body {
    /// Entry offset of a body offset.
    pub(crate) fn source(&self, offset: usize) -> usize {
        let last = self.offsets.len().saturating_sub(1);
        self.offsets
            .get(offset.min(last))
            .copied()
            .unwrap_or_default()
    }

    fn source_range(&self, range: &Range<usize>) -> Range<usize> {
        self.source(range.start)..self.source(range.end)
    }
}

/// The body of a `DO` statement written in PL/pgSQL (the default language), if any.
pub(crate) fn body(node: &SyntaxNode) -> Option<Body> {
    if node.kind() != K::DO {
        return None;
    }
    if let Some(language) = tree::child(node, K::DO_LANGUAGE) {
        let name = tree::significant_tokens(&language)
            .last()
            .map(|t| t.text().trim_matches('\'').to_lowercase())
            .unwrap_or_default();
        if name != "plpgsql" {
            return None;
        }
    }
    let literal = tree::child(node, K::LITERAL)?;
    let token = tree::significant_tokens(&literal).next()?;
    let start = tree::token_range(&token).start;
    let text = token.text();
    match token.kind() {
        K::DOLLAR_QUOTED_STRING => {
            let tag_len = text[1..].find('$')? + 2;
            let inner = text.get(tag_len..text.len().checked_sub(tag_len)?)?;
            let offsets = (0..=inner.len()).map(|i| start + tag_len + i).collect();
            Some(Body {
                text: inner.to_owned(),
                offsets,
            })
        }
        K::STRING => {
            let inner = text.get(1..text.len().checked_sub(1)?)?;
            let mut body = String::with_capacity(inner.len());
            let mut offsets = Vec::with_capacity(inner.len() + 1);
            let mut chars = inner.char_indices().peekable();
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    chars.next_if(|&(_, n)| n == '\'');
                }
                for _ in 0..c.len_utf8() {
                    offsets.push(start + 1 + i);
                }
                body.push(c);
            }
            offsets.push(start + 1 + inner.len());
            Some(Body {
                text: body,
                offsets,
            })
        }
        _ => None,
    }
}

/// Whether the guard around a statement protects it against `finding`; `Some(true)` when only
/// `EXCEPTION WHEN others` does.
fn guarded(guard: &Guard, finding: &Finding) -> Option<bool> {
    if finding.rule.family() != Family::NonIdempotent || finding.rule == Rule::UncheckedDynamicSql {
        return None;
    }
    if guard.catalog_check {
        return Some(false);
    }
    let handles = |name: &str| {
        guard
            .handled_conditions
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    };
    if let Some(condition) = finding.condition
        && (handles(condition.name) || handles(condition.sqlstate))
    {
        return Some(false);
    }
    if handles("others") {
        return Some(true);
    }
    None
}

/// Checks every statement inside the body of `node` (a `DO` statement). Findings go to `cx`
/// with ranges in entry offsets; syntax errors of the body are returned as (offset, message).
pub(crate) fn check(node: &SyntaxNode, cx: &mut Cx) -> Vec<(usize, String)> {
    let Some(body) = body(node) else {
        return Vec::new();
    };
    let items = match plpgsql::analyze(&body.text) {
        Ok(items) => items,
        Err(e) if e.too_deep => {
            let at = body.source(e.offset);
            cx.report(Rule::TooDeeplyNested, at..at, e.message, None, None);
            return Vec::new();
        }
        Err(e) => {
            return vec![(
                body.source(e.offset),
                format!("syntax error in DO body: {}", e.message),
            )];
        }
    };
    let mut syntax = Vec::new();
    for item in items {
        match item {
            Item::DynamicSql { range } => cx.report(
                Rule::UncheckedDynamicSql,
                body.source_range(&range),
                "EXECUTE of SQL built at run time inside a DO block: the checker cannot see what \
                 it does, nor whether a second run succeeds"
                    .to_owned(),
                Some(format!(
                    "use static SQL (a plain statement or EXECUTE '<literal>'), or {}",
                    cx.syntax.add_allow(Rule::UncheckedDynamicSql)
                )),
                None,
            ),
            Item::Sql { range, sql, guard } => {
                let verbatim = body.text.get(range.clone()) == Some(sql.as_str());
                let map = |r: &Range<usize>| {
                    if verbatim {
                        body.source(range.start + r.start)..body.source(range.start + r.end)
                    } else {
                        body.source_range(&range)
                    }
                };
                let parsed = parse::parse(&sql);
                if let Some(first) = parsed.errors.first() {
                    let at = map(&(first.offset..first.offset)).start;
                    let message = parse::describe(&sql, first);
                    match first.rule {
                        Rule::SyntaxError => syntax.push((at, message)),
                        rule => cx.report(rule, at..at, message, None, None),
                    }
                    continue;
                }
                let mut broad = None;
                for statement in &parsed.statements {
                    cx.embedded.push(crate::check::hazard::Embedded {
                        statement: cx.statement,
                        text: sql[statement.range.clone()].to_owned(),
                        range: map(&statement.range),
                        node: statement.node.clone(),
                    });
                    let before = cx.findings.len();
                    let in_do = std::mem::replace(&mut cx.in_do, true);
                    super::check_statement(&statement.node, cx);
                    cx.in_do = in_do;
                    let found: Vec<Finding> = cx.findings.drain(before..).collect();
                    for mut finding in found {
                        match guarded(&guard, &finding) {
                            Some(false) => continue,
                            Some(true) => {
                                broad.get_or_insert((map(&statement.range), finding.condition));
                                continue;
                            }
                            None => {}
                        }
                        finding.range = map(&finding.range);
                        cx.findings.push(finding);
                    }
                }
                if let Some((range, condition)) = broad {
                    let specific = condition.map_or("the specific condition", |c| c.name);
                    cx.report(
                        Rule::BroadExceptionGuard,
                        range,
                        "EXCEPTION WHEN others guards this statement, but it also swallows lock \
                         timeouts and real failures"
                            .to_owned(),
                        Some(format!(
                            "catch only {specific}: EXCEPTION WHEN {specific} THEN NULL;"
                        )),
                        None,
                    );
                }
            }
        }
    }
    syntax
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::parse::parse;

    fn body_of(sql: &str) -> (String, Body) {
        let parsed = parse(sql);
        let b = body(&parsed.statements[0].node).unwrap();
        (b.text.clone(), b)
    }

    #[test]
    fn dollar_quoted_body_maps_offsets() {
        let sql = "DO $x$ BEGIN NULL; END $x$;";
        let (text, b) = body_of(sql);
        assert_eq!(text, " BEGIN NULL; END ");
        assert_eq!(&sql[b.source(1)..b.source(6)], "BEGIN");
    }

    #[test]
    fn quoted_body_is_unescaped_and_mapped() {
        let sql = "DO 'BEGIN RAISE NOTICE ''hi''; END';";
        let (text, b) = body_of(sql);
        assert_eq!(text, "BEGIN RAISE NOTICE 'hi'; END");
        let end = text.find("END").unwrap();
        assert_eq!(&sql[b.source(end)..b.source(end + 3)], "END");
    }

    #[test]
    fn other_languages_are_not_read() {
        let parsed = parse("DO LANGUAGE plperl $$ 1 $$;");
        assert!(body(&parsed.statements[0].node).is_none());
    }

    #[test]
    fn guards_are_matched_by_condition_name_or_sqlstate() {
        let finding = Finding {
            rule: Rule::UnguardedStatement,
            range: 0..1,
            message: String::new(),
            help: None,
            condition: Some(super::super::DUPLICATE_OBJECT),
        };
        let guard = |c: &[&str], catalog| Guard {
            catalog_check: catalog,
            handled_conditions: c.iter().map(|s| s.to_string()).collect(),
            ..Guard::default()
        };
        assert_eq!(guarded(&guard(&[], true), &finding), Some(false));
        assert_eq!(
            guarded(&guard(&["duplicate_object"], false), &finding),
            Some(false)
        );
        assert_eq!(guarded(&guard(&["42710"], false), &finding), Some(false));
        assert_eq!(guarded(&guard(&["others"], false), &finding), Some(true));
        assert_eq!(guarded(&guard(&["duplicate_table"], false), &finding), None);
        let structural = Finding {
            rule: Rule::RequiresNoTransaction,
            ..finding
        };
        assert_eq!(guarded(&guard(&[], true), &structural), None);
    }

    mod end_to_end {
        use super::super::super::test_support::{clean, diagnostics, only};
        use crate::check::Rule;

        #[test]
        fn catalog_guarded_create_type_passes() {
            clean(
                "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN\n    CREATE TYPE mood AS ENUM ('sad', 'ok');\n  END IF;\nEND $$;",
            );
        }

        #[test]
        fn exception_guard_must_name_the_right_condition() {
            clean(
                "DO $$ BEGIN ALTER TABLE t ADD CONSTRAINT k CHECK (a > 0); EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
            );
            clean(
                "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN SQLSTATE '42710' THEN NULL; END $$;",
            );
            only(
                "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN duplicate_table THEN NULL; END $$;",
                Rule::UnguardedStatement,
            );
        }

        #[test]
        fn others_guards_with_a_warning() {
            let d = only(
                "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN others THEN NULL; END $$;",
                Rule::BroadExceptionGuard,
            );
            assert_eq!(
                d.help.as_deref(),
                Some("catch only duplicate_object: EXCEPTION WHEN duplicate_object THEN NULL;")
            );
        }

        #[test]
        fn unguarded_ddl_inside_do_is_flagged_where_it_is() {
            let sql = "DO $$\nBEGIN\n  CREATE TABLE users (id bigint);\nEND $$;";
            let d = only(sql, Rule::MissingIfNotExists);
            assert_eq!((d.statement, d.line, d.column), (Some(1), 3, 3));
            assert_eq!(&sql[d.range.clone()], "CREATE TABLE users (id bigint)");
            assert_eq!(
                d.help.as_deref(),
                Some("CREATE TABLE IF NOT EXISTS users (id bigint)")
            );
        }

        #[test]
        fn non_transactional_statement_in_do_is_always_an_error() {
            let sql = "DO $$ BEGIN IF to_regclass('i') IS NULL THEN CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a); END IF; END $$;";
            only(sql, Rule::RequiresNoTransaction);
            let no_tx = super::super::super::test_support::diagnostics_no_tx(sql);
            assert_eq!(no_tx.len(), 1);
            assert_eq!(no_tx[0].rule, Rule::RequiresNoTransaction);
        }

        #[test]
        fn dynamic_sql_is_unchecked_but_literals_are_checked() {
            only(
                "DO $$ BEGIN EXECUTE format('CREATE TABLE %I (a int)', 'x'); END $$;",
                Rule::UncheckedDynamicSql,
            );
            only(
                "DO $$ BEGIN EXECUTE 'CREATE TABLE x (a int)'; END $$;",
                Rule::MissingIfNotExists,
            );
        }

        #[test]
        fn statements_after_a_do_block_are_still_checked() {
            let rules: Vec<Rule> = diagnostics("DO $$ BEGIN NULL; END $$; CREATE TABLE t (a int);")
                .iter()
                .map(|d| d.rule)
                .collect();
            assert_eq!(rules, [Rule::MissingIfNotExists]);
        }
    }
}
