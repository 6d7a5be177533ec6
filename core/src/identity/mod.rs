//! Identity: temporary credentials for clients (STS `AssumeRoleWithWebIdentity`, sealed
//! session tokens) and for backends (the gateway as an OIDC provider, exchanging its own JWTs
//! at a backend's STS). Runtime-agnostic like the rest of the core: every network exchange is
//! a [`Plan::Fetch`](crate::gateway::Plan::Fetch), every clock reading is the request's `now`.
//!
//! - [`session`]: the AES-256-GCM key ring and the session token format;
//! - [`jwt`], [`claims`], [`jwks`]: verifying web identity tokens and caching issuers' keys;
//! - [`sts`]: the STS endpoint (an [`Extension`](crate::gateway::Extension));
//! - [`oidc`]: the gateway's own issuer, its documents and tokens (an extension too);
//! - [`federation`]: backend credentials, their cache and the exchange.
//!
//! The rules are written up in docs/security.md, "STS and OIDC".

pub mod claims;
pub mod federation;
pub mod jwks;
pub mod jwt;
pub mod oidc;
mod random;
pub mod session;
pub mod sts;

pub use random::RandomError;

/// Why an identity extension cannot be built from a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdentityError(pub String);
