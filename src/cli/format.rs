//! The `--format` option shared by the commands.

/// How a command prints its result: for people or for programs.
///
/// ```
/// use clap::ValueEnum;
/// use migrate::cli::Format;
///
/// assert_eq!(Format::from_str("json", true), Ok(Format::Json));
/// assert_eq!(Format::default(), Format::Human);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// Readable text (the default).
    #[default]
    Human,
    /// One JSON document on stdout, for scripts and CI.
    Json,
}
