//! The `migrations!` proc macro of the `migrate` crate. Use it through `migrate::migrations!`.
//!
//! A thin shell: `parse` turns the tokens into entries, `validate` turns them into the entry
//! pipeline's entries (attributes into options) and its diagnostics into compiler errors on
//! spans (the list, SQL and option rules live in `migrate_core::pipeline`, shared with the
//! directory loader and `migrate lint`), and `expand` emits the static table.

mod attributes;
mod diagnostics;
mod expand;
#[cfg(test)]
mod front_ends;
mod list_attributes;
mod lock;
mod parse;
mod test_attr;
mod validate;

use proc_macro::TokenStream;

/// Declares the application's PostgreSQL migrations, checked when the crate is built.
///
/// ```text
/// migrations! {
///     "<digits>_<snake_name>" => "<sql>",               // string or raw string literal
///     #[no_transaction]                                  // run statement by statement
///     "<digits>_<snake_name>" => r#"<sql>"#,
///     #[allow(<rule>, reason = "why a second run is safe")]
///     "<digits>_<snake_name>" => file("migrations/x.sql"), // relative to CARGO_MANIFEST_DIR
/// }
/// ```
///
/// The value is a `migrate::Migrations`, usable as a `static` (or `const`) initialiser. For each
/// entry it holds the version, number, name, SQL, the statements (split at build time), the
/// transaction mode and the checksum:
///
/// ```
/// use migrate::{Migrations, TransactionMode, migrations};
///
/// pub static MIGRATIONS: Migrations = migrations! {
///     "001_initial_tables" => "
///         CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);
///     ",
///     /// Doc comments may document an entry.
///     "002_user_position" => r#"ALTER TABLE users ADD COLUMN IF NOT EXISTS "position" TEXT;"#,
///     #[no_transaction]
///     "003_users_email_idx" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
///     #[allow(insert_without_on_conflict, reason = "audit rows are meant to accumulate")]
///     "10_audit_deploy" => "INSERT INTO audit_log (event) VALUES ('schema 10');",
/// };
///
/// let m = MIGRATIONS.get("003_users_email_idx").unwrap();
/// assert_eq!((m.number(), m.name()), (3, "users_email_idx"));
/// assert_eq!(m.transaction_mode(), TransactionMode::NoTransaction);
/// assert_eq!(m.statements().count(), 1);
/// assert_eq!(m.checksum(), migrate::Checksum::of_sql(m.sql()));
/// assert_eq!(MIGRATIONS.iter().map(|m| m.number()).collect::<Vec<_>>(), [1, 2, 3, 10]);
/// ```
///
/// A statement that a second run would break fails the build, with the fix:
///
/// ```compile_fail
/// static MIGRATIONS: migrate::Migrations = migrate::migrations! {
///     // error: [unnamed_index] migration `001_users_email`, statement 1 (line 1): CREATE INDEX
///     // without a name: a second run silently builds a duplicate index …
///     //   help: CREATE INDEX IF NOT EXISTS users_email_idx ON users (email)
///     "001_users_email" => "CREATE INDEX ON users (email);",
/// };
/// ```
///
/// # What fails the build
///
/// Every problem of the list is reported at once, each spanned on the offending entry:
///
/// - the list: `invalid_version` (not `<digits>_<lower_snake_name>`), `duplicate_version`
///   (a number used twice, even with another name; the first use is pointed at too),
///   `version_order` (a number not greater than the previous entry's, compared as integers);
/// - the attributes: anything but `#[no_transaction]`, `#[allow(…)]` and doc comments; an
///   `#[allow]` without a non-empty `reason = "…"`, or naming an unknown rule (the error lists
///   the accepted names);
/// - `file("…")` that cannot be read;
/// - the SQL, by the entry pipeline of `migrate_core::pipeline` (shared with the directory
///   loader and `migrate lint`): `syntax_error`, `empty_migration`,
///   `transaction_control`, `requires_no_transaction` (never silenced), and the idempotency
///   rules (family `non_idempotent`): `missing_if_not_exists`, `missing_if_exists`,
///   `missing_or_replace`, `unnamed_index`, `unnamed_constraint`, `unguarded_statement`,
///   `if_exists_wrong_level`, `insert_without_on_conflict`, `destructive_rerun`,
///   `not_guardable`, `unchecked_dynamic_sql`. Each message names the migration, the statement
///   and its line, what a second run would do, and the corrected statement.
///
/// Checker warnings (`broad_exception_guard`, `on_conflict_without_target`) and the
/// zero-downtime hazards (squawk's lock, rewrite and compatibility rules, ids such as
/// `require-concurrent-index-creation`; see the README's "Hazards") do not fail the build: they
/// are emitted as compiler warnings at the SQL literal (as uses of a deprecated item, the only
/// warning channel stable Rust gives a proc macro; `#[allow(deprecated)]` on the item silences
/// them).
///
/// `#![deny(hazards)]` at the top of the list makes every hazard an error,
/// `#![deny(<hazard>, …)]` some (written with `_`: `#![deny(adding_field_with_default)]`):
///
/// ```compile_fail
/// static MIGRATIONS: migrate::Migrations = migrate::migrations! {
///     #![deny(hazards)]
///     "001_users" => "CREATE TABLE IF NOT EXISTS users (id bigint, email text);",
///     // error: [require-concurrent-index-creation] migration `002_users_email_idx`, …
///     "002_users_email_idx" => "CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);",
/// };
/// ```
///
/// `#[allow(non_idempotent, reason = "…")]` silences the whole idempotency family for one
/// entry, `#[allow(hazards, reason = "…")]` every hazard; `#[allow(<rule id>, reason = "…")]`
/// silences one rule. Several `#[allow]`s may be
/// stacked on one entry.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as parse::Input);
    expand::expand(validate::validate(input)).into()
}

/// Makes an `async fn` a test on a fresh PostgreSQL database, like `#[sqlx::test]`, with the
/// list applied by cloning a template database instead of re-running it. Use it as
/// `#[migrate::test]` (the `migrate` crate's `testing` feature).
///
/// - `#[migrate::test(MIGRATIONS)] async fn t(pool: PgPool)`: a database with `MIGRATIONS`
///   applied (any expression of type `Migrations`); `PgConnection` instead of `PgPool` gives
///   one connection.
/// - `#[migrate::test] async fn t(pool: PgPool)`: an empty database.
/// - `#[migrate::test] async fn t()`: just the tokio runtime.
///
/// The function may return `()` or a `Result` as `#[test]` allows, and carry other test
/// attributes (`#[ignore]`, `#[should_panic]`). The database is dropped after the test, also
/// when it fails; the server is chosen as `migrate::testing::Server` describes.
///
/// ```no_run
/// use migrate::{Migrations, migrations};
/// use migrate::testing::PgPool;
///
/// static MIGRATIONS: Migrations = migrations! {
///     "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);",
/// };
///
/// #[migrate::test(MIGRATIONS)]
/// async fn gets_a_pool(pool: PgPool) {
///     assert!(!pool.is_closed());
/// }
/// # fn main() {}
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}
