#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/seeds/<target>/, and the
dictionaries into fuzz/dicts/<target>.dict.

Run from anywhere: `python3 fuzz/seeds/make.py`. The seeds are hand-made from what real clients
send: the request lines and headers follow the boto3/aws-cli captures of
core/tests/router_table/, the XML bodies are the AWS API reference examples of
core/tests/golden/, the configurations come from docs/config.md's shapes, the keys from the
key contract's adversarial corpus. The request targets also get the recorded SDK requests of
conformance/traffic/ (boto3, the aws CLI, the JS SDK v3, aws-sdk-rust): one seed per distinct
operation of each client, bodies cut to 4 KiB. Re-running rewrites the same files.
"""

import hashlib
import json
import pathlib
import re
import shutil

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOLDEN = ROOT / "core/tests/golden"
TRAFFIC = ROOT / "conformance/traffic"
#: The most body bytes a traffic seed keeps (the fuzzers cut long inputs anyway).
TRAFFIC_BODY_LIMIT = 4096
MARKER = b"\n=====\n"
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def golden(name):
    return (GOLDEN / name).read_bytes()


def request(method, target, headers=(), body=b"", host="127.0.0.1:8080", backend=None):
    """The text form of fuzz/src/http_text.rs, without the control byte."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers]
    out = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    if backend is not None:
        out += MARKER + backend
    return out


def sha(body):
    return ("x-amz-content-sha256", hashlib.sha256(body).hexdigest())


TAGGING = b"<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>"
CORS = (b"<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>"
        b"<AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader>"
        b"<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>")
CREATE = (b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
          b"<LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>")
STS = (b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
       b"123456789012%3Arole%2Fci&RoleSessionName=s&WebIdentityToken="
       b"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwOi8vaWRwLnRlc3QiLCJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSIsInN1YiI6InJlcG86b3JnL2FwcCIsImV4cCI6MTcwMDAwMDYwMH0.c2ln")

REQUESTS = {
    "list_buckets": request("GET", "/"),
    "list_v2": request("GET", "/pre?list-type=2&prefix=home%2Fbob%2F&delimiter=%2F&encoding-type=url",
                       backend=golden("list_objects_v2_delimiter.xml")),
    "list_v2_continuation": request("GET", "/pre?list-type=2&continuation-token=abc&start-after=home%2Fbob%2Fa",
                                    backend=golden("list_objects_v2_continuation.xml")),
    "list_v1": request("GET", "/pre?prefix=home%2Fbob%2F&encoding-type=url",
                       backend=golden("list_objects_v1_owner.xml")),
    "list_versions": request("GET", "/pre?versions&prefix=home%2Fbob%2F&encoding-type=url"),
    "list_error_answer": request("GET", "/pre?list-type=2&prefix=home%2Fbob%2F",
                                 backend=golden("error_no_such_key.xml")),
    "get_range": request("GET", "/pre/home/bob/a.txt", [("Range", "bytes=0-9"), sha(b"")]),
    "get_virtual": request("GET", "/home/bob/a%20b%2Bc.txt", [sha(b"")], host="pre.s3.test"),
    "get_public": request("GET", "/pub/readme.txt"),
    "head": request("HEAD", "/pre/home/bob/a.txt", [("If-None-Match", '"abc"')]),
    "put": request("PUT", "/pre/home/bob/a.txt",
                   [("Content-Type", "text/plain"), ("Content-Length", "5"), sha(b"hello"),
                    ("x-amz-checksum-crc32", "NhCmhg=="), ("x-amz-sdk-checksum-algorithm", "CRC32"),
                    ("x-amz-meta-owner", "bob")], b"hello"),
    "put_streaming_signed": request(
        "PUT", "/pre/home/bob/s.bin",
        [("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "11"),
         ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")], b"hello world"),
    "put_streaming_trailer": request(
        "PUT", "/pre/home/bob/t.bin",
        [("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "5"),
         ("x-amz-trailer", "x-amz-checksum-crc32"),
         ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")], b"hello"),
    "put_streaming_signed_trailer": request(
        "PUT", "/pre/home/bob/u.bin",
        [("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "5"),
         ("x-amz-trailer", "x-amz-checksum-crc32"),
         ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")], b"hello"),
    "delete_objects": request("POST", "/pre?delete",
                              [("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), sha(golden("delete_objects_request.xml"))],
                              golden("delete_objects_request.xml"), backend=golden("delete_result_mixed.xml")),
    "delete_objects_quiet": request("POST", "/pre?delete", [sha(golden("delete_objects_request_quiet.xml"))],
                                    golden("delete_objects_request_quiet.xml")),
    "create_multipart": request("POST", "/pre/home/bob/big.bin?uploads", [("Content-Type", "application/octet-stream")],
                                backend=golden("initiate_multipart_upload.xml")),
    "upload_part": request("PUT", "/pre/home/bob/big.bin?partNumber=1&uploadId=X", [sha(b"part")], b"part"),
    "upload_part_copy": request("PUT", "/pre/home/bob/big.bin?partNumber=2&uploadId=X",
                                [("x-amz-copy-source", "/pre/home/bob/a.txt"),
                                 ("x-amz-copy-source-range", "bytes=0-4")]),
    "complete_multipart": request("POST", "/pre/home/bob/big.bin?uploadId=X",
                                  [sha(golden("complete_multipart_upload_request.xml"))],
                                  golden("complete_multipart_upload_request.xml"),
                                  backend=golden("complete_multipart_upload_result.xml")),
    "complete_multipart_error_in_200": request("POST", "/pre/home/bob/big.bin?uploadId=X",
                                               [sha(golden("complete_multipart_upload_request.xml"))],
                                               golden("complete_multipart_upload_request.xml"),
                                               backend=golden("error_internal_in_200.xml")),
    "list_parts": request("GET", "/pre/home/bob/big.bin?uploadId=X&max-parts=2"),
    "list_uploads": request("GET", "/pre?uploads&prefix=home%2Fbob%2F"),
    "abort_multipart": request("DELETE", "/pre/home/bob/big.bin?uploadId=X"),
    "put_tagging": request("PUT", "/pre/home/bob/a.txt?tagging", [sha(TAGGING)], TAGGING),
    "get_tagging": request("GET", "/pre/home/bob/a.txt?tagging"),
    "put_cors": request("PUT", "/pre?cors", [sha(CORS)], CORS),
    "get_cors": request("GET", "/pre?cors"),
    "preflight": request("OPTIONS", "/pre/home/bob/a.txt",
                         [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "PUT"),
                          ("Access-Control-Request-Headers", "content-type,x-amz-meta-a")]),
    "copy": request("PUT", "/pre/home/bob/b.txt", [("x-amz-copy-source", "/pre/home/bob/a.txt"),
                                                   ("x-amz-metadata-directive", "COPY")],
                    backend=golden("copy_object_result.xml")),
    "copy_across_backends": request("PUT", "/mem/copy.txt", [("x-amz-copy-source", "pre/home/bob/a.txt?versionId=v1")]),
    "get_attributes": request("GET", "/pre/home/bob/a.txt?attributes", [("x-amz-object-attributes", "ETag,ObjectSize")]),
    "location": request("GET", "/pre?location"),
    "delete": request("DELETE", "/pre/home/bob/a.txt"),
    "create_bucket": request("PUT", "/newbucket", [sha(CREATE)], CREATE),
    "sts": request("POST", "/.sts", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], STS,
                   backend=b'{"issuer":"http://idp.test","jwks_uri":"http://idp.test/jwks"}'),
    "sts_jwks": request("POST", "/.sts", [("Content-Type", "application/x-www-form-urlencoded")], STS,
                        backend=b'{"keys":[{"kty":"RSA","kid":"k","alg":"RS256","n":"AQAB","e":"AQAB"}]}'),
}


def write(target, name, data):
    d = HERE / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def requests():
    for name, data in REQUESTS.items():
        # gateway_request: '1' alice and '2' bob sign with header auth, '3'/'4' presign, '0' as sent.
        for control in "12":
            write("gateway_request", f"{name}-{control}", control.encode() + data)
        write("s3_bindings", name, b"0" + data)
    for name in ["get_range", "put", "list_v2", "delete_objects", "get_public", "sts", "sts_jwks"]:
        for control in "034":
            write("gateway_request", f"{name}-{control}", control.encode() + data_of(name))
    # sigv4_auth: '0' verifies as sent, '1' signs with header auth, '2' presigns.
    for name in ["get_range", "put", "list_v2", "put_streaming_signed", "get_virtual", "sts"]:
        for control in "12":
            write("sigv4_auth", f"{name}-{control}", control.encode() + data_of(name))
    # The documented examples of the S3 API reference, as sent (sigv4_vectors.rs).
    auth = ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    write("sigv4_auth", "aws_get_range-0", b"0" + request(
        "GET", "/test.txt", [("Range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY_SHA),
                             ("x-amz-date", "20130524T000000Z"), ("Authorization", auth)],
        host="examplebucket.s3.amazonaws.com"))
    presigned = ("/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                 "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    write("sigv4_auth", "aws_presigned-0", b"0" + request(
        "GET", presigned, host="examplebucket.s3.amazonaws.com"))
    write("sigv4_auth", "region_offset-1", b"1" + request(
        "GET", "/b/k", [("x-fuzz-region", "eu-west-3"), ("x-fuzz-offset", "86399"),
                        ("x-amz-security-token", "tok"), ("x-amz-meta-a", "a  b")]))



def unescape_body_line(line):
    """A traffic body line's bytes (`\\`, `\\r`, `\\n`, `\\t`, `\\xNN` escapes)."""
    out = bytearray()
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            n = line[i + 1]
            if n == "x" and i + 3 < len(line):
                out.append(int(line[i + 2:i + 4], 16))
                i += 4
                continue
            out += {"\\": b"\\", "r": b"\r", "n": b"\n", "t": b"\t"}.get(n, n.encode())
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


def pattern(phase, length):
    """The `|@pattern` bodies of the traffic files: the 62-character alphabet from `phase`."""
    alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    length = min(length, TRAFFIC_BODY_LIMIT)
    return bytes(alphabet[(phase + i) % 62] for i in range(length))


def traffic_requests():
    """(name, request bytes) for each distinct operation of each recorded client."""
    seen = set()
    for path in sorted(TRAFFIC.glob("*/*.txt")):
        client = path.parent.name
        exchanges = path.read_text(encoding="utf-8").split("\n=== ")[1:]
        for exchange in exchanges:
            label = exchange.split("\n", 1)[0].split()
            operation = label[1] if len(label) > 1 else "request"
            if (client, operation) in seen:
                continue
            seen.add((client, operation))
            head, body = [], b""
            for line in exchange.split("\n")[1:]:
                if line.startswith("> "):
                    head.append(line[2:])
                elif line.startswith("|@pattern "):
                    _, phase, length = line.split()
                    body += pattern(int(phase), int(length))
                elif line.startswith("| "):
                    body += unescape_body_line(line[2:])
                elif line.startswith("<"):
                    break
            if not head:
                continue
            data = ("\r\n".join(head).rstrip() + "\r\n\r\n").encode() + body[:TRAFFIC_BODY_LIMIT]
            name = re.sub(r"[^A-Za-z0-9_-]", "_", f"traffic-{client}-{operation}")
            yield name, data


def traffic():
    # '0': as sent (old signatures: the refusal paths); '1': re-signed by alice (the served paths).
    for name, data in traffic_requests():
        write("s3_bindings", name, b"0" + data)
        write("sigv4_auth", f"{name}-0", b"0" + data)
        for control in "01":
            write("gateway_request", f"{name}-{control}", control.encode() + data)

def data_of(name):
    return REQUESTS[name]


def chunked():
    write("chunked_decode", "unsigned_raw", b"u\x05r\x00" + b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")
    write("chunked_decode", "unsigned_raw_bad_size", b"u\x01r\x00" + b"zz\r\nhello\r\n0\r\n\r\n")
    for mode in b"ust":
        write("chunked_decode", f"framed_{chr(mode)}", bytes([mode, 3, ord("f"), 0]) + b"hello world, in chunks"
              + b"\n--\nx-amz-checksum-crc32:NhCmhg==\nx-amz-checksum-sha256:abc=")
        write("chunked_decode", f"framed_flip_{chr(mode)}", bytes([mode, 1, ord("f"), 77]) + b"0123456789" * 5)
    sig = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
    write("chunked_decode", "signed_raw_documented", b"s\x10r\x00" + (
        f"10000;chunk-signature={sig}\r\n").encode() + b"a" * 64 + b"\r\n")


def config():
    full = (ROOT / "core/tests/config_load.rs").read_text()
    # The TOML example of config_load.rs sits in its first raw string.
    start = full.find('r#"')
    end = full.find('"#', start)
    toml = full[start + 3:end] if start >= 0 else ""
    write("config_load", "full.toml", b"t" + toml.encode())
    write("config_load", "minimal.toml", b"t" + b'[[buckets]]\nname = "mem"\nbackend = { type = "memory" }\n')
    write("config_load", "minimal.json", b"j" + json.dumps({
        "server": {"region": "us-east-1", "virtual_host_domains": ["s3.test"]},
        "buckets": [{"name": "mem", "backend": {"type": "memory", "prefix": "p/"},
                     "cors": [{"allowed_origins": ["*"], "allowed_methods": ["GET"]}]}],
        "credentials": [{"access_key_id": "AKIA0000000000000000", "secret_access_key": "s",
                         "principal": "p", "scopes": [{"bucket": "mem", "prefixes": ["a/"],
                                                       "actions": ["read"]}]}],
    }).encode())
    for path in (ROOT / "docs").glob("*.md"):
        text = path.read_text()
        for i, block in enumerate(text.split("```toml")[1:]):
            write("config_load", f"{path.stem}-{i}.toml", b"t" + block.split("```")[0].encode())


def identity():
    case = {
        "claims": {"iss": "https://token.actions.githubusercontent.com", "aud": ["sts.amazonaws.com"],
                   "sub": "repo:octo-org/octo-repo:ref:refs/heads/main", "exp": 1700000600,
                   "iat": 1699999990, "nbf": 1699999990, "repository_owner": "octo-org"},
        "role": {"name": "ci", "trusted_issuers": ["https://token.actions.githubusercontent.com"],
                 "audiences": ["sts.amazonaws.com"], "subject": "repo:octo-org/*",
                 "conditions": {"repository_owner": "octo-*"},
                 "scopes": [{"bucket": "ci-{repository_owner}", "prefixes": ["{sub}/", "shared/"],
                             "actions": ["read", "write"]}]},
        "issuer": "https://token.actions.githubusercontent.com",
        "now": 1700000000,
    }
    write("identity_claims", "github_actions.json", json.dumps(case, indent=1).encode())
    case["claims"]["sub"] = "../{repository_owner}/*"
    case["role"]["subject"] = "*"
    write("identity_claims", "hostile_sub.json", json.dumps(case).encode())
    case["claims"]["exp"] = 1699999000.5
    case["claims"]["aud"] = "sts.amazonaws.com"
    write("identity_claims", "expired.json", json.dumps(case).encode())


def keys():
    corpus = ["photos/2024/a.jpg", "..", ".", "a/../b", "%2F", "a+b=c%d~e#f?g", " leading",
              "emoji 😀/🦀", "rtl\u202eoverride", "tab\there", "line\nfeed", "<xml>&amp;",
              ".multistore/x", "a/", "/leading", "ü" * 400 + "k" * 224, "x%41y", "a%2", "%zz"]
    for i, key in enumerate(corpus):
        write("key_paths", f"key-{i:02}", key.encode())
    write("key_paths", "path-dirs", b"abc+/def")


def xml():
    shutil.rmtree(HERE / "xml_document", ignore_errors=True)
    # xml_bodies: the first byte picks the reader (S3Operation::ALL order, then the body
    # readers, then the error document, the STS response and the STS error), see fuzz/src/xml.rs.
    outputs = ["ListBuckets", "HeadBucket", "GetBucketLocation", "CreateBucket", "DeleteBucket",
               "ListObjects", "ListObjectsV2", "ListObjectVersions", "GetObject", "HeadObject",
               "PutObject", "CopyObject", "DeleteObject", "DeleteObjects", "GetObjectAttributes",
               "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
               "AbortMultipartUpload", "ListParts", "ListMultipartUploads", "GetObjectTagging",
               "PutObjectTagging", "DeleteObjectTagging", "GetBucketCors", "PutBucketCors",
               "DeleteBucketCors"]
    op = {name: i for i, name in enumerate(outputs)}
    inputs = {"CreateBucket": 0, "DeleteObjects": 1, "CompleteMultipartUpload": 2, "PutObjectTagging": 3,
              "PutBucketCors": 4}
    base = len(outputs)
    out = [("ListBuckets", "list_buckets_classic.xml"), ("ListBuckets", "list_buckets_paginated.xml"),
           ("ListObjects", "list_objects_v1_owner.xml"), ("ListObjectsV2", "list_objects_v2_delimiter.xml"),
           ("ListObjectsV2", "list_objects_v2_common_prefixes.xml"),
           ("ListObjectsV2", "list_objects_v2_continuation.xml"),
           ("ListObjectsV2", "list_objects_v2_start_after.xml"), ("CopyObject", "copy_object_result.xml"),
           ("CopyObject", "copy_object_result_no_offset.xml"), ("DeleteObjects", "delete_result_mixed.xml"),
           ("DeleteObjects", "delete_result_delete_marker.xml"),
           ("CreateMultipartUpload", "initiate_multipart_upload.xml"),
           ("CompleteMultipartUpload", "complete_multipart_upload_result.xml")]
    for name, file in out:
        write("xml_bodies", f"out-{name}-{file}", bytes([op[name]]) + golden(file))
    extra_out = {
        "ListObjectVersions": b'<ListVersionsResult><Name>b</Name><Prefix>p/</Prefix><KeyMarker></KeyMarker>'
                              b'<MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><NextKeyMarker>p/b</NextKeyMarker>'
                              b'<Version><Key>p/a</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest>'
                              b'<LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"e"</ETag><Size>3</Size>'
                              b'<StorageClass>STANDARD</StorageClass></Version><DeleteMarker><Key>p/b</Key>'
                              b'<VersionId>v2</VersionId><IsLatest>false</IsLatest>'
                              b'<LastModified>2024-01-01T00:00:00Z</LastModified></DeleteMarker></ListVersionsResult>',
        "ListParts": b'<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>X</UploadId>'
                     b'<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker>'
                     b'<MaxParts>1</MaxParts><IsTruncated>true</IsTruncated><Part><PartNumber>1</PartNumber>'
                     b'<LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"e"</ETag><Size>5</Size>'
                     b'<ChecksumCRC32>NhCmhg==</ChecksumCRC32></Part><StorageClass>STANDARD</StorageClass>'
                     b'</ListPartsResult>',
        "ListMultipartUploads": b'<ListMultipartUploadsResult><Bucket>b</Bucket><KeyMarker></KeyMarker>'
                                b'<UploadIdMarker></UploadIdMarker><MaxUploads>10</MaxUploads>'
                                b'<IsTruncated>false</IsTruncated><Upload><Key>k</Key><UploadId>X</UploadId>'
                                b'<Initiated>2024-01-01T00:00:00.000Z</Initiated></Upload>'
                                b'<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListMultipartUploadsResult>',
        "GetObjectTagging": TAGGING,
        "GetBucketCors": CORS,
        "GetBucketLocation": b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>',
        "GetObjectAttributes": b'<GetObjectAttributesResponse><ETag>e</ETag><ObjectSize>5</ObjectSize>'
                               b'<ObjectParts><TotalPartsCount>1</TotalPartsCount><Part><PartNumber>1</PartNumber>'
                               b'<Size>5</Size></Part></ObjectParts></GetObjectAttributesResponse>',
        "UploadPartCopy": b'<CopyPartResult><ETag>"e"</ETag><LastModified>2024-01-01T00:00:00.000Z</LastModified></CopyPartResult>',
    }
    for name, body in extra_out.items():
        write("xml_bodies", f"out-{name}", bytes([op[name]]) + body)
    ins = [("CreateBucket", CREATE), ("DeleteObjects", golden("delete_objects_request.xml")),
           ("DeleteObjects", golden("delete_objects_request_quiet.xml")),
           ("DeleteObjects", golden("delete_objects_request_carriage_return.xml")),
           ("CompleteMultipartUpload", golden("complete_multipart_upload_request.xml")),
           ("PutObjectTagging", TAGGING), ("PutBucketCors", CORS)]
    for i, (name, body) in enumerate(ins):
        write("xml_bodies", f"in-{name}-{i}", bytes([base + inputs[name]]) + body)
    for file in ["error_access_denied.xml", "error_no_such_key.xml", "error_malformed_xml.xml",
                 "error_internal_in_200.xml"]:
        write("xml_bodies", f"error-{file}", bytes([base + len(inputs)]) + golden(file))
    write("xml_bodies", "sts-response", bytes([base + len(inputs) + 1])
          + golden("sts_assume_role_with_web_identity.xml"))
    write("xml_bodies", "sts-error", bytes([base + len(inputs) + 2])
          + b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            b'<Code>InvalidIdentityToken</Code><Message>bad token</Message></Error>'
            b'<RequestId>r-1</RequestId></ErrorResponse>')
    # xml_document: every golden document as it is.
    for path in sorted(GOLDEN.glob("*.xml")):
        write("xml_document", path.name, path.read_bytes())


def dict_entry(token):
    out = ""
    for b in token.encode():
        if b in (0x22, 0x5C) or b < 0x20 or b > 0x7E:
            out += f"\\x{b:02X}"
        else:
            out += chr(b)
    return f'"{out}"'


def dictionaries():
    import re
    generated = ROOT / "core/src/generated"
    router = (generated / "router.rs").read_text()
    known = router[router.index("KNOWN_QUERY_KEYS"):]
    query_keys = re.findall(r'"([a-z0-9-]+)"', known[:known.index("];")])
    headers = sorted(set(re.findall(r'from_static\("([a-z0-9-]+)"\)', (generated / "headers.rs").read_text())))
    xml_names = sorted(set(re.findall(r'"([A-Z][A-Za-z0-9]+)"', (generated / "xml.rs").read_text())))
    http = (["GET ", "PUT ", "POST ", "HEAD ", "DELETE ", "OPTIONS ", " HTTP/1.1\r\n", "\r\n", ": ",
             "Host: ", "127.0.0.1:8080", ".s3.test", "/pre/", "/pub/", "/mem/", "home/bob/", "?", "&", "=",
             "%2F", "%", "+", "..", "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
             "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
             "aws-chunked", "bytes=0-", "AWS4-HMAC-SHA256", "Credential=", "SignedHeaders=", "Signature=",
             "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
             "X-Amz-Signature", "X-Amz-Security-Token", "/aws4_request", "20130524T000000Z",
             "authorization", "origin", "access-control-request-method", "x-amz-date", "x-fuzz-region",
             "x-fuzz-offset", "\n=====\n", "x-id"]
            + query_keys + headers + [f"<{n}>" for n in xml_names])
    xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"",
           "</", "/>", "<![CDATA[", "]]>", "&amp;", "&#x", "&lt;", "<!DOCTYPE", "<!--", "-->", "true", "false",
           "2024-01-01T00:00:00.000Z"] + [f"<{n}>" for n in xml_names] + [f"</{n}>" for n in xml_names]
    config = ["[server]", "[[buckets]]", "[[credentials]]", "[[credentials.scopes]]", "[[roles]]",
              "[[buckets.cors]]", "[limits]", "name", "backend", "type", "\"memory\"", "\"s3\"",
              "\"directory\"", "endpoint", "prefix", "prefixes", "bucket", "actions", "\"all\"", "\"read\"",
              "access_key_id", "secret_access_key", "principal", "anonymous_read", "addressing", "\"virtual\"",
              "auth", "\"oidc\"", "\"anonymous\"", "role_arn", "region", "virtual_host_domains",
              "trusted_issuers", "audiences", "subject", "conditions", "scopes", "{ env = ", "{sub}", "*",
              "allowed_origins", "allowed_methods", "session_keys", "oidc_keys", "= ", "\"", "\n"]
    identity = ["\"claims\"", "\"role\"", "\"issuer\"", "\"now\"", "\"iss\"", "\"aud\"", "\"sub\"",
                "\"exp\"", "\"nbf\"", "\"iat\"", "\"name\"", "\"trusted_issuers\"", "\"audiences\"",
                "\"subject\"", "\"conditions\"", "\"scopes\"", "\"bucket\"", "\"prefixes\"", "\"actions\"",
                "{", "}", "*", "..", "/", "\\", "\\u0000", "1e400", "-1", "9223372036854775807"]
    chunked = [";chunk-signature=", "\r\n", "0\r\n", "x-amz-trailer-signature:", "x-amz-checksum-crc32:",
               "\n--\n", "ffffffff"]
    keys = ["%", "%2E", "%2F", "+", ".", "..", "/", "\\", "\x00", "ü", "\u202e"]
    tokens = ["eyJ", ".", "\n", '"keys"', '"kty"', '"RSA"', '"EC"', '"oct"', '"OKP"', '"kid"', '"alg"',
              '"RS256"', '"ES256"', '"HS256"', '"EdDSA"', '"none"', '"n"', '"e"', '"crv"', '"P-256"', '"x"', '"y"',
              '"use"', '"sig"']
    tables = {"tokens": tokens, "gateway_request": http, "s3_bindings": http, "sigv4_auth": http, "xml_bodies": xml,
              "xml_document": xml, "config_load": config, "identity_claims": identity,
              "chunked_decode": chunked, "key_paths": keys}
    d = HERE.parent / "dicts"
    d.mkdir(exist_ok=True)
    for target, tokens in tables.items():
        seen = []
        for t in tokens:
            if t and t not in seen:
                seen.append(t)
        text = f"# {target}: written by fuzz/seeds/make.py\n" + "".join(dict_entry(t) + "\n" for t in seen)
        (d / f"{target}.dict").write_text(text)


def tokens():
    jwt = ("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwOi8vaWRwLnRlc3QiLCJhdWQiOiJzdHMuYW1hem9u"
           "YXdzLmNvbSIsInN1YiI6InJlcG86b3JnL2FwcCIsImV4cCI6MTcwMDAwMDYwMH0.c2ln")
    write("tokens", "jwt_rsa", (jwt + "\n").encode()
          + b'{"keys":[{"kty":"RSA","kid":"k","alg":"RS256","use":"sig","n":"sXch","e":"AQAB"}]}')
    hs = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImgifQ.eyJpc3MiOiJodHRwOi8vaWRwLnRlc3QifQ.c2ln"
    write("tokens", "jwt_hmac_confusion", (hs + "\n").encode()
          + b'{"keys":[{"kty":"oct","kid":"h","alg":"HS256","k":"c2VjcmV0"}]}')
    write("tokens", "jwt_none", b"eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.\n{}")
    write("tokens", "jwt_es256", ("eyJhbGciOiJFUzI1NiIsImtpZCI6ImUifQ.e30.c2ln\n").encode()
          + b'{"keys":[{"kty":"EC","kid":"e","crv":"P-256","x":"AAAA","y":"AAAA"}]}')
    import base64
    raw = b"\x02k1" + b"\x00" * 12 + b"\x01" * 40
    write("tokens", "session_shape", b"MST1." + base64.urlsafe_b64encode(raw).rstrip(b"="))


def main():
    for target in ["gateway_request", "s3_bindings", "sigv4_auth", "chunked_decode", "config_load",
                   "identity_claims", "key_paths", "tokens", "xml_bodies", "xml_document"]:
        shutil.rmtree(HERE / target, ignore_errors=True)
    requests()
    traffic()
    chunked()
    config()
    identity()
    keys()
    xml()
    tokens()
    dictionaries()


if __name__ == "__main__":
    main()
