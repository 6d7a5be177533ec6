//! Replaying one traffic file against one target (a runtime in front of a backend): each
//! recorded request, with the ids the target handed out substituted for the recorded ones,
//! re-signed for the current time, sent as raw HTTP/1.1, and its response compared with the
//! recorded one (see [`crate::compare`]).

use std::time::{Duration, SystemTime};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::compare::{diff, view};
use crate::http1;
use crate::resign::{check, resign};
use crate::traffic::{Message, Traffic};

/// How long one response may take.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Elements whose values a server chooses: a recorded value is replaced by the value the
/// target answered with in the same place, in every later request.
const SUBSTITUTED: &[&str] = &[
    "UploadId",
    "NextContinuationToken",
    "NextUploadIdMarker",
    "VersionId",
    "NextVersionIdMarker",
];

/// How one exchange went.
#[derive(Debug, Clone)]
pub struct ExchangeFailure {
    /// Its 1-based number in the file.
    pub number: usize,
    /// Its label.
    pub label: String,
    /// The view diff, or what went wrong before there was a response.
    pub detail: String,
}

/// The result of replaying a file.
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    /// Exchanges replayed.
    pub exchanges: usize,
    /// Those that did not conform.
    pub failures: Vec<ExchangeFailure>,
}

/// The current time as `YYYYMMDDTHHMMSSZ`.
pub fn amz_now() -> String {
    let now = aws_smithy_types::DateTime::from(SystemTime::now());
    multistore_core::sigv4::format_amz_date(&now).unwrap_or_else(|| "20260101T000000Z".to_owned())
}

/// Replays `traffic` against `addr` (`host:port`).
pub async fn replay(
    traffic: &Traffic,
    addr: &str,
    secret_of: &dyn Fn(&str) -> Option<String>,
) -> FileResult {
    let mut result = FileResult::default();
    let mut substitutions: Vec<(String, String)> = Vec::new();
    for (index, exchange) in traffic.exchanges.iter().enumerate() {
        result.exchanges += 1;
        let fail = |detail: String| ExchangeFailure {
            number: index + 1,
            label: exchange.label.clone(),
            detail,
        };
        let mut request = exchange.request.clone();
        let signed = check(&request, secret_of, exchange.response.status()).and_then(|validity| {
            substitute(&mut request, &substitutions);
            resign(&mut request, addr, &amz_now(), secret_of, validity)
        });
        if let Err(e) = signed {
            result.failures.push(fail(format!("cannot re-sign: {e}")));
            continue;
        }
        let response = match http1::exchange(addr, &request, RESPONSE_TIMEOUT).await {
            Ok(r) => r,
            Err(e) => {
                result.failures.push(fail(format!("no response: {e}")));
                continue;
            }
        };
        learn(&mut substitutions, &exchange.response, &response);
        if let Some(d) = diff(
            &view(&exchange.request, &exchange.response),
            &view(&request, &response),
        ) {
            result.failures.push(fail(d));
        }
    }
    result
}

/// Values of the [`SUBSTITUTED`] elements in a body, in document order.
fn chosen_values(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for name in SUBSTITUTED {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let mut rest = text.as_ref();
        while let Some(start) = rest.find(&open) {
            rest = &rest[start + open.len()..];
            let Some(end) = rest.find(&close) else { break };
            out.push(((*name).to_owned(), rest[..end].replace("&amp;", "&")));
            rest = &rest[end..];
        }
    }
    out
}

fn learn(substitutions: &mut Vec<(String, String)>, recorded: &Message, live: &Message) {
    let live_values = chosen_values(&live.body);
    for ((name, old), (live_name, new)) in
        chosen_values(&recorded.body).into_iter().zip(live_values)
    {
        if name == live_name
            && old != new
            && !old.is_empty()
            && !substitutions.iter().any(|(o, _)| *o == old)
        {
            substitutions.push((old, new));
        }
    }
}

fn substitute(request: &mut Message, substitutions: &[(String, String)]) {
    let mut target = request.target().to_owned();
    for (old, new) in substitutions {
        for (o, n) in [
            (
                utf8_percent_encode(old, NON_ALPHANUMERIC).to_string(),
                utf8_percent_encode(new, NON_ALPHANUMERIC).to_string(),
            ),
            (
                crate::resign::encode_value(old),
                crate::resign::encode_value(new),
            ),
            (old.clone(), new.clone()),
        ] {
            target = target.replace(&o, &n);
        }
    }
    request.set_target(&target);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_chosen_by_the_server_are_carried_into_later_requests() {
        let recorded = Message {
            body: b"<R><UploadId>abc/+=</UploadId></R>".to_vec(),
            ..Message::default()
        };
        let live = Message {
            body: b"<R><UploadId>XYZ</UploadId></R>".to_vec(),
            ..Message::default()
        };
        let mut subs = Vec::new();
        learn(&mut subs, &recorded, &live);
        let mut request = Message {
            start: "PUT /b/k?partNumber=1&uploadId=abc%2F%2B%3D HTTP/1.1".into(),
            ..Message::default()
        };
        substitute(&mut request, &subs);
        assert_eq!(request.target(), "/b/k?partNumber=1&uploadId=XYZ");
    }
}
