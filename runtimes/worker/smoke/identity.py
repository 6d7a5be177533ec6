#!/usr/bin/env python3
"""STS and OIDC through a running gateway (the Worker or the native binary), run by
`cargo xtask worker smoke` and `cargo xtask worker compare`.

It serves a local OIDC identity provider (discovery + JWKS over http on --issuer-port, the
keys from core/tests/keys), mints RS256 tokens with it, and drives unmodified boto3 clients:
AssumeRoleWithWebIdentity through the sts client (and through `sts_path`) and through the
SDK's web-identity credential provider; S3 with the temporary credentials inside and outside
their scope; a tampered session token; expired, wrong-audience, untrusted, `alg: none` and
HS256 tokens; an unknown role. The gateway fetches the JWKS once and then caches it for the
isolate (checked with the provider's hit counter). Finally the gateway's own OIDC discovery
document and JWKS (it is an issuer too, with the key --gateway-key).

The gateway's configuration must match: see `identity_config` in xtask/src/worker/smoke.rs.
Each step prints `ok  NAME` and records `op -> outcome`; --results writes them in the format
of smoke.py's write_results.
"""

import argparse
import base64
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ROLE_ARN = "arn:aws:iam::123456789012:role/ci"
REGION = "us-east-1"
CFG = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"})


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n):
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Idp:
    """A local OIDC provider: discovery, a JWKS of the named keys, a JWKS hit counter."""

    def __init__(self, port, keys_dir, names):
        self.issuer = f"http://127.0.0.1:{port}"
        self.keys = {}
        for name in names:
            with open(os.path.join(keys_dir, f"{name}.pem"), "rb") as f:
                self.keys[name] = serialization.load_pem_private_key(f.read(), password=None)
        self.hits = 0
        idp = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive with a Content-Length, as real issuers answer.
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": idp.issuer, "jwks_uri": f"{idp.issuer}/keys.json"}
                elif self.path == "/keys.json":
                    idp.hits += 1
                    body = {"keys": [idp.jwk(n) for n in idp.keys]}
                else:
                    body = {}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def jwk(self, name):
        numbers = self.keys[name].public_key().public_numbers()
        return {"kty": "RSA", "kid": name, "use": "sig", "alg": "RS256",
                "n": uint(numbers.n), "e": uint(numbers.e)}

    def token(self, key="rsa1", alg="RS256", **edit):
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": "sts.amazonaws.com", "sub": "repo:org/app",
                  "exp": now + 600, "iat": now, "team": "blue"}
        claims.update(edit)
        header = {"alg": alg, "typ": "JWT", "kid": key}
        signing = (b64url(json.dumps(header).encode()) + "." +
                   b64url(json.dumps(claims).encode())).encode()
        if alg == "RS256":
            sig = self.keys[key].sign(signing, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "HS256":
            # The classic confusion attack: the public key used as an HMAC secret.
            public = self.keys[key].public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            mac = hmac.HMAC(public, hashes.SHA256())
            mac.update(signing)
            sig = mac.finalize()
        else:
            sig = b""
        return signing.decode() + "." + b64url(sig)


def code(call):
    try:
        call()
        return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]


class Identity:
    def __init__(self, args, idp):
        self.args, self.idp, self.passed = args, idp, 0
        self.results = []

    def ok(self, name):
        self.passed += 1
        print(f"  ok  {name}", flush=True)

    def record(self, op, outcome):
        self.results.append({"op": f"identity: {op}", "outcome": outcome})

    def expect(self, op, got, want):
        self.record(op, got)
        if got != want:
            raise AssertionError(f"{op}: {got}, expected {want}")

    def sts(self, endpoint=None):
        return boto3.client("sts", endpoint_url=endpoint or self.args.endpoint,
                            region_name=REGION, config=CFG,
                            aws_access_key_id="anonymous", aws_secret_access_key="anonymous")

    def assume(self, token, endpoint=None, role=ROLE_ARN, **kw):
        return self.sts(endpoint).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="ci-run", WebIdentityToken=token, **kw)

    def s3_with(self, c):
        return boto3.client("s3", endpoint_url=self.args.endpoint, region_name=REGION, config=CFG,
                            aws_access_key_id=c["AccessKeyId"],
                            aws_secret_access_key=c["SecretAccessKey"],
                            aws_session_token=c["SessionToken"])

    def run(self):
        b, other = self.args.bucket, self.args.other_bucket
        print("STS and OIDC", flush=True)
        r = self.assume(self.idp.token(), DurationSeconds=900)
        c = r["Credentials"]
        self.expect("AssumeRoleWithWebIdentity", "OK" if c["AccessKeyId"].startswith("ASIA") else c, "OK")
        self.expect("AssumeRoleWithWebIdentity subject", r["SubjectFromWebIdentityToken"], "repo:org/app")
        assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ci/ci-run"), r
        self.ok("AssumeRoleWithWebIdentity (sts client)")

        s3 = self.s3_with(c)
        s3.put_object(Bucket=b, Key="teams/blue/report.txt", Body=b"hello")
        got = s3.get_object(Bucket=b, Key="teams/blue/report.txt")["Body"].read()
        self.expect("temporary credentials: GET inside the scope", got.decode(), "hello")
        listed = s3.list_objects_v2(Bucket=b, Prefix="teams/blue/")
        self.expect("temporary credentials: list inside the scope",
                    [o["Key"] for o in listed.get("Contents", [])], ["teams/blue/report.txt"])
        self.ok("S3 with the temporary credentials inside their scope")
        self.expect("temporary credentials: PUT outside the prefix",
                    code(lambda: s3.put_object(Bucket=b, Key="teams/red/x", Body=b"x")), "AccessDenied")
        self.expect("temporary credentials: another bucket",
                    code(lambda: s3.get_object(Bucket=other, Key="teams/blue/report.txt")), "AccessDenied")
        self.expect("temporary credentials: list the whole bucket",
                    code(lambda: s3.list_objects_v2(Bucket=b)), "AccessDenied")
        self.ok("outside the scope: AccessDenied")

        t = c["SessionToken"]
        mid = len(t) // 2
        tampered = dict(c, SessionToken=t[:mid] + ("A" if t[mid] != "A" else "B") + t[mid + 1:])
        self.expect("tampered session token",
                    code(lambda: self.s3_with(tampered).get_object(Bucket=b, Key="teams/blue/report.txt")),
                    "InvalidToken")
        self.ok("a tampered session token is InvalidToken")

        got = self.assume(self.idp.token(), endpoint=self.args.endpoint + "/.sts")
        self.expect("sts_path", "OK" if got["Credentials"]["AccessKeyId"] else "", "OK")
        self.ok("STS on the configured sts_path")

        refused = [
            ("expired token", self.idp.token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
             "ExpiredTokenException"),
            ("wrong audience", self.idp.token(aud="someone-else"), "InvalidIdentityToken"),
            ("untrusted issuer", self.idp.token(iss="https://untrusted.example"), "InvalidIdentityToken"),
            ("alg none", self.idp.token(alg="none"), "InvalidIdentityToken"),
            ("HS256 with the public key", self.idp.token(alg="HS256"), "InvalidIdentityToken"),
        ]
        for name, token, want in refused:
            self.expect(f"refused token: {name}", code(lambda: self.assume(token)), want)
        self.expect("unknown role",
                    code(lambda: self.assume(self.idp.token(), role="arn:aws:iam::123456789012:role/nope")),
                    "AccessDenied")
        self.ok("expired, wrong-audience, untrusted, alg none and HS256 tokens and an unknown role refused")

        with tempfile.NamedTemporaryFile("w", suffix=".jwt", delete=False) as f:
            f.write(self.idp.token())
        env = {"AWS_WEB_IDENTITY_TOKEN_FILE": f.name, "AWS_ROLE_ARN": ROLE_ARN,
               "AWS_ROLE_SESSION_NAME": "provider-run", "AWS_ENDPOINT_URL_STS": self.args.endpoint}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            session = boto3.Session(region_name=REGION)
            creds = session.get_credentials()
            self.expect("web-identity credential provider", creds.method, "assume-role-with-web-identity")
            s3p = session.client("s3", endpoint_url=self.args.endpoint, config=CFG)
            s3p.put_object(Bucket=b, Key="teams/blue/from-provider.txt", Body=b"p")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            os.unlink(f.name)
        self.ok("the SDK's web-identity credential provider")

        self.expect("issuer JWKS fetches (cached after the first)", self.idp.hits, 1)
        self.ok("the issuer's JWKS fetched once, then cached")

        self.discovery()

    def discovery(self):
        ep = self.args.endpoint
        with urllib.request.urlopen(ep + "/.well-known/openid-configuration", timeout=30) as resp:
            doc = json.load(resp)
        self.expect("gateway OIDC discovery: issuer", doc.get("issuer"), self.args.gateway_issuer)
        self.expect("gateway OIDC discovery: jwks_uri", doc.get("jwks_uri"),
                    self.args.gateway_issuer + "/.well-known/jwks.json")
        with urllib.request.urlopen(ep + "/.well-known/jwks.json", timeout=30) as resp:
            jwks = json.load(resp)
        with open(self.args.gateway_key, "rb") as f:
            public = serialization.load_pem_private_key(f.read(), password=None).public_key()
        n = uint(public.public_numbers().n)
        keys = [(k.get("kid"), k.get("n") == n) for k in jwks.get("keys", [])]
        self.expect("gateway OIDC JWKS", keys, [("gw-1", True)])
        self.ok("the gateway's own OIDC discovery document and JWKS")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--issuer-port", type=int, required=True)
    p.add_argument("--keys", required=True, help="core/tests/keys")
    p.add_argument("--bucket", required=True, help="the bucket the role's scope names")
    p.add_argument("--other-bucket", required=True, help="a bucket outside the role's scope")
    p.add_argument("--gateway-issuer", required=True)
    p.add_argument("--gateway-key", required=True, help="the PEM of [[server.oidc_keys]] gw-1")
    p.add_argument("--results", help="write the op -> outcome records here")
    args = p.parse_args()
    idp = Idp(args.issuer_port, args.keys, ["rsa1"])
    run = Identity(args, idp)
    started = time.monotonic()
    outcome = "ok"
    try:
        run.run()
    except (AssertionError, ClientError, OSError) as e:
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        outcome = f"FAILED: {type(e).__name__}: {e}"
        return 1
    finally:
        if args.results:
            # The format of smoke.py's write_results: the whole run is one check.
            clean = lambda t: " ".join(str(t).replace(args.endpoint, "<endpoint>").split())
            with open(args.results, "w", encoding="utf-8") as f:
                f.write(f"check\tidentity (STS, OIDC)\t{clean(outcome)}\n")
                for r in run.results:
                    f.write(f"op\tidentity (STS, OIDC)\t{clean(r['op'] + ' -> ' + repr(r['outcome']))}\n")
    print(f"{run.passed} identity checks passed in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
