//! The built Worker under miniflare on a free 127.0.0.1 port, for any task that needs a
//! running Worker (the smoke test, the runtime comparison, the conformance replay).
//!
//! ```ignore
//! use crate::worker::miniflare::{BuiltWorker, Options};
//!
//! // Once per run: install wrangler if missing, build the wasm and the glue.
//! let built = BuiltWorker::build(&root, &env)?;
//! // The gateway configuration is the JSON form of the native TOML; `{ "env": "NAME" }`
//! // secrets name other bindings, given with `binding`.
//! let options = Options::new(config_json)
//!     .binding("CLIENT_SECRET", "client-secret")
//!     .r2_bucket("DATA"); // an R2 binding for `"type": "r2", "binding": "DATA"` buckets
//! let worker = built.start(&options, &run_dir)?; // run_dir: logs and the R2 state
//! let endpoint = worker.endpoint(); // "http://127.0.0.1:PORT"
//! // … send requests …
//! drop(worker); // stops miniflare and its workerd (the whole process group)
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use super::procs::{Processes, free_port, json_string, wait_ready};
use super::{Paths, build, wrangler};
use crate::cargo::ChildEnv;

/// The compatibility date of wrangler.toml.
const COMPATIBILITY_DATE: &str = "2025-09-01";

/// The Worker, built, with the runtime to start it.
pub(crate) struct BuiltWorker {
    paths: Paths,
    entry: PathBuf,
}

impl BuiltWorker {
    /// Installs wrangler (which brings miniflare) when missing and builds the Worker.
    pub(crate) fn build(root: &Path, env: &ChildEnv) -> anyhow::Result<Self> {
        let paths = Paths::new(root);
        wrangler(&paths)?;
        let bundle = build(&paths, env)?;
        Ok(Self {
            paths,
            entry: bundle.entry,
        })
    }

    /// Starts the Worker with `options`, its log and R2 state in `run_dir` (created; an
    /// existing R2 state there is kept), and waits until it answers.
    pub(crate) fn start(&self, options: &Options, run_dir: &Path) -> anyhow::Result<RunningWorker> {
        fs::create_dir_all(run_dir)
            .with_context(|| format!("cannot create {}", run_dir.display()))?;
        let port = free_port()?;
        let settings = run_dir.join("miniflare.json");
        fs::write(&settings, self.settings(options, port, run_dir))?;
        let log = run_dir.join("worker.log");
        let mut processes = Processes::default();
        let mut node = Command::new("node");
        node.current_dir(run_dir)
            .arg(self.paths.crate_dir.join("smoke/serve.cjs"))
            .arg(&settings);
        processes.spawn("the Worker (miniflare)", node, &log)?;
        if let Err(e) = wait_ready(port, Duration::from_secs(90), &mut processes) {
            processes.report();
            return Err(e);
        }
        Ok(RunningWorker {
            endpoint: format!("http://127.0.0.1:{port}"),
            processes,
            log,
        })
    }

    /// The settings `smoke/serve.cjs` reads (JSON).
    fn settings(&self, options: &Options, port: u16, run_dir: &Path) -> String {
        let mut bindings = vec![format!(
            "    \"MULTISTORE_CONFIG\": {}",
            json_string(&options.config)
        )];
        bindings.extend(
            options
                .bindings
                .iter()
                .map(|(name, value)| format!("    {}: {}", json_string(name), json_string(value))),
        );
        let r2: Vec<String> = options.r2_buckets.iter().map(|b| json_string(b)).collect();
        format!(
            "{{\n  \"miniflare\": {npm},\n  \"entry\": {entry},\n  \"port\": {port},\n  \
             \"compatibilityDate\": \"{COMPATIBILITY_DATE}\",\n  \"bindings\": {{\n{bindings}\n  }},\n  \
             \"r2Buckets\": [{r2}],\n  \"r2Persist\": {persist}\n}}\n",
            npm = json_string(&self.paths.npm().to_string_lossy()),
            entry = json_string(&self.entry.to_string_lossy()),
            bindings = bindings.join(",\n"),
            r2 = r2.join(", "),
            persist = json_string(&run_dir.join("r2-state").to_string_lossy()),
        )
    }
}

/// How to run the Worker: its configuration and bindings.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    config: String,
    bindings: Vec<(String, String)>,
    r2_buckets: Vec<String>,
}

impl Options {
    /// The gateway configuration as JSON (the `MULTISTORE_CONFIG` binding).
    pub(crate) fn new(config_json: impl Into<String>) -> Self {
        Self {
            config: config_json.into(),
            bindings: Vec::new(),
            r2_buckets: Vec::new(),
        }
    }

    /// A string binding (a var or secret), e.g. one a `{ "env": "NAME" }` secret names.
    pub(crate) fn binding(mut self, name: &str, value: &str) -> Self {
        self.bindings.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A simulated R2 bucket binding named `name`.
    pub(crate) fn r2_bucket(mut self, name: &str) -> Self {
        self.r2_buckets.push(name.to_owned());
        self
    }
}

/// A Worker running under miniflare; dropping it stops it.
pub(crate) struct RunningWorker {
    endpoint: String,
    processes: Processes,
    log: PathBuf,
}

impl RunningWorker {
    /// `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The Worker's log (miniflare's output and the Worker's console).
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Prints the end of the log (after a failure).
    pub(crate) fn report(&self) {
        self.processes.report();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_carry_the_config_as_one_json_string() {
        let built = BuiltWorker {
            paths: Paths::new(Path::new("/repo")),
            entry: PathBuf::from("/x/entry.mjs"),
        };
        let options = Options::new("{\n  \"buckets\": []\n}")
            .binding("CLIENT_SECRET", "s\"cret")
            .r2_bucket("DATA")
            .r2_bucket("MORE");
        let text = built.settings(&options, 8787, Path::new("/run"));
        assert!(text.contains(r#""entry": "/x/entry.mjs""#), "{text}");
        assert!(text.contains(r#""port": 8787"#), "{text}");
        assert!(text.contains(r#""CLIENT_SECRET": "s\"cret""#), "{text}");
        assert!(text.contains(r#""r2Buckets": ["DATA", "MORE"]"#), "{text}");
        assert!(text.contains(r#""r2Persist": "/run/r2-state""#), "{text}");
        let config_line = text
            .lines()
            .find(|l| l.contains("MULTISTORE_CONFIG"))
            .unwrap();
        assert!(
            config_line.contains(r#""{\n  \"buckets\": []\n}""#),
            "{config_line}"
        );
    }
}
