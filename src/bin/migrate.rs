//! The standalone `migrate` tool: `migrate lint FILE… [--format json]` checks `.sql` files with
//! the same rules the `migrations!` macro applies at build time; `migrate lock DIR [--check]`
//! writes or checks the `migrations.lock` of a directory of migrations; `migrate import DIR`
//! turns a sqlx, diesel or refinery directory into a `migrations!` module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// PostgreSQL migrations checked like code.
#[derive(Parser)]
#[command(name = "migrate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check .sql files with the rules of `migrations!` (each file = one transactional migration).
    Lint(migrate::cli::Lint),
    /// Write migrations.lock for a directory of .sql migrations; --check exits 1 when it is behind.
    Lock(migrate::cli::LockDir),
    /// Write a migrations! module for a sqlx, diesel or refinery migrations directory.
    Import(migrate::cli::Import),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    match cli.command {
        Command::Lint(lint) => lint.run(&mut out, &mut err).into(),
        Command::Lock(lock) => lock.run(&mut out, &mut err).into(),
        Command::Import(import) => import.run(&mut out, &mut err).into(),
    }
}
