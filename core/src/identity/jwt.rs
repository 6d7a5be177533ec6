//! Web identity tokens (JWTs): reading the header and the issuer before any key is known,
//! choosing the issuer's key, and verifying the signature with jsonwebtoken.
//!
//! - Only asymmetric algorithms are accepted: RS256/384/512, PS256/384/512, ES256/384.
//!   `alg: none` does not even parse; HS* (and EdDSA) are refused before any key is looked at,
//!   and keys are only ever built from the issuer's JWKS (never `oct`, never the token's own
//!   `jwk`/`jku`/`x5u` headers), so an HS256 token "signed" with a public key cannot pass.
//! - A key must fit the algorithm (an RSA key for RS*/PS*, P-256 for ES256, P-384 for ES384),
//!   its `alg` (when given) must equal the token's, and its `use` (when given) must be `sig`.
//! - jsonwebtoken checks only the signature here (its clock is not ours: the core never reads
//!   one); every claim is checked in [`super::claims`] against the request's time.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// Web identity tokens longer than this are refused unread.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The algorithms accepted for web identity tokens.
pub const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// The claims of a token, as JSON.
pub type Claims = Map<String, Value>;

/// Why a token is refused before or at its signature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the web identity token is not a well-formed JWT")]
    Malformed,
    #[error("the web identity token is too long")]
    TooLong,
    #[error(
        "the token's algorithm {0} is not accepted (use RS256, ES256 or another asymmetric one)"
    )]
    Algorithm(String),
    #[error("the token has no `iss` claim")]
    NoIssuer,
    #[error("the signature of the web identity token is invalid")]
    Signature,
}

/// What can be read from a token before its signature is checked.
#[derive(Clone, Debug)]
pub struct Peeked {
    pub alg: Algorithm,
    pub kid: Option<String>,
    /// The `iss` claim, unverified: used only to choose which configured issuer's keys to try.
    pub issuer: String,
}

/// Reads the header and the issuer of a token.
pub fn peek(token: &str) -> Result<Peeked, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::TooLong);
    }
    if token.split('.').count() != 3 {
        return Err(JwtError::Malformed);
    }
    // `alg: none` (and any algorithm jsonwebtoken does not know) fails right here.
    let header = jsonwebtoken::decode_header(token).map_err(|_| match raw_alg(token) {
        Some(alg) if !ACCEPTED.iter().any(|a| format!("{a:?}") == alg) => JwtError::Algorithm(alg),
        _ => JwtError::Malformed,
    })?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(JwtError::Algorithm(format!("{:?}", header.alg)));
    }
    let claims: Claims =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| JwtError::Malformed)?;
    let issuer = match claims.get("iss") {
        Some(Value::String(iss)) => iss.clone(),
        _ => return Err(JwtError::NoIssuer),
    };
    Ok(Peeked {
        alg: header.alg,
        kid: header.kid,
        issuer,
    })
}

/// The `alg` of a header jsonwebtoken would not parse, for the error message.
fn raw_alg(token: &str) -> Option<String> {
    use base64::Engine as _;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    let alg = value.get("alg")?.as_str()?;
    Some(
        alg.chars()
            .filter(|c| c.is_ascii_graphic())
            .take(16)
            .collect(),
    )
}

/// Whether `jwk` may verify a token signed with `alg`.
pub fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let kind_fits = match (&jwk.algorithm, alg) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        _ => false,
    };
    let alg_fits = jwk
        .common
        .key_algorithm
        .is_none_or(|ka| Algorithm::try_from(ka).is_ok_and(|a| a == alg));
    let use_fits = matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    );
    kind_fits && alg_fits && use_fits && ACCEPTED.contains(&alg)
}

/// The key of `set` for a token: by `kid`, or, for a token without one, the only key that fits.
pub fn select_key<'a>(set: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let mut fitting = set.keys.iter().filter(|k| key_fits(k, alg));
    match kid {
        Some(kid) => fitting.find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            let first = fitting.next()?;
            fitting.next().is_none().then_some(first)
        }
    }
}

/// Whether `set` has a key with this `kid` at all (for any algorithm).
pub fn has_kid(set: &JwkSet, kid: Option<&str>) -> bool {
    match kid {
        Some(kid) => set
            .keys
            .iter()
            .any(|k| k.common.key_id.as_deref() == Some(kid)),
        None => !set.keys.is_empty(),
    }
}

/// Reads a JWKS document, skipping keys it cannot understand (one odd key must not take the
/// issuer's other keys down).
pub fn parse_jwks(body: &[u8]) -> Option<JwkSet> {
    let doc: Value = serde_json::from_slice(body).ok()?;
    let keys = doc.get("keys")?.as_array()?;
    let keys = keys
        .iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .collect();
    Some(JwkSet { keys })
}

/// Verifies the signature of `token` with `jwk` and returns its claims (not yet checked).
pub fn verify(token: &str, jwk: &Jwk, alg: Algorithm) -> Result<Claims, JwtError> {
    if !key_fits(jwk, alg) {
        return Err(JwtError::Signature);
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| JwtError::Signature)?;
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.leeway = 0;
    jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|_| JwtError::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(v: &Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn none_and_hmac_are_refused_at_the_header() {
        let claims = serde_json::json!({"iss": "https://idp", "sub": "x"});
        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg": "none"})),
            b64(&claims)
        );
        assert_eq!(peek(&none).unwrap_err(), JwtError::Algorithm("none".into()));
        let hs = format!(
            "{}.{}.c2ln",
            b64(&serde_json::json!({"alg": "HS256", "typ": "JWT"})),
            b64(&claims)
        );
        assert_eq!(peek(&hs).unwrap_err(), JwtError::Algorithm("HS256".into()));
        let rs = format!(
            "{}.{}.c2ln",
            b64(&serde_json::json!({"alg": "RS256", "kid": "k"})),
            b64(&claims)
        );
        let peeked = peek(&rs).unwrap();
        assert_eq!(
            (peeked.alg, peeked.kid.as_deref(), peeked.issuer.as_str()),
            (Algorithm::RS256, Some("k"), "https://idp")
        );
        let no_iss = format!(
            "{}.{}.c2ln",
            b64(&serde_json::json!({"alg": "RS256"})),
            b64(&serde_json::json!({"iss": 5}))
        );
        assert_eq!(peek(&no_iss).unwrap_err(), JwtError::NoIssuer);
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert!(peek(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn keys_fit_their_algorithm_only() {
        let set = parse_jwks(
            br#"{"keys":[
                {"kty":"oct","kid":"h","k":"c2VjcmV0"},
                {"kty":"EC","kid":"e","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
                {"kty":"RSA","kid":"r","use":"enc","n":"AQAB","e":"AQAB"},
                {"kty":"weird","kid":"w"}
            ]}"#,
        )
        .unwrap();
        assert!(select_key(&set, Some("h"), Algorithm::RS256).is_none());
        assert!(select_key(&set, Some("e"), Algorithm::ES256).is_some());
        assert!(select_key(&set, Some("e"), Algorithm::ES384).is_none());
        assert!(select_key(&set, Some("e"), Algorithm::RS256).is_none());
        // An encryption key never verifies.
        assert!(select_key(&set, Some("r"), Algorithm::RS256).is_none());
        // Without a kid, only an unambiguous fitting key is chosen.
        assert!(select_key(&set, None, Algorithm::ES256).is_some());
        assert!(has_kid(&set, Some("h")) && !has_kid(&set, Some("zz")));
        assert!(parse_jwks(b"{}").is_none() && parse_jwks(b"nope").is_none());
    }
}
