//! A gateway in-process: the configuration parsed from a TOML string, the state built by
//! `multistore::serve::build_state` (the path `multistore serve` takes), and
//! `multistore::server::run` on 127.0.0.1:0 in a task, stopped through a shutdown handle.

use std::net::SocketAddr;
use std::time::Duration;

use multistore::cli::ServerLimits;
use multistore::serve::build_state;
use multistore::server;
use multistore_core::config::from_toml;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running gateway. Dropping it shuts it down (in-flight requests are cut off at the end of
/// the test's runtime at the latest).
pub struct Gateway {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Gateway {
    /// Starts a gateway from a configuration file's text.
    pub async fn start(toml: &str) -> Self {
        Self::start_with(toml, test_limits()).await
    }

    /// Starts a gateway with chosen server limits.
    pub async fn start_with(toml: &str, limits: ServerLimits) -> Self {
        let mut config = from_toml(toml).unwrap_or_else(|e| panic!("bad test config: {e}\n{toml}"));
        config
            .resolve_secrets(&|_: &str| None)
            .expect("test configs carry inline secrets");
        let state = build_state(&config, &limits, &[])
            .await
            .unwrap_or_else(|e| panic!("cannot build the gateway: {e:#}"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server::run(listener, state, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:port`, for Host headers.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Stops accepting, drains, and waits for the server to return.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("the server task panicked")
                .expect("the server failed");
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Limits for tests: short timeouts so a broken exchange fails fast instead of hanging.
pub fn test_limits() -> ServerLimits {
    ServerLimits {
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(20),
        idle_timeout: Duration::from_secs(5),
        header_read_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(2),
        max_connections: 256,
        max_concurrent_requests: 256,
    }
}
