"""Unmodified boto3 clients against a running multistore (driven by tests/identity.rs).

Modes (argv[1]):
  flow     STS AssumeRoleWithWebIdentity with the sts client and with the SDK's web-identity
           credential provider; S3 with the temporary credentials inside and outside their
           scope; the refused tokens; a tampered session token.
  assume   one AssumeRoleWithWebIdentity with $TOKEN: prints OK or the error code.
  backend  S3 through the gateway to a bucket whose backend is moto with auth = "oidc",
           then reads the object from moto directly; prints how many roles moto assumed.

Every check is an assert: a failure exits non-zero with the traceback.
"""

import json
import os
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

EP = os.environ["ENDPOINT"]
REGION = "us-east-1"
CFG = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"})


def code(call):
    try:
        call()
        return "OK"
    except ClientError as e:
        return e.response["Error"]["Code"]


def sts(endpoint=EP):
    return boto3.client("sts", endpoint_url=endpoint, region_name=REGION, config=CFG)


def assume(token, endpoint=EP, **kw):
    return sts(endpoint).assume_role_with_web_identity(
        RoleArn=os.environ["ROLE_ARN"], RoleSessionName="ci-run", WebIdentityToken=token, **kw
    )


def s3_with(c):
    return boto3.client(
        "s3",
        endpoint_url=EP,
        region_name=REGION,
        config=CFG,
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def flow():
    r = assume(os.environ["TOKEN_OK"], DurationSeconds=900)
    c = r["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA"), c
    assert r["SubjectFromWebIdentityToken"] == "repo:org/app", r
    assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ci/ci-run"), r
    s3 = s3_with(c)
    s3.put_object(Bucket="data", Key="teams/blue/report.txt", Body=b"hello")
    assert s3.get_object(Bucket="data", Key="teams/blue/report.txt")["Body"].read() == b"hello"
    listed = s3.list_objects_v2(Bucket="data", Prefix="teams/blue/")
    assert [o["Key"] for o in listed["Contents"]] == ["teams/blue/report.txt"], listed
    print("ok: inside the scope")
    assert code(lambda: s3.put_object(Bucket="data", Key="teams/red/x", Body=b"x")) == "AccessDenied"
    assert code(lambda: s3.get_object(Bucket="other", Key="teams/blue/report.txt")) == "AccessDenied"
    assert code(lambda: s3.list_objects_v2(Bucket="data")) == "AccessDenied"
    print("ok: outside the scope")

    t = c["SessionToken"]
    mid = len(t) // 2
    tampered = dict(c, SessionToken=t[:mid] + ("A" if t[mid] != "A" else "B") + t[mid + 1 :])
    got = code(lambda: s3_with(tampered).get_object(Bucket="data", Key="teams/blue/report.txt"))
    assert got == "InvalidToken", got
    print("ok: a tampered session token")

    # The configured extra path serves STS too.
    assert assume(os.environ["TOKEN_OK"], endpoint=EP + "/.sts")["Credentials"]["AccessKeyId"]
    print("ok: sts_path")

    refused = [
        ("TOKEN_EXPIRED", "ExpiredTokenException"),
        ("TOKEN_WRONG_AUD", "InvalidIdentityToken"),
        ("TOKEN_UNTRUSTED", "InvalidIdentityToken"),
        ("TOKEN_NONE", "InvalidIdentityToken"),
        ("TOKEN_HS256", "InvalidIdentityToken"),
    ]
    for name, want in refused:
        got = code(lambda: assume(os.environ[name]))
        assert got == want, (name, got)
        print(f"ok: {name} -> {want}")
    role = os.environ["ROLE_ARN"]
    os.environ["ROLE_ARN"] = "arn:aws:iam::123456789012:role/nope"
    assert code(lambda: assume(os.environ["TOKEN_OK"])) == "AccessDenied"
    os.environ["ROLE_ARN"] = role
    print("ok: an unknown role")

    # The SDK's own web-identity provider: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
    # AWS_ENDPOINT_URL_STS, nothing else.
    os.environ["AWS_WEB_IDENTITY_TOKEN_FILE"] = os.environ["TOKEN_FILE"]
    os.environ["AWS_ROLE_ARN"] = role
    os.environ["AWS_ROLE_SESSION_NAME"] = "provider-run"
    os.environ["AWS_ENDPOINT_URL_STS"] = EP
    session = boto3.Session(region_name=REGION)
    creds = session.get_credentials()
    assert creds.method == "assume-role-with-web-identity", creds.method
    s3 = session.client("s3", endpoint_url=EP, config=CFG)
    s3.put_object(Bucket="data", Key="teams/blue/from-provider.txt", Body=b"p")
    assert code(lambda: s3.put_object(Bucket="other", Key="x", Body=b"x")) == "AccessDenied"
    print("ok: the web-identity credential provider")


def backend():
    moto = os.environ["MOTO"]
    direct = boto3.client(
        "s3", endpoint_url=moto, region_name=REGION, config=CFG,
        aws_access_key_id="direct", aws_secret_access_key="direct",
    )
    direct.create_bucket(Bucket=os.environ["BACKEND_BUCKET"])
    alice = boto3.client(
        "s3", endpoint_url=EP, region_name=REGION, config=CFG,
        aws_access_key_id="AKIAALICE0000000", aws_secret_access_key="alice-secret",
    )
    for i in range(3):
        alice.put_object(Bucket="fed", Key=f"hello-{i}.txt", Body=b"federated")
    assert alice.get_object(Bucket="fed", Key="hello-0.txt")["Body"].read() == b"federated"
    keys = [o["Key"] for o in alice.list_objects_v2(Bucket="fed")["Contents"]]
    assert keys == ["hello-0.txt", "hello-1.txt", "hello-2.txt"], keys
    got = direct.get_object(Bucket=os.environ["BACKEND_BUCKET"], Key="hello-2.txt")
    assert got["Body"].read() == b"federated"
    data = json.load(urllib.request.urlopen(moto + "/moto-api/data.json"))
    print("assumed roles:", len(data["sts"]["AssumedRole"]))


def one():
    try:
        assume(os.environ["TOKEN"])
        print("OK")
    except ClientError as e:
        print(e.response["Error"]["Code"])


{"flow": flow, "assume": one, "backend": backend}[sys.argv[1]]()
