//! Loaders for ../shared/corpus (real migration histories), as their upstreams run them. Each
//! returns `None` after a loud `ignored:` line when the corpus is absent.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use migrate::load::{CheckFailure, Loader, VersionNames};

fn corpus_dir(project: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(project);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "ignored: ../shared/corpus not found ({} is absent); this corpus case did not run",
            dir.display()
        );
        None
    }
}

/// crates.io: diesel's names, the `run_in_transaction = false` metadata files, and its plain
/// (non-idempotent) DDL accepted. Apply it with `.table("migrate_history")`: its migration 136
/// drops a table named `schema_migrations`.
pub fn crates_io_loader() -> Option<Loader> {
    let corpus = corpus_dir("crates.io")?;
    let mut loader = Loader::new(&corpus)
        .on_check_failure(CheckFailure::AcceptNonIdempotent)
        .version_names(VersionNames::Normalize);
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".metadata.toml") {
            let meta = std::fs::read_to_string(corpus.join(&name)).unwrap();
            if meta.contains("run_in_transaction = false") {
                loader = loader.no_transaction(VersionNames::Normalize.version_for(stem));
            }
        }
    }
    Some(loader)
}

/// docs.rs: sqlx's reversible layout, every finding accepted: besides plain DDL, two of its
/// migrations hold only comments (`empty_migration`), which sqlx runs as no-ops.
pub fn docs_rs_loader() -> Option<Loader> {
    let corpus = corpus_dir("docs.rs")?;
    Some(
        Loader::new(&corpus)
            .on_check_failure(CheckFailure::AcceptAll)
            .version_names(VersionNames::Normalize),
    )
}
