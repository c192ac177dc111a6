use super::{CatalogCheck, Guard, Item, Presence, analyze};

/// The `(sql, guard)` of every `Item::Sql`, checking on the way that `range` points at the text.
fn sql_items(body: &str) -> Vec<(String, Guard)> {
    analyze(body)
        .unwrap()
        .into_iter()
        .filter_map(|item| match item {
            Item::Sql { range, sql, guard } => {
                assert_eq!(body[range].len(), sql.len(), "range of {sql:?}");
                Some((sql, guard))
            }
            Item::DynamicSql { .. } => None,
        })
        .collect()
}

fn only(body: &str) -> (String, Guard) {
    let mut items = sql_items(body);
    assert_eq!(items.len(), 1, "{items:?}");
    items.remove(0)
}

fn presences(guard: &Guard) -> Vec<Presence> {
    guard.catalog_checks.iter().map(|c| c.runs_when).collect()
}

#[test]
fn existence_guard_idiom_verbatim() {
    let body = "
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'public' AND t.typname = 'mood') THEN
    CREATE TYPE public.mood AS ENUM ('sad', 'ok');
  END IF;
END ";
    let items = analyze(body).unwrap();
    assert_eq!(items.len(), 1);
    let Item::Sql { range, sql, guard } = &items[0] else {
        panic!("{items:?}")
    };
    assert_eq!(sql, "CREATE TYPE public.mood AS ENUM ('sad', 'ok')");
    assert_eq!(&body[range.clone()], sql);
    assert!(guard.catalog_check);
    assert!(guard.handled_conditions.is_empty());
    let [check] = guard.catalog_checks.as_slice() else {
        panic!("{guard:?}")
    };
    assert_eq!(check.runs_when, Presence::Absent);
    assert_eq!(check.catalogs, ["pg_type", "pg_namespace"]);
    assert_eq!(check.names, ["public", "mood"]);
    assert!(body[check.range.clone()].starts_with("SELECT 1 FROM pg_type t"));
    assert!(body[check.range.clone()].ends_with("t.typname = 'mood'"));
}

#[test]
fn exception_guard_idiom_verbatim() {
    let body = "
BEGIN
  ALTER TABLE public.t1 ADD CONSTRAINT ck1 CHECK (a > 0) NOT VALID;
EXCEPTION WHEN duplicate_object THEN NULL;
END ";
    let (sql, guard) = only(body);
    assert_eq!(
        sql,
        "ALTER TABLE public.t1 ADD CONSTRAINT ck1 CHECK (a > 0) NOT VALID"
    );
    assert!(!guard.catalog_check);
    assert!(guard.catalog_checks.is_empty());
    assert_eq!(guard.handled_conditions, ["duplicate_object"]);
}

#[test]
fn unguarded_statement_has_default_guard() {
    let (sql, guard) = only("BEGIN CREATE TABLE t (a int); END");
    assert_eq!(sql, "CREATE TABLE t (a int)");
    assert_eq!(guard, Guard::default());
}

#[test]
fn several_conditions_sqlstate_and_others() {
    let body = "BEGIN CREATE TABLE t (a int);
EXCEPTION
  WHEN duplicate_table OR SQLSTATE '42p06' THEN NULL;
  WHEN OTHERS THEN RAISE NOTICE 'x';
END";
    let (_, guard) = only(body);
    assert_eq!(
        guard.handled_conditions,
        ["duplicate_table", "42P06", "others"]
    );
}

#[test]
fn nested_blocks_accumulate_handlers() {
    let body = "BEGIN
  BEGIN
    CREATE TABLE inner_t (a int);
  EXCEPTION WHEN duplicate_table THEN NULL;
  END;
  CREATE TABLE outer_t (a int);
EXCEPTION WHEN duplicate_object THEN NULL;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].0, "CREATE TABLE inner_t (a int)");
    assert_eq!(
        items[0].1.handled_conditions,
        ["duplicate_object", "duplicate_table"]
    );
    assert_eq!(items[1].0, "CREATE TABLE outer_t (a int)");
    assert_eq!(items[1].1.handled_conditions, ["duplicate_object"]);
}

#[test]
fn handler_bodies_are_found_without_their_own_handler() {
    let body = "BEGIN
  BEGIN
    CREATE TYPE mood AS ENUM ('a');
  EXCEPTION WHEN duplicate_object THEN
    ALTER TYPE mood ADD VALUE 'b';
  END;
EXCEPTION WHEN others THEN NULL;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].1.handled_conditions,
        ["others", "duplicate_object"]
    );
    assert_eq!(items[1].0, "ALTER TYPE mood ADD VALUE 'b'");
    assert_eq!(items[1].1.handled_conditions, ["others"]);
}

#[test]
fn to_reg_is_null_and_and_combination() {
    let body = "BEGIN
  IF to_regclass('public.t1') IS NULL AND NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 't1') THEN
    CREATE TABLE public.t1 (a int);
  END IF;
END";
    let (_, guard) = only(body);
    assert_eq!(presences(&guard), [Presence::Absent, Presence::Absent]);
    assert_eq!(guard.catalog_checks[0].catalogs, ["to_regclass"]);
    assert_eq!(guard.catalog_checks[0].names, ["public.t1"]);
    assert_eq!(
        guard.catalog_checks[1].catalogs,
        ["information_schema.tables"]
    );
}

#[test]
fn positive_form_guards_else_not_then() {
    let body = "BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 's') THEN
    RAISE NOTICE 'exists';
    CREATE TABLE s.unguarded (a int);
  ELSE
    CREATE SCHEMA s;
  END IF;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 2);
    // THEN of a positive test runs when the object exists: a check, but of the other polarity.
    assert_eq!(presences(&items[0].1), [Presence::Present]);
    assert_eq!(items[1].0, "CREATE SCHEMA s");
    assert_eq!(presences(&items[1].1), [Presence::Absent]);
    assert_eq!(items[1].1.catalog_checks[0].catalogs, ["pg_namespace"]);
}

#[test]
fn is_not_null_guards_else() {
    let body = "BEGIN
  IF to_regtype('public.mood') IS NOT NULL THEN NULL;
  ELSE CREATE TYPE public.mood AS ENUM ('a');
  END IF;
END";
    let (_, guard) = only(body);
    assert_eq!(presences(&guard), [Presence::Absent]);
    assert_eq!(guard.catalog_checks[0].catalogs, ["to_regtype"]);
}

#[test]
fn rename_form_exists_old_and_not_exists_new() {
    let body = "BEGIN
  IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'old_t')
     AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'new_t') THEN
    ALTER TABLE old_t RENAME TO new_t;
  END IF;
END";
    let (sql, guard) = only(body);
    assert_eq!(sql, "ALTER TABLE old_t RENAME TO new_t");
    assert_eq!(presences(&guard), [Presence::Present, Presence::Absent]);
    assert_eq!(guard.catalog_checks[0].names, ["old_t"]);
    assert_eq!(guard.catalog_checks[1].names, ["new_t"]);
}

#[test]
fn or_does_not_guard_then_but_guards_else() {
    let body = "BEGIN
  IF x > 1 OR NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 't') THEN
    CREATE TABLE t (a int);
  ELSE
    DROP TABLE t;
  END IF;
END";
    let items = sql_items(body);
    assert!(!items[0].1.catalog_check);
    assert_eq!(presences(&items[1].1), [Presence::Present]);
}

#[test]
fn non_catalog_conditions_are_not_guards() {
    let body = "BEGIN
  IF NOT EXISTS (SELECT 1 FROM public.my_table WHERE id = 1) THEN
    CREATE TABLE t (a int);
  END IF;
  IF current_setting('x') = 'y' THEN
    CREATE TABLE u (a int);
  END IF;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|(_, g)| !g.catalog_check));
}

#[test]
fn elsif_gets_its_own_truth_and_earlier_falsity() {
    let body = "BEGIN
  IF EXISTS (SELECT 1 FROM pg_type WHERE typname = 'a') THEN
    NULL;
  ELSIF to_regclass('b') IS NULL THEN
    CREATE TABLE b (x int);
  ELSE
    CREATE TABLE c (x int);
  END IF;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 2);
    let elsif = &items[0].1.catalog_checks;
    assert_eq!(elsif.len(), 2);
    assert_eq!(elsif[0].names, ["a"]);
    assert_eq!(elsif[0].runs_when, Presence::Absent);
    assert_eq!(elsif[1].names, ["b"]);
    assert_eq!(elsif[1].runs_when, Presence::Absent);
    let else_checks = &items[1].1.catalog_checks;
    assert_eq!(else_checks.len(), 2);
    assert_eq!(else_checks[1].runs_when, Presence::Present);
}

#[test]
fn count_variable_single_assignment() {
    let body = "DECLARE n int;
BEGIN
  SELECT count(*) INTO n FROM pg_indexes WHERE indexname = 'i1';
  IF n = 0 THEN
    CREATE INDEX i1 ON t1 (a);
  END IF;
  IF n > 0 THEN
    DROP INDEX i1;
  END IF;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 3);
    // The SELECT INTO is reported with its INTO clause blanked, so it parses as plain SQL.
    assert_eq!(
        items[0].0,
        "SELECT count(*)        FROM pg_indexes WHERE indexname = 'i1'"
    );
    assert_eq!(items[1].0, "CREATE INDEX i1 ON t1 (a)");
    assert_eq!(presences(&items[1].1), [Presence::Absent]);
    assert_eq!(items[1].1.catalog_checks[0].catalogs, ["pg_indexes"]);
    assert_eq!(items[1].1.catalog_checks[0].names, ["i1"]);
    assert_eq!(presences(&items[2].1), [Presence::Present]);
}

#[test]
fn reassigned_count_variable_is_forgotten() {
    let body = "DECLARE n int;
BEGIN
  SELECT count(*) INTO n FROM pg_indexes WHERE indexname = 'i1';
  n := 0;
  IF n = 0 THEN CREATE INDEX i1 ON t1 (a); END IF;
  SELECT count(*) INTO n FROM pg_indexes WHERE indexname = 'i1';
  SELECT count(*) INTO n FROM public.t1;
  IF n = 0 THEN CREATE INDEX i2 ON t1 (a); END IF;
END";
    let items = sql_items(body);
    let creates: Vec<_> = items
        .iter()
        .filter(|(sql, _)| sql.starts_with("CREATE"))
        .collect();
    assert_eq!(creates.len(), 2);
    assert!(creates.iter().all(|(_, g)| !g.catalog_check), "{creates:?}");
}

#[test]
fn variable_assigned_in_loop_is_not_trusted() {
    let body = "DECLARE n int := (SELECT count(*) FROM pg_class WHERE relname = 't');
BEGIN
  LOOP
    IF n = 0 THEN CREATE TABLE t (a int); END IF;
    SELECT count(*) INTO n FROM public.other;
    EXIT;
  END LOOP;
  IF n = 0 THEN CREATE TABLE u (a int); END IF;
END";
    let items = sql_items(body);
    let creates: Vec<_> = items
        .iter()
        .filter(|(sql, _)| sql.starts_with("CREATE"))
        .collect();
    assert_eq!(creates.len(), 2);
    assert!(creates.iter().all(|(_, g)| !g.catalog_check), "{creates:?}");
}

#[test]
fn declared_scalar_subquery_and_boolean_variables() {
    let body = "DECLARE
  n int := (SELECT count(*) FROM pg_class WHERE relname = 't');
  present boolean;
BEGIN
  IF n < 1 THEN CREATE TABLE t (a int); END IF;
  present := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app');
  IF NOT present THEN CREATE ROLE app; END IF;
  IF (SELECT count(*) FROM pg_type WHERE typname = 'm') = 0 THEN CREATE TYPE m AS ENUM ('x'); END IF;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 3);
    for (sql, guard) in &items {
        assert_eq!(presences(guard), [Presence::Absent], "{sql}");
    }
    assert_eq!(items[1].1.catalog_checks[0].catalogs, ["pg_roles"]);
}

#[test]
fn found_after_perform_and_select_into() {
    let body = "DECLARE r record;
BEGIN
  PERFORM 1 FROM pg_extension WHERE extname = 'pgcrypto';
  IF NOT FOUND THEN CREATE EXTENSION pgcrypto; END IF;
  SELECT oid INTO r FROM pg_roles WHERE rolname = 'app';
  IF r IS NULL THEN CREATE ROLE app; END IF;
  INSERT INTO t VALUES (1);
  IF NOT FOUND THEN CREATE TABLE x (a int); END IF;
END";
    let items = sql_items(body);
    let by_prefix = |prefix: &str| {
        items
            .iter()
            .find(|(sql, _)| sql.starts_with(prefix))
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(
        presences(&by_prefix("CREATE EXTENSION")),
        [Presence::Absent]
    );
    assert_eq!(presences(&by_prefix("CREATE ROLE")), [Presence::Absent]);
    assert!(!by_prefix("CREATE TABLE x").catalog_check);
}

#[test]
fn execute_literals_are_static_sql() {
    let body = "BEGIN
  EXECUTE 'CREATE INDEX IF NOT EXISTS i1 ON t1(a)';
  EXECUTE E'COMMENT ON TABLE t1 IS \\'it''s\\'';
  EXECUTE $x$CREATE TABLE d (a text DEFAULT 'v')$x$;
END";
    let items = analyze(body).unwrap();
    let sqls: Vec<(String, String)> = items
        .iter()
        .map(|item| match item {
            Item::Sql { range, sql, .. } => (body[range.clone()].to_owned(), sql.clone()),
            Item::DynamicSql { .. } => panic!("{item:?}"),
        })
        .collect();
    assert_eq!(
        sqls[0],
        (
            "CREATE INDEX IF NOT EXISTS i1 ON t1(a)".to_owned(),
            "CREATE INDEX IF NOT EXISTS i1 ON t1(a)".to_owned()
        )
    );
    assert_eq!(sqls[1].0, "COMMENT ON TABLE t1 IS \\'it''s\\'");
    assert_eq!(sqls[1].1, "COMMENT ON TABLE t1 IS 'it's'");
    assert_eq!(sqls[2].0, "CREATE TABLE d (a text DEFAULT 'v')");
    assert_eq!(sqls[2].1, sqls[2].0);
}

#[test]
fn execute_literal_keeps_its_guard() {
    let body = "BEGIN
  IF to_regclass('i1') IS NULL THEN
    EXECUTE 'CREATE INDEX i1 ON t1(a)';
  END IF;
EXCEPTION WHEN duplicate_table THEN NULL;
END";
    let (sql, guard) = only(body);
    assert_eq!(sql, "CREATE INDEX i1 ON t1(a)");
    assert!(guard.catalog_check);
    assert_eq!(guard.handled_conditions, ["duplicate_table"]);
}

#[test]
fn dynamic_execute_is_reported_with_its_range() {
    let body = "DECLARE q text := 'CREATE TABLE t (a int)';
BEGIN
  EXECUTE format('CREATE TABLE %I (a int)', 't');
  EXECUTE 'CREATE TABLE ' || quote_ident('t') || ' (a int)';
  EXECUTE q;
  EXECUTE q INTO n USING 1;
END";
    let items = analyze(body).unwrap();
    let ranges: Vec<&str> = items
        .iter()
        .map(|item| match item {
            Item::DynamicSql { range } => &body[range.clone()],
            Item::Sql { .. } => panic!("{item:?}"),
        })
        .collect();
    assert_eq!(
        ranges,
        [
            "EXECUTE format('CREATE TABLE %I (a int)', 't')",
            "EXECUTE 'CREATE TABLE ' || quote_ident('t') || ' (a int)'",
            "EXECUTE q",
            "EXECUTE q INTO n USING 1",
        ]
    );
}

#[test]
fn statements_in_loops_case_and_nested_blocks_are_found() {
    let body = "DECLARE r record;
BEGIN
  FOR r IN SELECT relname FROM pg_class WHERE relkind = 'r' LOOP
    EXECUTE format('ANALYZE %I', r.relname);
  END LOOP;
  FOR i IN 1..3 LOOP
    INSERT INTO t VALUES (i);
  END LOOP;
  WHILE NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'w') LOOP
    CREATE TABLE w (a int);
  END LOOP;
  CASE
    WHEN to_regclass('c') IS NULL THEN CREATE TABLE c (a int);
    ELSE UPDATE c SET a = 1;
  END CASE;
  CASE 1 WHEN 1 THEN DELETE FROM t; END CASE;
  <<inner>>
  DECLARE x int;
  BEGIN
    UPDATE t SET a = 2;
  END inner;
END";
    let items = analyze(body).unwrap();
    let texts: Vec<String> = items
        .iter()
        .map(|item| match item {
            Item::Sql { sql, .. } => sql.clone(),
            Item::DynamicSql { range } => format!("dynamic: {}", &body[range.clone()]),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "SELECT relname FROM pg_class WHERE relkind = 'r'",
            "dynamic: EXECUTE format('ANALYZE %I', r.relname)",
            "INSERT INTO t VALUES (i)",
            "CREATE TABLE w (a int)",
            "CREATE TABLE c (a int)",
            "UPDATE c SET a = 1",
            "DELETE FROM t",
            "UPDATE t SET a = 2",
        ]
    );
    let guard = |i: usize| match &items[i] {
        Item::Sql { guard, .. } => guard.clone(),
        Item::DynamicSql { .. } => panic!("dynamic"),
    };
    assert_eq!(presences(&guard(3)), [Presence::Absent]);
    assert_eq!(presences(&guard(4)), [Presence::Absent]);
    assert_eq!(presences(&guard(5)), [Presence::Present]);
    assert!(!guard(6).catalog_check);
}

#[test]
fn non_sql_statements_are_skipped() {
    let body = "DECLARE n int; BEGIN
  n := 1;
  PERFORM setval('s', 10);
  RAISE NOTICE 'hello %', n;
  ASSERT n = 1;
  GET DIAGNOSTICS n = ROW_COUNT;
  NULL;
  RETURN;
END";
    assert_eq!(analyze(body).unwrap(), []);
}

#[test]
fn commit_rollback_call_and_nested_do_are_reported() {
    let body = "BEGIN
  CALL do_things(1);
  COMMIT;
  ROLLBACK AND CHAIN;
  DO $i$ BEGIN CREATE TABLE t (a int); END $i$;
END";
    let texts: Vec<String> = sql_items(body).into_iter().map(|(sql, _)| sql).collect();
    assert_eq!(
        texts,
        [
            "CALL do_things(1)",
            "COMMIT",
            "ROLLBACK AND CHAIN",
            "DO $i$ BEGIN CREATE TABLE t (a int); END $i$",
        ]
    );
}

#[test]
fn insert_returning_into_is_blanked() {
    let body = "DECLARE v bigint;
BEGIN
  INSERT INTO t (a) VALUES (1) RETURNING id INTO STRICT v;
  UPDATE t SET a = 2 WHERE id = v;
END";
    let items = sql_items(body);
    assert_eq!(items.len(), 2);
    // The blanked INTO clause was trailing, so the statement now ends at `id`.
    assert_eq!(items[0].0, "INSERT INTO t (a) VALUES (1) RETURNING id");
    assert_eq!(items[1].0, "UPDATE t SET a = 2 WHERE id = v");
}

#[test]
fn ranges_point_at_the_statement_text() {
    let body = "BEGIN\n  -- ü comment\n  CREATE TABLE \"tä\" (a int)   ;\n  DROP TABLE x;\nEND";
    let items = analyze(body).unwrap();
    let texts: Vec<&str> = items
        .iter()
        .map(|item| match item {
            Item::Sql { range, .. } | Item::DynamicSql { range } => &body[range.clone()],
        })
        .collect();
    assert_eq!(texts, ["CREATE TABLE \"tä\" (a int)", "DROP TABLE x"]);
}

#[test]
fn syntax_errors_carry_an_offset() {
    let body = "BEGIN\n  CREAT TABLE t (a int);\nEND";
    let error = analyze(body).unwrap_err();
    assert!(error.offset <= body.len());
    assert!(
        (6..=body.len()).contains(&error.offset),
        "offset {} for {body:?}",
        error.offset
    );
    assert!(error.message.contains("PL/pgSQL"), "{}", error.message);

    let error = analyze("BEGIN CREATE TABLE").unwrap_err();
    assert!(error.offset <= "BEGIN CREATE TABLE".len());
    assert!(analyze("BEGIN IF x THEN NULL; END").is_err());
}

#[test]
fn garbage_and_odd_input_never_panic() {
    let inputs = [
        "",
        " ",
        "import os\nprint('hi')",
        "$$",
        "$migrate_body0$ BEGIN NULL; END",
        "BEGIN NULL; END $migrate_body0$",
        "BEGIN NULL; END$",
        "'",
        "E'\\",
        "BEGIN EXECUTE; END",
        "BEGIN SELECT INTO FROM; END",
        "BEGIN SELECT 1 INTO; END",
        "BEGIN SELECT a INTO b.; END",
        "BEGIN EXECUTE $a$ x; END",
        "BEGIN IF (((( THEN END",
        "\u{0}\u{feff}ü€𝄞",
        "BEGIN END; BEGIN END;",
        "BEGIN",
        "END",
        ";;;;",
    ];
    for input in inputs {
        let _ = analyze(input);
    }
    // Every prefix of a real body must also be handled without panicking.
    let body = "DECLARE n int; BEGIN SELECT count(*) INTO n FROM pg_class WHERE relname = 'é'; \
                IF n = 0 THEN EXECUTE E'CREATE TABLE \\'x\\''; END IF; EXCEPTION WHEN others THEN NULL; END";
    for (i, _) in body.char_indices() {
        let _ = analyze(&body[..i]);
    }
    assert!(analyze(body).is_ok());
}

#[test]
fn body_containing_our_dollar_tag_still_parses() {
    let body = "BEGIN EXECUTE $migrate_body0$CREATE TABLE t (a int)$migrate_body0$; END";
    let (sql, _) = only(body);
    assert_eq!(sql, "CREATE TABLE t (a int)");
}

#[test]
fn catalog_check_flag_matches_checks() {
    let check = CatalogCheck {
        runs_when: Presence::Absent,
        catalogs: vec![],
        names: vec![],
        range: 0..0,
    };
    let body =
        "BEGIN IF NOT EXISTS (SELECT 1 FROM pg_class) THEN CREATE TABLE t (a int); END IF; END";
    let (_, guard) = only(body);
    assert_eq!(guard.catalog_check, !guard.catalog_checks.is_empty());
    assert_eq!(guard.catalog_checks[0].runs_when, check.runs_when);
}

#[test]
fn catalog_check_records_outcome_catalog_names_and_range() {
    let body = "BEGIN IF to_regclass('public.t1') IS NULL THEN CREATE TABLE public.t1 (a int); END IF; END";
    let items = analyze(body).unwrap();
    let Item::Sql { guard, .. } = &items[0] else {
        panic!("expected SQL")
    };
    let check = &guard.catalog_checks[0];
    assert_eq!(check.runs_when, Presence::Absent);
    assert_eq!(check.catalogs, ["to_regclass"]);
    assert_eq!(check.names, ["public.t1"]);
    assert_eq!(&body[check.range.clone()], "to_regclass('public.t1')");
}

#[test]
fn analyze_splits_guards_and_handlers() {
    let body = "
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN
        CREATE TYPE mood AS ENUM ('sad', 'ok');
      END IF;
      ALTER TABLE t1 ADD CONSTRAINT ck1 CHECK (a > 0);
    EXCEPTION WHEN duplicate_object THEN NULL;
    END";
    let items = analyze(body).unwrap();
    let Item::Sql { range, sql, guard } = &items[0] else {
        panic!("expected SQL")
    };
    assert_eq!(sql, "CREATE TYPE mood AS ENUM ('sad', 'ok')");
    assert_eq!(&body[range.clone()], sql);
    assert!(guard.catalog_check);
    assert_eq!(guard.handled_conditions, ["duplicate_object"]);

    let Item::Sql { sql, guard, .. } = &items[1] else {
        panic!("expected SQL")
    };
    assert!(sql.starts_with("ALTER TABLE t1"));
    assert!(!guard.catalog_check);

    assert!(analyze("BEGIN CREAT TABLE t (a int); END").is_err());
}
