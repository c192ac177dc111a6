//! `check`: the checker's throughput (MB of SQL per second, its own rules and the zero-downtime
//! hazards) against squawk-syntax's parser alone on the same SQL, and the build-time cost of a
//! `migrations!` with 1,000 entries.
//!
//! `cargo bench --bench check` measures the release build; `cargo test --bench check` runs the
//! same program unoptimized (the figure that matters for the macro: proc macros are built
//! without optimization unless a profile's `build-override` says otherwise).
//! `--no-expansion` skips the macro part.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use migrate::check::{EntryOptions, check_sql};

/// Each side runs for about this long (interleaved passes over the whole input).
const BUDGET: Duration = Duration::from_secs(3);

fn corpus_inputs() -> Option<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut files: Vec<PathBuf> = Vec::new();
    for project in ["crates.io", "docs.rs", "atuin"] {
        let Ok(entries) = std::fs::read_dir(root.join(project)) else {
            continue;
        };
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".up.sql")),
        );
    }
    if files.is_empty() {
        return None;
    }
    files.sort();
    let texts = files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("corpus file is not UTF-8"))
        .collect();
    Some((
        format!(
            "corpus ({} .up.sql files of crates.io, docs.rs, atuin)",
            files.len()
        ),
        texts,
    ))
}

fn generated_inputs() -> (String, Vec<String>) {
    let texts = (0..1000)
        .map(|i| common::generate::migration(i).1)
        .collect();
    ("1,000 generated migrations".to_owned(), texts)
}

/// Median seconds per pass of `parse` and of `check_sql` over all inputs, interleaved.
fn throughput(inputs: &[String]) -> (Duration, Duration) {
    let options = EntryOptions::default();
    let mut parse = Vec::new();
    let mut check = Vec::new();
    let started = Instant::now();
    while started.elapsed() < BUDGET * 2 || parse.len() < 3 {
        let t = Instant::now();
        for sql in inputs {
            std::hint::black_box(squawk_syntax::SourceFile::parse(std::hint::black_box(sql)));
        }
        parse.push(t.elapsed());
        let t = Instant::now();
        for sql in inputs {
            std::hint::black_box(check_sql(std::hint::black_box(sql), &options));
        }
        check.push(t.elapsed());
    }
    (common::median(&mut parse), common::median(&mut check))
}

/// Times `cargo build` of a small crate whose `migrations!` has `entries` entries.
struct ExpansionCrate {
    dir: common::TempDir,
    target: PathBuf,
}

impl ExpansionCrate {
    fn new() -> ExpansionCrate {
        let dir = common::TempDir::new("expansion");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"expansion_bench\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
                 [dependencies]\nmigrate = {{ path = {:?}, default-features = false }}\n\n[workspace]\n",
                workspace.display().to_string()
            ),
        )
        .expect("cannot write Cargo.toml");
        // The workspace's lock file pins the same dependency versions as the project's build.
        let _ = std::fs::copy(workspace.join("Cargo.lock"), dir.path().join("Cargo.lock"));
        std::fs::create_dir_all(dir.path().join("src")).expect("cannot create src/");
        // A target directory of its own (kept between runs) so the bench never waits on, or
        // invalidates, the project's build.
        let target = workspace.join("target").join("expansion-bench");
        ExpansionCrate { dir, target }
    }

    fn write(&self, entries: usize) {
        let mut src =
            String::from("pub static MIGRATIONS: migrate::Migrations = migrate::migrations! {\n");
        for i in 0..entries {
            let (version, sql, no_tx) = common::generate::migration(i);
            if no_tx {
                src.push_str("    #[no_transaction]\n");
            }
            src.push_str(&format!("    \"{version}\" => r#\"{sql}\"#,\n"));
        }
        src.push_str("};\n");
        std::fs::write(self.dir.path().join("src/lib.rs"), src).expect("cannot write lib.rs");
    }

    fn build(&self) -> Result<Duration, String> {
        let start = Instant::now();
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .args(["build", "--offline", "--quiet", "--lib"])
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", &self.target)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        let elapsed = start.elapsed();
        if out.status.success() {
            Ok(elapsed)
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Median build time with `entries` entries, after a warm-up build.
    fn measure(&self) -> Result<(Duration, Duration), String> {
        self.write(1);
        self.build()?;
        let (mut one, mut thousand) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            self.write(1000);
            thousand.push(self.build()?);
            self.write(1);
            one.push(self.build()?);
        }
        Ok((common::median(&mut one), common::median(&mut thousand)))
    }
}

fn main() {
    let skip_expansion = std::env::args().any(|a| a == "--no-expansion");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let (what, inputs) = corpus_inputs().unwrap_or_else(|| {
        println!("note: ../shared/corpus is absent; measuring generated SQL instead");
        generated_inputs()
    });
    let bytes: usize = inputs.iter().map(String::len).sum();
    let mb = bytes as f64 / 1_000_000.0;
    println!("bench `check` ({profile} build) on {what}: {bytes} bytes");

    let (parse, check) = throughput(&inputs);
    let parse_mbs = mb / parse.as_secs_f64();
    let check_mbs = mb / check.as_secs_f64();
    let ratio = check.as_secs_f64() / parse.as_secs_f64();
    println!();
    println!(
        "| {:<33} | ms per pass | MB/s    |",
        format!("what ({profile})")
    );
    println!("|-----------------------------------|------------:|--------:|");
    println!(
        "| squawk_syntax::SourceFile::parse  | {:>11.2} | {:>7.1} |",
        common::ms(parse),
        parse_mbs
    );
    println!(
        "| migrate::check::check_sql         | {:>11.2} | {:>7.1} |",
        common::ms(check),
        check_mbs
    );
    // check_sql runs the hazard pass (squawk-linter on the statements that can hold a
    // hazard) as well as the checker's own rules.
    let hazards: usize = inputs
        .iter()
        .map(|sql| {
            check_sql(sql, &EntryOptions::default())
                .diagnostics
                .iter()
                .filter(|d| matches!(d.rule, migrate::check::Rule::Hazard(_)))
                .count()
        })
        .sum();
    println!(
        "checker (with hazards: {hazards} found) / parser: {ratio:.2}x (target <= 2x; the \
         checker alone was <= 1.5x)"
    );

    let mut json = serde_json::json!({
        "bench": "check",
        "profile": profile,
        "input_bytes": bytes,
        "mb_per_s": common::round3(check_mbs),
        "parse_mb_per_s": common::round3(parse_mbs),
        "ratio_vs_parse": common::round3(ratio),
        "hazards_found": hazards,
    });
    if !skip_expansion {
        println!();
        println!(
            "expansion: `cargo build` (dev profile) of a crate whose `migrations!` has 1,000 generated entries, minus the same crate with 1 entry"
        );
        let krate = ExpansionCrate::new();
        match krate.measure() {
            Ok((one, thousand)) => {
                let expansion = thousand.saturating_sub(one);
                println!("| entries | build ms |");
                println!("|--------:|---------:|");
                println!("| 1       | {:>8.0} |", common::ms(one));
                println!("| 1000    | {:>8.0} |", common::ms(thousand));
                println!(
                    "1,000 entries cost {:.0} ms of build time (expansion, checking and compiling the table)",
                    common::ms(expansion)
                );
                json["expansion_ms_1000"] = common::round3(common::ms(expansion)).into();
                json["build_ms_1"] = common::round3(common::ms(one)).into();
                json["build_ms_1000"] = common::round3(common::ms(thousand)).into();
            }
            Err(e) => println!("note: expansion not measured: {e}"),
        }
    }
    println!("{json}");
}
