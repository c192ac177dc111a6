//! The standalone `migrate` tool: `migrate lint FILE… [--format json]` checks `.sql` files with
//! the same rules the `migrations!` macro applies at build time.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    match cli.command {
        Command::Lint(lint) => lint.run(&mut out, &mut err).into(),
    }
}
