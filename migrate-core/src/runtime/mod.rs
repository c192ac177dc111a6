//! The PostgreSQL runtime: applies a [`Migrations`](crate::Migrations) list under a lock.
