//! The HTTP server: accepts connections (TCP_NODELAY, a connection limit, a header read
//! timeout against slowloris), serves HTTP/1.1 and HTTP/2, hands each request to the gateway
//! and the executor, and drains in-flight requests on shutdown until a deadline.

mod access;
mod head_deadline;
mod request;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use multistore_core::gateway::Gateway;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::backend::Backends;
use crate::cli::ServerLimits;
use crate::telemetry::metrics::Metrics;

use head_deadline::HeadDeadline;
pub use request::{RequestIds, client_ip};

/// Everything a request needs, built once at start-up.
pub struct State {
    pub gateway: Gateway,
    pub backends: Backends,
    pub metrics: Metrics,
    pub limits: ServerLimits,
    pub trusted_proxies: Vec<IpAddr>,
    /// The `[limits] max_header_bytes` of the configuration.
    pub max_header_bytes: u64,
    /// The `[limits] read_buffer_bytes` of the configuration.
    pub read_buffer_bytes: u64,
    pub ids: RequestIds,
    /// The gateway's own fetches in flight (`Plan::Fetch`), for coalescing.
    pub fetches: crate::execute::fetch::Fetches,
    /// False while shutting down (`/readyz` answers 503).
    pub ready: AtomicBool,
    /// One permit per request being served (`--max-concurrent-requests`).
    pub request_slots: Semaphore,
}

/// hyper's `max_buf_size`: `[limits] read_buffer_bytes`, and never less than four request
/// heads of the largest size accepted (hyper answers a bare 431 when a head does not fit,
/// before the gateway's own RequestHeaderSectionTooLarge could).
fn read_buffer_size(read_buffer_bytes: u64, max_header_bytes: usize) -> usize {
    usize::try_from(read_buffer_bytes)
        .unwrap_or(usize::MAX)
        .max(max_header_bytes.max(8192).saturating_mul(4))
}

/// Serves `listener` until `shutdown` resolves, then drains for `limits.shutdown_grace`.
pub async fn run(
    listener: TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(state.limits.max_connections));
    let max_header_bytes = usize::try_from(state.max_header_bytes).unwrap_or(usize::MAX);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.limits.header_read_timeout)
        .max_buf_size(read_buffer_size(state.read_buffer_bytes, max_header_bytes))
        // hyper refuses more than 100 headers with a bare 431; let the byte limit decide
        // instead (RequestHeaderSectionTooLarge), for headers of 8 bytes or more.
        .max_headers((max_header_bytes / 8).clamp(100, 8192));
    builder.http2().timer(TokioTimer::new());
    tokio::pin!(shutdown);
    let mut accept_failing = false;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => {
                        if accept_failing {
                            accept_failing = false;
                            tracing::info!("accepting connections again");
                        }
                        a
                    }
                    Err(e) if is_connection_error(&e) => continue,
                    Err(e) => {
                        // Out of descriptors or memory: the pending connection stays queued
                        // and accept fails again at once, so back off instead of spinning
                        // (and say so once, not once per retry).
                        if !accept_failing {
                            accept_failing = true;
                            tracing::warn!(error = %e, "accept failed; retrying every {ACCEPT_BACKOFF:?}");
                        }
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                };
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    tracing::warn!(%peer, "connection limit reached; closing");
                    continue;
                };
                let _ = stream.set_nodelay(true);
                // hyper times out HTTP/1 heads, but not the wait for a first byte.
                let io = HeadDeadline::new(stream, state.limits.header_read_timeout);
                let state = Arc::clone(&state);
                let service = service_fn(move |req| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, std::convert::Infallible>(request::handle(state, req, peer).await) }
                });
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(io), service)
                    .into_owned();
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    drop(slot);
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    state.ready.store(false, Ordering::SeqCst);
    tracing::info!(grace = ?state.limits.shutdown_grace, "shutting down: draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(state.limits.shutdown_grace) => tracing::warn!("shutdown deadline reached; closing remaining connections"),
    }
    Ok(())
}

/// How long the accept loop waits after an accept error that is not about one connection.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

/// An accept error that concerns only the connection being accepted.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The address a listener is bound to, for messages.
pub fn endpoint_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

#[cfg(test)]
mod tests {
    use super::read_buffer_size;

    #[test]
    fn the_read_buffer_is_the_configured_size_but_holds_four_request_heads() {
        assert_eq!(read_buffer_size(64 * 1024, 16 * 1024), 64 * 1024);
        assert_eq!(read_buffer_size(1024 * 1024, 16 * 1024), 1024 * 1024);
        assert_eq!(read_buffer_size(1, 16 * 1024), 64 * 1024);
        assert_eq!(read_buffer_size(1, 100), 32 * 1024);
        assert_eq!(read_buffer_size(u64::MAX, 16 * 1024), usize::MAX);
    }
}
