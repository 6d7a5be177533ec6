//! Randomness for nonces, temporary secrets and key ids: the operating system's generator
//! (`crypto.getRandomValues` on wasm32). A failure is reported, never a panic.

/// Why no random bytes could be had.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no randomness available: {0}")]
pub struct RandomError(String);

/// `N` random bytes.
pub(crate) fn bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| RandomError(e.to_string()))?;
    Ok(out)
}

/// The RFC 4648 base32 alphabet, which is also what AWS access key ids are made of.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A temporary access key id: `ASIA` and 16 base32 characters (80 random bits), like AWS's.
pub(crate) fn access_key_id() -> Result<String, RandomError> {
    let raw = bytes::<16>()?;
    let tail: String = raw
        .iter()
        .map(|b| BASE32[usize::from(b % 32)] as char)
        .collect();
    Ok(format!("ASIA{tail}"))
}

/// A temporary secret access key: 40 characters of base64 (240 random bits).
pub(crate) fn secret_access_key() -> Result<String, RandomError> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes::<30>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = access_key_id().unwrap();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("ASIA"));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_eq!(secret_access_key().unwrap().len(), 40);
        assert_ne!(access_key_id().unwrap(), id);
    }
}
