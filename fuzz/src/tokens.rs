//! `tokens`: the bearer tokens the gateway reads from untrusted requests: web identity tokens
//! (JWT, with the identity provider's JWKS) and sealed STS session tokens
//! (`x-amz-security-token`).
//!
//! The input is a token, then optionally `\n` and a JWKS document. What must hold:
//!
//! - `jwt::peek`, `parse_jwks`, `select_key` and `jwt::verify` never panic, and no token the
//!   fuzzer makes verifies against a key set the fuzzer makes (mutation cannot produce a
//!   valid signature: a success means a signature check was skipped, e.g. `alg` confusion);
//! - `SessionKeyRing::open` refuses every token the fuzzer makes (it cannot forge AES-GCM);
//! - a session sealed by the ring opens as the same session with its own access key id, and
//!   not with another one, nor after any one character of the token changed.

use std::sync::OnceLock;

use multistore_core::identity::jwt::{self, parse_jwks, peek, select_key};
use multistore_core::identity::session::{Session, SessionKeyRing};

fn ring() -> &'static SessionKeyRing {
    static RING: OnceLock<SessionKeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        SessionKeyRing::new(vec![("k2".into(), [2; 32]), ("k1".into(), [1; 32])])
            .expect("a non-empty ring")
    })
}

/// Runs the target.
pub fn run(data: &[u8]) {
    let (token, jwks) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(token) = std::str::from_utf8(token) else {
        return;
    };
    web_identity(token, jwks);
    assert!(
        ring().open(token, "ASIAFUZZ").is_err(),
        "a session token the fuzzer made was opened"
    );
    round_trip(token);
}

fn web_identity(token: &str, jwks: &[u8]) {
    let Ok(peeked) = peek(token) else {
        return;
    };
    let Some(set) = parse_jwks(jwks) else {
        return;
    };
    if let Some(jwk) = select_key(&set, peeked.kid.as_deref(), peeked.alg) {
        assert!(
            jwt::verify(token, jwk, peeked.alg).is_err(),
            "a token the fuzzer made verified with a key the fuzzer made"
        );
    }
}

/// Seals a session whose strings come from the input, opens it, and tampers with it.
fn round_trip(text: &str) {
    let access_key_id: String = text.chars().take(24).collect();
    let session = Session {
        access_key_id: access_key_id.clone(),
        secret_access_key: "secret".into(),
        principal: format!("assumed-role/ci/{text}"),
        role: "ci".into(),
        exp: 1_700_000_000,
        scopes: Vec::new(),
    };
    let sealed = ring().seal(&session).expect("seals");
    let opened = ring()
        .open(&sealed, &access_key_id)
        .expect("opens what it sealed");
    assert!(opened == session, "the session changed in the token");
    assert!(
        ring().open(&sealed, &format!("{access_key_id}x")).is_err(),
        "a session opened with another access key id"
    );
    // Change one character (chosen by the input) of the token.
    let at = text.len() % sealed.len();
    let mut bytes = sealed.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ASCII");
    assert!(
        ring().open(&tampered, &access_key_id).is_err(),
        "a tampered session token opened"
    );
}
