//! Addressing: which bucket and key a request names, from its Host header and path.
//!
//! A Host of `<bucket>.<domain>` (optionally with a port) for a configured virtual-host
//! domain is virtual-hosted style; everything else (IP addresses, `localhost`, the bare
//! domain, unknown hosts) is path style.

use crate::codec::path::{PathError, S3Path, split_path_style, split_virtual_hosted};

/// The host without its port, lowercased. IPv6 literals keep their brackets.
pub fn host_without_port(host: &str) -> String {
    let host = host.trim();
    let bare = if host.starts_with('[') {
        host.split_once(']').map_or(host, |(h, _)| h).to_owned() + "]"
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(h, _)| h)
            .to_owned()
    };
    bare.to_ascii_lowercase()
}

/// The bucket named by a virtual-hosted Host, if the host is `<bucket>.<domain>`.
pub fn virtual_host_bucket(host: &str, domains: &[String]) -> Option<String> {
    let host = host_without_port(host);
    domains.iter().find_map(|domain| {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        host.strip_suffix(&domain)?
            .strip_suffix('.')
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
    })
}

/// Splits a request into bucket and key.
pub fn address(
    host: Option<&str>,
    raw_path: &str,
    domains: &[String],
) -> Result<S3Path, PathError> {
    match host.and_then(|h| virtual_host_bucket(h, domains)) {
        Some(bucket) => split_virtual_hosted(&bucket, raw_path),
        None => split_path_style(raw_path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::route::PathShape;

    fn domains() -> Vec<String> {
        vec!["s3.example.com".to_owned()]
    }

    #[test]
    fn virtual_hosts_name_the_bucket() {
        assert_eq!(
            virtual_host_bucket("photos.s3.example.com", &domains()).as_deref(),
            Some("photos")
        );
        assert_eq!(
            virtual_host_bucket("my.dotted.bucket.s3.example.com:9000", &domains()).as_deref(),
            Some("my.dotted.bucket")
        );
        assert_eq!(
            virtual_host_bucket("PHOTOS.S3.EXAMPLE.COM", &domains()).as_deref(),
            Some("photos")
        );
        assert_eq!(virtual_host_bucket("s3.example.com", &domains()), None);
        assert_eq!(
            virtual_host_bucket("evils3.example.com", &domains()),
            None,
            "a suffix match needs a dot boundary"
        );
        assert_eq!(virtual_host_bucket("127.0.0.1:9000", &domains()), None);
    }

    #[test]
    fn addressing_styles() {
        let p = address(Some("photos.s3.example.com"), "/a/b", &domains()).unwrap();
        assert_eq!(
            (p.shape, p.bucket.as_deref(), p.key.as_deref()),
            (PathShape::Object, Some("photos"), Some("a/b"))
        );
        let p = address(Some("s3.example.com"), "/photos/a/b", &domains()).unwrap();
        assert_eq!(
            (p.bucket.as_deref(), p.key.as_deref()),
            (Some("photos"), Some("a/b"))
        );
        let p = address(Some("localhost:9000"), "/", &domains()).unwrap();
        assert_eq!(p.shape, PathShape::Root);
        let p = address(Some("photos.s3.example.com"), "/", &domains()).unwrap();
        assert_eq!(p.shape, PathShape::Bucket);
    }

    #[test]
    fn ports_and_ipv6_are_stripped() {
        assert_eq!(host_without_port("[::1]:9000"), "[::1]");
        assert_eq!(host_without_port("Example.com:80"), "example.com");
        assert_eq!(host_without_port("example.com"), "example.com");
    }
}
