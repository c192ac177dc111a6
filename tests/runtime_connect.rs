//! connect(): retries with backoff, then fails; the password never shows.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod support;

use migrate::{Connect, Error};
use tracing::field::{Field, Visit};

/// Collects every event's fields as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = String::new();
        event.record(&mut Line(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn retries_then_fails_without_leaking_the_password() {
    let capture = Capture::default();
    // Global, not scoped: tracing caches per-callsite interest across threads, so a scoped
    // subscriber can miss events whose callsite another test thread hit first.
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let port = closed_port();
    let url = format!("postgres://app:sup3rs3cret@127.0.0.1:{port}/app");
    let started = std::time::Instant::now();
    let err = Connect::new(&url)
        .attempts(3)
        .initial_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(30))
        .connect()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "it waited between attempts"
    );
    match &err {
        Error::Connect {
            url_redacted,
            attempts,
            ..
        } => {
            assert_eq!(*attempts, 3);
            assert!(url_redacted.contains("app:***@127.0.0.1"), "{url_redacted}");
        }
        other => panic!("{other:?}"),
    }
    let text = format!("{err} {err:?}");
    assert!(!text.contains("sup3rs3cret"), "{text}");
    let logs: Vec<String> = capture.0.lock().unwrap().clone();
    let logs: Vec<String> = logs
        .into_iter()
        .filter(|l| l.contains(&format!(":{port}/")))
        .collect();
    let attempt_lines = logs.iter().filter(|l| l.contains("attempt=")).count();
    assert_eq!(attempt_lines, 3, "one line per attempt: {logs:#?}");
    assert!(logs.iter().all(|l| !l.contains("sup3rs3cret")), "{logs:#?}");
}

#[tokio::test]
async fn connects_to_a_running_server() {
    let db = support::TestDb::new().await;
    let pool = migrate::connect(&db.url()).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
}

#[tokio::test]
async fn wrong_database_fails_at_once() {
    // The test server, with a password it does not want, and a database that does not exist.
    let server = support::server().await.connect_options();
    let url = format!(
        "postgres://{}:pw_not_logged@{}:{}/no_such_db_{}",
        server.get_username(),
        server.get_host(),
        server.get_port(),
        std::process::id()
    );
    let err = Connect::new(&url).attempts(5).connect().await.unwrap_err();
    assert!(matches!(err, Error::Connect { attempts: 1, .. }), "{err:?}");
    assert!(!err.to_string().contains("pw_not_logged"));
}
