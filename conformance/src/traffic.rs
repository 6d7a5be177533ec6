//! The traffic file format: one reviewable text file per client and scenario, holding every
//! HTTP exchange exactly as it crossed the wire (request line, headers in order with their
//! original casing, body; response status, headers, body).
//!
//! ```text
//! # client: boto3 1.44.8              <- `# key: value` metadata, then exchanges
//! === 1 PutObject                      <- exchange number and a label for the reader
//! > PUT /conformance/a.txt HTTP/1.1    <- request head, one line each, `>` ends it
//! > Content-Length: 5
//! >
//! | hello                              <- body lines (escaped, see below)
//! < HTTP/1.1 200 OK                    <- response head, `<` ends it
//! < ETag: "5d41402abc4b2a76b9719d911017c592"
//! <
//! ```
//!
//! Body lines hold the bytes escaped: `\\`, `\r`, `\n`, `\t`, `\xNN` (other control bytes and
//! bytes that are not UTF-8); printable text, Unicode included, stays as it is. Line breaks in the
//! file are not part of the body (a body line ends after each `\n` escape for readability), and
//! `|@pattern <phase> <len>` stands for `len` bytes of [`PATTERN`] starting at `phase`: large
//! bodies are generated from that pattern by every client, so the file stays small.

use std::fmt::Write as _;

/// The alphabet large bodies repeat: `body[i] = PATTERN[(phase + i) % 62]`. All its characters
/// are distinct, so a run's phase is known from its first byte.
pub const PATTERN: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Runs of the pattern at least this long are written as a `|@pattern` line.
const MIN_PATTERN_RUN: usize = 512;

/// Wrap escaped body lines after a `>` (or anywhere) past this many characters.
const WRAP_AT: usize = 100;

/// `len` bytes of [`PATTERN`] from `phase`.
pub fn pattern(phase: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| PATTERN[(phase + i) % PATTERN.len()])
        .collect()
}

/// One HTTP message: the start line, the headers in wire order and casing, the body (after
/// HTTP transfer decoding; `Transfer-Encoding: chunked` is re-applied when it is sent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// `PUT /b/k?x=1 HTTP/1.1` or `HTTP/1.1 200 OK`.
    pub start: String,
    /// `(name, value)` in the order and casing they were sent.
    pub headers: Vec<(String, String)>,
    /// The message body.
    pub body: Vec<u8>,
}

impl Message {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces the value of every header `name` (case-insensitive) in place.
    pub fn set_header(&mut self, name: &str, value: &str) {
        for (n, v) in &mut self.headers {
            if n.eq_ignore_ascii_case(name) {
                value.clone_into(v);
            }
        }
    }

    /// The request method (the first word of a request line).
    pub fn method(&self) -> &str {
        self.start.split(' ').next().unwrap_or("")
    }

    /// The request target (the second word of a request line).
    pub fn target(&self) -> &str {
        self.start.split(' ').nth(1).unwrap_or("")
    }

    /// The status code of a response line (0 when it has none).
    pub fn status(&self) -> u16 {
        self.start
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// Replaces the request target, keeping the method and version.
    pub fn set_target(&mut self, target: &str) {
        let mut parts: Vec<&str> = self.start.splitn(3, ' ').collect();
        if parts.len() == 3 {
            parts[1] = target;
            self.start = parts.join(" ");
        }
    }
}

/// One request and its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// What the exchange is, for the reader (usually the S3 operation).
    pub label: String,
    /// The request as the client sent it.
    pub request: Message,
    /// The response as the reference answered it.
    pub response: Message,
}

/// A traffic file: metadata and exchanges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Traffic {
    /// `# key: value` lines, in order.
    pub meta: Vec<(String, String)>,
    /// The exchanges, in the order they happened.
    pub exchanges: Vec<Exchange>,
}

impl Traffic {
    /// The value of metadata `key`.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a traffic file does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrafficError {
    /// A line that does not belong where it is.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

/// Writes `traffic` in the file format.
pub fn write(traffic: &Traffic) -> String {
    let mut out = String::new();
    for (key, value) in &traffic.meta {
        let _ = writeln!(out, "# {key}: {value}");
    }
    for (index, exchange) in traffic.exchanges.iter().enumerate() {
        let _ = writeln!(out, "\n=== {} {}", index + 1, exchange.label);
        write_message(&mut out, '>', &exchange.request);
        write_message(&mut out, '<', &exchange.response);
    }
    out
}

fn write_message(out: &mut String, mark: char, message: &Message) {
    let _ = writeln!(out, "{mark} {}", escape_line(message.start.as_bytes()));
    for (name, value) in &message.headers {
        let _ = writeln!(
            out,
            "{mark} {}: {}",
            escape_line(name.as_bytes()),
            escape_line(value.as_bytes())
        );
    }
    let _ = writeln!(out, "{mark}");
    write_body(out, &message.body);
}

/// Escapes a head line (no line breaks inside).
fn escape_line(bytes: &[u8]) -> String {
    let mut out = String::new();
    escape_into(&mut out, bytes);
    out
}

/// Appends `bytes` escaped; returns nothing, never emits a real newline.
fn escape_into(out: &mut String, bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (ok, bad) = rest.split_at(e.valid_up_to());
                // Safe: `valid_up_to` bytes are valid UTF-8.
                (std::str::from_utf8(ok).unwrap_or(""), bad)
            }
        };
        for ch in valid.chars() {
            match ch {
                '\\' => out.push_str("\\\\"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c => out.push(c),
            }
        }
        if let Some((&first, tail)) = bad.split_first() {
            let _ = write!(out, "\\x{first:02x}");
            rest = tail;
        } else {
            rest = &[];
        }
    }
}

fn write_body(out: &mut String, body: &[u8]) {
    let mut line = String::new();
    let flush = |out: &mut String, line: &mut String| {
        if !line.is_empty() {
            if line.ends_with(' ') {
                line.pop();
                line.push_str("\\x20");
            }
            let _ = writeln!(out, "| {line}");
            line.clear();
        }
    };
    let mut i = 0;
    while i < body.len() {
        let run = pattern_run(&body[i..]);
        if run >= MIN_PATTERN_RUN {
            flush(out, &mut line);
            let phase = PATTERN.iter().position(|&b| b == body[i]).unwrap_or(0);
            let _ = writeln!(out, "|@pattern {phase} {run}");
            i += run;
            continue;
        }
        // The next char (or invalid byte).
        let width = utf8_width(&body[i..]);
        escape_into(&mut line, &body[i..i + width]);
        let byte = body[i];
        i += width;
        if byte == b'\n' || (line.len() >= WRAP_AT && (byte == b'>' || line.len() >= 4 * WRAP_AT)) {
            flush(out, &mut line);
        }
    }
    flush(out, &mut line);
}

/// The length of the pattern run at the start of `bytes` (0 when it does not start one).
fn pattern_run(bytes: &[u8]) -> usize {
    let Some(phase) = bytes
        .first()
        .and_then(|b| PATTERN.iter().position(|p| p == b))
    else {
        return 0;
    };
    bytes
        .iter()
        .enumerate()
        .take_while(|(i, b)| **b == PATTERN[(phase + i) % PATTERN.len()])
        .count()
}

/// The byte length of the UTF-8 character at the start of `bytes`, or 1 for an invalid byte.
fn utf8_width(bytes: &[u8]) -> usize {
    let want = match bytes[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return 1,
    };
    if bytes.len() >= want && std::str::from_utf8(&bytes[..want]).is_ok() {
        want
    } else {
        1
    }
}

/// Parses a traffic file.
///
/// # Errors
/// A line out of place, a bad escape or a bad `|@pattern` line, with its line number.
pub fn parse(text: &str) -> Result<Traffic, TrafficError> {
    let mut traffic = Traffic::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let err = |line: usize, message: &str| TrafficError::Syntax {
        line: line + 1,
        message: message.to_owned(),
    };
    while i < lines.len() {
        let line = lines[i];
        if let Some(meta) = line.strip_prefix("# ") {
            if traffic.exchanges.is_empty() {
                let (k, v) = meta
                    .split_once(": ")
                    .ok_or_else(|| err(i, "metadata is `# key: value`"))?;
                traffic.meta.push((k.to_owned(), v.to_owned()));
            }
            i += 1;
        } else if line.trim().is_empty() {
            i += 1;
        } else if let Some(header) = line.strip_prefix("=== ") {
            let label = header.split_once(' ').map_or("", |(_, l)| l).to_owned();
            i += 1;
            let request = parse_message(&lines, &mut i, '>').map_err(|(l, m)| err(l, &m))?;
            let response = parse_message(&lines, &mut i, '<').map_err(|(l, m)| err(l, &m))?;
            traffic.exchanges.push(Exchange {
                label,
                request,
                response,
            });
        } else {
            return Err(err(
                i,
                "expected `=== <n> <label>`, `# key: value` or a blank line",
            ));
        }
    }
    Ok(traffic)
}

fn parse_message(lines: &[&str], i: &mut usize, mark: char) -> Result<Message, (usize, String)> {
    let mut message = Message::default();
    let mut first = true;
    loop {
        let Some(line) = lines.get(*i) else {
            return Err((*i, format!("the message ends before its `{mark}` line")));
        };
        let Some(rest) = line.strip_prefix(mark) else {
            return Err((*i, format!("expected a `{mark}` head line")));
        };
        *i += 1;
        if rest.is_empty() {
            break;
        }
        let rest = rest
            .strip_prefix(' ')
            .ok_or((*i - 1, "a head line is `X text`".to_owned()))?;
        let text = String::from_utf8_lossy(&unescape(rest).map_err(|m| (*i - 1, m))?).into_owned();
        if first {
            message.start = text;
            first = false;
        } else {
            let (name, value) = text
                .split_once(": ")
                .or_else(|| text.split_once(':'))
                .ok_or((*i - 1, "a header line is `Name: value`".to_owned()))?;
            message.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    while let Some(line) = lines.get(*i) {
        if let Some(directive) = line.strip_prefix("|@pattern ") {
            let mut parts = directive.split(' ').map(str::parse::<usize>);
            match (parts.next(), parts.next()) {
                (Some(Ok(phase)), Some(Ok(len))) => message.body.extend(pattern(phase, len)),
                _ => return Err((*i, "`|@pattern <phase> <len>`".to_owned())),
            }
        } else if let Some(text) = line.strip_prefix("| ") {
            message.body.extend(unescape(text).map_err(|m| (*i, m))?);
        } else {
            break;
        }
        *i += 1;
    }
    Ok(message)
}

/// Undoes [`escape_into`].
fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'x') => {
                let hex = text
                    .get(i + 2..i + 4)
                    .ok_or("a `\\x` escape needs two hex digits")?;
                out.push(
                    u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape `\\x{hex}`"))?,
                );
                i += 2;
            }
            _ => return Err("a backslash starts `\\\\`, `\\r`, `\\n`, `\\t` or `\\xNN`".to_owned()),
        }
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(body: Vec<u8>) -> Traffic {
        Traffic {
            meta: vec![("client".into(), "rust".into())],
            exchanges: vec![Exchange {
                label: "PutObject".into(),
                request: Message {
                    start: "PUT /b/k%C3%A9 HTTP/1.1".into(),
                    headers: vec![("X-Amz-Meta-Note".into(), "  spaced\tvalue ".into())],
                    body,
                },
                response: Message {
                    start: "HTTP/1.1 200 OK".into(),
                    headers: vec![("ETag".into(), "\"x\"".into())],
                    body: b"<a>\n  <b>\xc3\xa9</b>\n</a> ".to_vec(),
                },
            }],
        }
    }

    #[test]
    fn any_bytes_round_trip() {
        let mut body = b"5;chunk-signature=ab\r\nhello\r\n\\ tail \xff\x00 end ".to_vec();
        body.extend(pattern(7, 5000));
        body.extend(b"\r\n0\r\n\r\n");
        let traffic = sample(body);
        let text = write(&traffic);
        assert!(text.contains("|@pattern 7 5000\n"), "{text}");
        assert!(text.contains("| 5;chunk-signature=ab\\r\\n\n"), "{text}");
        assert_eq!(parse(&text), Ok(traffic));
    }

    #[test]
    fn empty_and_text_bodies_round_trip() {
        for body in [
            Vec::new(),
            b"plain".to_vec(),
            "ünï\n\ncode\n".as_bytes().to_vec(),
        ] {
            let traffic = sample(body);
            assert_eq!(parse(&write(&traffic)), Ok(traffic));
        }
    }

    #[test]
    fn malformed_files_name_the_line() {
        let bad = "# client: x\n=== 1 Op\n> GET / HTTP/1.1\nbogus\n";
        assert!(matches!(
            parse(bad),
            Err(TrafficError::Syntax { line: 4, .. })
        ));
        assert!(parse("=== 1 Op\n> GET / HTTP/1.1\n>\n| bad \\q\n<\n").is_err());
    }
}
