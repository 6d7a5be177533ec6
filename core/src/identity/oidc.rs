//! The gateway as an OIDC identity provider for its backends: its signing keys
//! (`[[server.oidc_keys]]`, RS256 or ES256), the discovery document and JWKS it serves, and the
//! short-lived JWTs it mints for `auth = "oidc"` backends.
//!
//! ```text
//! GET {issuer path}/.well-known/openid-configuration  { issuer, jwks_uri, … }
//! GET {issuer path}/.well-known/jwks.json             every key's public half (kid, use=sig, alg)
//! ```
//!
//! The first key signs; every key is published, so a new key can be published ahead of use
//! and an old one kept until the tokens it signed expired (they live 5 minutes).
//!
//! [`OidcProvider`] is an [`Extension`]: registered in one call, it serves both documents and
//! hands the gateway the [`Federation`] that exchanges its tokens for backend credentials.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::config::{OidcAlgorithm, ServerConfig};
use crate::gateway::endpoints::{Endpoint, Extension, Params, RouteHandler};
use crate::gateway::plan::{Plan, Response};
use crate::gateway::request::RequestHead;

use super::IdentityError;
use super::federation::Federation;
use super::random;

/// How long a minted token is valid.
pub const TOKEN_TTL_SECS: i64 = 300;

/// One signing key.
struct SigningKey {
    id: String,
    alg: Algorithm,
    key: EncodingKey,
    public: Jwk,
}

/// The gateway's issuer and signing keys.
pub struct OidcSigner {
    issuer: String,
    keys: Vec<SigningKey>,
}

impl std::fmt::Debug for OidcSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("OidcSigner")
            .field("issuer", &self.issuer)
            .field("keys", &ids)
            .finish()
    }
}

impl OidcSigner {
    /// The signer of `[server] oidc_issuer` and `[[server.oidc_keys]]` (resolved), or None.
    pub fn from_config(server: &ServerConfig) -> Result<Option<Self>, IdentityError> {
        let Some(issuer) = &server.oidc_issuer else {
            return Ok(None);
        };
        let mut keys = Vec::new();
        for (i, k) in server.oidc_keys.iter().enumerate() {
            let path = format!("server.oidc_keys[{i}].private_key");
            let pem = k
                .private_key
                .value()
                .ok_or_else(|| IdentityError(format!("{path} is not resolved")))?;
            let pem = pem.expose().as_bytes();
            let (alg, key) = match k.algorithm {
                OidcAlgorithm::RS256 => (Algorithm::RS256, EncodingKey::from_rsa_pem(pem)),
                OidcAlgorithm::ES256 => (Algorithm::ES256, EncodingKey::from_ec_pem(pem)),
            };
            let key = key.map_err(|e| IdentityError(format!("{path}: {e}")))?;
            let mut public = Jwk::from_encoding_key(&key, alg)
                .map_err(|e| IdentityError(format!("{path}: {e}")))?;
            public.common.key_id = Some(k.id.clone());
            public.common.public_key_use = Some(PublicKeyUse::Signature);
            keys.push(SigningKey {
                id: k.id.clone(),
                alg,
                key,
                public,
            });
        }
        if keys.is_empty() {
            return Err(IdentityError(
                "oidc_issuer needs [[server.oidc_keys]]".into(),
            ));
        }
        Ok(Some(OidcSigner {
            issuer: issuer.trim_end_matches('/').to_owned(),
            keys,
        }))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The path part of the issuer (`""` for a bare host), under which the documents live.
    fn base_path(&self) -> String {
        self.issuer
            .parse::<http::Uri>()
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }

    /// The discovery document.
    pub fn discovery_document(&self) -> Vec<u8> {
        let algs: Vec<String> = self.keys.iter().map(|k| format!("{:?}", k.alg)).collect();
        let mut algs_unique = algs.clone();
        algs_unique.dedup();
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{}/.well-known/jwks.json", self.issuer),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs_unique,
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"],
        })
        .to_string()
        .into_bytes()
    }

    /// The JWKS: every key's public half.
    pub fn jwks_document(&self) -> Vec<u8> {
        let keys: Vec<&Jwk> = self.keys.iter().map(|k| &k.public).collect();
        json!({ "keys": keys }).to_string().into_bytes()
    }

    /// A token for `subject` and `audience`, valid from `now` for [`TOKEN_TTL_SECS`].
    pub fn mint(&self, subject: &str, audience: &str, now: i64) -> Result<String, IdentityError> {
        let signing = self
            .keys
            .first()
            .ok_or_else(|| IdentityError("no signing key".into()))?;
        let mut header = Header::new(signing.alg);
        header.kid = Some(signing.id.clone());
        header.typ = Some("JWT".into());
        let jti = hex::encode(random::bytes::<16>().map_err(|e| IdentityError(e.to_string()))?);
        let claims = json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_TTL_SECS,
            "jti": jti,
        });
        jsonwebtoken::encode(&header, &claims, &signing.key)
            .map_err(|e| IdentityError(format!("cannot sign: {e}")))
    }
}

/// The OIDC provider extension.
pub struct OidcProvider {
    signer: Arc<OidcSigner>,
    federation: Arc<Federation>,
}

impl OidcProvider {
    /// The provider for a validated, resolved configuration, or None when it sets no issuer.
    pub fn from_config(server: &ServerConfig) -> Result<Option<Self>, IdentityError> {
        Ok(OidcSigner::from_config(server)?.map(|signer| {
            let signer = Arc::new(signer);
            OidcProvider {
                federation: Arc::new(Federation::new(Arc::clone(&signer))),
                signer,
            }
        }))
    }

    pub fn signer(&self) -> &Arc<OidcSigner> {
        &self.signer
    }

    pub fn federation(&self) -> &Arc<Federation> {
        &self.federation
    }
}

struct Document(Bytes);

impl RouteHandler for Document {
    fn handle(&self, _head: &RequestHead, _params: &Params) -> Option<Plan> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        Some(Plan::Respond(Response::new(
            StatusCode::OK,
            headers,
            self.0.clone(),
        )))
    }
}

impl Extension for OidcProvider {
    fn endpoints(&self) -> Vec<Endpoint> {
        let base = self.signer.base_path();
        let documents = [
            ("openid-configuration", self.signer.discovery_document()),
            ("jwks.json", self.signer.jwks_document()),
        ];
        documents
            .into_iter()
            .map(|(name, body)| Endpoint {
                path: Cow::Owned(format!("{base}/.well-known/{name}")),
                methods: &[Method::GET, Method::HEAD],
                handler: Arc::new(Document(Bytes::from(body))),
            })
            .collect()
    }

    fn backend_credentials(&self) -> Option<Arc<Federation>> {
        Some(Arc::clone(&self.federation))
    }
}
