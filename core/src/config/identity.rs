//! The identity keys of `[server]`: `[[server.session_keys]]` (the AES-256-GCM key ring that
//! seals STS session tokens), `[[server.oidc_keys]]` (the gateway's own JWT signing keys, for
//! backend federation) and the checks on them.
//!
//! Key material is a [`Secret`], so it is usually `{ env = "NAME" }` and only known after
//! [`super::Config::resolve_secrets`]; [`check_session_secret`] and [`check_oidc_key`] run on
//! whatever values are known at validation time (inline ones always, environment ones once
//! resolved: `StaticRegistry::new` validates again after resolution).

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::secret::Secret;

/// One key of the session-token key ring. The first key seals new tokens; every key opens
/// them, so a rotation adds a key in front and removes the old one once its tokens expired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionKeyConfig {
    /// 1 to 32 of `A-Za-z0-9_-`; carried in every token it seals.
    pub id: String,
    /// 32 random bytes, base64 (standard alphabet, padded or not).
    pub secret: Secret,
}

/// A JWT signing algorithm the gateway can sign its own tokens with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OidcAlgorithm {
    RS256,
    ES256,
}

/// One of the gateway's own OIDC signing keys. The first signs; all are published in
/// `/.well-known/jwks.json`, so a rotation adds the new key behind the old one, waits until
/// relying parties refreshed their copy, then moves it first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcKeyConfig {
    /// The JWK `kid`: 1 to 64 of `A-Za-z0-9._-`.
    pub id: String,
    pub algorithm: OidcAlgorithm,
    /// The private key, PEM (PKCS#1 or PKCS#8 for RS256, SEC1 or PKCS#8 for ES256).
    pub private_key: Secret,
}

/// The id of a session or signing key.
pub(crate) fn check_key_id(id: &str, max: usize, extra: &[u8]) -> Result<(), String> {
    let ok = (1..=max).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b));
    ok.then_some(()).ok_or_else(|| {
        let extra: String = extra.iter().map(|&b| b as char).collect();
        format!("`{id}` is not a key id (1 to {max} of A-Za-z0-9{extra})")
    })
}

/// Decodes a session key: base64 of exactly 32 bytes.
pub fn decode_session_secret(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .map_err(|_| "the session key is not base64".to_owned())?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "the session key has {} bytes; it must be 32 (e.g. `openssl rand -base64 32`)",
            bytes.len()
        )
    })
}

/// Checks a session key's value, when known.
pub(crate) fn check_session_secret(secret: &Secret) -> Result<(), String> {
    match secret.value() {
        Some(value) => decode_session_secret(value.expose()).map(drop),
        None => Ok(()),
    }
}

/// Checks that an OIDC key's value, when known, is a private key of its algorithm.
pub(crate) fn check_oidc_key(key: &OidcKeyConfig) -> Result<(), String> {
    let Some(value) = key.private_key.value() else {
        return Ok(());
    };
    let pem = value.expose().as_bytes();
    let parsed = match key.algorithm {
        OidcAlgorithm::RS256 => jsonwebtoken::EncodingKey::from_rsa_pem(pem),
        OidcAlgorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_pem(pem),
    };
    parsed.map(drop).map_err(|e| {
        format!(
            "the private key is not a PEM {:?} private key: {e}",
            key.algorithm
        )
    })
}

/// A configured path for the STS endpoint: `/` followed by segments of `A-Za-z0-9._~-`.
pub(crate) fn check_sts_path(path: &str) -> Result<(), String> {
    let segments_ok = path.strip_prefix('/').is_some_and(|rest| {
        !rest.is_empty()
            && rest.split('/').all(|segment| {
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b))
            })
    });
    if !segments_ok {
        return Err(format!(
            "`{path}` is not a path like `/.sts` (segments of A-Za-z0-9._~-)"
        ));
    }
    if path.starts_with("/.well-known/") {
        return Err("`/.well-known/` belongs to the OIDC provider".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_secrets_are_32_bytes_of_base64() {
        let good = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(decode_session_secret(&good), Ok([7u8; 32]));
        assert_eq!(
            decode_session_secret(good.trim_end_matches('=')),
            Ok([7u8; 32])
        );
        let short = base64::engine::general_purpose::STANDARD.encode([7u8; 16]);
        assert!(
            decode_session_secret(&short)
                .unwrap_err()
                .contains("16 bytes")
        );
        assert!(decode_session_secret("not base64!").is_err());
    }

    #[test]
    fn sts_paths() {
        for ok in ["/.sts", "/sts", "/api/sts-v1"] {
            assert_eq!(check_sts_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/",
            "sts",
            "/sts/",
            "//sts",
            "/a/../b",
            "/{x}",
            "/.well-known/sts",
        ] {
            assert!(check_sts_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_ids() {
        assert!(check_key_id("k1", 32, b"_-").is_ok());
        assert!(check_key_id("", 32, b"_-").is_err());
        assert!(check_key_id("a.b", 32, b"_-").is_err());
        assert!(check_key_id("a.b", 64, b"._-").is_ok());
    }
}
