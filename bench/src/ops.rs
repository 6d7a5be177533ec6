//! The operations a benchmark worker repeats: S3 calls through aws-sdk-s3 (real signing,
//! checksums, aws-chunked, multipart) or a presigned request over a plain HTTP/1.1 connection
//! (no client-side signing cost, so what remains is the server's). Every call checks what it
//! got back (status, body length, key count), so a broken target shows up as errors, not speed.

use anyhow::{Context as _, bail, ensure};
use bytes::Bytes;

use crate::raw::{self, RawConn, RawRequest};
use crate::sdk;

/// One operation, with everything it needs.
#[derive(Debug)]
pub enum Op {
    Sdk {
        client: aws_sdk_s3::Client,
        bucket: String,
        call: SdkCall,
    },
    Raw {
        addr: std::net::SocketAddr,
        request: RawRequest,
    },
}

/// What an SDK operation does.
#[derive(Debug, Clone)]
pub enum SdkCall {
    /// HeadObject; the object has this size.
    Head { key: String, size: u64 },
    /// GetObject, body streamed and counted.
    Get { key: String, size: u64 },
    /// PutObject of `body` to one of `keys` keys under `prefix`.
    Put {
        prefix: String,
        keys: u64,
        body: Bytes,
    },
    /// A multipart upload of `parts` copies of `part`, `concurrency` parts at a time.
    Multipart {
        key: String,
        part: Bytes,
        parts: u32,
        concurrency: usize,
    },
    /// ListObjectsV2 through every page under `prefix`, expecting `keys` keys.
    List { prefix: String, keys: u64 },
}

/// A worker's connection state.
pub enum Conn {
    /// The SDK client pools its own connections.
    Sdk,
    Raw(RawConn),
}

impl Op {
    /// The worker's connection (a TCP connection for a raw op).
    pub async fn connect(&self) -> anyhow::Result<Conn> {
        match self {
            Op::Sdk { .. } => Ok(Conn::Sdk),
            Op::Raw { addr, .. } => Ok(Conn::Raw(RawConn::connect(*addr).await?)),
        }
    }

    /// Runs the `n`th call; returns the payload bytes moved.
    pub async fn call(&self, conn: &mut Conn, n: u64) -> anyhow::Result<u64> {
        match (self, conn) {
            (
                Op::Sdk {
                    client,
                    bucket,
                    call,
                },
                Conn::Sdk,
            ) => sdk_call(client, bucket, call, n).await,
            (Op::Raw { addr, request }, Conn::Raw(conn)) => raw::send(conn, *addr, request).await,
            _ => bail!("an operation ran on the wrong kind of connection"),
        }
    }
}

async fn sdk_call(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    call: &SdkCall,
    n: u64,
) -> anyhow::Result<u64> {
    match call {
        SdkCall::Head { key, size } => {
            let out = client.head_object().bucket(bucket).key(key).send().await?;
            let len = out.content_length().unwrap_or(-1);
            ensure!(len == *size as i64, "HEAD says {len} bytes, not {size}");
            Ok(0)
        }
        SdkCall::Get { key, size } => {
            let got = sdk::get(client, bucket, key).await?;
            ensure!(got == *size, "GET returned {got} bytes, not {size}");
            Ok(got)
        }
        SdkCall::Put { prefix, keys, body } => {
            let key = format!("{prefix}{}", n % keys.max(&1));
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(body.clone().into())
                .send()
                .await?;
            Ok(body.len() as u64)
        }
        SdkCall::Multipart {
            key,
            part,
            parts,
            concurrency,
        } => sdk::multipart(client, bucket, key, part, *parts, *concurrency).await,
        SdkCall::List { prefix, keys } => {
            let (listed, pages) = sdk::list_all(client, bucket, prefix).await?;
            ensure!(
                listed == *keys,
                "listed {listed} keys in {pages} pages, not {keys}"
            );
            Ok(0)
        }
    }
    .with_context(|| format!("{call:?}").chars().take(80).collect::<String>())
}
