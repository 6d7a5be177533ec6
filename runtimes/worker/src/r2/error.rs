//! The errors the R2 store answers with: the core's [`StoreError`] (shared with the native
//! stores), plus what is R2's own: its failures arrive as JavaScript errors whose message ends
//! in a numeric code, `… (10007)`, which [`from_r2_message`] maps.

pub use multistore_core::store::{StoreError, StoreResult};

/// `NotImplemented` naming what R2 cannot do.
pub fn unsupported(what: &str) -> StoreError {
    StoreError::not_implemented(format!(
        "{what} is not supported by buckets served from an R2 binding"
    ))
}

/// Maps an error thrown by the R2 binding (its message ends in `(<code>)`).
pub fn from_r2_message(message: &str) -> StoreError {
    let code = message
        .trim_end()
        .strip_suffix(')')
        .and_then(|m| m.rsplit_once('('))
        .and_then(|(_, n)| n.trim().parse::<u32>().ok());
    let text = message.to_owned();
    if code.is_none() && message.contains("known length") {
        return StoreError::missing_content_length(
            "You must provide the Content-Length HTTP header.",
        );
    }
    match code {
        Some(10007) => StoreError::no_such_key("The specified key does not exist."),
        Some(100_100) => StoreError::entity_too_large(text),
        Some(10011) => StoreError::entity_too_small(text),
        Some(10012) => StoreError::metadata_too_large(text),
        Some(10020) => StoreError::key_too_long(text),
        Some(10024) => StoreError::no_such_upload("The specified multipart upload does not exist."),
        Some(10025) => StoreError::invalid_part(text),
        Some(10029 | 10022) => StoreError::invalid_argument(text),
        Some(10031) => StoreError::precondition_failed(
            "At least one of the pre-conditions you specified did not hold",
        ),
        Some(10037) => StoreError::bad_digest(text),
        Some(10039) => StoreError::invalid_range("The requested range is not satisfiable"),
        _ => StoreError::internal(format!("R2: {text}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_error_codes_map_to_s3_codes() {
        let code = |m: &str| from_r2_message(m).code;
        assert_eq!(
            code("get: The specified key does not exist. (10007)"),
            "NoSuchKey"
        );
        assert_eq!(
            code("uploadPart: The specified multipart upload does not exist. (10024)"),
            "NoSuchUpload"
        );
        assert_eq!(
            code(
                "completeMultipartUpload: One or more of the specified parts could not be found. (10025)"
            ),
            "InvalidPart"
        );
        assert_eq!(
            code("get: The requested range is not satisfiable (10039)"),
            "InvalidRange"
        );
        assert_eq!(code("put: bad (10037)"), "BadDigest");
        assert_eq!(code("something else"), "InternalError");
        assert_eq!(code("weird (x)"), "InternalError");
        assert_eq!(
            code("put: Provided readable stream must have a known length"),
            "MissingContentLength"
        );
    }
}
