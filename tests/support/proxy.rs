//! A loopback TCP proxy in front of PostgreSQL that counts the frontend messages going through
//! it, to prove how many queries a call sends.
//!
//! It answers the client's SSLRequest itself with "no", so the traffic it parses is plaintext.
//! `queries()` counts simple queries (`Q`) and parses (`P`): each is one statement round trip.
//! `syncs()` counts `S` separately (a pool's liveness check is a bare Sync). `round_trips()`
//! counts what the client waits for: simple queries plus the Syncs that close an
//! extended-protocol exchange (Parse/Bind/Describe/Execute); bare Syncs (sqlx's connection
//! pings, e.g. in the background when a connection goes back to the pool) are `pings()`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SSL_REQUEST: i32 = 80877103;
const GSSENC_REQUEST: i32 = 80877104;

struct Counters {
    queries: AtomicUsize,
    syncs: AtomicUsize,
    pings: AtomicUsize,
    simple: AtomicUsize,
    extended_syncs: AtomicUsize,
    messages: AtomicUsize,
    /// Every frontend message by its type byte, to explain a count.
    by_type: [AtomicUsize; 256],
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            queries: AtomicUsize::new(0),
            syncs: AtomicUsize::new(0),
            pings: AtomicUsize::new(0),
            simple: AtomicUsize::new(0),
            extended_syncs: AtomicUsize::new(0),
            messages: AtomicUsize::new(0),
            by_type: std::array::from_fn(|_| AtomicUsize::new(0)),
        }
    }
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

    /// Round trips since the start or the last reset: simple queries plus Syncs closing an
    /// extended-protocol exchange (pings apart).
    pub fn round_trips(&self) -> usize {
        self.counters.simple.load(Ordering::SeqCst)
            + self.counters.extended_syncs.load(Ordering::SeqCst)
    }

    /// Bare Syncs (connection pings) since the start or the last reset.
    pub fn pings(&self) -> usize {
        self.counters.pings.load(Ordering::SeqCst)
    }

    /// The frontend messages by type since the start or the last reset, e.g. `P=1 B=1 E=1 S=1`.
    pub fn message_kinds(&self) -> String {
        let mut out = Vec::new();
        for (byte, count) in self.counters.by_type.iter().enumerate() {
            let count = count.load(Ordering::SeqCst);
            if count > 0 {
                out.push(format!("{}={count}", byte as u8 as char));
            }
        }
        out.join(" ")
    }

    /// Sets the counters back to zero.
    pub fn reset(&self) {
        let c = &self.counters;
        for counter in [
            &c.queries,
            &c.syncs,
            &c.pings,
            &c.simple,
            &c.extended_syncs,
            &c.messages,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
        for count in &c.by_type {
            count.store(0, Ordering::SeqCst);
        }
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
        // An extended-protocol message since the last Sync: the next Sync is a round trip.
        let mut extended = false;
        while let Ok(kind) = client_read.read_u8().await {
            let len = client_read.read_i32().await?;
            let mut body = vec![0u8; (len as usize).saturating_sub(4)];
            client_read.read_exact(&mut body).await?;
            counters.messages.fetch_add(1, Ordering::SeqCst);
            counters.by_type[usize::from(kind)].fetch_add(1, Ordering::SeqCst);
            if matches!(kind, b'Q' | b'P') {
                counters.queries.fetch_add(1, Ordering::SeqCst);
            }
            match kind {
                b'Q' => {
                    counters.simple.fetch_add(1, Ordering::SeqCst);
                }
                b'S' if extended => {
                    counters.syncs.fetch_add(1, Ordering::SeqCst);
                    counters.extended_syncs.fetch_add(1, Ordering::SeqCst);
                    extended = false;
                }
                b'S' => {
                    counters.syncs.fetch_add(1, Ordering::SeqCst);
                    counters.pings.fetch_add(1, Ordering::SeqCst);
                }
                b'P' | b'B' | b'D' | b'E' | b'C' | b'H' => extended = true,
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
