//! The axum example against a real database: `/health` is 503 while migrations are pending and
//! 200 once `start` (migrate, then bind) has run.

mod support;

#[allow(dead_code)]
#[path = "../examples/axum_service.rs"]
mod axum_service;

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A plain HTTP/1.1 GET, so the test needs no HTTP client crate.
async fn get(addr: SocketAddr, path: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON body ({e}): {body}"));
    (code, body)
}

async fn serve(listener: TcpListener, app: axum::Router) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn health_is_503_while_pending_and_200_after_migrating() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;

    // Serving before migrating is exactly what the example avoids; here it shows the 503.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let early = serve(listener, axum_service::router(pool.clone())).await;
    let (code, body) = get(early, "/health").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "not_up_to_date", "{body}");

    let (listener, app) = axum_service::start(pool.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = serve(listener, app).await;
    let (code, body) = get(addr, "/health").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "up_to_date", "{body}");

    // The tables exist: the schema really was migrated before the port opened.
    let plan: String =
        sqlx::query_scalar("SELECT plan FROM accounts WHERE false UNION ALL SELECT 'ok'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(plan, "ok");

    // The early server, same database, now answers 200 too.
    let (code, _) = get(early, "/health").await;
    assert_eq!(code, 200);

    // A column dropped by hand: the fingerprint check reports drift.
    sqlx::raw_sql("ALTER TABLE accounts DROP COLUMN plan")
        .execute(&pool)
        .await
        .unwrap();
    let (code, body) = get(addr, "/health").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "drifted", "{body}");
    assert!(
        body["drift"].as_str().unwrap().contains("migrate drift"),
        "{body}"
    );
}

#[tokio::test]
async fn health_is_503_when_the_database_cannot_be_asked() {
    let db = support::TestDb::new().await;
    let pool = db.pool().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = serve(listener, axum_service::router(pool.clone())).await;
    pool.close().await;
    let (code, body) = get(addr, "/health").await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "error", "{body}");
}
