//! The plain HTTP path: a presigned request replayed over one keep-alive HTTP/1.1 connection
//! per worker (hyper's client connection, TCP_NODELAY). This is the load tool of the presigned
//! workloads: wrk hangs on HEAD (it waits for a body), and oha takes minutes to build on the
//! shared two-core machine, while this adds no dependency and reports into the same
//! histograms and tables as the SDK workloads.

use std::net::SocketAddr;

use anyhow::{Context as _, ensure};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request to replay.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: Method,
    /// The path and query (the presigned URL without scheme and authority).
    pub target: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// The body length a GET must return (checked), or `None`.
    pub expect_len: Option<u64>,
}

impl RawRequest {
    /// The request `presigned` describes, with `body`.
    pub fn from_presigned(
        presigned: &aws_sdk_s3::presigning::PresignedRequest,
        body: Bytes,
        expect_len: Option<u64>,
    ) -> anyhow::Result<Self> {
        let uri: http::Uri = presigned.uri().parse().context("presigned URI")?;
        let target = uri
            .path_and_query()
            .context("presigned URI has no path")?
            .to_string();
        let mut headers = Vec::new();
        for (name, value) in presigned.headers() {
            headers.push((HeaderName::try_from(name)?, HeaderValue::try_from(value)?));
        }
        if let Some(authority) = uri.authority() {
            headers.push((
                http::header::HOST,
                HeaderValue::try_from(authority.as_str())?,
            ));
        }
        Ok(Self {
            method: presigned.method().parse()?,
            target,
            headers,
            body,
            expect_len,
        })
    }
}

/// One HTTP/1.1 connection.
pub struct RawConn {
    sender: SendRequest<Full<Bytes>>,
}

impl RawConn {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { sender })
    }
}

/// Sends `request` on `conn` (reconnecting when the server closed it); returns the payload
/// bytes moved.
pub async fn send(
    conn: &mut RawConn,
    addr: SocketAddr,
    request: &RawRequest,
) -> anyhow::Result<u64> {
    if conn.sender.ready().await.is_err() {
        *conn = RawConn::connect(addr).await?;
    }
    let mut builder = Request::builder()
        .method(request.method.clone())
        .uri(&request.target);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let response = conn
        .sender
        .send_request(builder.body(Full::new(request.body.clone()))?)
        .await?;
    let status = response.status();
    let mut body = response.into_body();
    let mut got = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            got += data.len() as u64;
        }
    }
    ensure!(status.is_success(), "{} answered {status}", request.method);
    if let Some(expected) = request.expect_len {
        ensure!(got == expected, "GET returned {got} bytes, not {expected}");
    }
    Ok(got + request.body.len() as u64)
}
