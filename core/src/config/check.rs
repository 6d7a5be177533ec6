//! Small value checks used by `validate`: endpoint URLs, host names, regions, access key ids,
//! ARNs and Worker binding names. Each returns a reason on failure.

/// An http or https URL with a host, no credentials, query or fragment. A path is allowed.
pub fn endpoint(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("{e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => return Err(format!("the scheme `{other}` is not http or https")),
        None => return Err("it needs a scheme, http:// or https://".to_owned()),
    }
    let authority = uri.authority().ok_or("it has no host")?;
    if authority.as_str().contains('@') {
        return Err("it must not contain credentials".to_owned());
    }
    if authority.host().is_empty() {
        return Err("it has no host".to_owned());
    }
    if uri.query().is_some() || url.contains('#') {
        return Err("it must not have a query or fragment".to_owned());
    }
    Ok(())
}

/// An OIDC issuer: https, or http when `[server] insecure_issuers` lists it (local identity
/// providers in tests).
pub fn issuer(url: &str, server: &super::ServerConfig) -> Result<(), String> {
    endpoint(url)?;
    let uri: http::Uri = url.parse().map_err(|e| format!("{e}"))?;
    if uri.scheme_str() == Some("http") && !server.is_insecure_issuer(url) {
        return Err(
            "an issuer must use https (http only when [server] insecure_issuers lists it)"
                .to_owned(),
        );
    }
    Ok(())
}

/// A DNS name such as `s3.example.com`: lowercase labels of letters, digits and `-`.
pub fn host_name(name: &str) -> Result<(), String> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(format!(
            "`{name}` is not a lowercase DNS name (no scheme, port or trailing dot)"
        ));
    }
    Ok(())
}

/// A region name such as `us-east-1`.
pub fn region(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then_some(())
        .ok_or_else(|| format!("`{name}` is not a region name (lowercase letters, digits, '-')"))
}

/// A gateway access key id: 16 to 128 characters, `A-Z` and `0-9`.
pub fn access_key_id(id: &str) -> Result<(), String> {
    if !(16..=128).contains(&id.len()) {
        return Err(format!("it has {} characters; use 16 to 128", id.len()));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err("use only A-Z and 0-9".to_owned());
    }
    Ok(())
}

/// `arn:partition:service:region:account:resource` with partition, service and resource set.
pub fn arn(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty();
    ok.then_some(()).ok_or_else(|| {
        format!("`{text}` is not an ARN (arn:partition:service:region:account:resource)")
    })
}

/// A Worker binding name: a JavaScript identifier.
pub fn binding(name: &str) -> Result<(), String> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$');
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$');
    (first_ok && rest_ok)
        .then_some(())
        .ok_or_else(|| format!("`{name}` is not a binding name (a JavaScript identifier)"))
}

/// An IAM-style role name: 1 to 64 of `A-Za-z0-9+=,.@_-`.
pub fn role_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    ok.then_some(())
        .ok_or_else(|| format!("`{name}` is not a role name (1-64 of A-Za-z0-9+=,.@_-)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        for ok in [
            "http://127.0.0.1:9000",
            "https://s3.us-east-1.amazonaws.com",
            "https://h/base",
        ] {
            assert_eq!(endpoint(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ftp://h",
            "127.0.0.1:9000",
            "http://",
            "http://u:p@h",
            "http://h/?x=1",
            "h",
            "",
            "http://h/#f",
        ] {
            assert!(endpoint(bad).is_err(), "{bad}");
        }
        let mut server = super::super::ServerConfig::default();
        assert!(issuer("https://idp.example.com", &server).is_ok());
        assert!(issuer("http://localhost:8080", &server).is_err());
        server.insecure_issuers = vec!["http://localhost:8080".into()];
        assert!(issuer("http://localhost:8080", &server).is_ok());
        assert!(issuer("http://idp.example.com", &server).is_err());
    }

    #[test]
    fn names() {
        assert!(host_name("s3.example.com").is_ok());
        assert!(host_name("S3.example.com").is_err());
        assert!(host_name("s3.example.com:9000").is_err());
        assert!(host_name("s3..com").is_err());
        assert!(region("us-east-1").is_ok() && region("US").is_err());
        assert!(access_key_id("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(access_key_id("AKIA").is_err() && access_key_id("akiaiosfodnn7example").is_err());
        assert!(arn("arn:aws:iam::123456789012:role/ci").is_ok());
        assert!(arn("arn:aws:iam").is_err());
        assert!(binding("BUCKET").is_ok() && binding("1B").is_err() && binding("").is_err());
        assert!(role_name("ci").is_ok() && role_name("c i").is_err());
    }
}
