"""boto3 plays one conformance scenario against CONFORMANCE_ENDPOINT (the recording proxy).

Usage: python3 boto3_scenarios.py <scenario>. The bucket and keys come from the environment
(see conformance/src/record.rs). Calls that are meant to fail are checked for their status
only: the reference's answer is what gets recorded.
"""

import os
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

PATTERN = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ENDPOINT = os.environ["CONFORMANCE_ENDPOINT"]
B = os.environ["CONFORMANCE_BUCKET"]
ADMIN = (os.environ["CONFORMANCE_ADMIN_KEY"], os.environ["CONFORMANCE_ADMIN_SECRET"])
ALICE = (os.environ["CONFORMANCE_ALICE_KEY"], os.environ["CONFORMANCE_ALICE_SECRET"])


def pattern(phase, length):
    """`length` bytes of PATTERN from `phase` (conformance/src/traffic.rs)."""
    reps = (phase + length) // len(PATTERN) + 2
    return (PATTERN * reps)[phase : phase + length]


def client(keys=ADMIN, **config):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


def fails(status, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        got = e.response["ResponseMetadata"]["HTTPStatusCode"]
        if got != status:
            raise SystemExit(f"{call.__name__}: {got}, expected {status}: {e}")
        return
    raise SystemExit(f"{call.__name__} succeeded; expected {status}")


def objects(s3):
    s3.put_object(Bucket=B, Key="docs/hello.txt", Body=b"hello, conformance\n", ContentType="text/plain",
                  CacheControl="max-age=60", ContentDisposition="inline",
                  Metadata={"colour": "blue", "mixed-case": "Value With Spaces"})
    s3.head_object(Bucket=B, Key="docs/hello.txt")
    s3.get_object(Bucket=B, Key="docs/hello.txt")["Body"].read()
    s3.get_object(Bucket=B, Key="docs/hello.txt", Range="bytes=7-17")["Body"].read()
    s3.get_object(Bucket=B, Key="docs/hello.txt", Range="bytes=-5")["Body"].read()
    fails(404, s3.get_object, Bucket=B, Key="docs/missing.txt")
    fails(404, s3.head_object, Bucket=B, Key="docs/missing.txt")
    s3.delete_object(Bucket=B, Key="docs/hello.txt")
    s3.delete_object(Bucket=B, Key="docs/hello.txt")


def checksums(s3):
    s3.put_object(Bucket=B, Key="sums/crc32.bin", Body=pattern(0, 100_000), ChecksumAlgorithm="CRC32")
    s3.put_object(Bucket=B, Key="sums/sha256.txt", Body=b"checksummed text", ChecksumAlgorithm="SHA256")
    s3.get_object(Bucket=B, Key="sums/crc32.bin", ChecksumMode="ENABLED")["Body"].read()
    s3.head_object(Bucket=B, Key="sums/sha256.txt", ChecksumMode="ENABLED")


def multipart(s3):
    key = "big/multipart.bin"
    up = s3.create_multipart_upload(Bucket=B, Key=key, ChecksumAlgorithm="CRC32",
                                    ContentType="application/octet-stream")
    uid = up["UploadId"]
    parts = []
    for number, body in [(1, pattern(0, 5 * 1024 * 1024)), (2, pattern(5 * 1024 * 1024, 1024))]:
        r = s3.upload_part(Bucket=B, Key=key, UploadId=uid, PartNumber=number, Body=body,
                           ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": number, "ETag": r["ETag"], "ChecksumCRC32": r.get("ChecksumCRC32")})
    s3.list_parts(Bucket=B, Key=key, UploadId=uid)
    s3.list_multipart_uploads(Bucket=B)
    parts = [{k: v for k, v in p.items() if v is not None} for p in parts]
    s3.complete_multipart_upload(Bucket=B, Key=key, UploadId=uid, MultipartUpload={"Parts": parts})
    s3.head_object(Bucket=B, Key=key)
    s3.get_object(Bucket=B, Key=key, Range="bytes=5242870-5242889")["Body"].read()
    aborted = s3.create_multipart_upload(Bucket=B, Key="big/aborted.bin")["UploadId"]
    s3.abort_multipart_upload(Bucket=B, Key="big/aborted.bin", UploadId=aborted)
    fails(404, s3.list_parts, Bucket=B, Key="big/aborted.bin", UploadId=aborted)


def listing(s3):
    for key in ["a/1.txt", "a/2.txt", "a/b/3.txt", "c/4.txt", "d.txt"]:
        s3.put_object(Bucket=B, Key=key, Body=key.encode())
    for _page in s3.get_paginator("list_objects_v2").paginate(Bucket=B, PaginationConfig={"PageSize": 2}):
        pass
    s3.list_objects_v2(Bucket=B, Delimiter="/")
    s3.list_objects_v2(Bucket=B, Prefix="a/", Delimiter="/")
    s3.list_objects_v2(Bucket=B, StartAfter="a/b", MaxKeys=10)
    s3.list_objects(Bucket=B, MaxKeys=2)
    s3.list_objects(Bucket=B, Marker="a/2.txt")
    s3.list_objects_v2(Bucket=B, EncodingType="url", Prefix="a/")


SPECIAL_KEYS = [
    "ünïcødé/日本語.txt",
    "spaces/a b  c.txt",
    "reserved/a+b=c&d;e,f:g@h$.txt",
    "percent/100%25 real%.txt",
    "unreserved/tilde~under_score-dash.dot",
    "quotes/it's (\"quoted\") [x] {y}.txt",
    "emoji/🎉.txt",
]


def special_keys(s3):
    for key in SPECIAL_KEYS:
        s3.put_object(Bucket=B, Key=key, Body=key.encode())
    for key in SPECIAL_KEYS:
        s3.get_object(Bucket=B, Key=key)["Body"].read()
    s3.list_objects_v2(Bucket=B)
    s3.list_objects_v2(Bucket=B, EncodingType="url")
    s3.list_objects(Bucket=B, EncodingType="url", Prefix="ünïcødé/")
    s3.head_object(Bucket=B, Key="ünïcødé/日本語.txt")


def buckets(s3):
    s3.list_buckets()
    s3.head_bucket(Bucket=B)
    fails(404, s3.head_bucket, Bucket="conformance-missing")
    s3.get_bucket_location(Bucket=B)
    try:  # us-east-1 answers 200 to re-creating a bucket its owner has (moto too); others 409
        s3.create_bucket(Bucket=B)
    except ClientError:
        pass
    fails(404, s3.get_bucket_cors, Bucket=B)
    s3.put_object(Bucket=B, Key="versions/v.txt", Body=b"one")
    s3.put_object(Bucket=B, Key="versions/v.txt", Body=b"two")
    s3.list_object_versions(Bucket=B, Prefix="versions/")
    s3.get_object_attributes(Bucket=B, Key="versions/v.txt", ObjectAttributes=["ETag", "ObjectSize"])


def conditional_writes(s3):
    s3.put_object(Bucket=B, Key="cond/new.txt", Body=b"first", IfNoneMatch="*")
    fails(412, s3.put_object, Bucket=B, Key="cond/new.txt", Body=b"second", IfNoneMatch="*")
    fails(412, s3.put_object, Bucket=B, Key="cond/new.txt", Body=b"third",
          IfMatch='"0123456789abcdef0123456789abcdef"')
    etag = s3.head_object(Bucket=B, Key="cond/new.txt")["ETag"]
    s3.put_object(Bucket=B, Key="cond/new.txt", Body=b"fourth", IfMatch=etag)
    s3.get_object(Bucket=B, Key="cond/new.txt")["Body"].read()


def conditional_reads(s3):
    s3.put_object(Bucket=B, Key="cond/read.txt", Body=b"conditional")
    etag = s3.head_object(Bucket=B, Key="cond/read.txt")["ETag"]
    fails(304, s3.get_object, Bucket=B, Key="cond/read.txt", IfNoneMatch=etag)
    fails(412, s3.get_object, Bucket=B, Key="cond/read.txt", IfMatch='"0123456789abcdef0123456789abcdef"')
    s3.get_object(Bucket=B, Key="cond/read.txt", IfMatch=etag)["Body"].read()
    import datetime
    future = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    fails(304, s3.head_object, Bucket=B, Key="cond/read.txt", IfModifiedSince=future)


def tagging(s3):
    s3.put_object(Bucket=B, Key="tags/t.txt", Body=b"tagged", Tagging="team=storage&tier=gold")
    s3.get_object_tagging(Bucket=B, Key="tags/t.txt")
    s3.put_object_tagging(Bucket=B, Key="tags/t.txt", Tagging={"TagSet": [
        {"Key": "project", "Value": "multistore"}, {"Key": "unicode", "Value": "ünï"}]})
    s3.get_object_tagging(Bucket=B, Key="tags/t.txt")
    s3.head_object(Bucket=B, Key="tags/t.txt")
    s3.delete_object_tagging(Bucket=B, Key="tags/t.txt")
    s3.get_object_tagging(Bucket=B, Key="tags/t.txt")


def delete_objects(s3):
    for key in ["del/1", "del/2", "del/keep"]:
        s3.put_object(Bucket=B, Key=key, Body=b"x")
    objects = [{"Key": k} for k in ["del/1", "del/2", "del/never-existed"]]
    s3.delete_objects(Bucket=B, Delete={"Objects": objects})
    s3.delete_objects(Bucket=B, Delete={"Objects": objects, "Quiet": True})
    s3.list_objects_v2(Bucket=B, Prefix="del/")


def copy(s3):
    s3.put_object(Bucket=B, Key="copy/src.txt", Body=b"copy me", Metadata={"origin": "source"})
    s3.copy_object(Bucket=B, Key="copy/same-meta.txt", CopySource={"Bucket": B, "Key": "copy/src.txt"})
    s3.copy_object(Bucket=B, Key="copy/new-meta.txt", CopySource={"Bucket": B, "Key": "copy/src.txt"},
                   MetadataDirective="REPLACE", Metadata={"origin": "replaced"}, ContentType="text/x-copied")
    s3.head_object(Bucket=B, Key="copy/same-meta.txt")
    s3.head_object(Bucket=B, Key="copy/new-meta.txt")
    fails(404, s3.copy_object, Bucket=B, Key="copy/x.txt", CopySource={"Bucket": B, "Key": "copy/missing.txt"})
    s3.put_object(Bucket=B, Key="copy/part-src.bin", Body=pattern(3, 6 * 1024 * 1024))
    uid = s3.create_multipart_upload(Bucket=B, Key="copy/assembled.bin")["UploadId"]
    part = s3.upload_part_copy(Bucket=B, Key="copy/assembled.bin", UploadId=uid, PartNumber=1,
                               CopySource={"Bucket": B, "Key": "copy/part-src.bin"},
                               CopySourceRange="bytes=0-5242879")
    s3.complete_multipart_upload(Bucket=B, Key="copy/assembled.bin", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
    s3.head_object(Bucket=B, Key="copy/assembled.bin")


def http(method, url, body=None):
    # urllib labels a body as a form unless told otherwise, and moto then drops it.
    headers = {"Content-Type": "application/octet-stream"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            response.read()
    except urllib.error.HTTPError as e:
        e.read()


def presigned(s3):
    # boto3 presigns with SigV2 unless told otherwise; multistore (like new S3 regions) takes
    # SigV4 only, so the URLs are made the way the boto3 documentation recommends.
    s3 = client(signature_version="s3v4")
    s3.put_object(Bucket=B, Key="pre/get.txt", Body=b"presigned body")
    http("GET", s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "pre/get.txt"}, ExpiresIn=900))
    http("PUT", s3.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "pre/put.txt"}, ExpiresIn=900),
         b"uploaded with a presigned URL")
    s3.get_object(Bucket=B, Key="pre/put.txt")["Body"].read()


def auth_errors(s3):
    s3.put_object(Bucket=B, Key="alice/own.txt", Body=b"alice's")
    s3.put_object(Bucket=B, Key="private/secret.txt", Body=b"not alice's")
    wrong = client((ADMIN[0], "not-the-secret"))
    fails(403, wrong.get_object, Bucket=B, Key="alice/own.txt")
    fails(403, wrong.put_object, Bucket=B, Key="alice/x.txt", Body=b"x")
    unknown = client(("AKIAUNKNOWNKEY000000", "whatever"))
    fails(403, unknown.list_objects_v2, Bucket=B)
    alice = client(ALICE)
    alice.get_object(Bucket=B, Key="alice/own.txt")["Body"].read()
    alice.put_object(Bucket=B, Key="alice/new.txt", Body=b"mine")
    fails(403, alice.get_object, Bucket=B, Key="private/secret.txt")
    fails(403, alice.put_object, Bucket=B, Key="private/new.txt", Body=b"x")
    fails(403, alice.delete_object, Bucket=B, Key="private/secret.txt")


SCENARIOS = {
    "objects": objects, "checksums": checksums, "multipart": multipart, "listing": listing,
    "special-keys": special_keys, "conditional-writes": conditional_writes,
    "conditional-reads": conditional_reads, "tagging": tagging, "delete-objects": delete_objects,
    "copy": copy, "presigned": presigned, "auth-errors": auth_errors, "buckets": buckets,
}
NOT_APPLICABLE = {"auth-signed-chunks"}  # hand-built signed chunks: the Rust client only

if __name__ == "__main__":
    if sys.argv[1] in NOT_APPLICABLE:
        sys.exit(3)
    SCENARIOS[sys.argv[1]](client())
