//! PostgreSQL migrations declared in Rust, checked when the program is built, applied safely
//! every time it starts.

#![warn(missing_docs)]

pub use migrate_core::*;
pub use migrate_macros::migrations;

#[cfg(feature = "cli")]
pub mod cli;

/// Paths used by the `migrations!` expansion. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use migrate_core::{Migration, Migrations, StatementSpan, TransactionMode};
}
