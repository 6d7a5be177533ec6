//! The native stores' errors: the core's [`StoreError`] (shared with the Worker's R2 store),
//! answered as a [`StoreResponse`].

pub use multistore_core::store::{StoreError, StoreResult};

use super::{StoreBody, StoreResponse};

/// A store error as the response the store gives.
pub trait IntoStoreResponse {
    fn into_response(self) -> StoreResponse;
}

impl IntoStoreResponse for StoreError {
    fn into_response(self) -> StoreResponse {
        let (status, headers, body) = self.to_answer();
        StoreResponse {
            status,
            headers,
            body: StoreBody::Full(body),
        }
    }
}
