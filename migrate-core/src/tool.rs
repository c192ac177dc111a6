//! The migration tools whose directories `migrate import` reads and whose history tables the
//! runtime adopts.

use std::fmt;
use std::str::FromStr;

/// A migration tool whose history table the runtime adopts.
///
/// ```
/// use migrate_core::Tool;
///
/// let tool: Tool = "diesel".parse().unwrap();
/// assert_eq!(tool, Tool::Diesel);
/// assert_eq!(tool.history_table(), "__diesel_schema_migrations");
/// assert!("flyway".parse::<Tool>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Tool {
    /// sqlx's `_sqlx_migrations` (`version BIGINT`, `success BOOLEAN`).
    Sqlx,
    /// diesel's `__diesel_schema_migrations` (`version VARCHAR`, the digits of the directory
    /// name's timestamp).
    Diesel,
    /// refinery's `refinery_schema_history` (`version INT4`).
    Refinery,
}

impl Tool {
    /// Every tool, in the order detection looks for their tables.
    pub const ALL: [Tool; 3] = [Tool::Sqlx, Tool::Diesel, Tool::Refinery];

    /// The tool's name as the CLI spells it: `sqlx`, `diesel`, `refinery`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Refinery => "refinery",
        }
    }

    /// The history table the tool keeps (found through the `search_path`, as the tool does).
    pub fn history_table(self) -> &'static str {
        match self {
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Refinery => "refinery_schema_history",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown tool name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown migration tool {0:?}: use sqlx, diesel or refinery")]
pub struct UnknownTool(String);

impl FromStr for Tool {
    type Err = UnknownTool;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tool::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTool(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for tool in Tool::ALL {
            assert_eq!(tool.name().parse::<Tool>(), Ok(tool));
        }
        let err = "Sqlx".parse::<Tool>().unwrap_err();
        assert!(
            err.to_string().contains("sqlx, diesel or refinery"),
            "{err}"
        );
    }
}
