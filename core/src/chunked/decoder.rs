//! The aws-chunked decoder, an explicit state machine fed from a [`BytesMut`] (tokio-util
//! `Decoder` style, without a runtime): each [`ChunkedDecoder::decode`] consumes what it can
//! and returns at most one event.
//!
//! ```text
//! ExpectChunkHeader ─size>0─▶ InChunkData ─▶ ExpectChunkCrlf ─▶ ExpectChunkHeader
//!        └─size=0─▶ ExpectTrailer ─empty line─▶ (EmitEnd) ─▶ Done
//! ```
//!
//! Every length is bounded by [`ChunkLimits`] before anything is buffered for it.

use bytes::BytesMut;

use super::signing::TRAILER_SIGNATURE;
use super::{ChunkEvent, ChunkLimits, ChunkMode, ChunkedError, Malformed, SignatureChain};

/// Decodes one aws-chunked body. See the module docs for the states.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: State,
    framing: Framing,
    limits: ChunkLimits,
    expected_length: Option<u64>,
    decoded: u64,
}

/// How chunk headers look and what is verified.
#[derive(Debug)]
enum Framing {
    Unsigned,
    Signed {
        chain: SignatureChain,
        with_trailer: bool,
    },
}

#[derive(Debug)]
enum State {
    ExpectChunkHeader(ExpectChunkHeader),
    InChunkData(InChunkData),
    ExpectChunkCrlf,
    ExpectTrailer(ExpectTrailer),
    /// Trailers were emitted; [`ChunkEvent::End`] comes next.
    EmitEnd,
    Done,
    Failed(ChunkedError),
}

/// Waiting for `<hex>[;chunk-signature=<sig>]\r\n`; `scanned` bytes are known to hold no CRLF.
#[derive(Debug, Default)]
struct ExpectChunkHeader {
    scanned: usize,
}

/// Inside a chunk's data.
#[derive(Debug)]
struct InChunkData {
    remaining: usize,
    /// The chunk's declared signature (signed modes).
    signature: Option<String>,
}

/// After the final chunk: trailer lines until an empty line.
#[derive(Debug, Default)]
struct ExpectTrailer {
    trailers: Vec<(String, String)>,
    signature: Option<String>,
    used: usize,
    scanned: usize,
}

/// What a state handler did.
enum Step {
    Event(ChunkEvent),
    NeedMore,
    Continue,
}

/// Where the next CRLF is.
enum Line {
    /// The line is `buf[..len]`, followed by CRLF.
    Found(usize),
    /// No CRLF yet in the first `scanned` bytes.
    NeedMore(usize),
    /// No CRLF within the limit.
    TooLong,
}

impl ChunkedDecoder {
    /// A decoder for a body in `mode`, bounded by `limits`.
    pub fn new(mode: ChunkMode, limits: ChunkLimits) -> Self {
        let (framing, state) = match mode {
            ChunkMode::Unsigned => (Framing::Unsigned, None),
            ChunkMode::Signed {
                signing_key,
                seed_signature,
                scope,
                request_time,
            } => signed(
                SignatureChain::new(signing_key, &seed_signature, &scope, &request_time),
                false,
            ),
            ChunkMode::SignedWithTrailer {
                signing_key,
                seed_signature,
                scope,
                request_time,
            } => signed(
                SignatureChain::new(signing_key, &seed_signature, &scope, &request_time),
                true,
            ),
        };
        Self {
            state: state.unwrap_or(State::ExpectChunkHeader(ExpectChunkHeader::default())),
            framing,
            limits,
            expected_length: None,
            decoded: 0,
        }
    }

    /// Requires the decoded body to be exactly `length` bytes (`x-amz-decoded-content-length`).
    pub fn with_expected_length(mut self, length: Option<u64>) -> Self {
        self.expected_length = length;
        self
    }

    /// Decoded bytes released so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Whether the final chunk and its trailers were read.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::EmitEnd | State::Done)
    }

    /// Consumes what it can from `buf` and returns the next event; `Ok(None)` when more input
    /// is needed (or, after [`ChunkEvent::End`], when there is nothing left). After an error
    /// the decoder keeps returning it.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<ChunkEvent>, ChunkedError> {
        loop {
            let state = std::mem::replace(&mut self.state, State::Done);
            match self.step(state, buf) {
                Ok((next, step)) => {
                    self.state = next;
                    match step {
                        Step::Event(event) => return Ok(Some(event)),
                        Step::NeedMore => return Ok(None),
                        Step::Continue => {}
                    }
                }
                Err(e) => {
                    self.state = State::Failed(e.clone());
                    return Err(e);
                }
            }
        }
    }

    /// Call at the end of input: an error unless the whole body was read (a truncated stream
    /// is an error).
    pub fn finish(&self) -> Result<(), ChunkedError> {
        match &self.state {
            State::EmitEnd | State::Done => Ok(()),
            State::Failed(e) => Err(e.clone()),
            _ => Err(ChunkedError::Truncated),
        }
    }

    fn step(&mut self, state: State, buf: &mut BytesMut) -> Result<(State, Step), ChunkedError> {
        match state {
            State::ExpectChunkHeader(s) => self.chunk_header(s, buf),
            State::InChunkData(s) => self.chunk_data(s, buf),
            State::ExpectChunkCrlf => chunk_crlf(buf),
            State::ExpectTrailer(s) => self.trailer(s, buf),
            State::EmitEnd => Ok((State::Done, Step::Event(ChunkEvent::End))),
            State::Done if buf.is_empty() => Ok((State::Done, Step::NeedMore)),
            State::Done => Err(ChunkedError::TrailingData),
            State::Failed(e) => Err(e),
        }
    }

    fn chunk_header(
        &mut self,
        s: ExpectChunkHeader,
        buf: &mut BytesMut,
    ) -> Result<(State, Step), ChunkedError> {
        let len = match find_line(buf, s.scanned, self.limits.max_header_line) {
            Line::Found(len) => len,
            Line::NeedMore(scanned) => {
                return Ok((
                    State::ExpectChunkHeader(ExpectChunkHeader { scanned }),
                    Step::NeedMore,
                ));
            }
            Line::TooLong => {
                return Err(ChunkedError::HeaderLineTooLong {
                    limit: self.limits.max_header_line,
                });
            }
        };
        let line = buf.split_to(len + 2);
        let (size, signature) = self.parse_chunk_header(&line[..len])?;
        if size > self.limits.max_chunk_size as u64 {
            return Err(ChunkedError::ChunkTooLarge {
                declared: size,
                limit: self.limits.max_chunk_size,
            });
        }
        let total = self.decoded.saturating_add(size);
        if let Some(expected) = self.expected_length
            && (total > expected || (size == 0 && total != expected))
        {
            return Err(ChunkedError::DecodedLengthMismatch {
                expected,
                actual: total,
            });
        }
        if size > 0 {
            let remaining = usize::try_from(size).map_err(|_| ChunkedError::ChunkTooLarge {
                declared: size,
                limit: self.limits.max_chunk_size,
            })?;
            let data = InChunkData {
                remaining,
                signature,
            };
            return Ok((State::InChunkData(data), Step::Continue));
        }
        // The final chunk: signed over empty data.
        if let (Framing::Signed { chain, .. }, Some(sig)) = (&mut self.framing, &signature)
            && !chain.verify_chunk(&[], sig)
        {
            return Err(ChunkedError::SignatureDoesNotMatch);
        }
        Ok((
            State::ExpectTrailer(ExpectTrailer::default()),
            Step::Continue,
        ))
    }

    /// `<hex>` (unsigned) or `<hex>;chunk-signature=<64 chars>` (signed).
    fn parse_chunk_header(&self, line: &[u8]) -> Result<(u64, Option<String>), ChunkedError> {
        let split = line.iter().position(|&b| b == b';');
        match (&self.framing, split) {
            (Framing::Unsigned, None) => Ok((parse_hex_size(line)?, None)),
            (Framing::Unsigned, Some(_)) | (Framing::Signed { .. }, None) => {
                Err(Malformed::ChunkExtension.into())
            }
            (Framing::Signed { .. }, Some(i)) => {
                let size = parse_hex_size(&line[..i])?;
                let signature = line[i + 1..]
                    .strip_prefix(b"chunk-signature=")
                    .filter(|s| s.len() == 64)
                    .ok_or(Malformed::ChunkExtension)?;
                // Anything but lowercase hex simply fails to match, later.
                Ok((size, Some(String::from_utf8_lossy(signature).into_owned())))
            }
        }
    }

    fn chunk_data(
        &mut self,
        mut s: InChunkData,
        buf: &mut BytesMut,
    ) -> Result<(State, Step), ChunkedError> {
        match &mut self.framing {
            Framing::Unsigned => {
                if buf.is_empty() {
                    return Ok((State::InChunkData(s), Step::NeedMore));
                }
                let n = s.remaining.min(buf.len());
                let data = buf.split_to(n).freeze();
                s.remaining -= n;
                self.decoded = self.decoded.saturating_add(n as u64);
                let next = if s.remaining == 0 {
                    State::ExpectChunkCrlf
                } else {
                    State::InChunkData(s)
                };
                Ok((next, Step::Event(ChunkEvent::Data(data))))
            }
            Framing::Signed { chain, .. } => {
                // The whole chunk must be here before it can be verified and released.
                if buf.len() < s.remaining {
                    return Ok((State::InChunkData(s), Step::NeedMore));
                }
                let data = buf.split_to(s.remaining).freeze();
                let signature = s.signature.as_deref().unwrap_or_default();
                if !chain.verify_chunk(&data, signature) {
                    return Err(ChunkedError::SignatureDoesNotMatch);
                }
                self.decoded = self.decoded.saturating_add(data.len() as u64);
                Ok((State::ExpectChunkCrlf, Step::Event(ChunkEvent::Data(data))))
            }
        }
    }

    fn trailer(
        &mut self,
        mut s: ExpectTrailer,
        buf: &mut BytesMut,
    ) -> Result<(State, Step), ChunkedError> {
        let too_large = ChunkedError::TrailersTooLarge {
            limit: self.limits.max_trailer_bytes,
        };
        let budget = self.limits.max_trailer_bytes.saturating_sub(s.used);
        if budget < 2 {
            return Err(too_large);
        }
        let len = match find_line(buf, s.scanned, budget - 2) {
            Line::Found(len) => len,
            Line::NeedMore(scanned) => {
                s.scanned = scanned;
                return Ok((State::ExpectTrailer(s), Step::NeedMore));
            }
            Line::TooLong => return Err(too_large),
        };
        let line = buf.split_to(len + 2);
        s.used += len + 2;
        s.scanned = 0;
        if len == 0 {
            return self.end_of_trailers(s);
        }
        let with_trailer = match &self.framing {
            Framing::Signed {
                with_trailer: false,
                ..
            } => return Err(Malformed::UnexpectedTrailer.into()),
            Framing::Signed { .. } => true,
            Framing::Unsigned => false,
        };
        if s.signature.is_some() {
            return Err(Malformed::MisplacedTrailerSignature.into());
        }
        let (name, value) = parse_trailer_line(&line[..len])?;
        if name == TRAILER_SIGNATURE {
            if !with_trailer {
                return Err(Malformed::MisplacedTrailerSignature.into());
            }
            s.signature = Some(value);
        } else {
            s.trailers.push((name, value));
        }
        Ok((State::ExpectTrailer(s), Step::Continue))
    }

    fn end_of_trailers(&mut self, s: ExpectTrailer) -> Result<(State, Step), ChunkedError> {
        if let Framing::Signed {
            chain,
            with_trailer: true,
        } = &mut self.framing
        {
            let signature = s.signature.ok_or(Malformed::MissingTrailerSignature)?;
            if !chain.verify_trailer(&s.trailers, &signature) {
                return Err(ChunkedError::SignatureDoesNotMatch);
            }
        }
        if s.trailers.is_empty() {
            Ok((State::Done, Step::Event(ChunkEvent::End)))
        } else {
            Ok((
                State::EmitEnd,
                Step::Event(ChunkEvent::Trailers(s.trailers)),
            ))
        }
    }
}

fn signed(chain: Option<SignatureChain>, with_trailer: bool) -> (Framing, Option<State>) {
    match chain {
        Some(chain) => (
            Framing::Signed {
                chain,
                with_trailer,
            },
            None,
        ),
        // A request time no amz date can spell: nothing can verify.
        None => (
            Framing::Unsigned,
            Some(State::Failed(ChunkedError::SignatureDoesNotMatch)),
        ),
    }
}

fn chunk_crlf(buf: &mut BytesMut) -> Result<(State, Step), ChunkedError> {
    match buf.get(..2) {
        Some(b"\r\n") => {
            let _ = buf.split_to(2);
            Ok((
                State::ExpectChunkHeader(ExpectChunkHeader::default()),
                Step::Continue,
            ))
        }
        Some(_) => Err(Malformed::MissingCrlf.into()),
        None if buf.first().is_some_and(|&b| b != b'\r') => Err(Malformed::MissingCrlf.into()),
        None => Ok((State::ExpectChunkCrlf, Step::NeedMore)),
    }
}

/// Looks for CRLF within the first `limit + 2` bytes of `buf`, resuming after `scanned`.
fn find_line(buf: &[u8], scanned: usize, limit: usize) -> Line {
    let window = &buf[..buf.len().min(limit.saturating_add(2))];
    let from = scanned.saturating_sub(1).min(window.len());
    match window[from..].windows(2).position(|w| w == b"\r\n") {
        Some(i) => Line::Found(from + i),
        None if window.len() >= limit.saturating_add(2) => Line::TooLong,
        None => Line::NeedMore(window.len()),
    }
}

/// Hex digits only (no sign, no spaces); values past `u64::MAX` saturate, so they fail the
/// size limit instead of wrapping.
fn parse_hex_size(digits: &[u8]) -> Result<u64, ChunkedError> {
    if digits.is_empty() {
        return Err(Malformed::ChunkSize.into());
    }
    let mut size: u64 = 0;
    for &b in digits {
        let d = char::from(b).to_digit(16).ok_or(Malformed::ChunkSize)?;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(d)))
            .unwrap_or(u64::MAX);
    }
    Ok(size)
}

/// `name:value`: a token name (lowercased) and a value of visible ASCII, spaces and tabs
/// (trimmed); the trailer signature's value may be anything.
fn parse_trailer_line(line: &[u8]) -> Result<(String, String), ChunkedError> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(Malformed::TrailerLine)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    let name_ok = !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    // A signature value is only compared (and anything but lowercase hex fails to match).
    let is_signature = name.eq_ignore_ascii_case(TRAILER_SIGNATURE.as_bytes());
    let value_ok = is_signature
        || value
            .iter()
            .all(|&b| b.is_ascii_graphic() || b == b' ' || b == b'\t');
    if !name_ok || !value_ok {
        return Err(Malformed::TrailerLine.into());
    }
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let value = String::from_utf8_lossy(value)
        .trim_matches([' ', '\t'])
        .to_owned();
    Ok((name, value))
}
