//! A web service that migrates its database before it accepts a single request, and reports
//! the schema's state on `GET /health` (200 when up to date, 503 otherwise).
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres PORT=3000 cargo run --example axum_service
//! curl -i localhost:3000/health
//! ```
//!
//! The `/health` body is `migrate::Status` as JSON, which needs the `serde` feature of
//! `migrate` in your own `Cargo.toml`.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use migrate::Error;
use migrate::{Migrations, migrations};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::TcpListener;

/// The service's schema.
pub static MIGRATIONS: Migrations = migrations! {
    #[down("DROP TABLE IF EXISTS accounts;")]
    "001_accounts" => "
        CREATE TABLE IF NOT EXISTS accounts (
            id    BIGSERIAL PRIMARY KEY,
            email TEXT NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS accounts_email_key ON accounts (email);
    ",
    #[down("ALTER TABLE accounts DROP COLUMN IF EXISTS plan;")]
    "002_accounts_plan" => "
        ALTER TABLE accounts ADD COLUMN IF NOT EXISTS plan TEXT NOT NULL DEFAULT 'free';
    ",
};

/// The HTTP routes. Split from `main` so a test can serve them on any database.
pub fn router(pool: PgPool) -> Router {
    Router::new().route("/health", get(health)).with_state(pool)
}

/// 200 with the schema state when every migration is applied; 503 when any is pending,
/// failed or modified, or when the database cannot be asked: a load balancer then keeps
/// traffic away from an instance whose schema is behind its code.
///
/// Drift (the schema changed outside the migrations since the last run, found by `verify`'s
/// fingerprint check) is reported with 200 and `"status": "drifted"`: every instance shares the
/// database, so taking this one out of rotation would not help; monitoring alerts on it, and
/// `myapp migrate drift` says what changed.
async fn health(State(pool): State<PgPool>) -> (StatusCode, Json<Value>) {
    match MIGRATIONS.verify(&pool).await {
        Ok(status) => (
            StatusCode::OK,
            Json(json!({ "status": "up_to_date", "schema": status })),
        ),
        Err(e @ Error::Drifted { .. }) => (
            StatusCode::OK,
            Json(json!({ "status": "drifted", "drift": e.to_string() })),
        ),
        Err(Error::NotUpToDate { status }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_up_to_date", "schema": status })),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "error", "error": e.to_string() })),
        ),
    }
}

/// Applies pending migrations, then binds: the port only opens once the schema matches the code,
/// so no request ever meets a missing table. Returns the bound listener and the routes.
pub async fn start(
    pool: PgPool,
    addr: SocketAddr,
) -> Result<(TcpListener, Router), Box<dyn std::error::Error>> {
    let report = MIGRATIONS.run(&pool).await?;
    tracing::info!("migrations: {report}");
    let listener = TcpListener::bind(addr).await?;
    Ok((listener, router(pool)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("PORT must be a number, got {p:?}"))?,
        Err(_) => 3000,
    };

    let pool = migrate::connect(&url).await?;
    let (listener, app) = start(pool, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
