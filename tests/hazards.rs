//! The zero-downtime hazards give squawk-linter's own verdict on squawk-linter's own test
//! cases (copied into tests/hazards/squawk_cases.sql), and nothing is reported twice.
//!
//! For every case, the hazards the entry pipeline reports (rule, statement) are compared with
//! what squawk-linter alone reports with the same rules and settings (an entry runs in a
//! transaction: `assume_in_transaction`). Two differences are by design and must be explained:
//! the pipeline reads the statements inside `DO` bodies (squawk does not), and it excuses
//! statements on a table the same entry created (squawk only within a transaction it can see).
//! Any other difference fails.
//!
//! The squawk rules left out because our own rules cover them are run too, alone: wherever one
//! fires, the covering rule of ours must fire on the same statement, so the problem is
//! reported once, by us.

use std::collections::BTreeSet;

use migrate::StatementSpan;
use migrate::check::{EntryOptions, Family, Hazard, Rule, check_sql};
use migrate::pipeline::{Entry, Origin, check_entry};
use squawk_linter::{Linter, Rule as Squawk};
use squawk_syntax::SourceFile;

const CASES: &str = include_str!("hazards/squawk_cases.sql");

struct Case<'a> {
    name: &'a str,
    sql: &'a str,
}

fn cases() -> Vec<Case<'static>> {
    CASES
        .split("-- case: ")
        .skip(1)
        .map(|block| {
            let (name, sql) = block.split_once('\n').unwrap();
            Case { name, sql }
        })
        .collect()
}

/// 1-based statement holding `offset`: the last one starting at or before it.
fn statement_at(spans: &[StatementSpan], offset: usize) -> usize {
    spans.partition_point(|s| s.start as usize <= offset).max(1)
}

fn squawk_alone(sql: &str, rules: impl IntoIterator<Item = Squawk>) -> Vec<(Squawk, usize)> {
    let spans = check_sql(sql, &EntryOptions::default()).statements;
    let parse = SourceFile::parse(sql);
    let mut linter = Linter::from(rules);
    linter.settings.assume_in_transaction = true;
    linter
        .lint(&parse, sql)
        .into_iter()
        .map(|v| {
            (
                v.code,
                statement_at(&spans, usize::from(v.text_range.start())),
            )
        })
        .collect()
}

/// The folded names of the tables `CREATE TABLE` statements before statement `n` create.
fn created_before(sql: &str, spans: &[StatementSpan], n: usize) -> Vec<String> {
    spans[..n - 1]
        .iter()
        .filter_map(|s| {
            let text = sql[s.start as usize..s.end as usize].to_lowercase();
            let rest = text.strip_prefix("create table")?.trim_start();
            let rest = rest
                .strip_prefix("if not exists")
                .unwrap_or(rest)
                .trim_start();
            let name = rest.split(|c: char| c.is_whitespace() || c == '(').next()?;
            Some(name.rsplit('.').next()?.trim_matches('"').to_owned())
        })
        .collect()
}

#[test]
fn hazards_give_squawks_verdict_on_its_own_test_cases() {
    let mut compared = 0;
    let mut findings = 0;
    let mut unreadable = Vec::new();
    let mut by_design = 0;
    let mut problems = Vec::new();
    let mut fired: BTreeSet<&str> = BTreeSet::new();
    for case in cases() {
        let checked = check_entry(Entry::new("001_case", case.sql, Origin::Macro));
        if checked
            .diagnostics
            .iter()
            .any(|d| matches!(d.rule, Rule::SyntaxError | Rule::TooDeeplyNested))
        {
            // The hazard pass runs only on entries that parse; so does squawk's own test.
            unreadable.push(case.name);
            continue;
        }
        compared += 1;
        let spans = check_sql(case.sql, &EntryOptions::default()).statements;
        let ours: BTreeSet<(String, usize)> = checked
            .diagnostics
            .iter()
            .filter_map(|d| match d.rule {
                Rule::Hazard(h) => Some((h.id().to_owned(), d.statement.unwrap())),
                _ => None,
            })
            .collect();
        let theirs: BTreeSet<(String, usize)> = squawk_alone(
            case.sql,
            Hazard::ALL.iter().map(|h| h.id().parse().unwrap()),
        )
        .into_iter()
        .map(|(rule, n)| (rule.to_string(), n))
        .collect();
        findings += theirs.len();
        fired.extend(
            Hazard::ALL
                .iter()
                .map(|h| h.id())
                .filter(|id| theirs.iter().any(|(r, _)| r == id)),
        );
        for (rule, n) in ours.difference(&theirs) {
            let text = &case.sql[spans[n - 1].start as usize..spans[n - 1].end as usize];
            if text.trim_start().to_lowercase().starts_with("do") {
                by_design += 1;
            } else {
                problems.push(format!(
                    "{}: only we report {rule} at statement {n}",
                    case.name
                ));
            }
        }
        for (rule, n) in theirs.difference(&ours) {
            let text = case.sql[spans[n - 1].start as usize..spans[n - 1].end as usize]
                .to_lowercase()
                .replace('"', "");
            if created_before(case.sql, &spans, *n)
                .iter()
                .any(|t| text.contains(t.as_str()))
            {
                by_design += 1;
            } else {
                problems.push(format!(
                    "{}: only squawk reports {rule} at statement {n}",
                    case.name
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let missing: Vec<&str> = Hazard::ALL
        .iter()
        .map(|h| h.id())
        .filter(|id| !fired.contains(id))
        .collect();
    println!(
        "{compared} cases compared ({findings} squawk findings, {by_design} differences by \
         design), {} unreadable: {unreadable:?}; hazards never fired by the cases: {missing:?}",
        unreadable.len()
    );
    assert!(compared >= 200, "only {compared} cases compared");
    assert!(findings >= 150, "only {findings} findings compared");
    // Our own cases at the end of the file exercise both explanations.
    assert!(by_design >= 5, "only {by_design} differences by design");
    assert!(missing.is_empty(), "hazards without a case: {missing:?}");
}

/// What squawk's left-out rules report, ours report under our own rule on the same statement.
#[test]
fn the_squawk_rules_left_out_are_covered_by_ours() {
    let covering = |rule: Squawk| -> Option<fn(Rule) -> bool> {
        Some(match rule {
            Squawk::PreferRobustStmts => |r: Rule| r.family() == Family::NonIdempotent,
            Squawk::BanConcurrentIndexCreationInTransaction => {
                |r: Rule| r == Rule::RequiresNoTransaction
            }
            Squawk::TransactionNesting | Squawk::BanUncommittedTransaction => {
                |r: Rule| r == Rule::TransactionControl
            }
            Squawk::BanDropDatabase => |r: Rule| r == Rule::NotGuardable,
            Squawk::BanTruncateCascade => |r: Rule| r == Rule::DestructiveRerun,
            _ => return None,
        })
    };
    // (`unused-ignore` is printed by squawk but not parsed back: it is no rule one configures.)
    let left_out: Vec<Squawk> = Hazard::not_run()
        .filter_map(|(name, _)| name.parse().ok())
        .filter(|r| covering(*r).is_some())
        .collect();
    assert_eq!(left_out.len(), 6);
    let (mut checked_findings, mut problems) = (0, Vec::new());
    for case in cases() {
        let ours = check_entry(Entry::new("001_case", case.sql, Origin::Macro)).diagnostics;
        if ours.iter().any(|d| d.rule == Rule::SyntaxError) {
            continue;
        }
        for (rule, n) in squawk_alone(case.sql, left_out.iter().copied()) {
            let covers = covering(rule).unwrap();
            // A transaction-wide finding may sit at the BEGIN or at the end of the text.
            let transaction_wide = matches!(
                rule,
                Squawk::TransactionNesting | Squawk::BanUncommittedTransaction
            );
            checked_findings += 1;
            if !ours
                .iter()
                .any(|d| covers(d.rule) && (transaction_wide || d.statement == Some(n)))
            {
                problems.push(format!(
                    "{}: squawk's {rule} at statement {n} is not ours",
                    case.name
                ));
            }
        }
        // And never twice: at most one diagnostic per rule and range.
        let mut seen = BTreeSet::new();
        for d in &ours {
            assert!(
                seen.insert((d.rule, d.statement, d.range.start, d.range.end)),
                "{}: {} reported twice",
                case.name,
                d.rule
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        checked_findings >= 20,
        "only {checked_findings} findings checked"
    );
    println!("{checked_findings} findings of the left-out squawk rules are ours too");
}

/// The README's "Hazards" section names every hazard that runs and every squawk rule left out.
#[test]
fn the_readme_lists_every_hazard_and_every_rule_left_out() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## Hazards").expect("no Hazards section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    for hazard in Hazard::ALL {
        assert!(
            section.contains(&format!("`{}`", hazard.id())),
            "{hazard} missing"
        );
    }
    for (name, _) in Hazard::not_run() {
        assert!(section.contains(&format!("`{name}`")), "{name} missing");
    }
}
