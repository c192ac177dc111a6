//! The down against its up: every object the up creates is dropped by the down (or by a drop of
//! its parent), and the down drops nothing the up did not create.
//!
//! The rule reads the keyword sequence of each statement rather than squawk's node shapes: the
//! create and drop forms it needs are a handful of fixed prefixes (`CREATE [UNIQUE] INDEX
//! [CONCURRENTLY] [IF NOT EXISTS] name ON table`), and names compare as PostgreSQL folds them.
//! Enum values (`ALTER TYPE … ADD VALUE`) are not tracked: PostgreSQL cannot remove one, the
//! type's drop removes them.

use std::ops::ControlFlow;

use crate::check::parse::{self, ParsedStatement};
use crate::check::tree;

/// What kind of object a statement creates or drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Table,
    Column,
    Index,
    Constraint,
    Type,
    Function,
    View,
    MaterializedView,
    Trigger,
    Sequence,
    Schema,
    Policy,
    Extension,
}

impl Kind {
    /// How messages name the kind.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Column => "column",
            Kind::Index => "index",
            Kind::Constraint => "constraint",
            Kind::Type => "type",
            Kind::Function => "function",
            Kind::View => "view",
            Kind::MaterializedView => "materialized view",
            Kind::Trigger => "trigger",
            Kind::Sequence => "sequence",
            Kind::Schema => "schema",
            Kind::Policy => "policy",
            Kind::Extension => "extension",
        }
    }

    /// Objects that live on a table and go with it.
    fn on_table(self) -> bool {
        matches!(
            self,
            Kind::Column | Kind::Index | Kind::Constraint | Kind::Trigger | Kind::Policy
        )
    }
}

/// One object a statement creates or drops: its kind, its (possibly qualified) folded name as
/// written, and the table it lives on for objects that live on one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    pub kind: Kind,
    pub name: Vec<String>,
    pub table: Option<Vec<String>>,
    /// Written name, for messages and help (`public."Users"`).
    pub shown: String,
    pub table_shown: Option<String>,
    /// `CREATE INDEX CONCURRENTLY` (its drop should be concurrent too).
    pub concurrently: bool,
    /// `DROP … CASCADE` (a schema's drop then covers its contents).
    pub cascade: bool,
    /// 1-based statement number and byte range of the statement.
    pub statement: usize,
    pub range: std::ops::Range<usize>,
}

impl Object {
    /// The statement that drops this object, re-runnable.
    pub(crate) fn drop_statement(&self) -> String {
        let table = self.table_shown.as_deref().unwrap_or("<table>");
        let name = &self.shown;
        match self.kind {
            Kind::Column => format!("ALTER TABLE {table} DROP COLUMN IF EXISTS {name};"),
            Kind::Constraint => format!("ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name};"),
            Kind::Trigger => format!("DROP TRIGGER IF EXISTS {name} ON {table};"),
            Kind::Policy => format!("DROP POLICY IF EXISTS {name} ON {table};"),
            Kind::Index if self.concurrently => {
                format!("DROP INDEX CONCURRENTLY IF EXISTS {name};")
            }
            Kind::MaterializedView => format!("DROP MATERIALIZED VIEW IF EXISTS {name};"),
            kind => format!("DROP {} IF EXISTS {name};", kind.noun().to_uppercase()),
        }
    }

    fn described(&self) -> String {
        match &self.table_shown {
            Some(table) => format!("{} `{}` on `{table}`", self.kind.noun(), self.shown),
            None => format!("{} `{}`", self.kind.noun(), self.shown),
        }
    }
}

/// What the up creates that the down leaves, and what the down drops that the up did not
/// create.
#[derive(Debug, Default)]
pub(crate) struct Reversal {
    pub left: Vec<Object>,
    pub foreign: Vec<Object>,
}

impl Reversal {
    pub(crate) fn left_message(object: &Object) -> String {
        format!(
            "the down leaves the {} that the up creates (up statement {}): \
             after a rollback the schema is not the one before the up",
            object.described(),
            object.statement
        )
    }

    pub(crate) fn foreign_message(object: &Object) -> String {
        format!(
            "the down drops the {}, which its up does not create: \
             a rollback destroys what existed before the up",
            object.described()
        )
    }
}

/// Compares the objects `up` creates with those `down` drops.
pub(crate) fn compare(up: &str, down: &str) -> Reversal {
    let created = objects(&parse::parse(up).statements, Verb::Create);
    let dropped = objects(&parse::parse(down).statements, Verb::Drop);
    let left = created
        .iter()
        .filter(|c| !dropped.iter().any(|d| covers(d, c)))
        .cloned()
        .collect();
    let foreign = dropped
        .iter()
        .filter(|d| !created.iter().any(|c| same(c, d)))
        .cloned()
        .collect();
    Reversal { left, foreign }
}

/// Names compare unqualified when either side is unqualified: `users` and `public.users` are
/// the same table for a migration that runs with `public` on its search path.
fn same_name(a: &[String], b: &[String]) -> bool {
    if a.len() == b.len() {
        a == b
    } else {
        a.last() == b.last()
    }
}

fn same(a: &Object, b: &Object) -> bool {
    let kinds = a.kind == b.kind
        // A table's drop also removes a table created `AS` or a sequence-backed one; views
        // are dropped as views whatever their kind was written as.
        || matches!((a.kind, b.kind), (Kind::View, Kind::MaterializedView) | (Kind::MaterializedView, Kind::View));
    kinds
        && same_name(&a.name, &b.name)
        && match (&a.table, &b.table) {
            (Some(x), Some(y)) => same_name(x, y),
            // `DROP INDEX name` names no table.
            _ => true,
        }
}

/// Whether the drop `d` removes the created object `c`, itself or with its parent.
fn covers(d: &Object, c: &Object) -> bool {
    if same(c, d) {
        return true;
    }
    if d.kind == Kind::Table
        && c.kind.on_table()
        && c.table.as_deref().is_some_and(|t| same_name(t, &d.name))
    {
        return true;
    }
    if d.kind == Kind::Schema && d.cascade {
        let schema_of = |name: &[String]| (name.len() > 1).then(|| name[0].clone());
        let in_schema =
            |name: &[String]| schema_of(name).as_deref() == d.name.last().map(String::as_str);
        return in_schema(&c.name) || c.table.as_deref().is_some_and(in_schema);
    }
    false
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Create,
    Drop,
}

/// One significant token: its text as written and uppercased.
struct Word {
    text: String,
    upper: String,
}

fn words(statement: &ParsedStatement) -> Vec<Word> {
    let mut out = Vec::new();
    let _ = tree::walk_tokens(&statement.node, false, |leaf| {
        if !tree::is_trivia(leaf.kind) {
            out.push(Word {
                text: leaf.text.to_owned(),
                upper: leaf.text.to_uppercase(),
            });
        }
        ControlFlow::Continue(())
    });
    out
}

/// A cursor over one statement's words.
struct Cursor<'a> {
    words: &'a [Word],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self, keyword: &str) -> bool {
        self.words.get(self.at).is_some_and(|w| w.upper == keyword)
    }

    fn eat(&mut self, keyword: &str) -> bool {
        let hit = self.peek(keyword);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn eat_all(&mut self, keywords: &[&str]) -> bool {
        let start = self.at;
        if keywords.iter().all(|k| self.eat(k)) {
            return true;
        }
        self.at = start;
        false
    }

    /// A possibly qualified name: `a`, `a.b`, `"A".b`.
    fn name(&mut self) -> Option<(Vec<String>, String)> {
        let mut parts = Vec::new();
        let mut shown = String::new();
        loop {
            let word = self.words.get(self.at)?;
            if word.text == "(" || word.text == "," || word.text == ";" {
                break;
            }
            parts.push(tree::fold_ident(&word.text));
            shown.push_str(&word.text);
            self.at += 1;
            if self.words.get(self.at).is_some_and(|w| w.text == ".") {
                shown.push('.');
                self.at += 1;
            } else {
                break;
            }
        }
        (!parts.is_empty()).then_some((parts, shown))
    }

    /// Skips to just after the next `keyword` at this bracket depth.
    fn skip_past(&mut self, keyword: &str) -> bool {
        let mut depth = 0usize;
        while let Some(word) = self.words.get(self.at) {
            self.at += 1;
            match word.text.as_str() {
                "(" => depth += 1,
                ")" => depth = depth.saturating_sub(1),
                _ if depth == 0 && word.upper == keyword => return true,
                _ => {}
            }
        }
        false
    }

    fn rest_has(&self, keyword: &str) -> bool {
        self.words[self.at.min(self.words.len())..]
            .iter()
            .any(|w| w.upper == keyword)
    }
}

fn objects(statements: &[ParsedStatement], verb: Verb) -> Vec<Object> {
    let mut out = Vec::new();
    for (i, statement) in statements.iter().enumerate() {
        let mut found = Vec::new();
        in_statement(statement, verb, &mut found);
        for mut object in found {
            object.statement = i + 1;
            object.range = statement.range.clone();
            out.push(object);
        }
    }
    out
}

/// The objects of one statement; a `DO` block's are those of the SQL in its body (the guarded
/// `CREATE TYPE` / `ADD CONSTRAINT` forms of an up).
fn in_statement(statement: &ParsedStatement, verb: Verb, out: &mut Vec<Object>) {
    if let Some(body) = super::do_block::body(&statement.node) {
        for item in crate::check::plpgsql::analyze(&body.text).unwrap_or_default() {
            if let crate::check::plpgsql::Item::Sql { sql, .. } = item {
                for inner in &parse::parse(&sql).statements {
                    in_statement(inner, verb, out);
                }
            }
        }
        return;
    }
    let words = words(statement);
    match verb {
        Verb::Create => created(&words, out),
        Verb::Drop => dropped(&words, out),
    }
}

fn object(kind: Kind, (name, shown): (Vec<String>, String)) -> Object {
    Object {
        kind,
        name,
        table: None,
        shown,
        table_shown: None,
        concurrently: false,
        cascade: false,
        statement: 0,
        range: 0..0,
    }
}

fn with_table(mut o: Object, table: Option<(Vec<String>, String)>) -> Object {
    if let Some((name, shown)) = table {
        o.table = Some(name);
        o.table_shown = Some(shown);
    }
    o
}

fn created(words: &[Word], out: &mut Vec<Object>) {
    let mut c = Cursor { words, at: 0 };
    if c.eat_all(&["ALTER", "TABLE"]) {
        alter_table(&mut c, Verb::Create, out);
        return;
    }
    if !c.eat("CREATE") {
        return;
    }
    c.eat_all(&["OR", "REPLACE"]);
    for modifier in [
        "UNIQUE",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "CONSTRAINT",
        "RECURSIVE",
    ] {
        c.eat(modifier);
    }
    let kind = match () {
        _ if c.eat("TABLE") => Kind::Table,
        _ if c.eat("INDEX") => Kind::Index,
        _ if c.eat("TYPE") => Kind::Type,
        _ if c.eat("FUNCTION") || c.eat("PROCEDURE") => Kind::Function,
        _ if c.eat_all(&["MATERIALIZED", "VIEW"]) => Kind::MaterializedView,
        _ if c.eat("VIEW") => Kind::View,
        _ if c.eat("TRIGGER") => Kind::Trigger,
        _ if c.eat("SEQUENCE") => Kind::Sequence,
        _ if c.eat("SCHEMA") => Kind::Schema,
        _ if c.eat("POLICY") => Kind::Policy,
        _ if c.eat("EXTENSION") => Kind::Extension,
        _ => return,
    };
    let concurrently = c.eat("CONCURRENTLY");
    c.eat_all(&["IF", "NOT", "EXISTS"]);
    if kind == Kind::Schema && c.peek("AUTHORIZATION") {
        // `CREATE SCHEMA AUTHORIZATION role` names the schema after the role.
        c.eat("AUTHORIZATION");
    }
    let Some(name) = c.name() else { return };
    let mut o = object(kind, name);
    o.concurrently = concurrently;
    if matches!(kind, Kind::Index | Kind::Trigger | Kind::Policy) && c.skip_past("ON") {
        c.eat("ONLY");
        o = with_table(o, c.name());
    }
    out.push(o);
}

fn dropped(words: &[Word], out: &mut Vec<Object>) {
    let mut c = Cursor { words, at: 0 };
    if c.eat_all(&["ALTER", "TABLE"]) {
        alter_table(&mut c, Verb::Drop, out);
        return;
    }
    if !c.eat("DROP") {
        return;
    }
    let kind = match () {
        _ if c.eat("TABLE") => Kind::Table,
        _ if c.eat("INDEX") => Kind::Index,
        _ if c.eat("TYPE") || c.eat("DOMAIN") => Kind::Type,
        _ if c.eat("FUNCTION") || c.eat("PROCEDURE") || c.eat("ROUTINE") => Kind::Function,
        _ if c.eat_all(&["MATERIALIZED", "VIEW"]) => Kind::MaterializedView,
        _ if c.eat("VIEW") => Kind::View,
        _ if c.eat("TRIGGER") => Kind::Trigger,
        _ if c.eat("SEQUENCE") => Kind::Sequence,
        _ if c.eat("SCHEMA") => Kind::Schema,
        _ if c.eat("POLICY") => Kind::Policy,
        _ if c.eat("EXTENSION") => Kind::Extension,
        _ => return,
    };
    c.eat("CONCURRENTLY");
    c.eat_all(&["IF", "EXISTS"]);
    let cascade = c.rest_has("CASCADE");
    if matches!(kind, Kind::Trigger | Kind::Policy) {
        let Some(name) = c.name() else { return };
        let table = if c.eat("ON") { c.name() } else { None };
        out.push(with_table(object(kind, name), table));
        return;
    }
    // `DROP TABLE a, b`; `DROP FUNCTION f(int), g(text)`.
    while let Some(name) = c.name() {
        let mut o = object(kind, name);
        o.cascade = cascade;
        out.push(o);
        if c.peek("(") {
            c.skip_past(")");
        }
        if !c.eat(",") {
            break;
        }
    }
}

/// `ALTER TABLE [IF EXISTS] [ONLY] t ADD COLUMN … , ADD CONSTRAINT …` (or their drops).
fn alter_table(c: &mut Cursor<'_>, verb: Verb, out: &mut Vec<Object>) {
    c.eat_all(&["IF", "EXISTS"]);
    c.eat("ONLY");
    let Some(table) = c.name() else { return };
    c.eat("*");
    loop {
        let start = c.at;
        let kind = match verb {
            Verb::Create if c.eat("ADD") => {
                if c.eat("CONSTRAINT") {
                    Some(Kind::Constraint)
                } else {
                    c.eat("COLUMN");
                    // `ADD PRIMARY KEY (…)`, `ADD CHECK (…)`, `ADD FOREIGN KEY`: unnamed,
                    // another rule reports those.
                    let unnamed = ["PRIMARY", "CHECK", "FOREIGN", "UNIQUE", "EXCLUDE"]
                        .iter()
                        .any(|k| c.peek(k));
                    (!unnamed).then_some(Kind::Column)
                }
            }
            Verb::Drop if c.eat("DROP") => {
                if c.eat("CONSTRAINT") {
                    Some(Kind::Constraint)
                } else {
                    c.eat("COLUMN");
                    Some(Kind::Column)
                }
            }
            _ => None,
        };
        if let Some(kind) = kind {
            let guard: &[&str] = match verb {
                Verb::Create => &["IF", "NOT", "EXISTS"],
                Verb::Drop => &["IF", "EXISTS"],
            };
            c.eat_all(guard);
            if let Some(name) = c.name() {
                out.push(with_table(object(kind, name), Some(table.clone())));
            }
        }
        if c.at == start && c.words.get(c.at).is_none() {
            return;
        }
        if !c.skip_past(",") {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn left(up: &str, down: &str) -> Vec<String> {
        compare(up, down)
            .left
            .iter()
            .map(Object::drop_statement)
            .collect()
    }

    fn foreign(up: &str, down: &str) -> Vec<String> {
        compare(up, down)
            .foreign
            .iter()
            .map(|o| o.shown.clone())
            .collect()
    }

    #[test]
    fn each_kind_is_found_and_its_drop_suggested() {
        let cases = [
            (
                "CREATE TABLE IF NOT EXISTS t (id int)",
                "DROP TABLE IF EXISTS t;",
            ),
            (
                "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int",
                "ALTER TABLE t DROP COLUMN IF EXISTS c;",
            ),
            (
                "CREATE UNIQUE INDEX IF NOT EXISTS i ON public.t (c)",
                "DROP INDEX IF EXISTS i;",
            ),
            (
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c)",
                "DROP INDEX CONCURRENTLY IF EXISTS i;",
            ),
            (
                "ALTER TABLE t ADD CONSTRAINT t_c_check CHECK (c > 0)",
                "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_c_check;",
            ),
            (
                "CREATE TYPE mood AS ENUM ('a')",
                "DROP TYPE IF EXISTS mood;",
            ),
            (
                "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); \
                 EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "DROP TYPE IF EXISTS mood;",
            ),
            (
                "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'",
                "DROP FUNCTION IF EXISTS f;",
            ),
            (
                "CREATE OR REPLACE VIEW v AS SELECT 1",
                "DROP VIEW IF EXISTS v;",
            ),
            (
                "CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
                "DROP TRIGGER IF EXISTS tr ON t;",
            ),
            (
                "CREATE SEQUENCE IF NOT EXISTS s",
                "DROP SEQUENCE IF EXISTS s;",
            ),
            (
                "CREATE SCHEMA IF NOT EXISTS app",
                "DROP SCHEMA IF EXISTS app;",
            ),
            (
                "CREATE POLICY p ON t USING (true)",
                "DROP POLICY IF EXISTS p ON t;",
            ),
        ];
        for (up, help) in cases {
            assert_eq!(left(up, "SELECT 1"), [help], "{up}");
            assert!(left(up, help).is_empty(), "{up} / {help}");
        }
    }

    #[test]
    fn a_parent_drop_covers_its_children() {
        let up = "CREATE TABLE IF NOT EXISTS t (id int);
                  CREATE INDEX IF NOT EXISTS i ON t (id);
                  ALTER TABLE t ADD COLUMN IF NOT EXISTS c int, ADD CONSTRAINT k UNIQUE (c);
                  CREATE POLICY p ON t USING (true);";
        assert!(left(up, "DROP TABLE IF EXISTS t;").is_empty());
        let up = "CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.t (id int);
                  CREATE INDEX IF NOT EXISTS i ON app.t (id);";
        assert!(left(up, "DROP SCHEMA IF EXISTS app CASCADE;").is_empty());
        assert_eq!(
            left(up, "DROP SCHEMA IF EXISTS app;"),
            ["DROP TABLE IF EXISTS app.t;", "DROP INDEX IF EXISTS i;"]
        );
    }

    #[test]
    fn a_drop_of_something_else_is_foreign() {
        let up = "ALTER TABLE users ADD COLUMN IF NOT EXISTS c int";
        assert_eq!(foreign(up, "DROP TABLE IF EXISTS users;"), ["users"]);
        assert!(foreign(up, "ALTER TABLE users DROP COLUMN IF EXISTS c").is_empty());
        assert_eq!(
            foreign(
                "CREATE TABLE IF NOT EXISTS a (id int)",
                "DROP TABLE IF EXISTS a, b"
            ),
            ["b"]
        );
    }
}
