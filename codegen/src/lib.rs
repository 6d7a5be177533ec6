//! multistore's code generator: reads the pinned official AWS Smithy JSON AST models plus our
//! overlay and allowlist from `model/`, reduces them to an IR, and emits the Rust in
//! `core/src/generated/`.
//!
//! ```text
//! model/pins.toml ──▶ smithy (JSON AST reader, sha256-verified) ──▶ overlay merge
//!                  ──▶ ir (allowlist closure, typed shapes and bindings) ──▶ emit/* ──▶ rustfmt
//! ```
//!
//! The one entry point is [`generate`]; it is pure apart from reading the model files and
//! running `rustfmt`, and its output is deterministic.

use std::path::PathBuf;

use anyhow::Context as _;
use proc_macro2::TokenStream;
use quote::quote;

mod emit;
mod inputs;
pub mod ir;
mod names;
mod smithy;

/// Where the generator reads its inputs.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// Directory holding the official model files named in `model/pins.toml` (`s3.json`, `sts.json`).
    pub models_dir: PathBuf,
    /// The repository's `model/` directory (pins, overlay, allowlist).
    pub model_dir: PathBuf,
    /// Generate every operation of the S3 model instead of the allowlist (the generality test).
    pub all_operations: bool,
}

/// One generated file, relative to `core/src/generated/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the generated directory, with `/` separators (e.g. `dto.rs`).
    pub path: String,
    /// The complete, rustfmt-formatted contents.
    pub contents: String,
}

/// Reads, verifies and merges the models, then generates every file of `core/src/generated/`.
///
/// # Errors
/// Fails when a model file is missing or does not match its pinned sha256 (the message says
/// where to get it), when the overlay or allowlist is invalid, or when rustfmt fails.
pub fn generate(inputs: &Inputs) -> anyhow::Result<Vec<GeneratedFile>> {
    let loaded = inputs::load(&inputs.models_dir, &inputs.model_dir)?;
    let s3_pin = loaded
        .pins
        .get("s3")
        .context("model/pins.toml has no [models.s3]")?;
    let sts_pin = loaded
        .pins
        .get("sts")
        .context("model/pins.toml has no [models.sts]")?;
    let s3_ops = if inputs.all_operations {
        let service = loaded.model.shape(&s3_pin.service)?;
        service
            .operations
            .iter()
            .map(|o| smithy::local_name(&o.target).to_owned())
            .collect()
    } else {
        loaded.allowlist.s3.operations.clone()
    };
    let ir = ir::build(
        &loaded.model,
        &s3_pin.service,
        &s3_ops,
        &sts_pin.service,
        &loaded.allowlist.sts.operations,
    )?;
    let provenance = format!(
        "model/ ({} sha256 {}, {} sha256 {}, overlay.json, allowlist.toml)",
        s3_pin.file, s3_pin.sha256, sts_pin.file, sts_pin.sha256
    );
    emit_all(&ir, &provenance)
}

/// Emits every generated file for an IR.
pub fn emit_all(ir: &ir::Ir, provenance: &str) -> anyhow::Result<Vec<GeneratedFile>> {
    let ctx = emit::Ctx::new(ir);
    let files: Vec<(&str, TokenStream)> = vec![
        (
            "mod.rs",
            quote! {
                //! The S3 and STS protocol layer, generated from the official AWS Smithy models.
                pub mod dto;
                pub mod gateway;
                pub mod headers;
                pub mod http;
                pub mod ops;
                pub mod router;
                pub mod sts;
                pub mod xml;
                #[cfg(any(test, feature = "arbitrary"))]
                pub mod arb;
                #[cfg(test)]
                mod roundtrip_tests;
            },
        ),
        ("dto.rs", emit::dto::emit(&ctx, "com.amazonaws.s3")),
        ("gateway.rs", emit::dto::emit(&ctx, "multistore.gateway")),
        ("sts.rs", {
            let types = emit::dto::emit(&ctx, "com.amazonaws.sts");
            let bindings = emit::sts::emit(&ctx);
            quote!(#bindings #types)
        }),
        ("xml.rs", emit::xml::emit(&ctx)),
        ("http.rs", emit::http::emit(&ctx)),
        ("ops.rs", emit::ops::emit(&ctx)),
        ("router.rs", emit::router::emit(&ctx)),
        ("headers.rs", emit::headers::emit(&ctx)),
        ("arb.rs", emit::arb::emit(&ctx)),
        ("roundtrip_tests.rs", emit::arb::emit_tests(&ctx)),
    ];
    files
        .into_iter()
        .map(|(path, tokens)| {
            let contents =
                emit::render(provenance, tokens).with_context(|| format!("rendering {path}"))?;
            Ok(GeneratedFile {
                path: path.to_owned(),
                contents,
            })
        })
        .collect()
}
