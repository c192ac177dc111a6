//! A loopback TCP proxy in front of PostgreSQL that counts the frontend messages going through
//! it, to prove how many queries a call sends.
//!
//! It answers the client's SSLRequest itself with "no", so the traffic it parses is plaintext.
//! `queries()` counts simple queries (`Q`) and parses (`P`): each is one statement round trip.
//! `syncs()` counts `S` separately (a pool's liveness check is a bare Sync).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SSL_REQUEST: i32 = 80877103;
const GSSENC_REQUEST: i32 = 80877104;

#[derive(Default)]
struct Counters {
    queries: AtomicUsize,
    syncs: AtomicUsize,
    messages: AtomicUsize,
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    port: u16,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards every connection to `target`
    /// (e.g. "127.0.0.1:5432").
    pub async fn start(target: impl Into<String>) -> Proxy {
        let target = target.into();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counters = Arc::new(Counters::default());
        let task_counters = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let counters = task_counters.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&target).await {
                        let _ = relay(client, server, counters).await;
                    }
                });
            }
        });
        Proxy {
            port,
            counters,
            task,
        }
    }

    /// The port to point clients at.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Simple queries (`Q`) plus parses (`P`) since the start or the last reset.
    pub fn queries(&self) -> usize {
        self.counters.queries.load(Ordering::SeqCst)
    }

    /// Sync messages (`S`) since the start or the last reset.
    pub fn syncs(&self) -> usize {
        self.counters.syncs.load(Ordering::SeqCst)
    }

    /// All frontend messages after startup since the start or the last reset.
    pub fn messages(&self) -> usize {
        self.counters.messages.load(Ordering::SeqCst)
    }

    /// Sets the counters back to zero.
    pub fn reset(&self) {
        self.counters.queries.store(0, Ordering::SeqCst);
        self.counters.syncs.store(0, Ordering::SeqCst);
        self.counters.messages.store(0, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    counters: Arc<Counters>,
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // Untyped packets first: SSL/GSS requests (answered here with "no"), then the startup.
    loop {
        let len = client_read.read_i32().await?;
        let mut body = vec![0u8; (len as usize).saturating_sub(4)];
        client_read.read_exact(&mut body).await?;
        let code = body
            .get(..4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if len == 8 && matches!(code, Some(SSL_REQUEST | GSSENC_REQUEST)) {
            client_write.write_all(b"N").await?;
            continue;
        }
        server_write.write_all(&len.to_be_bytes()).await?;
        server_write.write_all(&body).await?;
        break;
    }
    let downstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let upstream = async {
        while let Ok(kind) = client_read.read_u8().await {
            let len = client_read.read_i32().await?;
            let mut body = vec![0u8; (len as usize).saturating_sub(4)];
            client_read.read_exact(&mut body).await?;
            counters.messages.fetch_add(1, Ordering::SeqCst);
            match kind {
                b'Q' | b'P' => {
                    counters.queries.fetch_add(1, Ordering::SeqCst);
                }
                b'S' => {
                    counters.syncs.fetch_add(1, Ordering::SeqCst);
                }
                _ => {}
            }
            server_write.write_all(&[kind]).await?;
            server_write.write_all(&len.to_be_bytes()).await?;
            server_write.write_all(&body).await?;
        }
        let _ = server_write.shutdown().await;
        Ok::<(), std::io::Error>(())
    };
    let result = upstream.await;
    let _ = downstream.await;
    result
}

/// The PostgreSQL server address of a URL's host and port (for [`Proxy::start`]).
pub fn target_of(options: &sqlx::postgres::PgConnectOptions) -> String {
    let addr: Option<SocketAddr> = format!("{}:{}", options.get_host(), options.get_port())
        .parse()
        .ok();
    addr.map(|a| a.to_string())
        .unwrap_or_else(|| format!("{}:{}", options.get_host(), options.get_port()))
}
