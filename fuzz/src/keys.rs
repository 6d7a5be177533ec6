//! `key_paths`: object keys through every encoding they meet.
//!
//! - The key a client signs is the key the gateway reads: `encode_key` then
//!   `split_path_style` (and `split_virtual_hosted`) gives back the same key;
//! - `decode_component` of any text is refused or decodes to a value that `encode_component`
//!   spells back to the same value;
//! - the local-directory store's key map: `key_to_path` gives a relative path whose every
//!   component is a plain name (never `.`, `..`, hidden or containing a separator), and
//!   `path_to_key` gives the key back; `path_to_key` of an arbitrary path is that path's own
//!   key or nothing.

use std::path::{Component, Path};

use multistore_core::codec::path::{
    decode_component, encode_component, encode_key, split_path_style, split_virtual_hosted,
};

/// The native directory store's key map, compiled from its source: the native crate itself
/// pulls in tokio, hyper and rustls, which a fuzz build (with sanitizers, on nightly) would
/// have to build for this one std-only module.
#[path = "../../runtimes/native/src/store/keymap.rs"]
pub mod keymap;

/// S3 keys are at most 1024 bytes (the stores refuse longer ones first); longer inputs only
/// slow the search down.
const MAX_INPUT: usize = 1536;

/// Runs the target: the input as a key, and as a raw path component.
pub fn run(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(decoded) = decode_component(&text) {
        let again = decode_component(&encode_component(&decoded));
        assert_eq!(
            again.as_ref(),
            Ok(&decoded),
            "encode_component did not round-trip"
        );
    }
    if !text.is_empty() {
        signed_key_is_read_key(&text);
    }
    local_path(&text);
    if let Some(key) = keymap::path_to_key(Path::new(text.as_ref())) {
        assert_eq!(
            keymap::key_to_path(&key).as_deref(),
            Some(Path::new(text.as_ref())),
            "path_to_key accepted a path that is not its key's"
        );
    }
}

fn signed_key_is_read_key(key: &str) {
    let encoded = encode_key(key);
    let path = split_path_style(&format!("/bucket/{encoded}")).expect("an encoded key parses");
    assert_eq!(path.bucket.as_deref(), Some("bucket"));
    assert_eq!(path.key.as_deref(), Some(key), "path-style");
    let path = split_virtual_hosted("bucket", &format!("/{encoded}")).expect("virtual-hosted");
    assert_eq!(path.key.as_deref(), Some(key), "virtual-hosted");
}

fn local_path(key: &str) {
    let Some(path) = keymap::key_to_path(key) else {
        assert!(key.is_empty(), "only the empty key has no path");
        return;
    };
    for component in path.components() {
        let Component::Normal(name) = component else {
            panic!("{key:?} maps to {path:?}, which has a {component:?} component");
        };
        let name = name.to_str().expect("names are ASCII");
        assert!(
            !name.starts_with('.'),
            "{key:?}: hidden or dot name {name:?}"
        );
        assert!(name.len() <= 255, "{key:?}: a name longer than 255 bytes");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-%+".contains(&b)),
            "{key:?}: {name:?} has a byte outside the safe set"
        );
    }
    assert_eq!(
        keymap::path_to_key(&path).as_deref(),
        Some(key),
        "round trip"
    );
}
