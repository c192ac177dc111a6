#!/usr/bin/env bash
# The build a new user gets: scratch application crates outside the workspace, depending on
# `migrate` by path, with no lock file, so cargo resolves every dependency afresh (the project's
# own Cargo.lock never reaches a user). Each crate declares a `migrations!` list with a
# `file(…)` entry and a `#[no_transaction]` entry, builds, applies it to a fresh database, then
# runs again and must apply nothing. A crate with one non-idempotent entry must fail to build
# and name the rule.
#
# Usage: .ci/downstream.sh            (DATABASE_URL names the server; default local postgres)
# Env:   DOWNSTREAM_DIR  where to put the scratch crates (default: a new temp dir, removed after)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
database_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
server_root="${database_url%/*}"

work="${DOWNSTREAM_DIR:-}"
if [ -z "$work" ]; then
  work="$(mktemp -d /tmp/migrate-downstream.XXXXXX)"
  remove_work=1
else
  mkdir -p "$work"
  remove_work=0
fi
databases=()
cleanup() {
  for db in "${databases[@]}"; do
    psql "$database_url" -XqAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [ "$remove_work" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# One target dir for all scratch crates: the dependencies are built once per feature set.
export CARGO_TARGET_DIR="$work/target"
# Make sure nothing above the scratch crates (a workspace, a lock file) takes part.
[ -e "$work/Cargo.toml" ] && { echo "downstream: $work/Cargo.toml must not exist" >&2; exit 2; }

write_crate() { # dir edition features main_rs
  local dir="$1" edition="$2" features="$3" main_rs="$4"
  mkdir -p "$dir/src" "$dir/migrations"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$(basename "$dir")"
version = "0.0.0"
edition = "$edition"
publish = false

[dependencies]
migrate = { path = "$repo", features = [$features] }
sqlx = { version = "0.8", default-features = false, features = ["postgres", "runtime-tokio"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
EOF
  cat >"$dir/migrations/002_notes.sql" <<'EOF'
-- A migration kept in a file, checked at build time like a literal.
CREATE TABLE IF NOT EXISTS notes (
    id      BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    body    TEXT NOT NULL
);
EOF
  printf '%s\n' "$main_rs" >"$dir/src/main.rs"
}

list_rs='static MIGRATIONS: migrate::Migrations = migrate::migrations! {
    "001_users" => "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL);",
    "002_notes" => file("migrations/002_notes.sql"),
    #[no_transaction]
    "003_notes_user_idx" => "CREATE INDEX CONCURRENTLY IF NOT EXISTS notes_user_id_idx ON notes (user_id);",
};'

# Default features: the library API.
library_main="$list_rs

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var(\"DATABASE_URL\")?;
    let pool = migrate::connect(&url).await?;
    let first = MIGRATIONS.run(&pool).await?;
    println!(\"first run: {first}\");
    assert_eq!(first.applied.len(), 3, \"the first run applies all three migrations\");
    let second = MIGRATIONS.run(&pool).await?;
    println!(\"second run: {second}\");
    assert!(second.is_noop(), \"the second run applies nothing\");
    MIGRATIONS.verify(&pool).await?;
    Ok(())
}"

# `cli`: the embedded migration command.
cli_main="$list_rs

fn main() -> std::process::ExitCode {
    migrate::cli::main(&MIGRATIONS)
}"

fresh_db() { # name -> sets $url to a fresh database, dropped on exit
  # Not called as $(…): the subshell would register the database in its own copy of the array.
  local db="migrate_downstream_$1_$$"
  databases+=("$db")
  psql "$database_url" -XqAtc "CREATE DATABASE $db"
  url="$server_root/$db"
}

for edition in 2021 2024; do
  for features in default cli; do
    name="app_${edition}_${features}"
    dir="$work/$name"
    if [ "$features" = cli ]; then
      write_crate "$dir" "$edition" '"cli"' "$cli_main"
    else
      write_crate "$dir" "$edition" '' "$library_main"
    fi
    echo "--- $name: fresh resolution, build"
    (cd "$dir" && cargo build --quiet)
    [ -e "$dir/Cargo.lock" ] || { echo "downstream: $name has no lock file after the build" >&2; exit 1; }
    fresh_db "${edition}_${features}"
    bin="$CARGO_TARGET_DIR/debug/$name"
    if [ "$features" = cli ]; then
      DATABASE_URL="$url" "$bin" migrate up
      out="$(DATABASE_URL="$url" "$bin" migrate up)"
      echo "$out"
      grep -q "nothing to apply" <<<"$out" || { echo "downstream: the second 'migrate up' of $name applied something" >&2; exit 1; }
      DATABASE_URL="$url" "$bin" migrate verify
    else
      DATABASE_URL="$url" "$bin"
    fi
  done
done

echo "--- rust-version: the declared one is the highest any dependency of a fresh resolution declares"
# The `cli` crate has the largest dependency tree; its lock file is the fresh resolution.
(cd "$work/app_2021_cli" && cargo metadata --quiet --format-version 1 \
    --filter-platform "$(rustc -vV | sed -n 's/^host: //p')") >"$work/metadata.json"
python3 - "$work/metadata.json" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
def key(v):
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
packages = {p["id"]: p for p in meta["packages"]}
resolved = [packages[n["id"]] for n in meta["resolve"]["nodes"]]
ours = {p["name"]: p.get("rust_version") for p in resolved if p["source"] is None}
deps = [(p["rust_version"], p["name"], p["version"]) for p in resolved
        if p["source"] is not None and p.get("rust_version")]
highest = max(deps, key=lambda d: key(d[0]))
declared = ours["migrate"]
print(f"highest rust-version among {len(deps)} dependencies: {highest[0]} ({highest[1]} {highest[2]}); declared: {declared}")
if key(declared) != key(highest[0]):
    sys.exit(f"downstream: rust-version {declared} in Cargo.toml should be {highest[0]}: "
             f"the highest any dependency declares")
PY

echo "--- compile-fail: a non-idempotent entry must fail the build with its rule id"
dir="$work/app_rejected"
write_crate "$dir" 2021 '' 'static MIGRATIONS: migrate::Migrations = migrate::migrations! {
    "001_users" => "CREATE TABLE users (id BIGSERIAL PRIMARY KEY);",
};
fn main() { println!("{}", MIGRATIONS.len()); }'
if (cd "$dir" && cargo build --quiet 2>"$work/rejected.stderr"); then
  echo "downstream: a non-idempotent migration built without error" >&2
  exit 1
fi
if ! grep -q "missing_if_not_exists" "$work/rejected.stderr"; then
  echo "downstream: the build failed, but not with the rule id missing_if_not_exists:" >&2
  cat "$work/rejected.stderr" >&2
  exit 1
fi
grep -m1 "missing_if_not_exists" "$work/rejected.stderr"

echo "downstream check passed: editions 2021 and 2024, features default and cli, fresh resolution"
