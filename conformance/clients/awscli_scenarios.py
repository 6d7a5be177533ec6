"""The aws CLI (v1) plays one conformance scenario against CONFORMANCE_ENDPOINT.

Usage: python3 awscli_scenarios.py <scenario>; the `aws` program is CONFORMANCE_AWS. Each step
runs `aws` as a user would (`aws s3 ...` and `aws s3api ...`). Exit status 3 means the
scenario does not apply to this client (nothing is recorded). The CLI runs with one
concurrent request and a 5 MiB multipart threshold, so its traffic is deterministic.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request

PATTERN = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ENDPOINT = os.environ["CONFORMANCE_ENDPOINT"]
B = os.environ["CONFORMANCE_BUCKET"]
AWS = os.environ.get("CONFORMANCE_AWS", "aws")
WORK = tempfile.mkdtemp(prefix="conformance-awscli-")
CONFIG = os.path.join(WORK, "config")
with open(CONFIG, "w") as f:
    f.write("[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = 1\n"
            "  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n  addressing_style = path\n"
            # `aws s3 presign` makes SigV2 URLs unless told otherwise; multistore takes SigV4 only.
            "  signature_version = s3v4\n")


def pattern(phase, length):
    reps = (phase + length) // len(PATTERN) + 2
    return (PATTERN * reps)[phase: phase + length]


def aws(*args, status=0, keys=None):
    env = dict(os.environ, AWS_CONFIG_FILE=CONFIG)
    if keys:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = keys
    done = subprocess.run([AWS, "--endpoint-url", ENDPOINT, *args], env=env, capture_output=True, text=True)
    if (done.returncode == 0) != (status == 0):
        raise SystemExit(f"aws {' '.join(args)}: exit {done.returncode}, wanted {'success' if status == 0 else 'failure'}\n{done.stderr}")
    return done.stdout


def file(name, body):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(body)
    return path


def objects():
    aws("s3api", "put-object", "--bucket", B, "--key", "docs/hello.txt", "--body", file("hello", b"hello, conformance\n"),
        "--content-type", "text/plain", "--cache-control", "max-age=60", "--content-disposition", "inline",
        "--metadata", "colour=blue,mixed-case=Value With Spaces")
    aws("s3api", "head-object", "--bucket", B, "--key", "docs/hello.txt")
    aws("s3", "cp", f"s3://{B}/docs/hello.txt", os.path.join(WORK, "out"))
    aws("s3api", "get-object", "--bucket", B, "--key", "docs/hello.txt", "--range", "bytes=7-17", os.path.join(WORK, "range"))
    aws("s3api", "get-object", "--bucket", B, "--key", "docs/missing.txt", os.path.join(WORK, "missing"), status=255)
    aws("s3", "rm", f"s3://{B}/docs/hello.txt")


def checksums():
    aws("s3api", "put-object", "--bucket", B, "--key", "sums/crc32.bin", "--body", file("crc", pattern(0, 100_000)),
        "--checksum-algorithm", "CRC32")
    aws("s3api", "put-object", "--bucket", B, "--key", "sums/sha256.txt", "--body", file("sha", b"checksummed text"),
        "--checksum-algorithm", "SHA256")
    aws("s3api", "get-object", "--bucket", B, "--key", "sums/crc32.bin", "--checksum-mode", "ENABLED", os.path.join(WORK, "o"))
    aws("s3api", "head-object", "--bucket", B, "--key", "sums/sha256.txt", "--checksum-mode", "ENABLED")


def multipart():
    aws("s3", "cp", file("big", pattern(0, 5 * 1024 * 1024 + 1024)), f"s3://{B}/big/multipart.bin")
    aws("s3api", "head-object", "--bucket", B, "--key", "big/multipart.bin")
    aws("s3", "cp", f"s3://{B}/big/multipart.bin", os.path.join(WORK, "big-back"))
    aws("s3api", "list-multipart-uploads", "--bucket", B)


def listing():
    for key in ["a/1.txt", "a/2.txt", "a/b/3.txt", "c/4.txt", "d.txt"]:
        aws("s3", "cp", file("k", key.encode()), f"s3://{B}/{key}")
    aws("s3api", "list-objects-v2", "--bucket", B, "--page-size", "2")
    aws("s3", "ls", f"s3://{B}/")
    aws("s3", "ls", f"s3://{B}/", "--recursive")
    aws("s3api", "list-objects", "--bucket", B, "--marker", "a/2.txt")


SPECIAL_KEYS = [
    "ünïcødé/日本語.txt",
    "spaces/a b  c.txt",
    "reserved/a+b=c&d;e,f:g@h$.txt",
    "percent/100%25 real%.txt",
    "unreserved/tilde~under_score-dash.dot",
    "quotes/it's (\"quoted\") [x] {y}.txt",
    "emoji/🎉.txt",
]


def special_keys():
    for key in SPECIAL_KEYS:
        aws("s3", "cp", file("k", key.encode()), f"s3://{B}/{key}")
    aws("s3", "ls", f"s3://{B}/", "--recursive")
    aws("s3api", "get-object", "--bucket", B, "--key", SPECIAL_KEYS[0], os.path.join(WORK, "o"))
    aws("s3", "sync", f"s3://{B}/", os.path.join(WORK, "sync"))


def buckets():
    aws("s3", "ls")
    aws("s3api", "head-bucket", "--bucket", B)
    aws("s3api", "get-bucket-location", "--bucket", B)
    aws("s3api", "get-bucket-cors", "--bucket", B, status=255)
    aws("s3", "cp", file("v", b"one"), f"s3://{B}/versions/v.txt")
    aws("s3api", "list-object-versions", "--bucket", B)


def conditional_writes():
    aws("s3api", "put-object", "--bucket", B, "--key", "cond/new.txt", "--body", file("c", b"first"), "--if-none-match", "*")
    aws("s3api", "put-object", "--bucket", B, "--key", "cond/new.txt", "--body", file("c", b"second"),
        "--if-none-match", "*", status=255)


def conditional_reads():
    key = ("--bucket", B, "--key", "cond/read.txt")
    out = os.path.join(WORK, "o")
    aws("s3api", "put-object", *key, "--body", file("c", b"conditional"))
    etag = json.loads(aws("s3api", "head-object", *key))["ETag"]
    aws("s3api", "get-object", *key, "--if-none-match", etag, out, status=255)  # 304
    aws("s3api", "get-object", *key, "--if-match", '"0123456789abcdef0123456789abcdef"', out, status=255)  # 412
    aws("s3api", "get-object", *key, "--if-match", etag, out)
    aws("s3api", "get-object", *key, "--if-modified-since", "2000-01-01T00:00:00Z", out)
    aws("s3api", "head-object", *key, "--if-modified-since", "2100-01-01T00:00:00Z", status=255)  # 304
    aws("s3api", "head-object", *key, "--if-unmodified-since", "2000-01-01T00:00:00Z", status=255)  # 412
    aws("s3api", "head-object", *key, "--if-none-match", '"0123456789abcdef0123456789abcdef"')


def tagging():
    aws("s3api", "put-object", "--bucket", B, "--key", "tags/t.txt", "--body", file("t", b"tagged"),
        "--tagging", "team=storage&tier=gold")
    aws("s3api", "get-object-tagging", "--bucket", B, "--key", "tags/t.txt")
    aws("s3api", "put-object-tagging", "--bucket", B, "--key", "tags/t.txt",
        "--tagging", "TagSet=[{Key=project,Value=multistore}]")
    aws("s3api", "delete-object-tagging", "--bucket", B, "--key", "tags/t.txt")


def delete_objects():
    for key in ["del/1", "del/2", "del/keep"]:
        aws("s3", "cp", file("d", b"x"), f"s3://{B}/{key}")
    aws("s3api", "delete-objects", "--bucket", B, "--delete", "Objects=[{Key=del/1},{Key=del/2},{Key=del/never-existed}]")
    aws("s3", "rm", f"s3://{B}/del/", "--recursive")


def copy():
    aws("s3", "cp", file("src", b"copy me"), f"s3://{B}/copy/src.txt", "--metadata", "origin=source")
    aws("s3", "cp", f"s3://{B}/copy/src.txt", f"s3://{B}/copy/same-meta.txt")
    aws("s3api", "copy-object", "--bucket", B, "--key", "copy/new-meta.txt", "--copy-source", f"{B}/copy/src.txt",
        "--metadata-directive", "REPLACE", "--metadata", "origin=replaced", "--content-type", "text/x-copied")
    aws("s3", "mv", f"s3://{B}/copy/same-meta.txt", f"s3://{B}/copy/moved.txt")


def presigned():
    aws("s3", "cp", file("p", b"presigned body"), f"s3://{B}/pre/get.txt")
    url = aws("s3", "presign", f"s3://{B}/pre/get.txt", "--expires-in", "900").strip()
    with urllib.request.urlopen(url) as response:
        response.read()


def auth_errors():
    aws("s3", "cp", file("a", b"alice's"), f"s3://{B}/alice/own.txt")
    aws("s3", "cp", file("p", b"not alice's"), f"s3://{B}/private/secret.txt")
    admin_key = os.environ["CONFORMANCE_ADMIN_KEY"]
    alice = (os.environ["CONFORMANCE_ALICE_KEY"], os.environ["CONFORMANCE_ALICE_SECRET"])
    aws("s3", "ls", f"s3://{B}/", keys=(admin_key, "not-the-secret"), status=1)
    aws("s3", "cp", f"s3://{B}/alice/own.txt", os.path.join(WORK, "o"), keys=alice)
    aws("s3", "cp", f"s3://{B}/private/secret.txt", os.path.join(WORK, "o"), keys=alice, status=1)


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
    sys.exit(SCENARIOS[sys.argv[1]]() or 0)
