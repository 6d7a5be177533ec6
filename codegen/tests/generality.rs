//! The generator is not tailored to the allowlist: it generates all 98 operations of the
//! official S3 model into a scratch crate, which must compile and pass the generated
//! round-trip property tests.
//!
//! Slow (a few minutes on 2 cores), so ignored by default; `cargo xtask test` runs it with
//! `--ignored` whenever the models are present.

mod support;

use std::path::Path;
use std::process::Command;

use multistore_codegen::{Inputs, generate};

#[test]
#[ignore = "slow: run by `cargo xtask test` (FIXME: none; ignored only for speed)"]
fn every_s3_operation_generates_compiles_and_round_trips() {
    let Some(models_dir) = support::models_dir() else {
        return;
    };
    let root = support::repo_root();
    let files = generate(&Inputs {
        models_dir,
        model_dir: root.join("model"),
        all_operations: true,
    })
    .expect("the generator handles the whole S3 model");
    let ops = files.iter().find(|f| f.path == "ops.rs").expect("ops.rs");
    let served = ops
        .contents
        .lines()
        .filter(|l| l.trim() == "OperationInfo {")
        .count();
    // 98 operations, less WriteGetObjectResponse (a literal path the router cannot express).
    assert_eq!(
        served, 97,
        "every routable operation of the model is generated"
    );

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let krate = target.join("generality-crate");
    let generated = krate.join("src/generated");
    let _ = std::fs::remove_dir_all(&generated);
    std::fs::create_dir_all(&generated).expect("scratch crate dir");
    for f in &files {
        std::fs::write(generated.join(&f.path), &f.contents).expect("write generated file");
    }
    write_scratch_crate(&krate, &root);
    let status = Command::new(env!("CARGO"))
        .args([
            "test",
            "--quiet",
            "--features",
            "arbitrary",
            "--manifest-path",
        ])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "the whole-model generated crate must compile and pass its tests"
    );
}

fn write_scratch_crate(krate: &Path, root: &Path) {
    let manifest = format!(
        r#"[package]
name = "multistore-generality"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[features]
arbitrary = ["multistore-core/arbitrary", "dep:proptest"]

[dependencies]
multistore-core = {{ path = "{core}" }}
bytes = "1"
http = "1"
proptest = {{ version = "1", optional = true }}

[dev-dependencies]
proptest = "1"
"#,
        core = root.join("core").display()
    );
    std::fs::write(krate.join("Cargo.toml"), manifest).expect("manifest");
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).expect("lockfile");
    std::fs::write(
        krate.join("src/lib.rs"),
        "//! All of S3, generated.\npub use multistore_core::codec;\n#[allow(warnings)]\nmod generated;\n",
    )
    .expect("lib.rs");
}
