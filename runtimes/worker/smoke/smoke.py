#!/usr/bin/env python3
"""The S3 scenario suite of a running gateway: the Worker (`cargo xtask worker smoke`) or,
for the runtime comparison (`cargo xtask worker compare`), the Worker and the native binary.

Real S3 clients (boto3, and the aws CLI when present) exercise every bucket named with --bucket
the same way: put/get/head (metadata, checksummed aws-chunked uploads, plain ones, signed
aws-chunked with a forged chunk), ranges, conditional reads and writes, listings (V2 and V1,
delimiter, pagination, encoding-type=url), adversarial and dot-segment keys, copies, multipart
uploads (complete and abort), a 6 MiB object, presigned GET and PUT, bad signatures and unknown
keys, a read-only principal's AccessDenied, missing keys and buckets, NotImplemented for
`?acl`, tagging, the configured upload limit, deletes and DeleteObjects, and the aws CLI. Then
copies across buckets (a streamed pipe between backends), and R2 specifics.

Every S3 call's (operation, status, error code) is recorded per check (a botocore `after-call`
hook; the raw HTTP requests record their own), and --results writes them (see write_results):
the runtime comparison compares these records operation by operation.

Exit status 0 when every check passed (or, with --keep-going, when every check ran: failures
are recorded); otherwise the first failure stops the run with its reason.
"""

import argparse
import hashlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import base64
import hmac
import zlib

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def drop_expect(request, **_):
    request.headers.pop("Expect", None)


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def error_of(call):
    """The (HTTP status, S3 code) a call failed with; fails if it succeeded."""
    try:
        call()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code")
    raise Failed("the call succeeded, but it should have failed")


def signed_chunked_put(args, bucket, key, data, trailer, corrupt=False, chunk=64 * 1024):
    """PUT with a signed aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or its
    -TRAILER variant with a CRC32 trailer), as the Java and Go SDKs send it. boto3 never does.
    Returns (status, body text)."""
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    trailer_line = f"x-amz-checksum-crc32:{crc}"
    sig_len = 64
    length = sum(len(f"{len(p):x};chunk-signature=") + sig_len + 2 + len(p) + 2 for p in pieces)
    if trailer:
        # The final chunk has no CRLF of its own: the trailers follow, then an empty line.
        length += -2 + len(trailer_line) + 2 + len("x-amz-trailer-signature:") + sig_len + 2 + 2
    url = f"{args.endpoint}/{bucket}/{key}"
    headers = {"Content-Encoding": "aws-chunked", "X-Amz-Content-SHA256": mode,
               "X-Amz-Decoded-Content-Length": str(len(data)), "Content-Length": str(length)}
    if trailer:
        headers["X-Amz-Trailer"] = "x-amz-checksum-crc32"
    request = AWSRequest(method="PUT", url=url, headers=headers)
    SigV4Auth(Credentials(args.access_key, args.secret_key), "s3", args.region).add_auth(request)
    amz_date = request.headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/{args.region}/s3/aws4_request"
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    key_bytes = ("AWS4" + args.secret_key).encode()
    for part in (amz_date[:8], args.region, "s3", "aws4_request"):
        key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
    empty = hashlib.sha256(b"").hexdigest()
    body, previous = bytearray(), seed
    for i, p in enumerate(pieces):
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty,
                             hashlib.sha256(p).hexdigest()])
        sig = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        if corrupt and i == 1:
            sig = "0" * 64
        body += f"{len(p):x};chunk-signature={sig}\r\n".encode() + p
        if p or not trailer:
            body += b"\r\n"
        previous = sig
    if trailer:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                             hashlib.sha256((trailer_line + "\n").encode()).hexdigest()])
        sig = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        body += f"{trailer_line}\r\nx-amz-trailer-signature:{sig}\r\n\r\n".encode()
    check(len(body) == length, f"encoded length {len(body)} != {length}")
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("PUT", parts.path, skip_accept_encoding=True)
    for name, value in request.headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    try:
        conn.send(bytes(body))
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = conn.getresponse()
    text = resp.read().decode(errors="replace")
    conn.close()
    return resp.status, text


# The adversarial key corpus of the native listing test (runtimes/native/tests/gateway_listing.rs),
# minus the dot segments, which have a check of their own.
SPECIAL_KEYS = [
    "dir/", "a//b", "unicode/日本語/ключ/é", "plus+equals=percent%tilde~",
    "hash#question?brackets[]star*", "with space", "trailing space ", "%2F-looks-encoded",
    "semi;colon,comma&amp'quote\"", "caf\u00e9-nfc vs cafe\u0301-nfd",
]
# Keys with `.` and `..` path segments.
DOT_KEYS = ["x/./y", "x/../y", "../escape", "./.."]


class Smoke:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.results = []
        self.ops = []
        self.label = ""
        common = dict(endpoint_url=args.endpoint, region_name=args.region)
        config = dict(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1, "mode": "standard"})

        def client(key, secret, **extra):
            c = boto3.client("s3", aws_access_key_id=key, aws_secret_access_key=secret,
                             config=Config(**config, **extra), **common)
            # boto3 sends `Expect: 100-continue` with uploads and waits a second for an
            # interim answer that local proxies never send: skip the wait.
            c.meta.events.register("before-send.s3", drop_expect)
            c.meta.events.register("after-call.s3", self.after_call)
            return c

        # The SDK default: checksummed uploads as aws-chunked with a CRC32 trailer.
        self.s3 = client(args.access_key, args.secret_key)
        # Plain bodies (UNSIGNED-PAYLOAD over http is signed as the payload sha256 by boto3).
        self.plain = client(args.access_key, args.secret_key,
                            request_checksum_calculation="when_required",
                            response_checksum_validation="when_required")
        self.wrong = client(args.access_key, args.secret_key + "x")
        self.unknown = client("AKIAUNKNOWNKEY000000", args.secret_key)
        self.reader = client(args.reader_key, args.reader_secret) if args.reader_key else None

    # ------------------------------------------------------------------- recording
    def after_call(self, http_response, parsed, model, **_):
        code = (parsed or {}).get("Error", {}).get("Code")
        self.op(model.name, http_response.status_code, code)

    def op(self, name, status, code=None):
        """Records one operation's outcome: what the runtimes are compared on."""
        self.ops.append(f"{name} {status}" + (f" {code}" if code else ""))

    def ok(self, name):
        self.passed += 1
        print(f"  ok  {name}", flush=True)

    def run(self, check_id, fn, *a):
        """Runs one check. In --keep-going mode a failure is recorded and the run goes on."""
        self.ops = []
        outcome = "ok"
        try:
            fn(*a)
        except (Failed, ClientError, OSError, subprocess.CalledProcessError) as e:
            detail = ""
            if isinstance(e, subprocess.CalledProcessError):
                detail = " " + (e.stderr or b"").decode(errors="replace").strip()[-300:]
            outcome = f"FAILED: {type(e).__name__}: {e}{detail}"
            if not self.args.keep_going:
                raise
            print(f"  !!  {check_id}: {outcome}", flush=True)
        self.results.append({"check": f"{self.label}{check_id}", "outcome": outcome, "ops": self.ops})

    def status_of(self, call):
        """The HTTP status of a call, or (status, code) of its failure."""
        try:
            call()
            return "OK"
        except ClientError as e:
            return f"{e.response['ResponseMetadata']['HTTPStatusCode']} {e.response['Error'].get('Code')}"

    # ----------------------------------------------------------------- per bucket
    def bucket(self, b):
        print(f"bucket {b}", flush=True)
        self.label = "" if self.args.keep_going else f"{b}: "
        self.body = b"hello, multistore worker\n"
        checks = [
            ("put, get, head", self.put_get_head), ("plain put", self.plain_put),
            ("empty objects", self.empty), ("signed aws-chunked", self.signed_chunked),
            ("ranges", self.ranges), ("conditionals", self.conditionals),
            ("listing", self.listing), ("pagination", self.pagination),
            ("encoding-type=url", self.url_encoding), ("special keys", self.special_keys),
            ("dot-segment keys", self.dot_keys), ("copy", self.copy),
            ("multipart", self.multipart), ("abort multipart", self.abort),
            ("big object", self.big), ("gzip-labelled object", self.encoded),
            ("presigned", self.presigned), ("bad signature", self.bad_signature),
            ("access denied", self.access_denied), ("missing keys and buckets", self.missing),
            ("acl", self.acl), ("tagging", self.tagging), ("upload limit", self.too_large),
            ("deletes", self.deletes), ("aws CLI", self.cli),
        ]
        for check_id, fn in checks:
            if check_id in self.args.skip or f"{b}:{check_id}" in self.args.skip:
                print(f"  --  {check_id} skipped (--skip)", flush=True)
                continue
            self.run(check_id, fn, b)

    def put_get_head(self, b):
        s3, body = self.s3, self.body
        put = s3.put_object(Bucket=b, Key="hello.txt", Body=body, ContentType="text/plain",
                            Metadata={"color": "blue"})
        self.etag = etag = put["ETag"]
        check(etag == '"%s"' % hashlib.md5(body).hexdigest(), f"ETag {etag} is the MD5 of the body")
        self.ok("put (aws-chunked, CRC32 trailer)")
        got = s3.get_object(Bucket=b, Key="hello.txt")
        check(got["Body"].read() == body, "GET returns the bytes put")
        check(got["ContentType"] == "text/plain", f"content type {got['ContentType']}")
        check(got["Metadata"] == {"color": "blue"}, f"metadata {got['Metadata']}")
        check(got["ETag"] == etag, "GET ETag")
        self.ok("get with metadata")
        head = s3.head_object(Bucket=b, Key="hello.txt")
        check(head["ContentLength"] == len(body), f"HEAD content length {head['ContentLength']}")
        check(head["ETag"] == etag and head["Metadata"] == {"color": "blue"}, "HEAD validators")
        self.ok("head")

    def plain_put(self, b):
        plain_body = os.urandom(3000)
        self.plain.put_object(Bucket=b, Key="plain.bin", Body=plain_body)
        check(self.plain.get_object(Bucket=b, Key="plain.bin")["Body"].read() == plain_body,
              "plain PUT round trip")
        self.ok("put (plain body, Content-MD5-less)")

    def empty(self, b):
        for client in (self.s3, self.plain):
            client.put_object(Bucket=b, Key="empty.bin", Body=b"")
            empty = client.get_object(Bucket=b, Key="empty.bin")
            check(empty["ContentLength"] == 0 and empty["Body"].read() == b"", "an empty object")
        self.ok("empty objects")

    def signed_chunked(self, b):
        for trailer in (False, True):
            data = os.urandom(150_000)
            key = f"signed-chunked-{int(trailer)}.bin"
            status, text = signed_chunked_put(self.args, b, key, data, trailer)
            self.op("SignedChunkedPut", status)
            check(status == 200, f"signed aws-chunked PUT (trailer={trailer}): {status} {text}")
            check(self.s3.get_object(Bucket=b, Key=key)["Body"].read() == data,
                  f"signed aws-chunked body decoded (trailer={trailer})")
        status, text = signed_chunked_put(self.args, b, "forged.bin", os.urandom(150_000), False,
                                          corrupt=True)
        self.op("SignedChunkedPut(forged)", status)
        check(status == 403 and "SignatureDoesNotMatch" in text,
              f"a forged chunk signature: {status} {text}")
        status, _ = error_of(lambda: self.s3.head_object(Bucket=b, Key="forged.bin"))
        check(status == 404, "nothing stored for a forged chunk")
        self.ok("signed aws-chunked PUTs (chunk signatures, signed trailer; a forged chunk refused)")

    def ranges(self, b):
        s3, body = self.s3, self.body
        r = s3.get_object(Bucket=b, Key="hello.txt", Range="bytes=2-5")
        check(r["ResponseMetadata"]["HTTPStatusCode"] == 206, "range answers 206")
        check(r["Body"].read() == body[2:6], "range bytes")
        check(r["ContentRange"] == f"bytes 2-5/{len(body)}", f"Content-Range {r['ContentRange']}")
        r = s3.get_object(Bucket=b, Key="hello.txt", Range="bytes=-3")
        check(r["Body"].read() == body[-3:], "suffix range bytes")
        status, code = error_of(lambda: s3.get_object(Bucket=b, Key="hello.txt",
                                                      Range=f"bytes={len(body)}-"))
        check((status, code) == (416, "InvalidRange"), f"unsatisfiable range: {status} {code}")
        self.ok("ranges (206, suffix, 416)")

    def conditionals(self, b):
        s3, etag = self.s3, self.etag
        lenient = b in self.args.lenient_conditions
        got = self.status_of(lambda: s3.get_object(Bucket=b, Key="hello.txt", IfMatch='"nope"'))
        # s3s-fs ignores If-Match on GET; the R2 store must answer 412.
        check(got.startswith("412") or lenient, f"If-Match with another ETag: {got}")
        got = self.status_of(lambda: s3.get_object(Bucket=b, Key="hello.txt", IfNoneMatch=etag))
        # s3s-fs answers 200 here; the R2 store must answer 304.
        check(got.startswith("304") or lenient, f"If-None-Match with the ETag: {got}")
        status, code = error_of(lambda: s3.put_object(Bucket=b, Key="hello.txt", Body=b"x",
                                                      IfNoneMatch="*"))
        check(status == 412, f"If-None-Match: * on an existing key: {status} {code}")
        s3.delete_object(Bucket=b, Key="fresh.txt")
        s3.put_object(Bucket=b, Key="fresh.txt", Body=b"new", IfNoneMatch="*")
        self.ok("conditional reads and writes (412, 304, create-only PUT)")

    def listing(self, b):
        s3 = self.s3
        keys = ["dir/a", "dir/b", "dir/sub/c", "top", "spaced key ü&.txt"]
        for k in keys:
            s3.put_object(Bucket=b, Key=k, Body=k.encode())
        listed = s3.list_objects_v2(Bucket=b, Delimiter="/")
        prefixes = [p["Prefix"] for p in listed.get("CommonPrefixes", [])]
        top_keys = [o["Key"] for o in listed.get("Contents", [])]
        check("dir/" in prefixes, f"common prefixes {prefixes}")
        check("top" in top_keys and "spaced key ü&.txt" in top_keys and "dir/a" not in top_keys,
              f"top-level keys {top_keys}")
        listed = s3.list_objects_v2(Bucket=b, Prefix="dir/", Delimiter="/")
        check([o["Key"] for o in listed.get("Contents", [])] == ["dir/a", "dir/b"],
              f"keys under dir/: {listed.get('Contents')}")
        check([p["Prefix"] for p in listed.get("CommonPrefixes", [])] == ["dir/sub/"],
              "dir/sub/ is a common prefix")
        listed = s3.list_objects(Bucket=b, Prefix="dir/", Delimiter="/")
        check([o["Key"] for o in listed.get("Contents", [])] == ["dir/a", "dir/b"],
              f"V1 keys under dir/: {listed.get('Contents')}")
        check(s3.get_object(Bucket=b, Key="spaced key ü&.txt")["Body"].read()
              == "spaced key ü&.txt".encode(), "a key with spaces and non-ASCII")
        self.ok("list v2 and v1 with prefix and delimiter; special keys")

    def pagination(self, b):
        s3 = self.s3
        self.page_keys = page_keys = [f"page/{i:02d}" for i in range(7)] + ["page/zz/x", "page/zz/y"]
        for k in page_keys:
            self.plain.put_object(Bucket=b, Key=k, Body=b"p")
        seen = []
        for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=b, Prefix="page/", PaginationConfig={"PageSize": 2}):
            seen += [o["Key"] for o in page.get("Contents", [])]
        check(seen == sorted(page_keys), f"V2 pages: {seen}")
        seen = []
        for page in s3.get_paginator("list_objects").paginate(
                Bucket=b, Prefix="page/", Delimiter="/", PaginationConfig={"PageSize": 3}):
            seen += [o["Key"] for o in page.get("Contents", [])]
            seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        check(seen == sorted(page_keys[:7]) + ["page/zz/"], f"V1 pages with delimiter: {seen}")
        self.ok("pagination (V2 continuation tokens, V1 markers)")

    def url_encoding(self, b):
        # boto3 asks for encoding-type=url and decodes the keys; `+` must come back as `+`.
        keys = ["enc/a+b c.txt", "enc/100%", "enc/ü&<>"]
        for k in keys:
            self.plain.put_object(Bucket=b, Key=k, Body=b"e")
        v2 = [o["Key"] for o in self.s3.list_objects_v2(Bucket=b, Prefix="enc/").get("Contents", [])]
        v1 = [o["Key"] for o in self.s3.list_objects(Bucket=b, Prefix="enc/").get("Contents", [])]
        check(v2 == sorted(keys) and v1 == sorted(keys), f"listed back: v2 {v2}, v1 {v1}")
        self.ok("encoding-type=url listings (V2 and V1) give the keys back")

    def special_keys(self, b):
        refused = []
        for i, key in enumerate(SPECIAL_KEYS):
            body = f"body {i}: {key}".encode()
            try:
                self.plain.put_object(Bucket=b, Key=key, Body=body)
            except ClientError as e:
                refused.append(key)
                continue
            got = self.plain.get_object(Bucket=b, Key=key)["Body"].read()
            check(got == body, f"{key!r} reads back")
        check(not refused, f"refused keys: {refused}")
        self.ok(f"{len(SPECIAL_KEYS)} adversarial keys round trip")

    def dot_keys(self, b):
        wrong = []
        for key in DOT_KEYS:
            body = f"dots: {key}".encode()
            try:
                self.plain.put_object(Bucket=b, Key=key, Body=body)
                got = self.plain.get_object(Bucket=b, Key=key)["Body"].read()
                if got != body:
                    wrong.append(f"{key}: reads back other bytes")
            except ClientError as e:
                wrong.append(f"{key}: {e.response['Error'].get('Code')}")
        check(not wrong, f"dot-segment keys: {wrong}")
        self.ok("keys with . and .. segments round trip")

    def copy(self, b):
        s3, body = self.s3, self.body
        s3.copy_object(Bucket=b, Key="hello-copy.txt", CopySource={"Bucket": b, "Key": "hello.txt"})
        copy = s3.get_object(Bucket=b, Key="hello-copy.txt")
        check(copy["Body"].read() == body and copy["Metadata"] == {"color": "blue"},
              "copy keeps bytes and metadata")
        s3.copy_object(Bucket=b, Key="hello-copy.txt", CopySource={"Bucket": b, "Key": "hello.txt"},
                       MetadataDirective="REPLACE", Metadata={"color": "red"},
                       ContentType="text/markdown")
        copy = s3.head_object(Bucket=b, Key="hello-copy.txt")
        check(copy["Metadata"] == {"color": "red"} and copy["ContentType"] == "text/markdown",
              f"REPLACE directive: {copy['Metadata']} {copy['ContentType']}")
        self.ok("copy (COPY and REPLACE metadata)")

    def multipart(self, b):
        s3 = self.s3
        part1, part2 = os.urandom(5 * MIB), os.urandom(1024)
        mpu = s3.create_multipart_upload(Bucket=b, Key="multi.bin", ContentType="application/x-test")
        uid = mpu["UploadId"]
        p1 = s3.upload_part(Bucket=b, Key="multi.bin", UploadId=uid, PartNumber=1, Body=part1)
        p2 = self.plain.upload_part(Bucket=b, Key="multi.bin", UploadId=uid, PartNumber=2, Body=part2)
        done = s3.complete_multipart_upload(
            Bucket=b, Key="multi.bin", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]},
                                       {"PartNumber": 2, "ETag": p2["ETag"]}]})
        check(done["ETag"].strip('"').endswith("-2"), f"multipart ETag {done['ETag']}")
        got = s3.get_object(Bucket=b, Key="multi.bin")
        data = got["Body"].read()
        check(data == part1 + part2, f"multipart object ({len(data)} bytes)")
        check(got["ContentType"] == "application/x-test", "multipart content type")
        mid = s3.get_object(Bucket=b, Key="multi.bin", Range=f"bytes={5 * MIB - 2}-{5 * MIB + 1}")
        check(mid["Body"].read() == part1[-2:] + part2[:2], "range across the part boundary")
        self.ok("multipart upload (5 MiB + 1 KiB), complete, ranged read across parts")

    def abort(self, b):
        s3 = self.s3
        lenient = b in self.args.lenient_conditions
        gone = s3.create_multipart_upload(Bucket=b, Key="aborted.bin")["UploadId"]
        s3.abort_multipart_upload(Bucket=b, Key="aborted.bin", UploadId=gone)
        status, code = error_of(lambda: s3.upload_part(Bucket=b, Key="aborted.bin", UploadId=gone,
                                                       PartNumber=1, Body=b"late"))
        # s3s-fs answers 403 AccessDenied for an upload it no longer knows.
        check((status, code) == (404, "NoSuchUpload") or (lenient and 400 <= status < 500),
              f"part after abort: {status} {code}")
        self.ok("abort multipart; NoSuchUpload after")

    def big(self, b):
        big = os.urandom(6 * MIB + 123)
        self.s3.put_object(Bucket=b, Key="big.bin", Body=big)
        got = self.s3.get_object(Bucket=b, Key="big.bin")["Body"].read()
        check(hashlib.sha256(got).digest() == hashlib.sha256(big).digest(), "6 MiB streamed round trip")
        self.ok("6 MiB single PUT and GET, streamed")

    def encoded(self, b):
        if b in self.args.skip_encoded:
            # Locally, miniflare's entry worker (between the client and the Worker) decodes a
            # gzip-labelled body the Worker got from fetch, and fails on one that is not gzip;
            # a bare workerd sends it byte for byte, as a deployed Worker does. The R2 buckets
            # check the Worker's side of this.
            print("  --  Content-Encoding: gzip through fetch skipped (decoded by the local runtime)")
            return
        gz = b"\x1f\x8b not really gzip " + os.urandom(100)
        self.plain.put_object(Bucket=b, Key="encoded.gz", Body=gz, ContentEncoding="gzip")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "encoded.gz"},
                                             ExpiresIn=300)
        request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            self.op("PresignedGet(gzip-labelled)", resp.status)
            check(resp.headers.get("Content-Encoding") == "gzip", "Content-Encoding kept")
            check(resp.read() == gz, "a gzip-labelled object crosses byte for byte")
        self.ok("Content-Encoding: gzip object crosses unchanged")

    def presigned(self, b):
        s3, body = self.s3, self.body
        url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "hello.txt"},
                                        ExpiresIn=300)
        with urllib.request.urlopen(url, timeout=60) as resp:
            self.op("PresignedGet", resp.status)
            check(resp.status == 200 and resp.read() == body, "presigned GET")
        tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        try:
            urllib.request.urlopen(tampered, timeout=60)
            raise Failed("a tampered presigned URL was accepted")
        except urllib.error.HTTPError as e:
            self.op("PresignedGet(tampered)", e.code)
            check(e.code == 403, f"tampered presigned URL: {e.code}")
        url = s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "presigned-put.txt"},
                                        ExpiresIn=300)
        put = urllib.request.Request(url, data=b"presigned body", method="PUT")
        with urllib.request.urlopen(put, timeout=60) as resp:
            self.op("PresignedPut", resp.status)
        check(s3.get_object(Bucket=b, Key="presigned-put.txt")["Body"].read() == b"presigned body",
              "presigned PUT stored the body")
        self.ok("presigned GET and PUT (and a tampered one refused)")

    def bad_signature(self, b):
        status, code = error_of(lambda: self.wrong.get_object(Bucket=b, Key="hello.txt"))
        check((status, code) == (403, "SignatureDoesNotMatch"), f"bad signature: {status} {code}")
        status, code = error_of(lambda: self.unknown.get_object(Bucket=b, Key="hello.txt"))
        check((status, code) == (403, "InvalidAccessKeyId"), f"unknown key: {status} {code}")
        self.ok("bad signature and unknown access key refused (403)")

    def access_denied(self, b):
        if not self.reader:
            print("  --  access denied skipped (no --reader-key)")
            return
        check(self.reader.get_object(Bucket=b, Key="hello.txt")["Body"].read() == self.body,
              "a read-only principal reads")
        status, code = error_of(lambda: self.reader.put_object(Bucket=b, Key="hello.txt", Body=b"no"))
        check((status, code) == (403, "AccessDenied"), f"read-only PUT: {status} {code}")
        status, code = error_of(lambda: self.reader.delete_object(Bucket=b, Key="hello.txt"))
        check((status, code) == (403, "AccessDenied"), f"read-only DELETE: {status} {code}")
        check(self.s3.get_object(Bucket=b, Key="hello.txt")["Body"].read() == self.body,
              "the object is unchanged")
        self.ok("a read-only principal reads, and its writes are AccessDenied")

    def missing(self, b):
        status, code = error_of(lambda: self.s3.get_object(Bucket=b, Key="no/such/key"))
        check((status, code) == (404, "NoSuchKey"), f"GET of a missing key: {status} {code}")
        status, _ = error_of(lambda: self.s3.head_object(Bucket=b, Key="no/such/key"))
        check(status == 404, f"HEAD of a missing key: {status}")
        status, code = error_of(lambda: self.s3.get_object(Bucket="not-configured", Key="x"))
        check((status, code) == (404, "NoSuchBucket"), f"an unconfigured bucket: {status} {code}")
        self.ok("missing key (404 NoSuchKey) and unconfigured bucket (404 NoSuchBucket)")

    def acl(self, b):
        status, code = error_of(lambda: self.s3.get_object_acl(Bucket=b, Key="hello.txt"))
        check((status, code) == (501, "NotImplemented"), f"?acl: {status} {code}")
        self.ok("?acl is NotImplemented (501)")

    def tagging(self, b):
        s3 = self.s3
        s3.put_object_tagging(Bucket=b, Key="hello.txt",
                              Tagging={"TagSet": [{"Key": "team", "Value": "blue"}]})
        tags = s3.get_object_tagging(Bucket=b, Key="hello.txt")["TagSet"]
        check(tags == [{"Key": "team", "Value": "blue"}], f"tags {tags}")
        s3.delete_object_tagging(Bucket=b, Key="hello.txt")
        tags = s3.get_object_tagging(Bucket=b, Key="hello.txt")["TagSet"]
        check(tags == [], f"tags after delete {tags}")
        self.ok("object tagging: put, get, delete")

    def too_large(self, b):
        size = self.args.max_upload + 1
        url = self.s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "huge.bin"},
                                             ExpiresIn=300)
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.putrequest("PUT", parts.path + "?" + parts.query, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        try:
            conn.send(b"\0" * size)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway may answer before reading the body
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
        conn.close()
        self.op("PresignedPut(too large)", resp.status, "EntityTooLarge" if "EntityTooLarge" in text else None)
        check(resp.status == 400 and "EntityTooLarge" in text,
              f"upload of {size} bytes over the {self.args.max_upload}-byte limit: {resp.status} {text}")
        status, _ = error_of(lambda: self.s3.head_object(Bucket=b, Key="huge.bin"))
        check(status == 404, "nothing was stored")
        self.ok("Content-Length above max_upload_bytes refused (EntityTooLarge)")

    def deletes(self, b):
        s3 = self.s3
        s3.delete_object(Bucket=b, Key="fresh.txt")
        status, _ = error_of(lambda: s3.head_object(Bucket=b, Key="fresh.txt"))
        check(status == 404, f"HEAD after DELETE: {status}")
        page_keys = [f"page/{i:02d}" for i in range(7)] + ["page/zz/x", "page/zz/y"]
        deleted = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in page_keys]})
        check(sorted(d["Key"] for d in deleted.get("Deleted", [])) == sorted(page_keys),
              f"DeleteObjects result {deleted.get('Deleted')}")
        left = s3.list_objects_v2(Bucket=b, Prefix="page/").get("KeyCount")
        check(left == 0, f"{left} keys left under page/")
        self.ok("delete and delete_objects")

    def cli(self, b):
        if not self.args.aws_cli:
            print("  --  the aws CLI is not installed")
            return
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.args.access_key,
                   AWS_SECRET_ACCESS_KEY=self.args.secret_key, AWS_DEFAULT_REGION=self.args.region,
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        base = [self.args.aws, "--endpoint-url", self.args.endpoint]
        data = os.urandom(200_000)
        src = os.path.join(self.args.workdir, "cli-upload.bin")
        with open(src, "wb") as f:
            f.write(data)
        def run(*a):
            done = subprocess.run(base + list(a), env=env, check=True, capture_output=True)
            self.op(f"aws {a[0]} {a[1]}", done.returncode)
            return done
        run("s3", "cp", src, f"s3://{b}/cli/upload.bin")
        listing = run("s3", "ls", f"s3://{b}/cli/").stdout.decode()
        check("upload.bin" in listing, f"aws s3 ls: {listing}")
        out = run("s3", "cp", f"s3://{b}/cli/upload.bin", "-").stdout
        check(out == data, "aws s3 cp back")
        run("s3", "rm", f"s3://{b}/cli/upload.bin")
        self.ok("aws CLI: s3 cp, ls, cp back, rm")

    # ------------------------------------------------------------- across buckets
    def across(self, buckets):
        s3 = self.s3
        print("across buckets", flush=True)
        for src in buckets:
            for dst in buckets:
                if src == dst:
                    continue
                s3.copy_object(Bucket=dst, Key=f"from-{src}.bin",
                               CopySource={"Bucket": src, "Key": "big.bin"})
                a = s3.get_object(Bucket=src, Key="big.bin")["Body"].read()
                c = s3.get_object(Bucket=dst, Key=f"from-{src}.bin")["Body"].read()
                check(a == c, f"copy {src} -> {dst}")
                self.ok(f"copy {src}/big.bin -> {dst} (6 MiB)")

    def r2_only(self, b):
        print(f"R2 specifics on {b}", flush=True)
        # s3s-fs keeps objects as files, so a key ending in `/` is for R2 only.
        self.s3.put_object(Bucket=b, Key="folder/", Body=b"")
        check(self.s3.head_object(Bucket=b, Key="folder/")["ContentLength"] == 0, "folder marker")
        listed = self.s3.list_objects_v2(Bucket=b, Prefix="folder/")
        check([o["Key"] for o in listed.get("Contents", [])] == ["folder/"], "folder marker listed")
        self.ok("a folder marker (empty object, key ending in /)")
        mpu = self.s3.create_multipart_upload(Bucket=b, Key="lp.bin")["UploadId"]
        status, code = error_of(lambda: self.s3.list_parts(Bucket=b, Key="lp.bin", UploadId=mpu))
        check((status, code) == (501, "NotImplemented"), f"ListParts on R2: {status} {code}")
        self.s3.abort_multipart_upload(Bucket=b, Key="lp.bin", UploadId=mpu)
        self.ok("ListParts is NotImplemented on R2 (501)")
        status, code = error_of(lambda: self.s3.put_object_tagging(
            Bucket=b, Key="folder/", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}))
        check((status, code) == (501, "NotImplemented"), f"PutObjectTagging on R2: {status} {code}")
        self.ok("object tagging is NotImplemented on R2 (501)")


def write_results(args, results):
    """One line per check and per operation, tab-separated (what xtask reads):
    `check<TAB>NAME<TAB>OUTCOME` then `op<TAB>NAME<TAB>OPERATION STATUS [CODE]` lines. Run-specific
    text (the endpoint, the work directory) is replaced, so two runtimes' lines compare."""
    def clean(text):
        text = str(text).replace(args.endpoint, "<endpoint>")
        if getattr(args, "workdir", None):
            text = text.replace(args.workdir, "<workdir>")
        return " ".join(text.split())
    with open(args.results, "w", encoding="utf-8") as f:
        for r in results:
            f.write(f"check\t{clean(r['check'])}\t{clean(r['outcome'])}\n")
            for op in r["ops"]:
                f.write(f"op\t{clean(r['check'])}\t{clean(op)}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--reader-key", help="a principal with read-only access to every bucket")
    p.add_argument("--reader-secret")
    p.add_argument("--bucket", action="append", required=True)
    p.add_argument("--r2-bucket", action="append", default=[])
    p.add_argument("--lenient-conditions", action="append", default=[],
                   help="buckets whose backend ignores If-Match and If-None-Match on GET (s3s-fs)")
    p.add_argument("--skip-encoded", action="append", default=[],
                   help="buckets whose gzip-labelled objects the local runtime decodes")
    p.add_argument("--skip", action="append", default=[],
                   help="a check not to run (CHECK, or BUCKET:CHECK for one bucket)")
    p.add_argument("--max-upload", type=int, required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--keep-going", action="store_true",
                   help="record a failed check and go on (for the runtime comparison)")
    p.add_argument("--results", help="write each check's outcome and operations here (JSON)")
    args = p.parse_args()
    # The aws CLI of this Python's environment (the project venv) first, else the one on PATH.
    beside = os.path.join(os.path.dirname(sys.executable), "aws")
    args.aws = beside if os.access(beside, os.X_OK) else shutil.which("aws")
    args.aws_cli = args.aws is not None
    signal.alarm(900)  # never hang a CI run
    smoke = Smoke(args)
    started = time.monotonic()
    code = 0
    try:
        for b in args.bucket:
            smoke.bucket(b)
        if len(args.bucket) > 1:
            smoke.across(args.bucket)
        for b in args.r2_bucket:
            smoke.r2_only(b)
    except (Failed, ClientError, AssertionError, OSError, subprocess.CalledProcessError) as e:
        detail = ""
        if isinstance(e, subprocess.CalledProcessError):
            detail = (e.stderr or b"").decode(errors="replace")
        print(f"FAILED: {type(e).__name__}: {e} {detail}", file=sys.stderr, flush=True)
        code = 1
    finally:
        if args.results:
            write_results(args, smoke.results)
    if code == 0:
        failed = sum(1 for r in smoke.results if r["outcome"] != "ok")
        print(f"{smoke.passed} checks passed, {failed} failed (recorded) in "
              f"{time.monotonic() - started:.1f}s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
