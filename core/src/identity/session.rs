//! Sealed session tokens: what STS hands out as `SessionToken`, and how a later request signed
//! with the temporary key is authenticated from it, statelessly.
//!
//! ```text
//! token = "MST1." base64url( len(kid) ‖ kid ‖ nonce[12] ‖ AES-256-GCM(plaintext) ‖ tag[16] )
//! aad   = "multistore-session-v1" 0x00 kid 0x00 access_key_id
//! plaintext = JSON { ak, sk, p (principal), r (role), exp (unix secs), s (scopes) }
//! ```
//!
//! - The key ring holds several keys by id: the first seals, every one opens, so rotating
//!   (a new key in front) keeps older tokens valid until their key is removed.
//! - The access key id is in the additional data: a token presented with any other access key
//!   id fails authentication, exactly as a tampered one does.
//! - The temporary secret is sealed inside; the gateway stores nothing.
//! - Opening never panics: every malformed, foreign or tampered token is a [`SessionError`].
//!   Expiry is the caller's check (after the signature, so that only the key's holder learns
//!   its state).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::authz::{Identity, Principal, Scope};
use crate::config::{SessionKeyConfig, decode_session_secret};

use super::random::{self, RandomError};

const PREFIX: &str = "MST1.";
const AAD_LABEL: &[u8] = b"multistore-session-v1";
/// Tokens longer than this are refused before any work (real ones are far shorter).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What a session token carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    #[serde(rename = "ak")]
    pub access_key_id: String,
    #[serde(rename = "sk")]
    pub secret_access_key: String,
    /// The principal's name (`assumed-role/<role>/<session name>`), for logs.
    #[serde(rename = "p")]
    pub principal: String,
    #[serde(rename = "r")]
    pub role: String,
    /// Unix seconds; the session is refused from this instant on.
    pub exp: i64,
    #[serde(rename = "s")]
    pub scopes: Vec<Scope>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("principal", &self.principal)
            .field("role", &self.role)
            .field("exp", &self.exp)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl Session {
    /// The identity requests signed with this session act as.
    pub fn identity(&self) -> Identity {
        Identity::Principal(Principal {
            name: self.principal.clone(),
            access_key_id: self.access_key_id.clone(),
            scopes: self.scopes.clone(),
        })
    }
}

/// Why a token cannot be opened (all of them mean: not a token of ours for this key).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session token is malformed")]
    Malformed,
    #[error("the session token was sealed with a key this gateway does not have")]
    UnknownKey,
    #[error("the session token is invalid for this access key")]
    Invalid,
    #[error("cannot seal: {0}")]
    Seal(String),
}

impl From<RandomError> for SessionError {
    fn from(e: RandomError) -> Self {
        SessionError::Seal(e.to_string())
    }
}

/// The key ring. Cheap to share behind an `Arc`.
pub struct SessionKeyRing {
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for SessionKeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("SessionKeyRing").field("ids", &ids).finish()
    }
}

impl SessionKeyRing {
    /// A ring of `(id, key)`; the first seals. None when empty.
    pub fn new(keys: Vec<(String, [u8; 32])>) -> Option<Self> {
        if keys.is_empty() {
            return None;
        }
        let keys = keys
            .into_iter()
            .map(|(id, key)| (id, Aes256Gcm::new(&key.into())))
            .collect();
        Some(SessionKeyRing { keys })
    }

    /// The ring of `[[server.session_keys]]` (resolved), or None when there is none.
    pub fn from_config(keys: &[SessionKeyConfig]) -> Result<Option<Self>, String> {
        let mut ring = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let value = key
                .secret
                .value()
                .ok_or_else(|| format!("server.session_keys[{i}].secret is not resolved"))?;
            let bytes = decode_session_secret(value.expose())
                .map_err(|e| format!("server.session_keys[{i}].secret: {e}"))?;
            ring.push((key.id.clone(), bytes));
        }
        Ok(Self::new(ring))
    }

    fn aad(key_id: &str, access_key_id: &str) -> Vec<u8> {
        [
            AAD_LABEL,
            b"\0",
            key_id.as_bytes(),
            b"\0",
            access_key_id.as_bytes(),
        ]
        .concat()
    }

    /// Seals a session with the first key.
    pub fn seal(&self, session: &Session) -> Result<String, SessionError> {
        let (key_id, cipher) = self
            .keys
            .first()
            .ok_or_else(|| SessionError::Seal("no key".into()))?;
        let plaintext =
            serde_json::to_vec(session).map_err(|e| SessionError::Seal(e.to_string()))?;
        let nonce = random::bytes::<12>()?;
        let aad = Self::aad(key_id, &session.access_key_id);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SessionError::Seal("encryption failed".into()))?;
        let id_len = u8::try_from(key_id.len()).map_err(|_| SessionError::Seal("key id".into()))?;
        let mut raw = Vec::with_capacity(1 + key_id.len() + nonce.len() + sealed.len());
        raw.push(id_len);
        raw.extend_from_slice(key_id.as_bytes());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        ))
    }

    /// Opens a token presented with `access_key_id`. Does not check expiry.
    pub fn open(&self, token: &str, access_key_id: &str) -> Result<Session, SessionError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(SessionError::Malformed);
        }
        let body = token.strip_prefix(PREFIX).ok_or(SessionError::Malformed)?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SessionError::Malformed)?;
        let (&id_len, rest) = raw.split_first().ok_or(SessionError::Malformed)?;
        let id_len = usize::from(id_len);
        // The id, a 12-byte nonce, and at least the 16-byte tag.
        if rest.len() < id_len + 12 + 16 {
            return Err(SessionError::Malformed);
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, sealed) = rest.split_at(12);
        let key_id = std::str::from_utf8(id).map_err(|_| SessionError::Malformed)?;
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(k, _)| k == key_id)
            .ok_or(SessionError::UnknownKey)?;
        let aad = Self::aad(key_id, access_key_id);
        let plaintext = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| SessionError::Invalid)?;
        let session: Session =
            serde_json::from_slice(&plaintext).map_err(|_| SessionError::Malformed)?;
        // Bound by the AAD already; checked again so a bug there cannot mix keys up.
        if session.access_key_id != access_key_id {
            return Err(SessionError::Invalid);
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{ActionSet, BucketPattern};

    fn session() -> Session {
        Session {
            access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
            secret_access_key: "secret".into(),
            principal: "assumed-role/ci/run".into(),
            role: "ci".into(),
            exp: 1_000,
            scopes: vec![Scope::new(
                BucketPattern::new("data").unwrap(),
                ActionSet::read(),
            )],
        }
    }

    fn ring(keys: &[(&str, u8)]) -> SessionKeyRing {
        SessionKeyRing::new(
            keys.iter()
                .map(|(id, b)| ((*id).to_owned(), [*b; 32]))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn round_trip_and_binding() {
        let ring = ring(&[("k1", 1)]);
        let token = ring.seal(&session()).unwrap();
        assert!(token.starts_with("MST1."));
        assert_eq!(ring.open(&token, "ASIAAAAAAAAAAAAAAAAA"), Ok(session()));
        // Another access key id: refused.
        assert_eq!(
            ring.open(&token, "ASIABBBBBBBBBBBBBBBB"),
            Err(SessionError::Invalid)
        );
        // Two seals of the same session differ (fresh nonces).
        assert_ne!(ring.seal(&session()).unwrap(), token);
        // The secret never shows in Debug.
        assert!(!format!("{:?}", session()).contains("secret\""));
    }

    #[test]
    fn rotation_keeps_old_tokens_until_their_key_is_removed() {
        let old = ring(&[("k1", 1)]);
        let token = old.seal(&session()).unwrap();
        let rotated = ring(&[("k2", 2), ("k1", 1)]);
        assert!(rotated.open(&token, "ASIAAAAAAAAAAAAAAAAA").is_ok());
        let new_token = rotated.seal(&session()).unwrap();
        assert!(old.open(&new_token, "ASIAAAAAAAAAAAAAAAAA").is_err());
        let removed = ring(&[("k2", 2)]);
        assert_eq!(
            removed.open(&token, "ASIAAAAAAAAAAAAAAAAA"),
            Err(SessionError::UnknownKey)
        );
        // Same id, different key material: a foreign token.
        let foreign = ring(&[("k1", 9)]);
        assert_eq!(
            foreign.open(&token, "ASIAAAAAAAAAAAAAAAAA"),
            Err(SessionError::Invalid)
        );
    }

    #[test]
    fn tampering_never_panics() {
        let ring = ring(&[("k1", 1)]);
        let token = ring.seal(&session()).unwrap();
        let ak = "ASIAAAAAAAAAAAAAAAAA";
        // Flip every character of the token in turn.
        for i in PREFIX.len()..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            if tampered != token {
                assert!(ring.open(&tampered, ak).is_err(), "byte {i}");
            }
        }
        for junk in [
            "",
            "MST1.",
            "MST1.AA",
            "MST1.////",
            "garbage",
            &"MST1.A".repeat(5000),
        ] {
            assert!(ring.open(junk, ak).is_err(), "{junk}");
        }
        // Truncations.
        for len in 0..token.len() {
            assert!(ring.open(&token[..len], ak).is_err());
        }
    }
}
