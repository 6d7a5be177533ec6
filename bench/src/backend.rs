//! `multistore-bench backend`: s3s-fs 0.14.1 (the library, built in release with the harness)
//! served over plain HTTP/1.1 with keep-alive and **TCP_NODELAY** on every accepted socket.
//!
//! The stock `s3s-fs` binary leaves Nagle's algorithm on and writes a response head and a small
//! body in two writes, so with the client's delayed ACK many small responses stall for ~40 ms
//! (see docs/benchmarks.md). That stall would hit the direct target and the gateway's backend hop
//! alike and hide what the gateway costs; this server is the same store and the same SigV4
//! checks without it. Its response bodies go out in 256 KiB writes instead of s3s-fs's 4 KiB
//! ones ([`crate::coalesce`]). `cargo xtask bench --stock-s3s-fs` measures against the stock
//! binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use crate::coalesce::{Coalesced, WRITE_SIZE};

/// Options of `multistore-bench backend`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8014")]
    pub listen: SocketAddr,
    /// The access key clients sign with.
    #[arg(long)]
    pub access_key: String,
    /// The secret key, from this environment variable (never on the command line).
    #[arg(long, default_value = "BENCH_SECRET")]
    pub secret_env: String,
    /// Send response bodies as s3s-fs reads them (4 KiB chunks), not in 256 KiB writes.
    #[arg(long)]
    pub no_coalesce: bool,
    /// The directory holding one subdirectory per bucket.
    pub root: PathBuf,
}

/// Serves until killed.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let secret = std::env::var(&args.secret_env)
        .with_context(|| format!("the backend secret is not in ${}", args.secret_env))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, secret))
}

async fn serve(args: &Args, secret: String) -> anyhow::Result<()> {
    let fs = s3s_fs::FileSystem::new(&args.root)
        .map_err(|e| anyhow::anyhow!("s3s-fs cannot serve {}: {e:?}", args.root.display()))?;
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(args.access_key.clone(), secret));
    let s3 = builder.build();
    let write_size = if args.no_coalesce { 0 } else { WRITE_SIZE };
    let service = hyper::service::service_fn(move |request| {
        let s3 = s3.clone();
        async move {
            let response = hyper::service::Service::call(&s3, request).await?;
            Ok::<_, s3s::HttpError>(response.map(|body| Coalesced::new(body, write_size)))
        }
    });
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => continue,
        };
        let _ = socket.set_nodelay(true);
        let connection = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
}
