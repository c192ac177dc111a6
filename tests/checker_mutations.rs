//! Hostile and huge SQL never crashes or stalls the checker, which runs inside rustc in an
//! unoptimised build: a seeded mutator turns the real migrations of ../shared/corpus (or, when
//! it is absent, a built-in set) into 20,000 inputs, plus nesting to depth 10,000 and 1 MB
//! entries. Every input must be checked without a panic and give a diagnostic for what it
//! broke; the slowest input is printed (speed is measured here, not asserted: see
//! BENCHMARKS.md).

mod support;

use std::time::{Duration, Instant};

use migrate::check::{EntryOptions, Rule, check_sql};

/// Inputs made from the seeds; `MIGRATE_MUTATIONS` overrides the count.
const MUTATIONS: usize = 20_000;

/// Fragments the mutator inserts: the tokens that open, close or end things.
const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    ";",
    "'",
    "\"",
    "$$",
    "$x$",
    "--",
    "/*",
    "*/",
    "BEGIN",
    "END",
    "DO $$ BEGIN ",
    "IF x THEN ",
    "END IF;",
    "CASE WHEN ",
    "SELECT (",
    "CREATE TABLE ",
    "IF NOT EXISTS ",
    "EXCEPTION WHEN others THEN ",
    "\n",
    "\u{e9}",
    "\u{1F600}",
    "\0",
    "E'\\",
    "::",
    ",",
];

/// A small deterministic generator (xorshift64*), so a failure names a seed that reproduces it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut seeds: Vec<String> = ["crates.io", "docs.rs", "atuin"]
        .iter()
        .filter_map(|p| std::fs::read_dir(root.join(p)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    if seeds.is_empty() {
        println!("note: ../shared/corpus is absent; mutating the built-in seeds only");
    }
    seeds.extend(
        [
            "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text NOT NULL);",
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN CREATE TYPE mood AS ENUM ('a'); END IF; END $$;",
            "CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;",
            "ALTER TABLE users ADD COLUMN IF NOT EXISTS name text DEFAULT 'x';\nCREATE INDEX IF NOT EXISTS users_name ON users (name);",
            "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING; UPDATE t SET a = 2 WHERE a = 1;",
        ]
        .map(String::from),
    );
    seeds
}

/// One edit of `text` at a random place: cut, duplicate, insert a fragment, or truncate.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let bytes = text.as_bytes();
    let at = |rng: &mut Rng| rng.below(bytes.len() + 1);
    let (a, b) = {
        let (x, y) = (at(rng), at(rng));
        (x.min(y), x.max(y))
    };
    let mut out: Vec<u8> = match rng.below(4) {
        0 => [&bytes[..a], &bytes[b..]].concat(),
        1 => [&bytes[..b], &bytes[a..b], &bytes[b..]].concat(),
        2 => {
            let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
            [&bytes[..a], fragment, &bytes[a..]].concat()
        }
        _ => bytes[..a].to_vec(),
    };
    // Keep the input a `str`, as the macro's literals are: cut a broken character out.
    while std::str::from_utf8(&out).is_err() {
        let bad = std::str::from_utf8(&out)
            .err()
            .map_or(0, |e| e.valid_up_to());
        out.remove(bad);
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The inputs no mutation reaches: deep nesting and megabyte entries, each with the one rule
/// it must be reported under (`None`: valid and idempotent, so no diagnostic at all).
fn extremes() -> Vec<(&'static str, String, Option<Rule>)> {
    let deep = 10_000;
    let repeat = |s: &str, n: usize| s.repeat(n);
    let refused = Some(Rule::TooDeeplyNested);
    vec![
        (
            "sub-queries",
            format!("SELECT {}1{};", repeat("(SELECT ", deep), repeat(")", deep)),
            refused,
        ),
        (
            "brackets",
            format!("SELECT {}1{};", repeat("(1 + ", deep), repeat(")", deep)),
            refused,
        ),
        (
            "calls",
            format!("SELECT {}1{};", repeat("f(", deep), repeat(")", deep)),
            refused,
        ),
        (
            "AND chain",
            format!("SELECT 1 WHERE {}true;", repeat("true AND ", deep)),
            None,
        ),
        (
            "IF in DO",
            format!(
                "DO $$ BEGIN {}NULL;{} END $$;",
                repeat("IF x THEN ", deep),
                repeat(" END IF;", deep)
            ),
            refused,
        ),
        (
            "BEGIN in DO",
            format!(
                "DO $$ {}NULL;{} $$;",
                repeat("BEGIN ", deep),
                repeat(" END;", deep)
            ),
            refused,
        ),
        (
            "1 MB of syntax errors",
            repeat("CREATE TABLE IF NOT EXISTS t (a int,,);\n", 1 << 20 >> 5),
            Some(Rule::SyntaxError),
        ),
        (
            "1 MB on one line",
            repeat("CREATE TABLE t (a int); ", 1 << 20 >> 4),
            Some(Rule::MissingIfNotExists),
        ),
        (
            "1 MB literal",
            format!(
                "INSERT INTO t (a) VALUES ('{}') ON CONFLICT (a) DO NOTHING;",
                repeat("x", 1 << 20)
            ),
            None,
        ),
    ]
}

/// Checks `sql`, which must not panic, and returns how long it took.
fn timed(label: &str, sql: &str) -> (Duration, Vec<Rule>) {
    let start = Instant::now();
    let checked = std::panic::catch_unwind(|| check_sql(sql, &EntryOptions::default()))
        .unwrap_or_else(|_| panic!("the checker panicked on {label}"));
    let rules = checked.diagnostics.iter().map(|d| d.rule).collect();
    (start.elapsed(), rules)
}

#[test]
fn deep_and_huge_entries_are_refused_or_checked_without_crashing() {
    for (label, sql, expected) in extremes() {
        let (elapsed, rules) = timed(label, &sql);
        println!(
            "{label} ({} KB): {elapsed:.2?}, {} diagnostic(s)",
            sql.len() >> 10,
            rules.len()
        );
        match expected {
            Some(rule) => assert!(
                !rules.is_empty() && rules.iter().all(|r| *r == rule),
                "{label}: expected only {rule:?}, got {:?}",
                &rules[..rules.len().min(5)]
            ),
            None => assert!(
                rules.is_empty(),
                "{label}: {:?}",
                &rules[..rules.len().min(5)]
            ),
        }
    }
}

#[test]
fn twenty_thousand_mutated_migrations_never_crash_the_checker() {
    let count = std::env::var("MIGRATE_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MUTATIONS);
    let seeds = seeds();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut slowest, mut slowest_at, mut bytes) = (Duration::ZERO, 0, 0);
    let start = Instant::now();
    for i in 0..count {
        let mut sql = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(3) {
            sql = mutate(&sql, &mut rng);
        }
        bytes += sql.len();
        let (elapsed, _) = timed(&format!("mutation {i}"), &sql);
        if elapsed > slowest {
            (slowest, slowest_at) = (elapsed, i);
        }
    }
    println!(
        "{count} mutated inputs ({} KB) from {} seeds in {:.1?}: 0 panics; slowest: input {slowest_at}, {slowest:.2?}",
        bytes >> 10,
        seeds.len(),
        start.elapsed()
    );
}
