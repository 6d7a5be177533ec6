//! Requests the SDK will not make: signed with `multistore_core::sigv4::sign_request` and sent
//! with a raw hyper HTTP/1 connection, or written byte by byte on a TCP socket; and the
//! aws-chunked bodies they carry (signed chunks chained with `SignatureChain`, or unsigned
//! chunks with a checksum trailer).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use multistore_core::chunked::SignatureChain;
use multistore_core::codec::scalar::DateTime;
use multistore_core::sigv4::{
    CredentialScope, SigningCredentials, derive_signing_key, format_amz_date, sign_request,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response read in full.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The `<Code>` of an S3 error body.
    pub fn code(&self) -> String {
        s3_code(&self.body).unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The `<Code>` element of an S3 error document.
pub fn s3_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    Some(text[start..end].to_owned())
}

/// A request to build and send.
pub struct Raw {
    pub method: Method,
    /// The path as sent (already canonical: keys used here need no escaping).
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Raw {
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The request line's target: path and query, percent-encoded like the signer expects.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let q: Vec<String> = self
            .query
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect();
        format!("{}?{}", self.path, q.join("&"))
    }

    /// Signs with header auth for `host`, declaring `payload` as `x-amz-content-sha256`
    /// (`None`: the SHA-256 of the body). Returns the seed signature.
    pub fn sign(
        &mut self,
        host: &str,
        key: (&str, &str),
        payload: Option<&str>,
        now: DateTime,
    ) -> String {
        self.headers
            .insert(HOST, HeaderValue::from_str(host).expect("host"));
        let hash = payload.map_or_else(
            || {
                use sha2::Digest as _;
                hex::encode(sha2::Sha256::digest(&self.body))
            },
            str::to_owned,
        );
        let creds = SigningCredentials {
            access_key_id: key.0,
            secret_access_key: key.1,
            session_token: None,
        };
        sign_request(
            self.method.as_str(),
            &self.path,
            &self.query,
            &mut self.headers,
            &[
                "content-length",
                "content-encoding",
                "content-md5",
                "content-type",
            ],
            &hash,
            &creds,
            "us-east-1",
            "s3",
            now,
        )
        .expect("sign");
        let auth = self.headers["authorization"].to_str().unwrap().to_owned();
        auth.rsplit("Signature=").next().unwrap().to_owned()
    }

    /// Sends over a fresh HTTP/1 connection and reads the whole answer.
    pub async fn send(self, addr: SocketAddr) -> Answer {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.target());
        *builder.headers_mut().unwrap() = self.headers;
        if !builder.headers_ref().unwrap().contains_key(HOST) {
            builder = builder.header(HOST, addr.to_string());
        }
        let req = builder.body(Full::new(self.body)).expect("request");
        let resp = sender.send_request(req).await.expect("response");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// The request head as bytes (with `Content-Length` as already set, if any).
    pub fn head_bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target()).into_bytes();
        if !self.headers.contains_key(HOST) {
            out.extend_from_slice(format!("host: {addr}\r\n").as_bytes());
        }
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Writes `bytes` on a fresh connection, half-closes it, and reads whatever comes back
/// until the server closes or `wait` passes. `None`: the server sent nothing.
pub async fn tcp_exchange(addr: SocketAddr, bytes: &[u8], wait: Duration) -> Option<Answer> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let _ = stream.shutdown().await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    parse_response(&out)
}

/// Parses an HTTP/1 response with a Content-Length body (enough for error answers).
pub fn parse_response(bytes: &[u8]) -> Option<Answer> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (n, v) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(n.trim().as_bytes()).ok()?,
            HeaderValue::from_str(v.trim()).ok()?,
        );
    }
    let len = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(0);
    let body_start = end + 4;
    let body = bytes
        .get(body_start..body_start + len)
        .unwrap_or(&bytes[body_start..]);
    Some(Answer {
        status: StatusCode::from_u16(status).ok()?,
        headers,
        body: Bytes::copy_from_slice(body),
    })
}

/// Now, for signing.
pub fn now() -> DateTime {
    DateTime::from(SystemTime::now())
}

/// The chunk signature chain of a request signed at `now` with `secret`, from its seed.
pub fn chain(secret: &str, seed: &str, now: DateTime) -> SignatureChain {
    let amz_date = format_amz_date(&now).unwrap();
    let date = amz_date[..8].to_owned();
    let key = derive_signing_key(secret, &date, "us-east-1", "s3");
    let scope = CredentialScope {
        date,
        region: "us-east-1".into(),
        service: "s3".into(),
    };
    SignatureChain::new(key, seed, &scope, &now).unwrap()
}

/// A `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body: `data` in chunks of `chunk`, each signed over
/// the previous signature, then the signed empty final chunk. `corrupt`: flip one byte of
/// that chunk's data after signing it.
pub fn signed_chunks(
    data: &[u8],
    chunk: usize,
    mut chain: SignatureChain,
    corrupt: Option<usize>,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, piece) in data.chunks(chunk).enumerate() {
        let signature = chain.sign_chunk(piece);
        out.extend_from_slice(
            format!("{:x};chunk-signature={signature}\r\n", piece.len()).as_bytes(),
        );
        let start = out.len();
        out.extend_from_slice(piece);
        if corrupt == Some(i) {
            out[start] ^= 0x01;
        }
        out.extend_from_slice(b"\r\n");
    }
    let last = chain.sign_chunk(b"");
    out.extend_from_slice(format!("0;chunk-signature={last}\r\n\r\n").as_bytes());
    out
}

/// A `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body: `data` in chunks of `chunk`, then the final
/// chunk with the `trailer` (name, value).
pub fn unsigned_chunks(data: &[u8], chunk: usize, trailer: (&str, &str)) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("0\r\n{}:{}\r\n\r\n", trailer.0, trailer.1).as_bytes());
    out
}

/// Percent-encodes a query component (RFC 3986 unreserved kept).
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
