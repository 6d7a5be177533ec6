//! Shared helpers for the generator's integration tests: where the repository and the
//! official models are.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    // Read at run time: a test binary reused from another clone (shared target directory)
    // would carry that clone's compile-time path.
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets it"))
        .parent()
        .expect("codegen has a parent")
        .to_path_buf()
}

/// The official models: `$MULTISTORE_AWS_MODELS`, else `../shared/models` next to the clone.
/// `None` (with a message saying so) when neither exists.
pub fn models_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MULTISTORE_AWS_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/models"));
    if dir.join("s3.json").exists() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: the official AWS models are not at {} (set MULTISTORE_AWS_MODELS; see model/pins.toml)",
            dir.display()
        );
        None
    }
}
