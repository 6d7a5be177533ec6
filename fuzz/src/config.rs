//! `config_load`: the configuration loaders, TOML (the native runtime) and JSON (the Worker),
//! then everything built from a loaded configuration at start-up: the static registries and the
//! gateway settings. Any text loads or is refused with a `ConfigError`; a configuration that
//! loads builds its registries without panicking.

use multistore_core::config::{Config, from_json, from_toml};
use multistore_core::gateway::Settings;
use multistore_core::registry::StaticRegistry;

/// Runs the target: a first byte `j` says JSON (anything else TOML), the rest is the document.
pub fn run(data: &[u8]) {
    let Some((format, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let loaded = if *format == b'j' {
        from_json(text)
    } else {
        from_toml(text)
    };
    match loaded {
        Ok(config) => start(&config),
        Err(error) => {
            // Errors are shown to operators: rendering them must not panic either.
            let _ = error.to_string();
        }
    }
}

/// What a runtime does with a loaded configuration before serving.
fn start(config: &Config) {
    let _ = Settings::from_config(config);
    if let Err(error) = StaticRegistry::new(config) {
        let _ = error.to_string();
    }
}
