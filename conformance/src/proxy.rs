//! The recording proxy: a raw HTTP/1.1 listener on 127.0.0.1 that forwards every request,
//! byte for byte, to the reference upstream and records the exchange.
//!
//! It answers `Expect: 100-continue` itself (so the client sends its body), forwards the
//! whole request on a fresh upstream connection, and returns the upstream's response
//! unchanged. Labels name the S3 operation (see [`crate::label`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::http1::{self, Conn, serialize};
use crate::traffic::Exchange;

/// How long the upstream may take to answer one request.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// A running recording proxy.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`host:port`).
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start(upstream: String) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&exchanges);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    if let Err(e) = serve(socket, &upstream, &recorded).await {
                        eprintln!("recording proxy: {e}");
                    }
                });
            }
        });
        Ok(Self {
            addr,
            exchanges,
            task,
        })
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the proxy and returns what it recorded, in the order responses completed.
    pub fn finish(self) -> Vec<Exchange> {
        self.task.abort();
        std::mem::take(
            &mut *self
                .exchanges
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

async fn serve(
    socket: tokio::net::TcpStream,
    upstream: &str,
    recorded: &Mutex<Vec<Exchange>>,
) -> Result<(), http1::HttpError> {
    let mut client = Conn::new(socket);
    while let Some(request) = client.read_request(true).await? {
        let response = http1::exchange(upstream, &request, UPSTREAM_TIMEOUT).await?;
        client.send(&serialize(&response)).await?;
        let close = [request.header("connection"), response.header("connection")]
            .iter()
            .any(|v| v.is_some_and(|v| v.eq_ignore_ascii_case("close")));
        recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Exchange {
                label: crate::label::operation(&request),
                request,
                response,
            });
        if close {
            break;
        }
    }
    Ok(())
}
