//! The aws-sdk-s3 side: one client per target (built once, pooled keep-alive connections, no
//! retries so every failure counts), and the calls that take more than one SDK request.

use anyhow::{Context as _, ensure};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use std::time::Duration;

/// The region every target is signed for.
pub const REGION: &str = "us-east-1";

/// A client for `endpoint` (path-style, plain HTTP) signing with the given keys.
pub fn client(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    let credentials = Credentials::new(access_key, secret_key, None, None, "multistore-bench");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(credentials)
        .force_path_style(true)
        .retry_config(RetryConfig::disabled())
        // A 64-way download on two shared cores can starve a stream for a while; the
        // benchmark wants that as latency, not as an error.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// GetObject with the body streamed and dropped; returns its length.
pub async fn get(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> anyhow::Result<u64> {
    let out = client.get_object().bucket(bucket).key(key).send().await?;
    let mut body = out.body;
    let mut got = 0u64;
    while let Some(chunk) = body.try_next().await.context("reading the GET body")? {
        got += chunk.len() as u64;
    }
    Ok(got)
}

/// A multipart upload of `parts` copies of `part`, `concurrency` parts in flight.
pub async fn multipart(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    part: &Bytes,
    parts: u32,
    concurrency: usize,
) -> anyhow::Result<u64> {
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await?;
    let upload_id = created.upload_id().context("no UploadId")?.to_owned();
    let mut done = Vec::with_capacity(parts as usize);
    let mut next = 1u32;
    let mut running = tokio::task::JoinSet::new();
    while next <= parts || !running.is_empty() {
        while next <= parts && running.len() < concurrency.max(1) {
            let request = client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .part_number(next as i32)
                .body(part.clone().into());
            let number = next;
            running.spawn(async move { (number, request.send().await) });
            next += 1;
        }
        if let Some(joined) = running.join_next().await {
            let (number, sent) = joined?;
            let out = sent.with_context(|| format!("UploadPart {number}"))?;
            let etag = out.e_tag().context("no ETag")?.to_owned();
            done.push(
                CompletedPart::builder()
                    .part_number(number as i32)
                    .e_tag(etag)
                    .build(),
            );
        }
    }
    done.sort_by_key(|p| p.part_number());
    client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await?;
    Ok(part.len() as u64 * u64::from(parts))
}

/// ListObjectsV2 through every page under `prefix`; returns `(keys, pages)`.
pub async fn list_all(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> anyhow::Result<(u64, u64)> {
    let mut token: Option<String> = None;
    let (mut keys, mut pages) = (0u64, 0u64);
    loop {
        let out = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await?;
        pages += 1;
        keys += out.contents().len() as u64;
        match out.next_continuation_token() {
            Some(next) if out.is_truncated() == Some(true) => token = Some(next.to_owned()),
            _ => return Ok((keys, pages)),
        }
    }
}

/// Puts `body` at every key in `keys`, `concurrency` at a time (seeding).
pub async fn put_many(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    keys: Vec<String>,
    body: Bytes,
    concurrency: usize,
) -> anyhow::Result<()> {
    let mut running = tokio::task::JoinSet::new();
    let mut keys = keys.into_iter();
    loop {
        while running.len() < concurrency.max(1) {
            let Some(key) = keys.next() else { break };
            let request = client
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(body.clone().into());
            running
                .spawn(async move { request.send().await.with_context(|| format!("PUT {key}")) });
        }
        match running.join_next().await {
            Some(joined) => {
                joined??;
            }
            None => return Ok(()),
        }
    }
}

/// What a presigned request is for.
#[derive(Debug, Clone, Copy)]
pub enum Presign {
    Get,
    Head,
    Put,
}

/// A presigned request (valid for an hour) for `key`.
pub async fn presign(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    what: Presign,
) -> anyhow::Result<aws_sdk_s3::presigning::PresignedRequest> {
    let config = PresigningConfig::expires_in(Duration::from_secs(3600))?;
    let presigned = match what {
        Presign::Get => {
            client
                .get_object()
                .bucket(bucket)
                .key(key)
                .presigned(config)
                .await?
        }
        Presign::Head => {
            client
                .head_object()
                .bucket(bucket)
                .key(key)
                .presigned(config)
                .await?
        }
        Presign::Put => {
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .presigned(config)
                .await?
        }
    };
    ensure!(
        presigned.uri().contains("X-Amz-Signature="),
        "the presigned URL carries no signature"
    );
    Ok(presigned)
}
