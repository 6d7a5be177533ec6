//! The directory store's mapping between object keys and relative file paths.
//!
//! 1. Every byte of the key outside `[A-Za-z0-9._-]` becomes `%XX` (uppercase hex), so `/`,
//!    `%`, `+`, NUL, spaces and non-ASCII never reach the file system raw.
//! 2. The result is cut into pieces of at most [`PIECE`] bytes (never inside a `%XX`), because
//!    a file name holds at most 255 bytes and a key up to 1024 (3072 once encoded).
//! 3. A piece starting with `.` has that dot written `%2E`: no name is `.`, `..` or hidden,
//!    so none can meet the store's own `.multistore` directory.
//! 4. Every piece but the last becomes a directory named `<piece>+`; the last is the file.
//!    `+` never survives step 1, so a directory name (ends in `+`) is never a file name, and a
//!    key whose encoding is a prefix of another's cannot collide with it.
//!
//! Decoding drops the `+` of each directory, joins the pieces and percent-decodes: it is the
//! inverse of encoding, so two keys never share a path. Every component matches
//! `[A-Za-z0-9_-%][A-Za-z0-9._%-]*\+?` and there are no separators inside one, so a path can
//! never leave the store's root.
//!
//! On a case-insensitive or normalizing file system (the macOS and Windows defaults) keys
//! differing only in case or Unicode normalization would meet; the store targets Linux.

use std::path::{Path, PathBuf};

/// The longest piece of an encoded key in one path component (255 less room for `%2E` and `+`).
pub const PIECE: usize = 240;

fn keep(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-')
}

/// The relative path of `key`. `None` for the empty key (S3 has none).
pub fn key_to_path(key: &str) -> Option<PathBuf> {
    if key.is_empty() {
        return None;
    }
    let mut encoded = String::with_capacity(key.len() * 3);
    for &byte in key.as_bytes() {
        if keep(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let mut pieces = Vec::new();
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        let mut cut = rest.len().min(PIECE);
        // Never split a `%XX`: back off when one of the two bytes before the cut is a `%`.
        if cut < rest.len() {
            let bytes = rest.as_bytes();
            if bytes[cut - 1] == b'%' {
                cut -= 1;
            } else if bytes[cut - 2] == b'%' {
                cut -= 2;
            }
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    let mut path = PathBuf::new();
    let last = pieces.len() - 1;
    for (i, piece) in pieces.into_iter().enumerate() {
        let mut name = match piece.strip_prefix('.') {
            Some(tail) => format!("%2E{tail}"),
            None => piece.to_owned(),
        };
        if i != last {
            name.push('+');
        }
        path.push(name);
    }
    Some(path)
}

/// The key of a relative path made by [`key_to_path`]; `None` for any other path.
pub fn path_to_key(path: &Path) -> Option<String> {
    let mut encoded = String::new();
    let mut components = path.components().peekable();
    while let Some(component) = components.next() {
        let std::path::Component::Normal(name) = component else {
            return None;
        };
        let name = name.to_str()?;
        let piece = if components.peek().is_some() {
            name.strip_suffix('+')?
        } else {
            name
        };
        if piece.is_empty()
            || piece.starts_with('.')
            || !piece.bytes().all(|b| keep(b) || b == b'%')
        {
            return None;
        }
        encoded.push_str(piece);
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            let byte = u8::from_str_radix(hex, 16).ok()?;
            if !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
                || keep(byte) && byte != b'.'
            {
                return None; // not how we encode: refuse, so one key has exactly one path
            }
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let key = String::from_utf8(out).ok()?;
    // A path we did not write (another spelling of a key) is not an object.
    (key_to_path(&key)?.as_path() == path).then_some(key)
}

#[cfg(test)]
mod tests {
    use std::path::Component;

    use proptest::prelude::*;

    use super::*;

    /// Keys S3 accepts that naive mappings get wrong.
    pub(crate) fn adversarial_keys() -> Vec<String> {
        let mut keys: Vec<String> = [
            ".",
            "..",
            "./..",
            "../x",
            "a/../../b",
            "/",
            "//",
            "/leading",
            "dir/",
            "a//b",
            "a/./b",
            "%",
            "%2F",
            "%2E%2E",
            "+",
            "a+b",
            "a b",
            " ",
            "~",
            ".multistore",
            ".multistore/tmp/x",
            "a\u{0}b",
            "\\",
            "..\\..\\x",
            "C:\\x",
            "é",
            "日本語/キー",
            "😀",
            "\u{202e}rtl",
            "a\nb",
            "\t",
            "CON",
            "nul.txt",
            "x+",
            "x%2B",
            "....",
            ".hidden",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        keys.push("k".repeat(1024));
        keys.push("/".repeat(1024));
        keys.push(".".repeat(1024));
        keys.push("é".repeat(512));
        keys.push("%".repeat(1024));
        keys.push(format!("{}x", "a".repeat(PIECE - 1)));
        keys.push(format!("{}/", "a".repeat(PIECE - 1)));
        keys.push("a".repeat(PIECE));
        keys.push("a".repeat(PIECE + 1));
        keys
    }

    fn assert_safe(path: &Path) {
        assert!(path.is_relative(), "{path:?}");
        for c in path.components() {
            let Component::Normal(name) = c else {
                panic!("{path:?} has {c:?}")
            };
            let name = name.to_str().unwrap();
            assert!(name.len() <= 255, "{path:?}");
            assert!(!name.starts_with('.'), "{path:?}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-%+".contains(&b)),
                "{path:?}"
            );
        }
    }

    #[test]
    fn adversarial_keys_round_trip_to_safe_distinct_paths() {
        let keys = adversarial_keys();
        let mut seen = std::collections::HashSet::new();
        for key in &keys {
            let path = key_to_path(key).unwrap();
            assert_safe(&path);
            assert_eq!(path_to_key(&path).as_deref(), Some(key.as_str()), "{key:?}");
            assert!(seen.insert(path), "collision for {key:?}");
        }
    }

    #[test]
    fn foreign_paths_are_not_keys() {
        for p in [
            ".multistore",
            "a+",
            "a%2f",
            "%41",
            "x/y",
            "%",
            "%G0",
            ".a",
            "a+/b+",
        ] {
            assert_eq!(path_to_key(Path::new(p)), None, "{p}");
        }
        assert_eq!(key_to_path(""), None);
    }

    proptest! {
        #[test]
        fn any_key_round_trips(key in "\\PC{1,400}") {
            let path = key_to_path(&key).unwrap();
            assert_safe(&path);
            prop_assert_eq!(path_to_key(&path), Some(key));
        }

        #[test]
        fn any_byte_soup_round_trips(key in proptest::collection::vec(any::<char>(), 1..300)) {
            let key: String = key.into_iter().collect();
            let path = key_to_path(&key).unwrap();
            assert_safe(&path);
            prop_assert_eq!(path_to_key(&path), Some(key));
        }

        #[test]
        fn distinct_keys_have_distinct_paths(a in "[a./%+ -]{1,300}", b in "[a./%+ -]{1,300}") {
            prop_assume!(a != b);
            prop_assert_ne!(key_to_path(&a), key_to_path(&b));
        }
    }
}
