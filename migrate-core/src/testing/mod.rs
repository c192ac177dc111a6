//! Helpers for applications' own test suites (feature `testing`).
//!
//! [`assert_idempotent`] is the test every application should have: it proves on a real
//! PostgreSQL what the build-time checker can only infer, that each migration can run twice in
//! a row and change nothing.

mod idempotent;

pub use idempotent::{NotIdempotent, Reason, assert_idempotent, check_idempotent};
