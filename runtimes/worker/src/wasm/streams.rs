//! Bodies as JavaScript streams and as Rust streams, and the transforms between them. A body
//! that only crosses (a client upload to a backend, a backend answer to the client) stays a
//! `ReadableStream` and never enters wasm memory; Rust sees the bytes only to decode
//! aws-chunked, to count an upload of unknown length, or to read a small body.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ReadableStream, ReadableWritablePair};
use worker::worker_sys::FixedLengthStream;

use super::js;
use crate::body::{BodyError, ChunkedTransform, UploadLimit};

/// Body bytes in Rust.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, BodyError>>>>;

/// Where a Rust stream that feeds JavaScript records why it failed, so that the failure of
/// the `fetch` or R2 call it fed can be reported as what it really was.
#[derive(Clone, Default)]
pub struct Failure(Rc<RefCell<Option<BodyError>>>);

impl Failure {
    pub fn take(&self) -> Option<BodyError> {
        self.0.borrow_mut().take()
    }

    fn set(&self, e: BodyError) {
        self.0.borrow_mut().get_or_insert(e);
    }
}

/// A JavaScript stream's bytes.
pub fn from_js(stream: ReadableStream) -> ByteStream {
    let items = wasm_streams::ReadableStream::from_raw(stream).into_stream();
    Box::pin(items.map(|item| match item {
        Ok(chunk) => match chunk.dyn_into::<Uint8Array>() {
            Ok(array) => Ok(Bytes::from(array.to_vec())),
            Err(other) => Err(BodyError::Source(format!(
                "a body chunk is not bytes: {other:?}"
            ))),
        },
        Err(e) => Err(BodyError::Source(js::message(&e))),
    }))
}

/// A Rust stream as a JavaScript stream; a failure is recorded in `failure` and errors it.
pub fn to_js(stream: ByteStream, failure: &Failure) -> ReadableStream {
    let failure = failure.clone();
    let items = stream.map(move |item| match item {
        Ok(bytes) => Ok(JsValue::from(js::uint8_array(&bytes))),
        Err(e) => {
            let message = e.to_string();
            failure.set(e);
            Err(JsValue::from(js_sys::Error::new(&message)))
        }
    });
    wasm_streams::ReadableStream::from_stream(items).into_raw()
}

/// `stream` through a `FixedLengthStream`: the runtime then knows its length (fetch sends
/// Content-Length, R2 accepts it) and fails it if it is not exactly `length` bytes.
pub fn fixed_length(stream: &ReadableStream, length: u64) -> Result<ReadableStream, JsValue> {
    let fixed = match u32::try_from(length) {
        Ok(n) => FixedLengthStream::new(n)?,
        Err(_) => FixedLengthStream::new_big_int(js_sys::BigInt::from(length))?,
    };
    let transform: &web_sys::TransformStream = fixed.unchecked_ref();
    let pair = ReadableWritablePair::new(&transform.readable(), &transform.writable());
    Ok(stream.pipe_through(&pair))
}

/// The aws-chunked decoder over a stream. On a failure the input is dropped at once, which
/// cancels a JavaScript source: the rest of a refused body is never read.
pub fn decoded(input: ByteStream, transform: ChunkedTransform) -> ByteStream {
    struct State {
        input: Option<ByteStream>,
        transform: ChunkedTransform,
        queue: VecDeque<Bytes>,
    }
    let state = State {
        input: Some(input),
        transform,
        queue: VecDeque::new(),
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(bytes) = st.queue.pop_front() {
                return Some((Ok(bytes), st));
            }
            let input = st.input.as_mut()?;
            let failed = match input.next().await {
                Some(Ok(bytes)) => match st.transform.push(&bytes) {
                    Ok(out) => {
                        st.queue.extend(out.into_iter().filter(|b| !b.is_empty()));
                        None
                    }
                    Err(e) => Some(BodyError::Chunked(e)),
                },
                Some(Err(e)) => Some(e),
                None => {
                    st.input = None;
                    st.transform.finish().err().map(BodyError::Chunked)
                }
            };
            if let Some(e) = failed {
                st.input = None;
                st.queue.clear();
                return Some((Err(e), st));
            }
        }
    }))
}

/// Fails a stream once it passes `limit` bytes (and drops, so cancels, its input then).
pub fn limited(input: ByteStream, limit: u64) -> ByteStream {
    let state = (Some(input), UploadLimit::new(limit));
    Box::pin(futures_util::stream::unfold(
        state,
        |(input, mut counter)| async move {
            let mut input = input?;
            let item = match input.next().await? {
                Ok(bytes) => counter.add(bytes.len()).map(|()| bytes),
                Err(e) => Err(e),
            };
            let input = item.is_ok().then_some(input);
            Some((item, (input, counter)))
        },
    ))
}

/// An empty stream.
pub fn empty() -> ByteStream {
    Box::pin(futures_util::stream::empty())
}

/// Why a small body could not be read.
pub enum CollectError {
    TooLarge,
    Body(BodyError),
}

/// Reads a whole (small) stream, failing past `limit` bytes.
pub async fn collect(mut stream: ByteStream, limit: u64) -> Result<Bytes, CollectError> {
    let mut out = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(CollectError::Body)?;
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(CollectError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}
