//! `migrate import --fix` on the real histories of crates.io (diesel), docs.rs and atuin (sqlx):
//! how much it fixes, that the module it writes compiles, that the fixed list builds the same
//! schema as the originals run by their own tool, and that each fixed migration runs twice.

mod support;

use std::collections::BTreeSet;

use migrate::check::{Diagnostic, EntryOptions, Family, Severity, check_sql, fix_sql};
use migrate::import::{ModuleOptions, Source, read_dir, write_module};
use migrate::schema::Snapshot;
use migrate::testing::find_not_idempotent;
use support::corpus;

const PROJECTS: [&str; 3] = ["crates.io", "docs.rs", "atuin"];

/// The statements with an idempotency error.
fn flagged(diagnostics: &[Diagnostic]) -> BTreeSet<usize> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && d.rule.family() == Family::NonIdempotent)
        .filter_map(|d| d.statement)
        .collect()
}

#[test]
fn at_least_95_percent_of_flagged_statements_are_fixed() {
    let Some(root) = corpus::root("at_least_95_percent_of_flagged_statements_are_fixed") else {
        return;
    };
    for project in PROJECTS {
        let dir = corpus::tool_dir(&root, project, 1..=corpus::len(&root, project));
        let source = read_dir(dir.path(), None).unwrap();
        let (mut before, mut after, mut allowed) = (0, 0, 0);
        let mut left_rules = std::collections::BTreeMap::new();
        for entry in &source.entries {
            let options = EntryOptions {
                transaction: entry.transaction_mode(),
                ..EntryOptions::default()
            };
            let original = flagged(&check_sql(&entry.sql, &options).diagnostics);
            let fixed = fix_sql(&entry.sql, &options);
            let left = flagged(&fixed.left);
            before += original.len();
            after += left.len();
            if !left.is_empty() {
                allowed += 1;
            }
            for d in fixed.left.iter().filter(|d| d.severity == Severity::Error) {
                *left_rules.entry(d.rule.id()).or_insert(0) += 1;
            }
        }
        let fixed = before - after;
        println!(
            "{project}: {fixed}/{before} flagged statements fixed ({:.1}%), {allowed} migration(s) left with an allow; left: {left_rules:?}",
            100.0 * fixed as f64 / before as f64
        );
        assert!(
            fixed * 100 >= before * 95,
            "{project}: fewer than 95% fixed"
        );
    }
}

/// The project's whole history read in its tool's layout, and fixed as `import --fix` does;
/// also how many down files the fix changed.
fn fixed_source_counting(
    root: &std::path::Path,
    project: &str,
) -> (corpus::TempDir, Source, usize) {
    let dir = corpus::tool_dir(root, project, 1..=corpus::len(root, project));
    let mut source = read_dir(dir.path(), None).unwrap_or_else(|e| panic!("{project}: {e}"));
    let fixed_downs = source
        .fix()
        .iter()
        .filter(|f| f.down.as_ref().is_some_and(|d| d.changed()))
        .count();
    (dir, source, fixed_downs)
}

fn fixed_source(root: &std::path::Path, project: &str) -> (corpus::TempDir, Source) {
    let (dir, source, _) = fixed_source_counting(root, project);
    (dir, source)
}

#[test]
fn the_modules_import_fix_writes_compile() {
    let Some(root) = corpus::root("the_modules_import_fix_writes_compile") else {
        return;
    };
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("import_modules");
    std::fs::create_dir_all(&out).unwrap();
    let cases = trybuild::TestCases::new();
    let mut carried_total = 0;
    for project in PROJECTS {
        let (dir, source, fixed_downs) = fixed_source_counting(&root, project);
        let module = write_module(&source, &ModuleOptions::new(dir.path()).inline(true))
            .unwrap_or_else(|e| panic!("{project}: {e}"));
        let entries = source.migrations().unwrap().len();
        let carried = module.carried_downs.len();
        let down_files = source.entries.iter().filter(|e| e.down.is_some()).count();
        let mut why: std::collections::BTreeMap<String, usize> = Default::default();
        for (_, reversal) in &module.left_out_downs {
            let ids: Vec<&str> = reversal.rules().iter().map(|r| r.id()).collect();
            *why.entry(ids.join("+")).or_default() += 1;
        }
        println!(
            "{project}: {entries} entries, {} with an allow, {} empty left out; {down_files} down \
             file(s): {carried} carried ({fixed_downs} fixed), {} left out {why:?}, {} comment-only",
            module.allowed.len(),
            module.empty.len(),
            module.left_out_downs.len(),
            down_files - carried - module.left_out_downs.len(),
        );
        // Every left-out down is said so in the module, and marks its entry irreversible.
        for (version, _) in &module.left_out_downs {
            assert!(
                module.text.contains(&format!("// {version}: "))
                    && module
                        .text
                        .contains("#[irreversible(reason = \"imported from"),
                "{project}: {version}"
            );
        }
        carried_total += carried;
        // The binary checks at run time that every entry, and every carried down, made it in.
        let program = format!(
            "{}\nfn main() {{\n    assert_eq!(MIGRATIONS.len(), {entries});\n    \
             assert_eq!(MIGRATIONS.iter().filter(|m| m.down().is_some()).count(), {carried});\n    \
             assert_eq!(MIGRATIONS.iter().filter(|m| m.irreversible_reason().is_some()).count(), {});\n}}\n",
            module.text,
            module.left_out_downs.len()
        );
        let path = out.join(format!("{}.rs", project.replace('.', "_")));
        std::fs::write(&path, program).unwrap();
        cases.pass(&path);
    }
    // crates.io (diesel) and docs.rs (sqlx) keep downs: the test must compile some.
    assert!(carried_total > 100, "only {carried_total} downs carried");
}

/// Applies the originals as their tool does (one transaction each, or statement by statement
/// where the tool says so) and the fixed list through the runtime, and compares the schemas.
async fn fixed_list_builds_the_original_schema(project: &str) {
    let Some(root) = corpus::root(project) else {
        return;
    };
    let dir = corpus::tool_dir(&root, project, 1..=corpus::len(&root, project));
    let original = read_dir(dir.path(), None).unwrap().migrations().unwrap();
    let by_tool = support::TestDb::new().await;
    let pool = by_tool.pool().await;
    for m in original.iter() {
        corpus::apply_as_tool(&pool, m, "SELECT 1").await;
    }
    let expected = Snapshot::read(&pool).await.unwrap();

    let (_dir, source) = fixed_source(&root, project);
    let fixed = source.migrations().unwrap();
    let ours = support::TestDb::new().await;
    let pool = ours.pool().await;
    // crates.io drops a table named `schema_migrations`; the same name elsewhere is harmless.
    let migrator = || fixed.migrator().table("migrate_history");
    migrator()
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("{project}: {e}"));
    let actual = migrator().snapshot(&pool).await.unwrap();

    let diff = expected.diff(&actual);
    assert!(
        diff.is_empty(),
        "{project}: the fixed list differs:\n{diff}"
    );
    assert!(
        expected.iter().count() > 10,
        "{project}: nothing was compared"
    );
}

#[tokio::test]
async fn crates_io_fixed_list_builds_the_original_schema() {
    fixed_list_builds_the_original_schema("crates.io").await;
}

#[tokio::test]
async fn docs_rs_fixed_list_builds_the_original_schema() {
    fixed_list_builds_the_original_schema("docs.rs").await;
}

#[tokio::test]
async fn atuin_fixed_list_builds_the_original_schema() {
    fixed_list_builds_the_original_schema("atuin").await;
}

/// Runs each fixed migration twice in a row on a fresh database; only those `import` left with
/// an `#[allow]` may fail or change something the second time.
async fn fixed_migrations_run_twice(project: &str) {
    let Some(root) = corpus::root(project) else {
        return;
    };
    let (dir, source) = fixed_source(&root, project);
    let module = write_module(&source, &ModuleOptions::new(dir.path())).unwrap();
    let allowed: BTreeSet<&str> = module.allowed.iter().map(|(v, _)| v.as_str()).collect();
    let fixed = source.migrations().unwrap();
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let failures = find_not_idempotent(fixed.migrator().table("migrate_history"), &pool).await;
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|f| !allowed.contains(f.version.as_str()))
        .map(ToString::to_string)
        .collect();
    println!(
        "{project}: {} of {} fixed migrations run twice cleanly; {} with an allow, of which {} \
         fail or change something on a second run",
        fixed.len() - failures.len(),
        fixed.len(),
        allowed.len(),
        failures.len() - unexpected.len()
    );
    assert!(
        unexpected.is_empty(),
        "{project}:\n{}",
        unexpected.join("\n")
    );
}

#[tokio::test]
async fn crates_io_fixed_migrations_run_twice() {
    fixed_migrations_run_twice("crates.io").await;
}

#[tokio::test]
async fn docs_rs_fixed_migrations_run_twice() {
    fixed_migrations_run_twice("docs.rs").await;
}

#[tokio::test]
async fn atuin_fixed_migrations_run_twice() {
    fixed_migrations_run_twice("atuin").await;
}

/// The first `n` migrations of `list`, downs included.
fn prefix(list: &migrate::Migrations, n: usize) -> migrate::Migrations {
    migrate::Migrations::from_vec(list.as_slice()[..n].to_vec()).unwrap()
}

/// crates.io's imported downs, run by `revert_to`: the list is applied one migration at a
/// time (a schema snapshot after each), then reverted one migration at a time down to the
/// newest entry whose down was left out (`revert_to` cannot cross it); after each step the
/// schema must equal the one recorded after applying only the migrations below it.
#[tokio::test]
async fn crates_io_imported_downs_revert_to_the_earlier_schemas() {
    let Some(root) = corpus::root("crates_io_imported_downs_revert_to_the_earlier_schemas") else {
        return;
    };
    let (_dir, source) = fixed_source(&root, "crates.io");
    let list = source.migrations().unwrap();
    let all = list.as_slice();
    // The deepest revert target: the newest irreversible entry (its down was left out).
    let floor = all
        .iter()
        .rposition(|m| m.down().is_none())
        .expect("crates.io has irreversible entries");
    assert!(
        all.len() - floor > 20 - 1,
        "too few downs above {}",
        all[floor].version()
    );
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let table = "migrate_history";
    prefix(&list, floor + 1)
        .migrator()
        .table(table)
        .run(&pool)
        .await
        .unwrap();
    let mut before = Vec::new();
    for (n, m) in all.iter().enumerate().skip(floor + 1) {
        before.push(
            prefix(&list, n)
                .migrator()
                .table(table)
                .snapshot(&pool)
                .await
                .unwrap(),
        );
        prefix(&list, n + 1)
            .migrator()
            .table(table)
            .run(&pool)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", m.version()));
    }
    let mut wrong = Vec::new();
    for n in (floor + 1..all.len()).rev() {
        let target = all[n - 1].version();
        list.migrator()
            .table(table)
            .revert_to(&pool, target)
            .await
            .unwrap_or_else(|e| panic!("down of {}: {e}", all[n].version()));
        let after = list.migrator().table(table).snapshot(&pool).await.unwrap();
        let diff = before[n - floor - 1].diff(&after);
        if !diff.is_empty() {
            println!(
                "the down of {} does not restore the schema:\n{diff}",
                all[n].version()
            );
            wrong.push(all[n].version().to_owned());
        }
    }
    println!(
        "crates.io: {} downs reverted ({} .. {}), {} do not restore the schema before their up: {wrong:?}",
        all.len() - floor - 1,
        all[all.len() - 1].version(),
        all[floor + 1].version(),
        wrong.len()
    );
    // Upstream's down of this one re-adds a CHECK that production had (added by hand before
    // the up ran) but a fresh database never had: it is right for their production, not as a
    // reversal of the up on a database built from the migrations.
    assert_eq!(wrong, ["202606171053250000_versions_tar_sha256_not_null"]);
}

/// `migrate import --fix` on a small sqlx directory: a down fixed in place and carried as
/// `#[down(file(…))]` (inline with `--inline`), a down that leaves an object left out with a
/// comment and `#[irreversible]`, a migration without a down untouched; a second run fixes
/// nothing more.
#[test]
fn import_carries_fixes_and_leaves_out_downs() {
    use clap::Parser;
    let dir = corpus::TempDir::new("import_downs");
    dir.write("1_users.up.sql", "CREATE TABLE users (id bigint);\n")
        .write("1_users.down.sql", "DROP TABLE users;\n")
        .write(
            "2_two_tables.up.sql",
            "CREATE TABLE IF NOT EXISTS a (id int);\nCREATE TABLE IF NOT EXISTS b (id int);\n",
        )
        .write("2_two_tables.down.sql", "DROP TABLE IF EXISTS a;\n")
        .write(
            "3_notes.sql",
            "CREATE TABLE IF NOT EXISTS notes (id int);\n",
        );
    let import = |extra: &[&str]| {
        let path = dir.path().to_str().unwrap();
        let mut argv = vec!["import", path, "--fix", "--crate-root", path];
        argv.extend_from_slice(extra);
        let import = migrate::cli::Import::try_parse_from(argv).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            import.run(&mut out, &mut err),
            migrate::cli::Outcome::Success
        );
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let (module, summary) = import(&[]);
    assert!(
        module.contains(
            "    #[down(file(\"1_users.down.sql\"))]\n    \"1_users\" => file(\"1_users.up.sql\"),"
        ),
        "{module}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("1_users.down.sql")).unwrap(),
        "DROP TABLE IF EXISTS users;\n"
    );
    assert!(
        module.contains("// 2_two_tables: sqlx's down file left out, the checker rejects it: [down_leaves_object] the down leaves the table `b`"),
        "{module}"
    );
    assert!(
        module.contains("#[irreversible(reason = \"imported from sqlx: its down file was left out, the checker rejects it (down_leaves_object)"),
        "{module}"
    );
    assert!(
        module.contains("\"3_notes\" => file(\"3_notes.sql\"),"),
        "{module}"
    );
    assert!(
        summary.contains("(1 of them down files)")
            && summary.contains("carried 1 down file(s) over as #[down]")
            && summary.contains(
                "left out the down of 2_two_tables (marked #[irreversible]): [down_leaves_object]"
            ),
        "{summary}"
    );
    let (inline, again) = import(&["--inline"]);
    assert!(
        !again.contains("fixed "),
        "a second --fix changed something:\n{again}"
    );
    assert!(
        inline.contains("#[down(r#\"DROP TABLE IF EXISTS users;\n\"#)]"),
        "{inline}"
    );
}
