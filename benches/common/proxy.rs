//! A TCP proxy in front of PostgreSQL that counts the client's round trips.
//!
//! A round trip is a message after which the client waits for the server: a simple `Query`
//! ('Q'), or a `Sync` ('S') closing an extended-protocol exchange (Parse/Bind/Describe/Execute).
//! A bare `Sync` is sqlx's connection ping (sent by the pool when a connection is released, in
//! the background, and before acquiring when `test_before_acquire` is set): counted apart.
//! Startup and authentication are not counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Codes of the untyped requests a client may send before its startup message.
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

struct Counters {
    queries: AtomicU64,
    syncs: AtomicU64,
    pings: AtomicU64,
    /// Every typed frontend message, by its type byte: to explain a count.
    by_type: [AtomicU64; 256],
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            queries: AtomicU64::new(0),
            syncs: AtomicU64::new(0),
            pings: AtomicU64::new(0),
            by_type: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// A running proxy; it stops with the process.
pub struct Proxy {
    port: u16,
    counters: Arc<Counters>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("cannot bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counters = shared.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        forward(client, server, counters).await;
                    }
                });
            }
        });
        Proxy { port, counters }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Simple-query messages since the last reset.
    pub fn queries(&self) -> u64 {
        self.counters.queries.load(Ordering::SeqCst)
    }

    /// Sync messages closing an extended-protocol exchange since the last reset.
    pub fn syncs(&self) -> u64 {
        self.counters.syncs.load(Ordering::SeqCst)
    }

    /// Bare Sync messages (connection pings) since the last reset.
    pub fn pings(&self) -> u64 {
        self.counters.pings.load(Ordering::SeqCst)
    }

    /// Round trips since the last reset: queries plus extended-protocol syncs (pings apart).
    pub fn round_trips(&self) -> u64 {
        self.queries() + self.syncs()
    }

    /// The frontend messages since the last reset, e.g. `Q=1 S=1 P=1 B=1 E=1`.
    pub fn messages(&self) -> String {
        let mut out = Vec::new();
        for (byte, count) in self.counters.by_type.iter().enumerate() {
            let count = count.load(Ordering::SeqCst);
            if count > 0 {
                out.push(format!("{}={count}", byte as u8 as char));
            }
        }
        out.join(" ")
    }

    pub fn reset(&self) {
        self.counters.queries.store(0, Ordering::SeqCst);
        self.counters.syncs.store(0, Ordering::SeqCst);
        self.counters.pings.store(0, Ordering::SeqCst);
        for count in &self.counters.by_type {
            count.store(0, Ordering::SeqCst);
        }
    }
}

async fn forward(client: TcpStream, server: TcpStream, counters: Arc<Counters>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async move {
        let mut parser = FrontendParser::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            parser.feed(&buf[..n], &counters);
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

/// Splits the client's byte stream into protocol messages.
#[derive(Default)]
struct FrontendParser {
    /// Bytes of the current message header seen so far.
    header: Vec<u8>,
    /// Payload bytes still to skip in the current message.
    remaining: usize,
    /// The startup phase is over (typed messages from now on).
    started: bool,
    /// The first four payload bytes of the current untyped message (its request code).
    untyped_code: Vec<u8>,
    /// An extended-protocol message was sent since the last Sync.
    extended: bool,
}

impl FrontendParser {
    fn feed(&mut self, mut data: &[u8], counters: &Counters) {
        while !data.is_empty() {
            if self.remaining > 0 {
                let take = self.remaining.min(data.len());
                if !self.started && self.untyped_code.len() < 4 {
                    let want = (4 - self.untyped_code.len()).min(take);
                    self.untyped_code.extend_from_slice(&data[..want]);
                }
                self.remaining -= take;
                data = &data[take..];
                if self.remaining == 0 && !self.started {
                    self.end_untyped();
                }
                continue;
            }
            let header_len = if self.started { 5 } else { 4 };
            let want = header_len - self.header.len();
            let take = want.min(data.len());
            self.header.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.header.len() < header_len {
                continue;
            }
            let len_bytes = &self.header[header_len - 4..];
            let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]])
                as usize;
            if self.started {
                counters.by_type[usize::from(self.header[0])].fetch_add(1, Ordering::SeqCst);
                match self.header[0] {
                    b'Q' => {
                        counters.queries.fetch_add(1, Ordering::SeqCst);
                    }
                    b'S' if self.extended => {
                        counters.syncs.fetch_add(1, Ordering::SeqCst);
                        self.extended = false;
                    }
                    b'S' => {
                        counters.pings.fetch_add(1, Ordering::SeqCst);
                    }
                    b'P' | b'B' | b'D' | b'E' | b'C' | b'H' => self.extended = true,
                    _ => {}
                }
            }
            self.header.clear();
            self.remaining = len.saturating_sub(4);
            if self.remaining == 0 && !self.started {
                self.end_untyped();
            }
        }
    }

    fn end_untyped(&mut self) {
        let code = if self.untyped_code.len() == 4 {
            u32::from_be_bytes([
                self.untyped_code[0],
                self.untyped_code[1],
                self.untyped_code[2],
                self.untyped_code[3],
            ])
        } else {
            0
        };
        self.untyped_code.clear();
        if code != SSL_REQUEST && code != GSSENC_REQUEST {
            self.started = true;
        }
    }
}
