// The AWS SDK for JavaScript v3 plays one conformance scenario against CONFORMANCE_ENDPOINT.
//
// Usage: node js_scenarios.mjs <scenario>, with the SDK's node_modules in
// CONFORMANCE_NODE_MODULES (installed by `cargo xtask conformance record`). Calls meant to
// fail are checked for their status only. Exit status 3: the scenario does not apply.

import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";

const require = createRequire(path.join(process.env.CONFORMANCE_NODE_MODULES ?? ".", "x.js"));
const s3sdk = require("@aws-sdk/client-s3");
const { getSignedUrl } = require("@aws-sdk/s3-request-presigner");
const { Upload } = require("@aws-sdk/lib-storage");

const PATTERN = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const B = process.env.CONFORMANCE_BUCKET;
const ADMIN = [process.env.CONFORMANCE_ADMIN_KEY, process.env.CONFORMANCE_ADMIN_SECRET];
const ALICE = [process.env.CONFORMANCE_ALICE_KEY, process.env.CONFORMANCE_ALICE_SECRET];

function pattern(phase, length) {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = PATTERN.charCodeAt((phase + i) % PATTERN.length);
  return out;
}

function client([accessKeyId, secretAccessKey] = ADMIN) {
  return new s3sdk.S3Client({
    endpoint: process.env.CONFORMANCE_ENDPOINT,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

const call = (s3, name, input) => s3.send(new s3sdk[`${name}Command`](input));

async function fails(status, s3, name, input) {
  try {
    await call(s3, name, input);
  } catch (e) {
    const got = e.$metadata?.httpStatusCode;
    if (got !== status) throw new Error(`${name}: ${got}, expected ${status}: ${e}`);
    return;
  }
  throw new Error(`${name} succeeded; expected ${status}`);
}

async function drain(response) {
  if (response.Body) await response.Body.transformToByteArray();
}

const scenarios = {
  async objects(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "docs/hello.txt", Body: "hello, conformance\n", ContentType: "text/plain",
      CacheControl: "max-age=60", ContentDisposition: "inline", Metadata: { colour: "blue", "mixed-case": "Value With Spaces" } });
    await call(s3, "HeadObject", { Bucket: B, Key: "docs/hello.txt" });
    await drain(await call(s3, "GetObject", { Bucket: B, Key: "docs/hello.txt" }));
    await drain(await call(s3, "GetObject", { Bucket: B, Key: "docs/hello.txt", Range: "bytes=7-17" }));
    await drain(await call(s3, "GetObject", { Bucket: B, Key: "docs/hello.txt", Range: "bytes=-5" }));
    await fails(404, s3, "GetObject", { Bucket: B, Key: "docs/missing.txt" });
    await fails(404, s3, "HeadObject", { Bucket: B, Key: "docs/missing.txt" });
    await call(s3, "DeleteObject", { Bucket: B, Key: "docs/hello.txt" });
    await call(s3, "DeleteObject", { Bucket: B, Key: "docs/hello.txt" });
  },
  async checksums(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "sums/crc32.bin", Body: pattern(0, 100000), ChecksumAlgorithm: "CRC32" });
    await call(s3, "PutObject", { Bucket: B, Key: "sums/sha256.txt", Body: "checksummed text", ChecksumAlgorithm: "SHA256" });
    // A stream body: the SDK sends it aws-chunked, with the checksum in a trailer.
    await call(s3, "PutObject", { Bucket: B, Key: "sums/streamed.bin", Body: Readable.from([pattern(0, 70000), pattern(70000, 30000)]),
      ContentLength: 100000, ChecksumAlgorithm: "CRC32" });
    await drain(await call(s3, "GetObject", { Bucket: B, Key: "sums/streamed.bin", ChecksumMode: "ENABLED" }));
    await drain(await call(s3, "GetObject", { Bucket: B, Key: "sums/crc32.bin", ChecksumMode: "ENABLED" }));
    await call(s3, "HeadObject", { Bucket: B, Key: "sums/sha256.txt", ChecksumMode: "ENABLED" });
  },
  async multipart(s3) {
    const upload = new Upload({ client: s3, queueSize: 1, partSize: 5 * 1024 * 1024,
      params: { Bucket: B, Key: "big/multipart.bin", Body: pattern(0, 5 * 1024 * 1024 + 1024), ChecksumAlgorithm: "CRC32" } });
    await upload.done();
    await call(s3, "HeadObject", { Bucket: B, Key: "big/multipart.bin" });
    await drain(await call(s3, "GetObject", { Bucket: B, Key: "big/multipart.bin", Range: "bytes=5242870-5242889" }));
    const { UploadId } = await call(s3, "CreateMultipartUpload", { Bucket: B, Key: "big/aborted.bin" });
    await call(s3, "ListMultipartUploads", { Bucket: B });
    await call(s3, "AbortMultipartUpload", { Bucket: B, Key: "big/aborted.bin", UploadId });
    await fails(404, s3, "ListParts", { Bucket: B, Key: "big/aborted.bin", UploadId });
  },
  async listing(s3) {
    for (const key of ["a/1.txt", "a/2.txt", "a/b/3.txt", "c/4.txt", "d.txt"]) {
      await call(s3, "PutObject", { Bucket: B, Key: key, Body: key });
    }
    for await (const _page of s3sdk.paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: B })) { /* all pages */ }
    await call(s3, "ListObjectsV2", { Bucket: B, Delimiter: "/" });
    await call(s3, "ListObjectsV2", { Bucket: B, Prefix: "a/", Delimiter: "/" });
    await call(s3, "ListObjects", { Bucket: B, Marker: "a/2.txt" });
    await call(s3, "ListObjectsV2", { Bucket: B, EncodingType: "url", Prefix: "a/" });
  },
  async "special-keys"(s3) {
    const keys = ["ünïcødé/日本語.txt", "spaces/a b  c.txt", "reserved/a+b=c&d;e,f:g@h$.txt", "percent/100%25 real%.txt",
      "unreserved/tilde~under_score-dash.dot", "quotes/it's (\"quoted\") [x] {y}.txt", "emoji/🎉.txt"];
    for (const key of keys) await call(s3, "PutObject", { Bucket: B, Key: key, Body: key });
    for (const key of keys) await drain(await call(s3, "GetObject", { Bucket: B, Key: key }));
    await call(s3, "ListObjectsV2", { Bucket: B });
    await call(s3, "ListObjectsV2", { Bucket: B, EncodingType: "url" });
  },
  async "conditional-writes"(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "cond/new.txt", Body: "first", IfNoneMatch: "*" });
    await fails(412, s3, "PutObject", { Bucket: B, Key: "cond/new.txt", Body: "second", IfNoneMatch: "*" });
    await fails(412, s3, "PutObject", { Bucket: B, Key: "cond/new.txt", Body: "third", IfMatch: '"0123456789abcdef0123456789abcdef"' });
  },
  async "conditional-reads"(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "cond/read.txt", Body: "conditional" });
    const { ETag } = await call(s3, "HeadObject", { Bucket: B, Key: "cond/read.txt" });
    await fails(304, s3, "GetObject", { Bucket: B, Key: "cond/read.txt", IfNoneMatch: ETag });
    await fails(412, s3, "GetObject", { Bucket: B, Key: "cond/read.txt", IfMatch: '"0123456789abcdef0123456789abcdef"' });
  },
  async tagging(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "tags/t.txt", Body: "tagged", Tagging: "team=storage&tier=gold" });
    await call(s3, "GetObjectTagging", { Bucket: B, Key: "tags/t.txt" });
    await call(s3, "PutObjectTagging", { Bucket: B, Key: "tags/t.txt", Tagging: { TagSet: [{ Key: "project", Value: "multistore" }] } });
    await call(s3, "DeleteObjectTagging", { Bucket: B, Key: "tags/t.txt" });
  },
  async "delete-objects"(s3) {
    for (const key of ["del/1", "del/2", "del/keep"]) await call(s3, "PutObject", { Bucket: B, Key: key, Body: "x" });
    await call(s3, "DeleteObjects", { Bucket: B, Delete: { Objects: [{ Key: "del/1" }, { Key: "del/2" }, { Key: "del/never-existed" }] } });
    await call(s3, "ListObjectsV2", { Bucket: B, Prefix: "del/" });
  },
  async copy(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "copy/src.txt", Body: "copy me", Metadata: { origin: "source" } });
    await call(s3, "CopyObject", { Bucket: B, Key: "copy/same-meta.txt", CopySource: `${B}/copy/src.txt` });
    await call(s3, "CopyObject", { Bucket: B, Key: "copy/new-meta.txt", CopySource: `${B}/copy/src.txt`,
      MetadataDirective: "REPLACE", Metadata: { origin: "replaced" }, ContentType: "text/x-copied" });
    await call(s3, "HeadObject", { Bucket: B, Key: "copy/new-meta.txt" });
  },
  async presigned(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "pre/get.txt", Body: "presigned body" });
    const get = await getSignedUrl(s3, new s3sdk.GetObjectCommand({ Bucket: B, Key: "pre/get.txt" }), { expiresIn: 900 });
    await (await fetch(get)).arrayBuffer();
    const put = await getSignedUrl(s3, new s3sdk.PutObjectCommand({ Bucket: B, Key: "pre/put.txt" }), { expiresIn: 900 });
    await (await fetch(put, { method: "PUT", body: "uploaded with a presigned URL" })).arrayBuffer();
    await drain(await call(s3, "GetObject", { Bucket: B, Key: "pre/put.txt" }));
  },
  async buckets(s3) {
    await call(s3, "ListBuckets", {});
    await call(s3, "HeadBucket", { Bucket: B });
    await fails(404, s3, "HeadBucket", { Bucket: "conformance-missing" });
    await call(s3, "GetBucketLocation", { Bucket: B });
    // us-east-1 answers the owner 200 when it re-creates its bucket (elsewhere: 409).
    await call(s3, "CreateBucket", { Bucket: B });
    await fails(404, s3, "GetBucketCors", { Bucket: B });
    await call(s3, "PutObject", { Bucket: B, Key: "versions/v.txt", Body: "one" });
    await call(s3, "PutObject", { Bucket: B, Key: "versions/v.txt", Body: "two" });
    await call(s3, "ListObjectVersions", { Bucket: B, Prefix: "versions/" });
    // moto sends GetObjectAttributes' Last-Modified in ISO 8601, which the SDK refuses to parse;
    // the 200 exchange is recorded all the same (the replay compares Last-Modified by presence).
    try {
      await call(s3, "GetObjectAttributes", { Bucket: B, Key: "versions/v.txt", ObjectAttributes: ["ETag", "ObjectSize"] });
    } catch (e) {
      if (e.$metadata?.httpStatusCode !== 200) throw e;
    }
  },
  async "auth-errors"(s3) {
    await call(s3, "PutObject", { Bucket: B, Key: "alice/own.txt", Body: "alice's" });
    await call(s3, "PutObject", { Bucket: B, Key: "private/secret.txt", Body: "not alice's" });
    const wrong = client([ADMIN[0], "not-the-secret"]);
    await fails(403, wrong, "GetObject", { Bucket: B, Key: "alice/own.txt" });
    const alice = client(ALICE);
    await drain(await call(alice, "GetObject", { Bucket: B, Key: "alice/own.txt" }));
    await fails(403, alice, "GetObject", { Bucket: B, Key: "private/secret.txt" });
  },
};

const scenario = scenarios[process.argv[2]];
if (!scenario) process.exit(3);
await scenario(client());
