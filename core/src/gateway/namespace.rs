//! Translating between the client's namespace and a backend's: the client bucket becomes the
//! backend bucket, keys and list prefixes gain the bucket's key prefix on the way in, and lose
//! it on the way out (keys, prefixes, markers, common prefixes), with `encoding-type=url`
//! respected. Entries a backend returns outside the prefix are never shown.

use crate::codec::path::decode_component;
use crate::s3::{EncodingType, S3Request, S3Response};

/// A client bucket mapped onto a backend bucket and key prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub client_bucket: String,
    pub backend_bucket: String,
    /// Prepended to every key; may be empty.
    pub prefix: String,
}

impl Namespace {
    /// Whether requests and responses cross unchanged.
    pub fn is_identity(&self) -> bool {
        self.prefix.is_empty() && self.client_bucket == self.backend_bucket
    }

    fn key_in(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn opt_in(&self, value: &mut Option<String>) {
        if let Some(v) = value {
            *v = self.key_in(v);
        }
    }

    /// A list prefix: an absent prefix becomes the key prefix itself.
    fn list_prefix_in(&self, value: &mut Option<String>) {
        match value {
            Some(v) => *v = self.key_in(v),
            None if !self.prefix.is_empty() => *value = Some(self.prefix.clone()),
            None => {}
        }
    }

    /// Rewrites a request's bucket, keys, list prefixes and markers for the backend. A copy
    /// source is rewritten separately, with the source bucket's own namespace.
    pub fn request_to_backend(&self, request: &mut S3Request) {
        match request {
            S3Request::ListBuckets(_) => {}
            S3Request::HeadBucket(r) => r.bucket.clone_from(&self.backend_bucket),
            S3Request::GetBucketLocation(r) => r.bucket.clone_from(&self.backend_bucket),
            S3Request::CreateBucket(r) => r.bucket.clone_from(&self.backend_bucket),
            S3Request::DeleteBucket(r) => r.bucket.clone_from(&self.backend_bucket),
            S3Request::ListObjects(r) => {
                r.bucket.clone_from(&self.backend_bucket);
                self.list_prefix_in(&mut r.prefix);
                self.opt_in(&mut r.marker);
            }
            S3Request::ListObjectsV2(r) => {
                r.bucket.clone_from(&self.backend_bucket);
                self.list_prefix_in(&mut r.prefix);
                self.opt_in(&mut r.start_after);
            }
            S3Request::ListObjectVersions(r) => {
                r.bucket.clone_from(&self.backend_bucket);
                self.list_prefix_in(&mut r.prefix);
                self.opt_in(&mut r.key_marker);
            }
            S3Request::ListMultipartUploads(r) => {
                r.bucket.clone_from(&self.backend_bucket);
                self.list_prefix_in(&mut r.prefix);
                self.opt_in(&mut r.key_marker);
            }
            S3Request::DeleteObjects(r) => {
                r.bucket.clone_from(&self.backend_bucket);
                for o in &mut r.delete.objects {
                    o.key = self.key_in(&o.key);
                }
            }
            S3Request::GetBucketCors(r) => r.bucket.clone_from(&self.backend_bucket),
            S3Request::PutBucketCors(r) => r.bucket.clone_from(&self.backend_bucket),
            S3Request::DeleteBucketCors(r) => r.bucket.clone_from(&self.backend_bucket),
            S3Request::GetObject(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key))
            }
            S3Request::HeadObject(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key))
            }
            S3Request::PutObject(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key))
            }
            S3Request::CopyObject(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key))
            }
            S3Request::DeleteObject(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key))
            }
            S3Request::GetObjectAttributes(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
            S3Request::CreateMultipartUpload(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
            S3Request::UploadPart(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key))
            }
            S3Request::UploadPartCopy(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
            S3Request::CompleteMultipartUpload(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
            S3Request::AbortMultipartUpload(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
            S3Request::ListParts(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key))
            }
            S3Request::GetObjectTagging(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
            S3Request::PutObjectTagging(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
            S3Request::DeleteObjectTagging(r) => {
                (r.bucket, r.key) = (self.backend_bucket.clone(), self.key_in(&r.key));
            }
        }
    }

    /// The `x-amz-copy-source` value for a source object in this namespace.
    pub fn copy_source(&self, key: &str, version_id: Option<&str>) -> String {
        let path =
            crate::codec::path::path_style(Some(&self.backend_bucket), Some(&self.key_in(key)));
        match version_id {
            Some(v) => format!(
                "{path}?versionId={}",
                crate::codec::path::encode_component(v)
            ),
            None => path,
        }
    }

    /// Whether a response of this kind must be rewritten for the client.
    pub fn response_needs_rewrite(&self, response_op: crate::s3::S3Operation) -> bool {
        use crate::s3::S3Operation as Op;
        !self.is_identity()
            && matches!(
                response_op,
                Op::ListObjects
                    | Op::ListObjectsV2
                    | Op::ListObjectVersions
                    | Op::ListMultipartUploads
                    | Op::DeleteObjects
                    | Op::CreateMultipartUpload
                    | Op::CompleteMultipartUpload
                    | Op::ListParts
            )
    }

    /// Rewrites a backend response for the client. `url_encoded`: the client asked for
    /// `encoding-type=url`, so the backend encoded keys and prefixes.
    pub fn response_to_client(&self, response: &mut S3Response) {
        let strip = Strip {
            prefix: &self.prefix,
            url: false,
        };
        match response {
            S3Response::ListObjects(r) => {
                let s = strip.with_url(r.encoding_type.as_ref());
                r.name = r.name.as_ref().map(|_| self.client_bucket.clone());
                r.contents.retain_mut(|o| s.key(&mut o.key));
                r.common_prefixes.retain_mut(|p| s.key(&mut p.prefix));
                s.echo(&mut r.prefix);
                s.echo(&mut r.marker);
                s.echo(&mut r.next_marker);
            }
            S3Response::ListObjectsV2(r) => {
                let s = strip.with_url(r.encoding_type.as_ref());
                r.name = r.name.as_ref().map(|_| self.client_bucket.clone());
                r.contents.retain_mut(|o| s.key(&mut o.key));
                r.common_prefixes.retain_mut(|p| s.key(&mut p.prefix));
                if let Some(count) = &mut r.key_count {
                    *count =
                        i32::try_from(r.contents.len() + r.common_prefixes.len()).unwrap_or(*count);
                }
                s.echo(&mut r.prefix);
                s.echo(&mut r.start_after);
            }
            S3Response::ListObjectVersions(r) => {
                let s = strip.with_url(r.encoding_type.as_ref());
                r.name = r.name.as_ref().map(|_| self.client_bucket.clone());
                r.versions.retain_mut(|v| s.key(&mut v.key));
                r.delete_markers.retain_mut(|m| s.key(&mut m.key));
                r.common_prefixes.retain_mut(|p| s.key(&mut p.prefix));
                s.echo(&mut r.prefix);
                s.echo(&mut r.key_marker);
                s.echo(&mut r.next_key_marker);
            }
            S3Response::ListMultipartUploads(r) => {
                let s = strip.with_url(r.encoding_type.as_ref());
                r.bucket = r.bucket.as_ref().map(|_| self.client_bucket.clone());
                r.uploads.retain_mut(|u| s.key(&mut u.key));
                r.common_prefixes.retain_mut(|p| s.key(&mut p.prefix));
                s.echo(&mut r.prefix);
                s.echo(&mut r.key_marker);
                s.echo(&mut r.next_key_marker);
            }
            S3Response::DeleteObjects(r) => {
                for d in &mut r.deleted {
                    strip.echo(&mut d.key);
                }
                for e in &mut r.errors {
                    strip.echo(&mut e.key);
                }
            }
            S3Response::CreateMultipartUpload(r) => {
                r.bucket = r.bucket.as_ref().map(|_| self.client_bucket.clone());
                strip.echo(&mut r.key);
            }
            S3Response::CompleteMultipartUpload(r) => {
                r.bucket = r.bucket.as_ref().map(|_| self.client_bucket.clone());
                strip.echo(&mut r.key);
                // The backend's URL means nothing to the client.
                r.location = None;
            }
            S3Response::ListParts(r) => {
                r.bucket = r.bucket.as_ref().map(|_| self.client_bucket.clone());
                strip.echo(&mut r.key);
            }
            _ => {}
        }
    }
}

/// Strips the key prefix from values in a response.
#[derive(Clone, Copy)]
struct Strip<'a> {
    prefix: &'a str,
    /// Values are `encoding-type=url` encoded.
    url: bool,
}

impl<'a> Strip<'a> {
    fn with_url(self, encoding: Option<&EncodingType>) -> Self {
        Self {
            url: matches!(encoding, Some(EncodingType::Url)),
            ..self
        }
    }

    /// Strips a listed key; `false` (drop the entry) when it lies outside the prefix.
    fn key(&self, value: &mut Option<String>) -> bool {
        match value {
            Some(v) => match self.strip(v) {
                Some(stripped) => {
                    *v = stripped;
                    true
                }
                None => false,
            },
            None => true,
        }
    }

    /// Strips an echoed value (prefix, marker); a value outside the prefix is cleared. An
    /// empty value (S3 echoes `<Marker></Marker>` when none was sent) stays empty.
    fn echo(&self, value: &mut Option<String>) {
        if let Some(v) = value.as_mut().filter(|v| !v.is_empty()) {
            match self.strip(v) {
                Some(stripped) => *v = stripped,
                None => *value = None,
            }
        }
    }

    fn strip(&self, value: &str) -> Option<String> {
        if self.prefix.is_empty() {
            return Some(value.to_owned());
        }
        if !self.url {
            return value.strip_prefix(self.prefix).map(str::to_owned);
        }
        let decoded = decode_component(&value.replace('+', " ")).ok()?;
        decoded.strip_prefix(self.prefix).map(url_encode)
    }
}

/// `encoding-type=url` encoding as S3 writes it: form encoding, `/` kept.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests;
