//! multistore as a Cloudflare Worker.
//!
//! With issue #5 this crate becomes the Worker's entry point: a `fetch` handler (workers-rs,
//! built for `wasm32-unknown-unknown`) that turns each request into `multistore-core`'s input
//! and performs the I/O the core plans with the Workers `fetch` API. Until then it holds only
//! what the Worker's configuration contract already is, and stays buildable on the host.

use std::fmt;

/// The name of the Worker binding (a `[vars]` entry or a secret) that holds the gateway's
/// configuration.
pub const CONFIG_BINDING: &str = "MULTISTORE_CONFIG";

/// The Worker was deployed without a configuration binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingConfig;

impl fmt::Display for MissingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no `{CONFIG_BINDING}` binding: add it under [vars] in wrangler.toml, \
             or with `wrangler secret put {CONFIG_BINDING}`"
        )
    }
}

impl std::error::Error for MissingConfig {}

/// Reports which of the Worker's bindings, given by name, holds the configuration.
///
/// # Errors
/// [`MissingConfig`] when none of `bindings` is [`CONFIG_BINDING`].
pub fn config_binding<'a>(
    bindings: impl IntoIterator<Item = &'a str>,
) -> Result<&'static str, MissingConfig> {
    bindings
        .into_iter()
        .find(|name| *name == CONFIG_BINDING)
        .map(|_| CONFIG_BINDING)
        .ok_or(MissingConfig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_comes_from_the_multistore_config_binding() {
        let bindings = ["ASSETS", "MULTISTORE_CONFIG", "BUCKET"];
        assert_eq!(config_binding(bindings), Ok("MULTISTORE_CONFIG"));
    }

    #[test]
    fn missing_binding_says_how_to_add_it() {
        let error = config_binding(["multistore_config", "CONFIG"]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("MULTISTORE_CONFIG") && message.contains("wrangler"));
    }
}
