//! Unsigned aws-chunked framing toward a backend (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`):
//! `hex\r\ndata\r\n` per chunk, then `0\r\n`, the trailer lines and `\r\n`.

use bytes::{BufMut, Bytes, BytesMut};

/// Frames one chunk: `<hex len>\r\n<data>\r\n`. Empty `data` gives empty bytes: a zero-length
/// chunk would end the body, which is [`encode_final`]'s job.
pub fn encode_chunk(data: &[u8]) -> Bytes {
    if data.is_empty() {
        return Bytes::new();
    }
    let size = format!("{:x}\r\n", data.len());
    let mut out = BytesMut::with_capacity(size.len() + data.len() + 2);
    out.put_slice(size.as_bytes());
    out.put_slice(data);
    out.put_slice(b"\r\n");
    out.freeze()
}

/// The end of the body: `0\r\n`, one `name:value\r\n` per trailer, then `\r\n`.
pub fn encode_final(trailers: &[(String, String)]) -> Bytes {
    let mut out = BytesMut::with_capacity(5 + trailers.iter().map(trailer_len).sum::<usize>());
    out.put_slice(b"0\r\n");
    for (name, value) in trailers {
        out.put_slice(name.as_bytes());
        out.put_u8(b':');
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"\r\n");
    out.freeze()
}

/// The encoded length of `decoded_len` bytes framed by [`encode_chunk`] in chunks of
/// `chunk_size` (the last one shorter), then [`encode_final`] with `trailers`: the
/// `Content-Length` of the re-framed body. `None` if `chunk_size` is 0 or it overflows.
pub fn encoded_length(
    decoded_len: u64,
    chunk_size: u64,
    trailers: &[(String, String)],
) -> Option<u64> {
    if chunk_size == 0 {
        return None;
    }
    let framing = |len: u64| hex_digits(len) + 4; // "<hex>\r\n" + "\r\n"
    let full = decoded_len / chunk_size;
    let rest = decoded_len % chunk_size;
    let mut total = full.checked_mul(framing(chunk_size))?;
    if rest > 0 {
        total = total.checked_add(framing(rest))?;
    }
    let trailer_bytes: u64 = trailers.iter().map(|t| trailer_len(t) as u64).sum();
    total
        .checked_add(decoded_len)?
        .checked_add(5)?
        .checked_add(trailer_bytes)
}

fn trailer_len((name, value): &(String, String)) -> usize {
    name.len() + value.len() + 3
}

fn hex_digits(n: u64) -> u64 {
    u64::from((64 - n.leading_zeros()).div_ceil(4).max(1))
}
