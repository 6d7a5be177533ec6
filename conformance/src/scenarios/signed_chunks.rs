//! The `auth-signed-chunks` scenario: aws-chunked uploads with signed chunks, which no SDK
//! sends over plain HTTP (they sign the payload or use unsigned trailers there), so the
//! requests are built here, laid out as the S3 documentation shows, and signed with the
//! replayer's own SigV4 code (`crate::resign`): a valid chain, a valid chain with a signed
//! CRC32 trailer, and a chain with one broken chunk signature.

use std::time::Duration;

use base64::Engine as _;

use crate::env::{ADMIN, BUCKET, client_secret, sdk_client};
use crate::http1;
use crate::replay::amz_now;
use crate::resign::{Validity, resign};
use crate::traffic::{Message, pattern};

const PLACEHOLDER: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A signed aws-chunked PutObject of `data` in chunks of `chunk` bytes, optionally with a
/// CRC32 trailer.
fn request(host: &str, key: &str, data: &[u8], chunk: usize, trailer: bool) -> Message {
    let mut body = Vec::new();
    for piece in data.chunks(chunk) {
        body.extend_from_slice(
            format!("{:x};chunk-signature={PLACEHOLDER}\r\n", piece.len()).as_bytes(),
        );
        body.extend_from_slice(piece);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("0;chunk-signature={PLACEHOLDER}\r\n").as_bytes());
    let mut headers = vec![
        ("Host".to_owned(), host.to_owned()),
        ("x-amz-date".to_owned(), "20260101T000000Z".to_owned()),
        ("Content-Encoding".to_owned(), "aws-chunked".to_owned()),
        (
            "x-amz-decoded-content-length".to_owned(),
            data.len().to_string(),
        ),
    ];
    let signed = if trailer {
        let crc =
            base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(data).to_be_bytes());
        body.extend_from_slice(format!("x-amz-checksum-crc32:{crc}\r\n").as_bytes());
        body.extend_from_slice(format!("x-amz-trailer-signature:{PLACEHOLDER}\r\n\r\n").as_bytes());
        headers.push((
            "x-amz-content-sha256".to_owned(),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER".to_owned(),
        ));
        headers.push((
            "x-amz-trailer".to_owned(),
            "x-amz-checksum-crc32".to_owned(),
        ));
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-trailer"
    } else {
        body.extend_from_slice(b"\r\n");
        headers.push((
            "x-amz-content-sha256".to_owned(),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_owned(),
        ));
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length"
    };
    headers.push(("Content-Length".to_owned(), body.len().to_string()));
    headers.push((
        "Authorization".to_owned(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/20260101/us-east-1/s3/aws4_request, SignedHeaders={signed}, Signature={PLACEHOLDER}",
            ADMIN.0
        ),
    ));
    Message {
        start: format!("PUT /{BUCKET}/{key} HTTP/1.1"),
        headers,
        body,
    }
}

/// Plays the scenario against `endpoint`.
///
/// # Errors
/// When a request cannot be built or sent, or an upload meant to succeed does not.
pub async fn play(endpoint: &str) -> anyhow::Result<()> {
    let host = endpoint.trim_start_matches("http://");
    let timeout = Duration::from_secs(30);
    let valid = Validity {
        signature: true,
        chunks: true,
    };
    let cases = [
        ("chunks/signed.bin", 65_536, false, false, 200),
        ("chunks/signed-trailer.bin", 65_536, true, false, 200),
        ("chunks/broken.bin", 65_536, false, true, 403),
    ];
    for (key, chunk, trailer, broken, want) in cases {
        let mut message = request(host, key, &pattern(5, 150_000), chunk, trailer);
        resign(&mut message, host, &amz_now(), &client_secret, valid)?;
        if broken {
            // Break the second chunk's signature: the chain no longer verifies from there.
            let text = String::from_utf8_lossy(&message.body).into_owned();
            let second = text
                .match_indices(";chunk-signature=")
                .nth(1)
                .map(|(i, _)| i + 17);
            if let Some(at) = second {
                let flipped = if message.body[at] == b'0' { b'1' } else { b'0' };
                message.body[at] = flipped;
            }
        }
        let response = http1::exchange(host, &message, timeout).await?;
        anyhow::ensure!(
            response.status() == want,
            "{key}: {} (wanted {want})",
            response.start
        );
    }
    let s3 = sdk_client(endpoint, ADMIN);
    for key in ["chunks/signed.bin", "chunks/signed-trailer.bin"] {
        s3.get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await?
            .body
            .collect()
            .await?;
    }
    Ok(())
}
