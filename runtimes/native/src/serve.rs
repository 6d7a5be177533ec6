//! `multistore serve` and `multistore config check`: load the configuration (or build the
//! embedded default), build the gateway, the stores and the backend client once, and run the
//! server until SIGTERM/SIGINT.

use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};
use multistore_core::config::{BackendConfig, Config, from_toml};
use multistore_core::gateway::{Gateway, Settings};
use multistore_core::identity::oidc::OidcProvider;
use multistore_core::identity::sts::Sts;
use multistore_core::registry::StaticRegistry;
use tokio::net::TcpListener;

use crate::backend::Backends;
use crate::backend::http::BackendClient;
use crate::cli::{ServeArgs, ServerLimits};
use crate::embedded::{DEFAULT_BUCKET, default_config, dev_credentials};
use crate::server::{self, RequestIds, State};
use crate::store::{AnyStore, DirStore, MemoryStore, StoreSet};
use crate::telemetry::{self, metrics::Metrics};

/// Runs `multistore serve`.
pub fn run(args: ServeArgs) -> ExitCode {
    telemetry::init_logging(args.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("multistore: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("multistore: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reads, parses, resolves and validates a configuration file.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut config = from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    config
        .resolve_secrets(&|name: &str| std::env::var(name).ok())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(config)
}

/// Builds the gateway of a loaded configuration: the registries, then STS and the OIDC
/// provider when the configuration sets them up.
pub fn build_gateway(config: &Config) -> anyhow::Result<Gateway> {
    let registry = Arc::new(StaticRegistry::new(config)?);
    let mut builder = Gateway::builder(
        Settings::from_config(config),
        registry.clone(),
        registry.clone(),
    );
    if let Some(sts) = Sts::from_config(config, registry)? {
        builder = builder.extension(&sts)?;
    }
    if let Some(oidc) = OidcProvider::from_config(&config.server)? {
        builder = builder.extension(&oidc)?;
    }
    Ok(builder.build())
}

/// Runs `multistore config check FILE`.
pub fn check_config(path: &Path) -> ExitCode {
    match load_config(path).and_then(|c| build_gateway(&c)) {
        Ok(_) => {
            println!("{}: ok", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The embedded stores of a configuration, opened once.
async fn open_stores(config: &Config) -> anyhow::Result<StoreSet> {
    let mut stores = StoreSet::new();
    for bucket in &config.buckets {
        match &bucket.backend {
            BackendConfig::Local(local) => {
                if bucket.is_pass_through() {
                    bail!(
                        "buckets[name = \"*\"] with type = \"local\" is not supported yet; name the buckets"
                    );
                }
                let store = DirStore::open(local.path.clone().into())
                    .await
                    .with_context(|| format!("cannot open the local store {}", local.path))?;
                stores.insert(&bucket.name, AnyStore::Dir(store));
            }
            BackendConfig::Memory(_) => {
                stores.insert(&bucket.name, AnyStore::Memory(MemoryStore::new()))
            }
            BackendConfig::R2(_) => bail!(
                "bucket {}: type = \"r2\" is served by the Cloudflare Worker only",
                bucket.name
            ),
            BackendConfig::S3(_) => {}
        }
    }
    Ok(stores)
}

/// The server's state for a loaded configuration: the gateway, the backend client and the
/// embedded stores, each built once. `multistore serve` runs [`server::run`] on it; so do the
/// integration tests, in-process.
pub async fn build_state(
    config: &Config,
    limits: &ServerLimits,
    trusted_proxies: &[IpAddr],
) -> anyhow::Result<Arc<State>> {
    let gateway = build_gateway(config)?;
    let backends = Backends {
        http: BackendClient::new(limits),
        stores: open_stores(config).await?,
    };
    Ok(Arc::new(State {
        gateway,
        backends,
        metrics: Metrics::new(),
        limits: limits.clone(),
        trusted_proxies: trusted_proxies.to_vec(),
        max_header_bytes: config.limits.max_header_bytes,
        read_buffer_bytes: config.limits.read_buffer_bytes,
        ids: RequestIds::new(),
        fetches: Default::default(),
        ready: AtomicBool::new(true),
        request_slots: tokio::sync::Semaphore::new(limits.max_concurrent_requests),
    }))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (config, dev) = match &args.config {
        Some(path) => (load_config(path)?, None),
        None => {
            let creds = dev_credentials(&args.data_dir)?;
            (default_config(&args.data_dir, &creds)?, Some(creds))
        }
    };
    if !args.listen.ip().is_loopback() && config.credentials.is_empty() && !args.allow_anonymous {
        bail!(
            "refusing to listen on {} with no credentials configured: anyone could reach the buckets. \
             Configure [[credentials]], listen on a loopback address, or pass --allow-anonymous",
            args.listen
        );
    }
    let state = build_state(&config, &args.limits, &args.trusted_proxies).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    if let Some(admin) = args.admin_listen {
        let admin_listener = TcpListener::bind(admin)
            .await
            .with_context(|| format!("cannot listen on {admin}"))?;
        tracing::info!(admin = %admin_listener.local_addr()?, "admin endpoint: /healthz /readyz /metrics");
        tokio::spawn(crate::admin::serve(admin_listener, Arc::clone(&state)));
    }
    print_banner(&local.to_string(), &config, dev.as_ref(), &args.data_dir);
    server::run(listener, state, server::shutdown_signal()).await?;
    Ok(())
}

fn print_banner(
    addr: &str,
    config: &Config,
    dev: Option<&crate::embedded::DevCredentials>,
    data_dir: &Path,
) {
    let endpoint = format!("http://{addr}");
    println!(
        "multistore {} listening on {endpoint}",
        env!("CARGO_PKG_VERSION")
    );
    match dev {
        Some(creds) => {
            println!(
                "  bucket      {DEFAULT_BUCKET} (local directory {})",
                data_dir.join(DEFAULT_BUCKET).display()
            );
            println!("  access key  {}", creds.access_key_id);
            println!(
                "  secret key  {} (development only; kept in {})",
                creds.secret_access_key,
                data_dir.join(".multistore").display()
            );
            println!("  try:");
            println!(
                "    AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_DEFAULT_REGION={} aws --endpoint-url {endpoint} s3 ls s3://{DEFAULT_BUCKET}",
                creds.access_key_id, creds.secret_access_key, config.server.region
            );
        }
        None => {
            let names: Vec<&str> = config.buckets.iter().map(|b| b.name.as_str()).collect();
            println!("  buckets     {}", names.join(", "));
            println!("  try:        aws --endpoint-url {endpoint} s3 ls");
        }
    }
}
