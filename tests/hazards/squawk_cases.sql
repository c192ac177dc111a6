-- SQL cases copied from squawk-linter 2.68.0's own tests (src/rules/<file>.rs, the test
-- modules), one case per block: `-- case: <file>::<test>` starts a block. tests/hazards.rs
-- checks each one through the pipeline and through squawk-linter alone.

-- case: require_concurrent_index_creation::fix_add_concurrently_named_index#0
CREATE INDEX i ON t (c);

-- case: require_concurrent_index_creation::fix_add_concurrently_unnamed_index#0
CREATE INDEX ON t (a);

-- case: require_concurrent_index_creation::adding_index_non_concurrently_err#0
-- instead of
CREATE INDEX "field_name_idx" ON "table_name" ("field_name");

-- case: require_concurrent_index_creation::adding_index_concurrently_ok#0
-- use CONCURRENTLY
CREATE INDEX CONCURRENTLY "field_name_idx" ON "table_name" ("field_name");

-- case: require_concurrent_index_creation::new_table_ok#0
BEGIN;
CREATE TABLE "core_foo" (
"id" serial NOT NULL PRIMARY KEY,
"tenant_id" integer NULL
);
CREATE INDEX "core_foo_tenant_id_4d397ef9" ON "core_foo" ("tenant_id");
COMMIT;

-- case: require_concurrent_index_creation::new_table_in_assume_transaction_ok#0
CREATE TABLE "core_foo" (
"id" serial NOT NULL PRIMARY KEY,
"tenant_id" integer NULL
);
CREATE INDEX "core_foo_tenant_id_4d397ef9" ON "core_foo" ("tenant_id");

-- case: require_concurrent_index_deletion::fix_add_concurrently_simple#0
drop index i;

-- case: require_concurrent_index_deletion::fix_add_concurrently_if_exists#0
DROP INDEX IF EXISTS "field_name_idx";

-- case: require_concurrent_index_deletion::fix_add_concurrently_multiple_indexes#0
DROP INDEX "idx1", "idx2";

-- case: require_concurrent_index_deletion::drop_index_missing_concurrently_err#0
-- instead of
  DROP INDEX IF EXISTS "field_name_idx";

-- case: require_concurrent_index_deletion::drop_index_concurrently_ok#0
DROP INDEX CONCURRENTLY IF EXISTS "field_name_idx";

-- case: require_concurrent_index_deletion::regression_false_positive_drop_table_ok#0
DROP TABLE IF EXISTS some_table;

-- case: require_concurrent_index_deletion::regression_false_positive_drop_trigger_ok#0
DROP TRIGGER IF EXISTS trigger on foo_table;

-- case: constraint_missing_not_valid::not_valid_validate_transaction_err#0
BEGIN;
ALTER TABLE "app_email" ADD CONSTRAINT "fk_user" FOREIGN KEY (user_id) REFERENCES "app_user" (id) NOT VALID;
ALTER TABLE "app_email" VALIDATE CONSTRAINT "fk_user";
COMMIT;

-- case: constraint_missing_not_valid::not_valid_validate_assume_transaction_err#0
ALTER TABLE "app_email" ADD CONSTRAINT "fk_user" FOREIGN KEY (user_id) REFERENCES "app_user" (id) NOT VALID;
ALTER TABLE "app_email" VALIDATE CONSTRAINT "fk_user";

-- case: constraint_missing_not_valid::not_valid_validate_with_assume_in_transaction_with_explicit_commit_err#0
ALTER TABLE "app_email" ADD CONSTRAINT "fk_user" FOREIGN KEY (user_id) REFERENCES "app_user" (id) NOT VALID;
ALTER TABLE "app_email" VALIDATE CONSTRAINT "fk_user";
COMMIT;

-- case: constraint_missing_not_valid::adding_fk_err#0
-- instead of
ALTER TABLE distributors ADD CONSTRAINT distfk FOREIGN KEY (address) REFERENCES addresses (address);

-- case: constraint_missing_not_valid::adding_fk_not_valid_ok#0
-- use `NOT VALID`
ALTER TABLE distributors ADD CONSTRAINT distfk FOREIGN KEY (address) REFERENCES addresses (address) NOT VALID;
ALTER TABLE distributors VALIDATE CONSTRAINT distfk;

-- case: constraint_missing_not_valid::adding_using_index_ok#0
ALTER TABLE account ADD CONSTRAINT account_pk PRIMARY KEY USING INDEX account_pk_idx;

-- case: constraint_missing_not_valid::adding_check_constraint_err#0
-- instead of
ALTER TABLE "accounts" ADD CONSTRAINT "positive_balance" CHECK ("balance" >= 0);

-- case: constraint_missing_not_valid::adding_check_constraint_ok#0
-- use `NOT VALID`
ALTER TABLE "accounts" ADD CONSTRAINT "positive_balance" CHECK ("balance" >= 0) NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT positive_balance;

-- case: constraint_missing_not_valid::new_table_with_transaction_ok#0
BEGIN;
CREATE TABLE "core_foo" (
"id" serial NOT NULL PRIMARY KEY,
"age" integer NOT NULL
);
ALTER TABLE "core_foo" ADD CONSTRAINT "age_restriction" CHECK ("age" >= 25);
COMMIT;

-- case: constraint_missing_not_valid::new_table_assume_transaction_ok#0
CREATE TABLE "core_foo" (
"id" serial NOT NULL PRIMARY KEY,
"age" integer NOT NULL
);
ALTER TABLE "core_foo" ADD CONSTRAINT "age_restriction" CHECK ("age" >= 25);

-- case: constraint_missing_not_valid::using_unique_index_ok#0
ALTER TABLE "app_email" ADD CONSTRAINT "email_uniq" UNIQUE USING INDEX "email_idx";

-- case: adding_foreign_key_constraint::create_table_with_foreign_key_constraint#0
BEGIN;
CREATE TABLE email (
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id BIGINT,
    email TEXT,
    PRIMARY KEY(id),
    CONSTRAINT fk_user
        FOREIGN KEY ("user_id")
        REFERENCES "user" ("id")
);
COMMIT;

-- case: adding_foreign_key_constraint::create_table_with_column_references#0
CREATE TABLE table_name (
    id BIGSERIAL NOT NULL,
    my_fk_id INTEGER NOT NULL REFERENCES other_table (id) ON DELETE CASCADE
);

-- case: adding_foreign_key_constraint::alter_table_foreign_key_assume_transaction#0
CREATE TABLE "emails" ("id" UUID NOT NULL, "user_id" UUID NOT NULL);
ALTER TABLE "emails" ADD CONSTRAINT "fk_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id");

-- case: adding_foreign_key_constraint::alter_table_foreign_key_in_transaction#0
BEGIN;
CREATE TABLE "emails" ("id" UUID NOT NULL, "user_id" UUID NOT NULL);
ALTER TABLE "emails" ADD CONSTRAINT "fk_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id");
COMMIT;

-- case: adding_foreign_key_constraint::add_foreign_key_constraint_not_valid_validate#0
BEGIN;
ALTER TABLE "email" ADD COLUMN "user_id" INT;
ALTER TABLE "email" ADD CONSTRAINT "fk_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id") NOT VALID;
ALTER TABLE "email" VALIDATE CONSTRAINT "fk_user";
COMMIT;

-- case: adding_foreign_key_constraint::add_foreign_key_constraint_lock#0
BEGIN;
ALTER TABLE "email" ADD COLUMN "user_id" INT;
ALTER TABLE "email" ADD CONSTRAINT "fk_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id");
COMMIT;

-- case: adding_foreign_key_constraint::add_column_references_lock#0
BEGIN;
ALTER TABLE "emails" ADD COLUMN "user_id" INT REFERENCES "user" ("id");
COMMIT;

-- case: adding_not_null_field::set_not_null#0
ALTER TABLE "core_recipe" ALTER COLUMN "foo" SET NOT NULL;

-- case: adding_not_null_field::domain_and_foreign_table_set_not_null_are_not_locking_warnings#0
ALTER DOMAIN d SET NOT NULL; ALTER FOREIGN TABLE ft ALTER COLUMN c SET NOT NULL;

-- case: adding_not_null_field::adding_field_that_is_not_nullable#0
BEGIN;
-- This will cause a table rewrite for Postgres versions before 11, but that is handled by
-- adding-field-with-default.
ALTER TABLE "core_recipe" ADD COLUMN "foo" integer DEFAULT 10 NOT NULL;
ALTER TABLE "core_recipe" ALTER COLUMN "foo" DROP DEFAULT;
COMMIT;

-- case: adding_not_null_field::adding_field_that_is_not_nullable_without_default#0
-- This won't work if the table is populated, but that error is caught by adding-required-field.
ALTER TABLE "core_recipe" ADD COLUMN "foo" integer NOT NULL;

-- case: adding_not_null_field::adding_field_that_is_not_nullable_in_version_11#0
BEGIN;
--
-- Add field foo to recipe
--
ALTER TABLE "core_recipe" ADD COLUMN "foo" integer NOT NULL DEFAULT 10;
COMMIT;

-- case: adding_not_null_field::regression_gh_issue_519#0
BEGIN;
-- Running upgrade a -> b
ALTER TABLE my_table ALTER COLUMN my_column SET NOT NULL;
UPDATE alembic_version SET version_num='b' WHERE alembic_version.version_num = 'a';
COMMIT;

-- case: adding_not_null_field::regression_gh_issue_628_pg16_with_validated_check_ok#0
BEGIN;
ALTER TABLE foo ADD COLUMN bar BIGINT;
ALTER TABLE foo ADD CONSTRAINT bar_not_null CHECK (bar IS NOT NULL) NOT VALID;
COMMIT;

BEGIN;
ALTER TABLE foo VALIDATE CONSTRAINT bar_not_null;
ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;
ALTER TABLE foo DROP CONSTRAINT bar_not_null;
COMMIT;

-- case: adding_not_null_field::regression_gh_issue_628_pg11_with_validated_check_err#0
BEGIN;
ALTER TABLE foo ADD COLUMN bar BIGINT;
ALTER TABLE foo ADD CONSTRAINT bar_not_null CHECK (bar IS NOT NULL) NOT VALID;
COMMIT;

BEGIN;
ALTER TABLE foo VALIDATE CONSTRAINT bar_not_null;
ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;
COMMIT;

-- case: adding_not_null_field::pg12_without_validated_check_err#0
ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;

-- case: adding_not_null_field::pg12_with_check_but_not_validated_err#0
ALTER TABLE foo ADD CONSTRAINT bar_not_null CHECK (bar IS NOT NULL) NOT VALID;
ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;

-- case: adding_not_null_field::pg16_cross_migration_validate_then_set_not_null_ok#0
ALTER TABLE foo VALIDATE CONSTRAINT foo_bar_not_null;

ALTER TABLE foo
ALTER COLUMN bar
SET NOT NULL;

ALTER TABLE foo
DROP CONSTRAINT foo_bar_not_null;

-- case: adding_not_null_field::pg12_cross_migration_validate_then_set_not_null_ok#0
ALTER TABLE foo VALIDATE CONSTRAINT foo_bar_not_null;
ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;
ALTER TABLE foo DROP CONSTRAINT foo_bar_not_null;

-- case: adding_not_null_field::pg12_with_different_column_validated_err#0
ALTER TABLE foo ADD CONSTRAINT baz_not_null CHECK (baz IS NOT NULL) NOT VALID;
ALTER TABLE foo VALIDATE CONSTRAINT baz_not_null;
ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;

-- case: adding_primary_key_constraint::serial_primary_key#0
ALTER TABLE a ADD COLUMN b SERIAL PRIMARY KEY;

-- case: adding_primary_key_constraint::plain_primary_key#0
ALTER TABLE items ADD PRIMARY KEY (id);

-- case: adding_primary_key_constraint::okay_add_constraint#0
ALTER TABLE items ADD CONSTRAINT items_pk PRIMARY KEY USING INDEX items_pk;

-- case: disallow_unique_constraint::adding_unique_constraint_err#0
ALTER TABLE table_name ADD CONSTRAINT field_name_constraint UNIQUE (field_name);

-- case: disallow_unique_constraint::ok#0
ALTER TABLE table_name DROP CONSTRAINT field_name_constraint;

-- case: disallow_unique_constraint::also_ok#0
CREATE UNIQUE INDEX CONCURRENTLY dist_id_temp_idx ON distributors (dist_id);
ALTER TABLE distributors DROP CONSTRAINT distributors_pkey,
ADD CONSTRAINT distributors_pkey PRIMARY KEY USING INDEX dist_id_temp_idx;

-- case: disallow_unique_constraint::unique_constraint_ok#0
CREATE UNIQUE INDEX CONCURRENTLY "legacy_questiongrouppg_mongo_id_1f8f47d9_uniq_idx"
    ON "legacy_questiongrouppg" ("mongo_id");
ALTER TABLE "legacy_questiongrouppg" ADD CONSTRAINT "legacy_questiongrouppg_mongo_id_1f8f47d9_uniq" UNIQUE USING INDEX "legacy_questiongrouppg_mongo_id_1f8f47d9_uniq_idx";

-- case: disallow_unique_constraint::unique_constraint_after_create_table#0
BEGIN;
CREATE TABLE products (
    id bigint generated by default as identity primary key,
    sku text not null
);
ALTER TABLE products ADD CONSTRAINT sku_constraint UNIQUE (sku);
COMMIT;

-- case: disallow_unique_constraint::unique_constraint_after_create_table_with_assume_in_transaction#0
CREATE TABLE products (
    id bigint generated by default as identity primary key,
    sku text not null
);
ALTER TABLE products ADD CONSTRAINT sku_constraint UNIQUE (sku);

-- case: disallow_unique_constraint::unique_constraint_inline_add_column_err#0
ALTER TABLE foo ADD COLUMN bar text CONSTRAINT foo_bar_unique UNIQUE;

-- case: disallow_unique_constraint::unique_constraint_inline_add_column_unique_err#0
ALTER TABLE foo ADD COLUMN bar text UNIQUE;

-- case: require_concurrent_partition_detach::detach_partition_missing_concurrently_err#0
ALTER TABLE t DETACH PARTITION p;

-- case: require_concurrent_partition_detach::detach_partition_concurrently_ok#0
ALTER TABLE t DETACH PARTITION p CONCURRENTLY;

-- case: require_concurrent_partition_detach::detach_partition_finalize_ok#0
ALTER TABLE t DETACH PARTITION p FINALIZE;

-- case: require_concurrent_reindex::reindex_table_no_concurrently_err#0
REINDEX TABLE foo;

-- case: require_concurrent_reindex::reindex_index_no_concurrently_err#0
REINDEX INDEX foo;

-- case: require_concurrent_reindex::reindex_schema_no_concurrently_err#0
REINDEX SCHEMA foo;

-- case: require_concurrent_reindex::reindex_database_no_concurrently_err#0
REINDEX DATABASE foo;

-- case: require_concurrent_reindex::reindex_table_concurrently_ok#0
REINDEX TABLE CONCURRENTLY foo;

-- case: require_concurrent_reindex::reindex_index_concurrently_ok#0
REINDEX INDEX CONCURRENTLY foo;

-- case: require_concurrent_reindex::reindex_options_concurrently_ok#0
REINDEX (CONCURRENTLY) TABLE foo;

-- case: require_concurrent_reindex::reindex_system_ok#0
REINDEX SYSTEM mydb;

-- case: ban_create_domain_with_constraint::err#0
CREATE DOMAIN domain_name_3 AS NUMERIC(15,5) CHECK (value > 0);

-- case: ban_create_domain_with_constraint::err_with_multiple_constraints#0
create domain d as t check (value > 0) not null;

-- case: ban_create_domain_with_constraint::ok#0
CREATE DOMAIN domain_name_1 AS TEXT;
CREATE DOMAIN domain_name_2 AS CHARACTER VARYING;

-- case: ban_alter_domain_with_add_constraint::err#0
ALTER DOMAIN domain_name ADD CONSTRAINT constraint_name CHECK (value > 0);

-- case: ban_alter_domain_with_add_constraint::ok#0
ALTER DOMAIN domain_name_2 SET NOT NULL;
     ALTER DOMAIN domain_name_3 DROP CONSTRAINT other_domain_name;
     ALTER DOMAIN domain_name_4 RENAME CONSTRAINT constraint_name TO other_constraint_name;
     ALTER DOMAIN domain_name_5 RENAME TO other_domain_name;
     ALTER DOMAIN domain_name_6 VALIDATE CONSTRAINT constraint_name;
     ALTER DOMAIN domain_name_7 OWNER TO you;
     ALTER DOMAIN domain_name_8 SET SCHEMA foo;

-- case: adding_field_with_default::docs_example_ok_post_pg_11#0
-- instead of
ALTER TABLE "core_recipe" ADD COLUMN "foo" integer DEFAULT 10;

-- case: adding_field_with_default::docs_example_ok#0
-- use
ALTER TABLE "core_recipe" ADD COLUMN "foo" integer;
ALTER TABLE "core_recipe" ALTER COLUMN "foo" SET DEFAULT 10;
-- backfill
-- remove nullability

-- case: adding_field_with_default::default_uuid_error_multi_stmt#0
alter table t set logged, add column c integer default uuid();

-- case: adding_field_with_default::default_uuid_error#0
ALTER TABLE "core_recipe" ADD COLUMN "foo" integer DEFAULT uuid();

-- case: adding_field_with_default::default_volatile_func_err#0
-- VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" boolean DEFAULT random();

-- case: adding_field_with_default::default_bool_ok#0
-- NON-VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" boolean DEFAULT true;

-- case: adding_field_with_default::default_empty_array_ok#0
alter table t add column a double precision[] default array[]::double precision[];

alter table t add column b bigint[] default cast(array[] as bigint[]);

alter table t add column c text[] default array['foo', 'bar']::text[];

-- case: adding_field_with_default::default_with_const_bin_expr#0
ALTER TABLE assessments
ADD COLUMN statistics_last_updated_at timestamptz NOT NULL DEFAULT now() - interval '100 years';

-- case: adding_field_with_default::default_str_ok#0
-- NON-VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" text DEFAULT 'some-str';

-- case: adding_field_with_default::default_enum_ok#0
-- NON-VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" some_enum_type DEFAULT 'my-enum-variant';

-- case: adding_field_with_default::default_jsonb_ok#0
-- NON-VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" jsonb DEFAULT '{}'::jsonb;

-- case: adding_field_with_default::arbitrary_func_err#0
-- NON-VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" jsonb DEFAULT myjsonb();

-- case: adding_field_with_default::default_random_with_args_err#0
-- NON-VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" timestamptz DEFAULT now(123);

-- case: adding_field_with_default::default_func_now_ok#0
-- NON-VOLATILE
ALTER TABLE "core_recipe" ADD COLUMN "foo" timestamptz DEFAULT now();

-- case: adding_field_with_default::default_func_current_timestamp_ok#0
alter table t add column c timestamptz default current_timestamp;

-- case: adding_field_with_default::add_numbers_ok#0
alter table account_metadata add column blah integer default 2 + 2;

-- case: adding_field_with_default::generated_stored_err#0
ALTER TABLE foo
ADD COLUMN bar numeric GENERATED ALWAYS AS (bar + baz) STORED;

-- case: changing_column_type::err#0
BEGIN;
--
-- Alter field edits on recipe
--
ALTER TABLE "core_recipe" ALTER COLUMN "edits" TYPE text USING "edits"::text;
COMMIT;

-- case: changing_column_type::another_err#0
BEGIN;
--
-- Alter field foo on recipe
--
ALTER TABLE "core_recipe" ALTER COLUMN "foo" TYPE varchar(255) USING "foo"::varchar(255);
ALTER TABLE "core_recipe" ALTER COLUMN "foo" TYPE text USING "foo"::text;
COMMIT;

-- case: changing_column_type::other_column_types#0
ALTER TYPE composite ALTER ATTRIBUTE a TYPE text; ALTER FOREIGN TABLE ft ALTER COLUMN a TYPE text;

-- case: renaming_column::err#0
ALTER TABLE "table_name" RENAME COLUMN "column_name" TO "new_column_name";

-- case: renaming_column::other_renames#0
ALTER FOREIGN TABLE ft RENAME COLUMN a TO b; ALTER VIEW v RENAME COLUMN a TO b; ALTER MATERIALIZED VIEW mv RENAME COLUMN a TO b; ALTER TYPE composite RENAME ATTRIBUTE old TO renamed;

-- case: renaming_column::ok#0
ALTER VIEW v RENAME TO v2;

-- case: renaming_table::err#0
ALTER TABLE "table_name" RENAME TO "new_table_name";

-- case: renaming_object::err#0
ALTER VIEW v RENAME TO v2; ALTER MATERIALIZED VIEW mv RENAME TO mv2; ALTER FUNCTION f() RENAME TO f2; ALTER PROCEDURE p() RENAME TO p2; ALTER TYPE typ RENAME TO typ2; ALTER SEQUENCE seq RENAME TO seq2; ALTER SCHEMA s RENAME TO s2; ALTER DOMAIN d RENAME TO d2; ALTER INDEX i RENAME TO i2; ALTER TYPE typ RENAME VALUE 'a' TO 'b';

-- case: renaming_object::aggregate#0
ALTER AGGREGATE agg(int) RENAME TO agg2;

-- case: renaming_object::other_renames#0
ALTER FOREIGN TABLE ft RENAME TO ft2; ALTER ROUTINE f() RENAME TO g; ALTER TABLE t RENAME CONSTRAINT old TO renamed; ALTER DOMAIN d RENAME CONSTRAINT old TO renamed; ALTER ROLE app RENAME TO app2; ALTER USER app RENAME TO app2; ALTER GROUP app RENAME TO app2; ALTER DATABASE db RENAME TO db2; ALTER TRIGGER tr ON t RENAME TO tr2; ALTER POLICY p ON t RENAME TO p2;

-- case: renaming_object::ok#0
ALTER TABLE t RENAME TO t2; ALTER TABLE t RENAME COLUMN c TO d;

-- case: renaming_object::ok#1
ALTER AGGREGATE agg(int) OWNER TO app;

-- case: renaming_object::ok#2
ALTER POLICY p ON t USING (true);

-- case: adding_required_field::nullable_ok#0
ALTER TABLE "recipe" ADD COLUMN "public" boolean;

-- case: adding_required_field::not_null_with_default#0
ALTER TABLE "recipe" ADD COLUMN "public" boolean NOT NULL DEFAULT true;

-- case: adding_required_field::not_null_without_default#0
ALTER TABLE "recipe" ADD COLUMN "public" boolean NOT NULL;

-- case: adding_required_field::generated_stored_not_null_ok#0
ALTER TABLE foo
    ADD COLUMN bar numeric GENERATED ALWAYS AS (bar + baz) STORED NOT NULL;

-- case: adding_required_field::generated_stored_ok#0
ALTER TABLE foo
    ADD COLUMN bar numeric GENERATED ALWAYS AS (bar + baz) STORED ;

-- case: ban_drop_column::err#0
ALTER TABLE "bar_tbl" DROP COLUMN "foo_col" CASCADE;

-- case: ban_drop_column::other_columns#0
ALTER TYPE composite DROP ATTRIBUTE a; ALTER FOREIGN TABLE ft DROP COLUMN a;

-- case: ban_drop_table::err#0
DROP TABLE "table_name";
DROP TABLE IF EXISTS "table_name";
DROP TABLE IF EXISTS "table_name"

-- case: ban_drop_not_null::err#0
ALTER TABLE "bar_tbl" ALTER COLUMN "foo_col" DROP NOT NULL;

-- case: ban_drop_default::err#0
ALTER TABLE tbl ALTER COLUMN c DROP DEFAULT;
ALTER TABLE IF EXISTS tbl ALTER COLUMN c DROP DEFAULT;
ALTER TABLE tbl ALTER COLUMN c DROP DEFAULT, ALTER COLUMN d DROP DEFAULT;

-- case: ban_drop_default::ok#0
ALTER TABLE tbl ALTER COLUMN c SET DEFAULT 1; ALTER TABLE tbl ALTER COLUMN c DROP NOT NULL; DROP DOMAIN d; DROP INDEX i;

-- case: ban_drop_constraint::err#0
ALTER TABLE t DROP CONSTRAINT IF EXISTS c;

-- case: ban_drop_constraint::other_constraints#0
ALTER DOMAIN d DROP CONSTRAINT c; ALTER TABLE t ALTER CONSTRAINT c NOT ENFORCED; ALTER FOREIGN TABLE ft DROP CONSTRAINT c;

-- case: ban_drop_constraint::ok#0
ALTER TABLE t ADD CONSTRAINT c CHECK (id > 0);

-- case: ban_drop_constraint::ok#1
ALTER TABLE t ALTER CONSTRAINT c ENFORCED;

-- case: ban_drop_generated_expression::drop_expression#0
ALTER TABLE t ALTER COLUMN c DROP EXPRESSION;

-- case: ban_drop_generated_expression::other_generated_operations#0
ALTER TABLE t ALTER COLUMN c SET EXPRESSION AS (a + b);

-- case: ban_alter_identity::err#0
ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY; ALTER TABLE t ALTER COLUMN id DROP IDENTITY; ALTER TABLE t ALTER COLUMN id SET GENERATED ALWAYS;

-- case: ban_alter_identity::ok#0
ALTER TABLE t ALTER COLUMN id SET DEFAULT 1; ALTER TABLE t ALTER COLUMN id SET GENERATED BY DEFAULT;

-- case: ban_drop_view::err#0
DROP VIEW v;
DROP VIEW IF EXISTS v CASCADE;
DROP MATERIALIZED VIEW mv;
DROP MATERIALIZED VIEW IF EXISTS mv CASCADE;

-- case: ban_drop_view::ok#0
CREATE VIEW v AS SELECT 1; DROP INDEX i;

-- case: ban_drop_function::err#0
DROP FUNCTION f(int);
DROP FUNCTION IF EXISTS f(int) CASCADE;
DROP PROCEDURE p(int);
DROP PROCEDURE IF EXISTS p(int) CASCADE;

-- case: ban_drop_function::ok#0
DROP INDEX i; CREATE VIEW v AS SELECT 1;

-- case: ban_drop_type::err#0
DROP TYPE t;
DROP TYPE IF EXISTS t CASCADE;

-- case: ban_drop_type::ok#0
CREATE TYPE t AS ENUM ('a'); DROP INDEX i;

-- case: ban_drop_schema::err#0
DROP SCHEMA IF EXISTS s CASCADE;

-- case: ban_drop_schema::ok#0
CREATE SCHEMA s;

-- case: ban_drop_sequence::err#0
DROP SEQUENCE IF EXISTS s CASCADE;

-- case: ban_drop_sequence::ok#0
CREATE SEQUENCE s;

-- case: ban_drop_domain::err#0
DROP DOMAIN IF EXISTS d CASCADE;

-- case: ban_drop_domain::ok#0
CREATE DOMAIN d AS integer;

-- case: ban_drop_extension::drop_extension#0
DROP EXTENSION IF EXISTS hstore;

-- case: ban_drop_extension::drop_extension#1
CREATE EXTENSION hstore;

-- case: ban_set_schema::err#0
ALTER TABLE t SET SCHEMA s; ALTER VIEW v SET SCHEMA s; ALTER MATERIALIZED VIEW mv SET SCHEMA s; ALTER FUNCTION f() SET SCHEMA s; ALTER TYPE typ SET SCHEMA s; ALTER SEQUENCE seq SET SCHEMA s; ALTER DOMAIN d SET SCHEMA s;

-- case: ban_set_schema::aggregate_and_extension#0
ALTER AGGREGATE agg(int) SET SCHEMA s; ALTER EXTENSION hstore SET SCHEMA s;

-- case: ban_set_schema::other_schema_moves#0
ALTER PROCEDURE p() SET SCHEMA s; ALTER ROUTINE f() SET SCHEMA s; ALTER FOREIGN TABLE ft SET SCHEMA s;

-- case: ban_set_schema::ok#0
ALTER TABLE t OWNER TO app;

-- case: prefer_robust_stmts::alembic_add_column_in_separate_transaction_err#0
BEGIN;
ALTER TABLE t ADD COLUMN test_column TEXT;
COMMIT;

SELECT 1;

BEGIN;
UPDATE alembic_version SET version_num='bbc810e82b46' WHERE alembic_version.version_num = 'b4d17e0c93aa';
COMMIT;

-- case: prefer_robust_stmts::alembic_add_column_with_if_not_exists_in_separate_transaction_ok#0
BEGIN;
ALTER TABLE t ADD COLUMN IF NOT EXISTS test_column TEXT;
COMMIT;

BEGIN;
UPDATE alembic_version SET version_num='bbc810e82b46' WHERE alembic_version.version_num = 'b4d17e0c93aa';
COMMIT;

-- case: prefer_robust_stmts::alembic_add_column_in_version_transaction_ok#0
BEGIN;
ALTER TABLE t ADD COLUMN test_column TEXT;
UPDATE alembic_version SET version_num='bbc810e82b46' WHERE alembic_version.version_num = 'b4d17e0c93aa';
COMMIT;

-- case: prefer_robust_stmts::alembic_multiple_migrations_in_own_transactions_ok#0
BEGIN;
ALTER TABLE t ADD COLUMN a TEXT;
UPDATE alembic_version SET version_num='v2' WHERE version_num='v1';
COMMIT;

BEGIN;
ALTER TABLE t ADD COLUMN b TEXT;
UPDATE alembic_version SET version_num='v3' WHERE version_num='v2';
COMMIT;

-- case: prefer_robust_stmts::alembic_drop_table_in_separate_transaction_err#0
BEGIN;
DROP TABLE old_table;
COMMIT;

BEGIN;
UPDATE alembic_version SET version_num='abc';
COMMIT;

-- case: prefer_robust_stmts::alembic_drop_table_with_if_exists_in_separate_transaction_ok#0
BEGIN;
DROP TABLE IF EXISTS old_table;
COMMIT;

BEGIN;
UPDATE alembic_version SET version_num='abc';
COMMIT;

-- case: prefer_robust_stmts::alembic_create_index_in_separate_transaction_err#0
BEGIN;
CREATE INDEX foo_idx ON bar (baz);
COMMIT;

BEGIN;
UPDATE alembic_version SET version_num='abc';
COMMIT;

-- case: prefer_robust_stmts::fix_drop_type_if_exists#0
drop type t;
DROP TYPE f;

-- case: prefer_robust_stmts::fix_drop_index_if_exists#0
drop index i;
DROP INDEX CONCURRENTLY idx;

-- case: prefer_robust_stmts::fix_drop_table_if_exists#0
drop table t;
DROP TABLE users;

-- case: prefer_robust_stmts::fix_create_index_if_not_exists#0
create index idx on items (col);
CREATE INDEX CONCURRENTLY idx2 ON users (email);

-- case: prefer_robust_stmts::fix_create_table_if_not_exists#0
create table t (id int);
CREATE TABLE users (id serial, name text);

-- case: prefer_robust_stmts::fix_alter_table_add_column_if_not_exists#0
alter table t add column c text;
ALTER TABLE users ADD COLUMN email text;

-- case: prefer_robust_stmts::fix_alter_table_drop_column_if_exists#0
alter table t drop column c;
ALTER TABLE users DROP COLUMN email;

-- case: prefer_robust_stmts::fix_alter_table_drop_constraint_if_exists#0
alter table t drop constraint c;
ALTER TABLE users DROP CONSTRAINT pk_users;

-- case: prefer_robust_stmts::drop_before_end_ok#0
ALTER TABLE "app_email" DROP CONSTRAINT IF EXISTS "email_uniq";
ALTER TABLE "app_email" ADD CONSTRAINT "email_uniq" UNIQUE USING INDEX "email_idx";

-- case: prefer_robust_stmts::drop_index_if_exists_ok#0
select 1; -- so we don't skip checking
DROP INDEX CONCURRENTLY IF EXISTS "email_idx";

-- case: prefer_robust_stmts::drop_before_add_foreign_key_ok#0
ALTER TABLE "app_email" DROP CONSTRAINT IF EXISTS "fk_user";
ALTER TABLE "app_email" ADD CONSTRAINT "fk_user" FOREIGN KEY ("user_id") REFERENCES "app_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "app_email" VALIDATE CONSTRAINT "fk_user";

-- case: prefer_robust_stmts::prefer_robust_stmt_ok#0
BEGIN;
ALTER TABLE "core_foo" ADD COLUMN "answer_id" integer NULL;
COMMIT;

-- case: prefer_robust_stmts::prefer_robust_stmt_part_2_ok#0
select 1; -- so we don't skip checking
ALTER TABLE "core_foo" ADD COLUMN IF NOT EXISTS "answer_id" integer NULL;

-- case: prefer_robust_stmts::prefer_robust_stmt_part_3_ok#0
select 1; -- so we don't skip checking
CREATE INDEX CONCURRENTLY IF NOT EXISTS "core_foo_idx" ON "core_foo" ("answer_id");

-- case: prefer_robust_stmts::prefer_robust_stmt_part_4_ok#0
BEGIN;
CREATE TABLE "core_bar" (
    "id" serial NOT NULL PRIMARY KEY,
    "bravo" text NOT NULL
);
COMMIT;

-- case: prefer_robust_stmts::prefer_robust_stmt_part_5_ok#0
CREATE TABLE IF NOT EXISTS "core_bar" (
    "id" serial NOT NULL PRIMARY KEY,
    "bravo" text NOT NULL
);

-- case: prefer_robust_stmts::prefer_robust_stmt_part_6_ok#0
BEGIN;
DROP INDEX "core_bar_foo_id_idx";
DROP TABLE "core_bar";
DROP TYPE foo;
COMMIT;

-- case: prefer_robust_stmts::select_ok#0
select 1; -- so we don't skip checking
SELECT 1;

-- case: prefer_robust_stmts::insert_ok#0
select 1; -- so we don't skip checking
INSERT INTO tbl VALUES (a);

-- case: prefer_robust_stmts::alter_table_ok#0
select 1; -- so we don't skip checking
ALTER TABLE "core_foo" DROP CONSTRAINT IF EXISTS "core_foo_idx";

-- case: prefer_robust_stmts::assume_in_transaction_add_column_ok#0
select 1; -- so we don't skip checking
ALTER TABLE "core_foo" ADD COLUMN "answer_id" integer NULL;

-- case: prefer_robust_stmts::assume_in_transaction_drop_table_ok#0
DROP INDEX "core_bar_foo_id_idx";
DROP TABLE "core_bar";
DROP TYPE foo;

-- case: prefer_robust_stmts::assume_in_transaction_create_table_ok#0
CREATE TABLE "core_bar" (
    "id" serial NOT NULL PRIMARY KEY,
    "bravo" text NOT NULL
);

-- case: prefer_robust_stmts::create_index_concurrently_without_name_ok#0
CREATE INDEX CONCURRENTLY ON "table_name" ("field_name");
CREATE INDEX CONCURRENTLY ON "table_name" ("field_name");

-- case: prefer_robust_stmts::start_transaction_ok#0
START TRANSACTION;

ALTER TABLE "A" DROP CONSTRAINT "UQ_c4fb579a038211909ee524ccf29";

ALTER TABLE "B" DROP CONSTRAINT "UQ_791c01fe9438d66a94490d0da28";

ALTER TABLE "C" DROP CONSTRAINT "UQ_23fbf20e8ab4e806941359f4f79";

ALTER TABLE "D" DROP CONSTRAINT "UQ_468cad3743146a81c94b0b114ac";

COMMIT;

-- case: prefer_robust_stmts::create_index_concurrently_err#0
select 1; -- so we don't skip checking
CREATE INDEX CONCURRENTLY "core_foo_idx" ON "core_foo" ("answer_id");

-- case: prefer_robust_stmts::alter_table_drop_column_err#0
select 1; -- so we don't skip checking
alter table t drop column c cascade;

-- case: prefer_robust_stmts::alter_table_drop_column_ok#0
select 1; -- so we don't skip checking
alter table t drop column if exists c cascade;

-- case: prefer_robust_stmts::create_table_err#0
select 1; -- so we don't skip checking
CREATE TABLE "core_bar" ( "id" serial NOT NULL PRIMARY KEY, "bravo" text NOT NULL);

-- case: prefer_robust_stmts::alter_table_drop_constraint_err#0
select 1; -- so we don't skip checking
ALTER TABLE "core_foo" DROP CONSTRAINT "core_foo_idx";

-- case: prefer_robust_stmts::create_index_concurrently_unnamed_ok#0
select 1; -- so we don't skip checking
CREATE INDEX CONCURRENTLY ON "table_name" ("field_name");

-- case: prefer_robust_stmts::enable_row_level_security_err#0
CREATE TABLE IF NOT EXISTS test();
ALTER TABLE IF EXISTS test ENABLE ROW LEVEL SECURITY;

-- case: prefer_robust_stmts::enable_row_level_security_without_exists_check_err#0
CREATE TABLE IF NOT EXISTS test();
ALTER TABLE test ENABLE ROW LEVEL SECURITY;

-- case: prefer_robust_stmts::disable_row_level_security_err#0
CREATE TABLE IF NOT EXISTS test();
ALTER TABLE IF EXISTS test DISABLE ROW LEVEL SECURITY;

-- case: prefer_robust_stmts::double_add_after_drop_err#0
ALTER TABLE "app_email" DROP CONSTRAINT IF EXISTS "email_uniq";
ALTER TABLE "app_email" ADD CONSTRAINT "email_uniq" UNIQUE USING INDEX "email_idx";
-- this second add constraint should error because it's not robust
ALTER TABLE "app_email" ADD CONSTRAINT "email_uniq" UNIQUE USING INDEX "email_idx";

-- case: prefer_robust_stmts::alter_column_set_not_null#0
select 1; -- so we don't skip checking
alter table t alter column c set not null;

-- case: prefer_robust_stmts::drop_index_err#0
select 1; -- so we don't skip checking
DROP INDEX CONCURRENTLY "email_idx";

-- case: prefer_robust_stmts::create_temp_table_on_commit_drop_ok#0
select 1; -- so we don't skip checking
CREATE TEMP TABLE test_table (id int) ON COMMIT DROP;

-- case: prefer_robust_stmts::create_temporary_table_on_commit_drop_ok#0
select 1; -- so we don't skip checking
CREATE TEMPORARY TABLE test_table (id int) ON COMMIT DROP;

-- case: prefer_robust_stmts::create_temp_table_without_on_commit_drop_err#0
select 1; -- so we don't skip checking
CREATE TEMP TABLE test_table (id int);

-- case: prefer_robust_stmts::create_table_with_on_commit_drop_err#0
select 1; -- so we don't skip checking
CREATE TABLE test_table (id int) ON COMMIT DROP;

-- case: ban_concurrent_index_creation_in_transaction::ban_concurrent_index_creation_in_transaction_err#0
-- instead of
        BEGIN;
        CREATE INDEX CONCURRENTLY "field_name_idx" ON "table_name" ("field_name");
        COMMIT;

-- case: ban_concurrent_index_creation_in_transaction::ban_concurrent_index_creation_in_transaction_ok#0
-- run outside a transaction
  CREATE INDEX CONCURRENTLY "field_name_idx" ON "table_name" ("field_name");

-- case: ban_concurrent_index_creation_in_transaction::assuming_in_transaction_err#0
-- instead of
  CREATE UNIQUE INDEX CONCURRENTLY "field_name_idx" ON "table_name" ("field_name");
  ALTER TABLE "table_name" ADD CONSTRAINT "field_name_id" UNIQUE USING INDEX "field_name_idx";

-- case: ban_concurrent_index_creation_in_transaction::assuming_in_transaction_ok#0
-- run index creation in a standalone migration
  CREATE UNIQUE INDEX CONCURRENTLY "field_name_idx" ON "table_name" ("field_name");

-- case: ban_concurrent_index_creation_in_transaction::assuming_in_transaction_ok_also#0
-- the following will work too
  COMMIT;
  CREATE UNIQUE INDEX CONCURRENTLY "field_name_idx" ON "table_name" ("field_name");
  BEGIN;
  ALTER TABLE "table_name" ADD CONSTRAINT "field_name_id" UNIQUE USING INDEX "field_name_idx";

-- case: ban_concurrent_index_creation_in_transaction::squawk_disable_assume_in_transaction_overrides#0
-- squawk-disable-assume-in-transaction
CREATE INDEX CONCURRENTLY "field_name_idx" ON "table_name" ("field_name");
ALTER TABLE "table_name" ADD CONSTRAINT "field_name_id" UNIQUE USING INDEX "field_name_idx";

-- case: transaction_nesting::begin_repeated_err#0
BEGIN;
BEGIN;
SELECT 1;
COMMIT;

-- case: transaction_nesting::commit_repeated_err#0
BEGIN;
SELECT 1;
COMMIT;
COMMIT;

-- case: transaction_nesting::commit_with_assume_in_transaction_err#0
SELECT 1;
COMMIT;

-- case: transaction_nesting::rollback_with_assume_in_transaction_err#0
SELECT 1;
-- Not sure why rollback would be used in a migration, but test for completeness
ROLLBACK;

-- case: transaction_nesting::no_nesting_ok#0
BEGIN;
SELECT 1;
COMMIT;

-- case: transaction_nesting::no_nesting_repeated_ok#0
BEGIN;
SELECT 1;
COMMIT;
-- This probably shouldn't be done in a migration. However, Squawk may be linting several
-- migrations that are concatentated, so don't raise a warning here.
BEGIN;
SELECT 2;
COMMIT;

-- case: transaction_nesting::no_nesting_with_assume_transaction_ok#0
SELECT 1;

-- case: transaction_nesting::squawk_disable_assume_in_transaction_allows_begin_commit#0
-- squawk-disable-assume-in-transaction
BEGIN;
SELECT 1;
COMMIT;

-- case: ban_uncommitted_transaction::uncommitted_transaction_err#0
BEGIN;
CREATE TABLE users (id bigint);

-- case: ban_uncommitted_transaction::committed_transaction_ok#0
BEGIN;
CREATE TABLE users (id bigint);
COMMIT;

-- case: ban_uncommitted_transaction::rolled_back_transaction_ok#0
BEGIN;
CREATE TABLE users (id bigint);
ROLLBACK;

-- case: ban_uncommitted_transaction::no_transaction_ok#0
CREATE TABLE users (id bigint);

-- case: ban_uncommitted_transaction::multiple_transactions_last_uncommitted_err#0
BEGIN;
CREATE TABLE users (id bigint);
COMMIT;

BEGIN;
CREATE TABLE posts (id bigint);

-- case: ban_uncommitted_transaction::start_transaction_uncommitted_err#0
START TRANSACTION;
CREATE TABLE users (id bigint);

-- case: ban_uncommitted_transaction::nested_begin_only_last_uncommitted_err#0
BEGIN;
BEGIN;
COMMIT;

-- case: ban_uncommitted_transaction::begin_work_uncommitted_err#0
BEGIN WORK;
CREATE TABLE users (id bigint);

-- case: ban_uncommitted_transaction::fix_adds_commit_with_cr_line_endings#0
BEGIN;\rCREATE TABLE users (id bigint);

-- case: ban_uncommitted_transaction::fix_adds_commit_to_start_transaction#0
START TRANSACTION;
CREATE TABLE posts (id bigint);

-- case: ban_drop_database::ban_drop_database#0
DROP DATABASE "table_name";
        DROP DATABASE IF EXISTS "table_name";
        DROP DATABASE IF EXISTS "table_name"

-- case: ban_truncate_cascade::err#0
truncate a, b, c cascade;

-- case: ban_truncate_cascade::ok#0
truncate a, b, c;
        truncate a;

-- Our own cases, for the two differences by design (see tests/hazards.rs).

-- case: own::a_table_created_in_the_entry_is_new
CREATE TABLE IF NOT EXISTS t (id int, a text, b text);
ALTER TABLE t ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();
ALTER TABLE t ALTER COLUMN id TYPE bigint;
ALTER TABLE t DROP COLUMN IF EXISTS b;
ALTER TABLE u DROP COLUMN IF EXISTS b;

-- case: own::statements_inside_do_blocks
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'orders_user_fk') THEN
    ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
  END IF;
END
$$;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
