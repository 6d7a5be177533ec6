//! Raw HTTP/1.1 over a TCP stream, for the recording proxy and the replayer: messages are read
//! and written with their header casing and order untouched (hyper would normalize both).
//!
//! Bodies are framed by `Content-Length` or `Transfer-Encoding: chunked` (decoded on reading,
//! re-applied as one chunk on writing: transfer chunking is hop-by-hop and carries no meaning
//! for S3; the `aws-chunked` content encoding inside the body is kept byte for byte).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::traffic::Message;

/// The most bytes of headers accepted.
const MAX_HEAD: usize = 64 * 1024;

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The peer sent something that is not HTTP/1.1.
    #[error("malformed HTTP: {0}")]
    Malformed(String),
    /// The peer closed the connection in the middle of a message.
    #[error("the connection closed in the middle of a message")]
    Truncated,
    /// No answer in time.
    #[error("no response within {0:?}")]
    Timeout(Duration),
}

/// A buffered reader over one connection.
pub struct Conn<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Wraps a connected stream.
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    /// Writes raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), HttpError> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await?;
        Ok(())
    }

    /// Reads more bytes into the buffer; false at end of stream.
    async fn fill(&mut self) -> Result<bool, HttpError> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// Reads a head (start line and headers); `None` on a clean end of stream before it.
    async fn read_head(&mut self, request: bool) -> Result<Option<Message>, HttpError> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return parse_head(&head, request).map(Some);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HttpError::Malformed("headers too large".into()));
            }
            if !self.fill().await? {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(HttpError::Truncated)
                };
            }
        }
    }

    async fn read_exact_body(&mut self, len: usize) -> Result<Vec<u8>, HttpError> {
        while self.buf.len() < len {
            if !self.fill().await? {
                return Err(HttpError::Truncated);
            }
        }
        Ok(self.buf.drain(..len).collect())
    }

    async fn read_line(&mut self) -> Result<Vec<u8>, HttpError> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..end + 2).collect();
                return Ok(line[..end].to_vec());
            }
            if !self.fill().await? {
                return Err(HttpError::Truncated);
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size_text = String::from_utf8_lossy(&line);
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| HttpError::Malformed(format!("chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailers (ignored) up to the empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body);
            }
            body.extend(self.read_exact_body(size).await?);
            if !self.read_line().await?.is_empty() {
                return Err(HttpError::Malformed("no CRLF after a chunk".into()));
            }
        }
    }

    async fn read_to_end(&mut self) -> Result<Vec<u8>, HttpError> {
        while self.fill().await? {}
        Ok(std::mem::take(&mut self.buf))
    }

    /// Reads a request. With `answer_continue`, a request that expects `100-continue` gets it
    /// before its body is read. `None` when the client closed the connection between requests.
    pub async fn read_request(
        &mut self,
        answer_continue: bool,
    ) -> Result<Option<Message>, HttpError> {
        let Some(mut message) = self.read_head(true).await? else {
            return Ok(None);
        };
        if answer_continue
            && message
                .header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        message.body = if is_chunked(&message) {
            self.read_chunked().await?
        } else {
            let len = content_length(&message)?.unwrap_or(0);
            self.read_exact_body(len).await?
        };
        Ok(Some(message))
    }

    /// Reads the response to a `method` request, skipping interim (1xx) responses.
    pub async fn read_response(&mut self, method: &str) -> Result<Message, HttpError> {
        loop {
            let mut message = self.read_head(false).await?.ok_or(HttpError::Truncated)?;
            let status = message.status();
            if (100..200).contains(&status) {
                continue;
            }
            message.body = if method == "HEAD" || status == 204 || status == 304 {
                Vec::new()
            } else if is_chunked(&message) {
                self.read_chunked().await?
            } else if let Some(len) = content_length(&message)? {
                self.read_exact_body(len).await?
            } else {
                self.read_to_end().await?
            };
            return Ok(message);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_chunked(message: &Message) -> bool {
    message
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

fn content_length(message: &Message) -> Result<Option<usize>, HttpError> {
    message
        .header("content-length")
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| HttpError::Malformed(format!("Content-Length {v:?}")))
        })
        .transpose()
}

fn parse_head(head: &[u8], request: bool) -> Result<Message, HttpError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or("").to_owned();
    let words: Vec<&str> = start.splitn(3, ' ').collect();
    let ok = if request {
        words.len() == 3 && words[2].starts_with("HTTP/1.")
    } else {
        words.len() >= 2 && words[0].starts_with("HTTP/1.") && words[1].parse::<u16>().is_ok()
    };
    if !ok {
        return Err(HttpError::Malformed(format!("start line {start:?}")));
    }
    // httparse checks the header syntax; the text keeps names and values exactly as sent.
    let mut scratch = [httparse::EMPTY_HEADER; 128];
    let parsed = if request {
        httparse::Request::new(&mut scratch)
            .parse(head)
            .map(|s| s.is_complete())
    } else {
        httparse::Response::new(&mut scratch)
            .parse(head)
            .map(|s| s.is_complete())
    };
    if !matches!(parsed, Ok(true)) {
        return Err(HttpError::Malformed(format!(
            "headers after {start:?}: {parsed:?}"
        )));
    }
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| HttpError::Malformed(format!("header line {line:?}")))?;
        headers.push((
            name.to_owned(),
            value.trim_start_matches([' ', '\t']).to_owned(),
        ));
    }
    Ok(Message {
        start,
        headers,
        body: Vec::new(),
    })
}

/// The bytes of `message` on the wire: head as recorded, body framed as its headers say.
pub fn serialize(message: &Message) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + message.body.len());
    out.extend_from_slice(message.start.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &message.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if is_chunked(message) {
        if !message.body.is_empty() {
            out.extend_from_slice(format!("{:x}\r\n", message.body.len()).as_bytes());
            out.extend_from_slice(&message.body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        out.extend_from_slice(&message.body);
    }
    out
}

/// Sends `request` to `addr` on a new connection and reads the response.
///
/// # Errors
/// Connection failures, malformed responses, and no response within `timeout`.
pub async fn exchange(
    addr: &str,
    request: &Message,
    timeout: Duration,
) -> Result<Message, HttpError> {
    let work = async {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        let mut conn = Conn::new(stream);
        conn.send(&serialize(request)).await?;
        conn.read_response(request.method()).await
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| HttpError::Timeout(timeout))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_keep_casing_order_and_chunked_bodies_decode() {
        let raw = b"PUT /b/k HTTP/1.1\r\nHost: h\r\nx-AMZ-thing:  v1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let (mut client, server) = tokio::io::duplex(4096);
        client.write_all(raw).await.unwrap();
        drop(client);
        let mut conn = Conn::new(server);
        let message = conn.read_request(false).await.unwrap().unwrap();
        assert_eq!(message.start, "PUT /b/k HTTP/1.1");
        assert_eq!(
            message.headers[1],
            ("x-AMZ-thing".to_owned(), "v1".to_owned())
        );
        assert_eq!(message.body, b"abcde");
        assert!(conn.read_request(false).await.unwrap().is_none());
        let wire = serialize(&message);
        assert!(wire.ends_with(b"5\r\nabcde\r\n0\r\n\r\n"));
    }

    #[tokio::test]
    async fn responses_skip_interim_and_honour_head() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n";
        let (mut client, server) = tokio::io::duplex(4096);
        client.write_all(raw).await.unwrap();
        let mut conn = Conn::new(server);
        let message = conn.read_response("HEAD").await.unwrap();
        assert_eq!((message.status(), message.body.len()), (200, 0));
    }
}
