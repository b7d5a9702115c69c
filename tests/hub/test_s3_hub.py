"""End to end on a real JupyterHub: per-user, short-lived S3 credentials issued by the
hub's credentials service (nbshelf.hub), on moto with its IAM checks on.

* Real pieces: jupyterhub from PyPI (hub as root, LocalProcessSpawner), the proxy from
  npm, the Unix users nbshelf-alice and nbshelf-bob (each server and kernel runs as its
  user), jupyterhub-singleuser with HubContentsManager, real kernels; everything on
  127.0.0.1, stopped by PID (tests/hub/jupyterhub.py).
* moto ignores STS session policies, so each user has a role of her own whose policy
  names her prefix (the issuer still sends the session policy, as on AWS). moto also
  ignores ``s3:prefix`` conditions (a listing of another user's prefix is allowed: only
  the key names) and does not check a CopyObject's source: this test records both and
  asserts neither (docs/jupyterhub.md says what AWS does).
* moto does not expire STS sessions: the renewals are seen as new sessions taken into
  use (the server's /nbshelf/api/hub: fetches and a fingerprint of the keys; the hub's
  log: one "issued" line per renewal), with every save and listing answered.
"""

from __future__ import annotations

import calendar
import json
import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ..kernels.kernel import execute, start_session
from ..servers import ServerUnavailable
from .iam import HubIAM, setup_hub_iam
from .jupyterhub import (
    KERNEL_PRELUDE,
    Hub,
    UserServer,
    markdown_notebook,
    require_hub_tools,
    start_hub,
    start_servers,
)

pytestmark = pytest.mark.s3

BUCKET = "hub-notebooks"
ALICE, BOB = "nbshelf-alice", "nbshelf-bob"
#: short-lived on purpose (moto takes any duration; AWS at least 900 s): renewed at half
LIFETIME = 20


@pytest.fixture(scope="module")
def hub_iam(moto_iam_server: Any) -> HubIAM:
    return setup_hub_iam(moto_iam_server, BUCKET, [ALICE, BOB])


def start_s3_hub(hub_iam: HubIAM, state: Path, lifetime: int) -> Hub:
    """A hub whose credentials service issues S3 credentials as ``hub_iam`` lays out."""
    try:
        require_hub_tools()
    except ServerUnavailable as e:
        pytest.skip(str(e))
    state.chmod(0o755)
    return start_hub(
        state,
        [ALICE, BOB],
        issuer_options={
            "bucket": hub_iam.bucket,
            "role_arn": hub_iam.role_arn,
            "prefix": hub_iam.prefix,
            "endpoint_url": hub_iam.endpoint,
            "duration_seconds": lifetime,
        },
        # the broad credentials: the credentials service's environment, nowhere else
        service_environment={
            "AWS_ACCESS_KEY_ID": hub_iam.hub_key[0],
            "AWS_SECRET_ACCESS_KEY": hub_iam.hub_key[1],
        },
    )


@pytest.fixture(scope="module")
def hub(hub_iam: HubIAM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    h = start_s3_hub(hub_iam, tmp_path_factory.mktemp("jupyterhub"), LIFETIME)
    yield h
    h.stop()


@pytest.fixture(scope="module")
def servers(hub: Hub) -> dict[str, UserServer]:
    return start_servers(hub, BOB, ALICE)


def _snapshot(moto_iam: Any, bucket: str, prefix: str) -> dict[str, tuple[bytes, str]]:
    """Every object under ``prefix``: its bytes and user metadata (as moto's admin)."""
    s3 = moto_iam.client("s3")
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=obj["Key"])
            out[obj["Key"]] = (got["Body"].read(), json.dumps(got.get("Metadata", {})))
    return out


ATTACK = r"""
import json, os, urllib.error, urllib.request
import boto3
from botocore.exceptions import ClientError

%(prelude)sstatus, creds = ask("credentials")
out["own_issue"] = status
out["bob_issue"] = ask("credentials?user=%(bob)s")[0]
opts = creds["options"]
s3 = boto3.client("s3", endpoint_url=opts["endpoint_url"], region_name=opts["region"],
                  aws_access_key_id=creds["env"]["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=creds["env"]["AWS_SECRET_ACCESS_KEY"],
                  aws_session_token=creds["env"]["AWS_SESSION_TOKEN"])
B, bob, A, alice = %(bob_bucket)r, %(bob_prefix)r, %(alice_bucket)r, %(alice_prefix)r
def attempt(name, fn):
    try:
        fn()
        out[name] = "allowed"
    except ClientError as e:
        out[name] = e.response["Error"]["Code"]
attempt("read", lambda: s3.get_object(Bucket=B, Key=bob + "secret.ipynb")["Body"].read())
attempt("head", lambda: s3.head_object(Bucket=B, Key=bob + "secret.ipynb"))
attempt("write_new", lambda: s3.put_object(Bucket=B, Key=bob + "planted.ipynb", Body=b"x"))
attempt("overwrite", lambda: s3.put_object(Bucket=B, Key=bob + "secret.ipynb", Body=b"x"))
attempt("delete", lambda: s3.delete_object(Bucket=B, Key=bob + "secret.ipynb"))
try:
    r = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": bob + "secret.ipynb"}]})
    out["delete_many"] = [e["Code"] for e in r.get("Errors", [])] or "allowed"
except ClientError as e:  # refused for the whole bucket
    out["delete_many"] = [e.response["Error"]["Code"]]
attempt("multipart", lambda: s3.create_multipart_upload(Bucket=B, Key=bob + "big.ipynb"))
attempt("acl", lambda: s3.put_object_acl(Bucket=B, Key=bob + "secret.ipynb", ACL="public-read"))
attempt("list", lambda: s3.list_objects_v2(Bucket=B, Prefix=bob))
# moto does not check a copy's source (recorded, not asserted)
attempt("copy_moto_ignores_source",
        lambda: s3.copy_object(Bucket=A, Key=alice + "copied.ipynb",
                               CopySource={"Bucket": B, "Key": bob + "secret.ipynb"}))
attempt("own_write", lambda: s3.put_object(Bucket=A, Key=alice + "kernel.txt", Body=b"k"))
print(json.dumps(out))
"""


def attack_and_check(
    hub: Hub,
    servers: dict[str, UserServer],
    hub_iam: HubIAM,
    moto_iam: Any,
    *,
    where: dict[str, tuple[str, str]],
    list_enforced: bool,
) -> dict[str, Any]:
    """Bob saves a notebook and a checkpoint; alice's kernel attacks bob's objects with
    the credentials it can reach; bob's objects are byte-identical afterwards. ``where``:
    user -> (bucket, key prefix). ``list_enforced``: whether moto can refuse alice the
    listing of bob's objects (a bucket per user), or ignores the ``s3:prefix``
    condition that does it in a shared bucket (recorded, not asserted)."""
    alice, bob = servers[ALICE], servers[BOB]
    (a_bucket, a_prefix), (b_bucket, b_prefix) = where[ALICE], where[BOB]
    r = bob.api("PUT", "/api/contents/secret.ipynb", json=markdown_notebook("bob's secret"))
    assert r.status_code in (200, 201), r.text
    r = bob.api("POST", "/api/contents/secret.ipynb/checkpoints")
    assert r.status_code == 201, r.text
    r = alice.api("PUT", "/api/contents/mine.ipynb", json=markdown_notebook("alice's"))
    assert r.status_code in (200, 201), r.text
    before = _snapshot(moto_iam, b_bucket, b_prefix)
    assert f"{b_prefix}secret.ipynb" in before
    assert any(".nbshelf/checkpoints/" in k for k in before)  # the checkpoint too
    assert f"{a_prefix}mine.ipynb" in _snapshot(moto_iam, a_bucket, a_prefix)

    kernel = start_session(alice, "attack.ipynb")  # type: ignore[arg-type]
    code = ATTACK % {
        "prelude": KERNEL_PRELUDE,
        "bob": BOB,
        "bob_bucket": b_bucket,
        "bob_prefix": b_prefix,
        "alice_bucket": a_bucket,
        "alice_prefix": a_prefix,
    }
    out: dict[str, Any] = json.loads(
        execute(alice, kernel, code, timeout=180).strip().splitlines()[-1]  # type: ignore[arg-type]
    )

    assert out["uid"] != 0  # the kernel runs as alice, not root
    assert out["server_env"] == []  # no store credential in the server's environment
    assert out["own_issue"] == 200 and out["own_write"] == "allowed"
    assert out["bob_issue"] == 403
    for attempt in ("read", "write_new", "overwrite", "delete", "multipart", "acl"):
        assert out[attempt] == "AccessDenied", (attempt, out)
    assert out["head"] in ("403", "AccessDenied"), out
    assert out["delete_many"] == ["AccessDenied"], out
    if list_enforced:
        assert out["list"] == "AccessDenied", out
    print("not asserted (moto):", {k: out[k] for k in out if "moto" in k or k == "list"})

    assert _snapshot(moto_iam, b_bucket, b_prefix) == before
    log = hub.log()
    assert re.search(
        rf"refused GET \S+credentials for {ALICE}: credentials of '{BOB}' asked", log
    ), log[-3000:]
    assert hub_iam.hub_key[1] not in log
    return out


def test_alices_kernel_cannot_reach_bobs_notebooks(
    hub: Hub, servers: dict[str, UserServer], hub_iam: HubIAM, moto_iam_server: Any
) -> None:
    """One bucket, a prefix per user (moto: the listing of bob's prefix not refused)."""
    attack_and_check(
        hub,
        servers,
        hub_iam,
        moto_iam_server,
        where={u: (BUCKET, f"users/{u}/") for u in (ALICE, BOB)},
        list_enforced=False,
    )


def test_saves_continue_across_renewals(hub: Hub, servers: dict[str, UserServer]) -> None:
    alice = servers[ALICE]
    start = alice.api("GET", "/nbshelf/api/hub").json()
    seen = {start["fingerprint"]}
    saves = 0
    deadline = time.monotonic() + 240  # a bound for a stuck run, not a speed assertion
    status = start
    assert alice.api("PUT", "/api/contents/renew", json={"type": "directory"}).status_code == 201
    while status["fetches"] < start["fetches"] + 3:
        assert time.monotonic() < deadline, status
        saves += 1
        r = alice.api(
            "PUT", f"/api/contents/renew/n{saves % 4}.ipynb", json=markdown_notebook(str(saves))
        )
        assert r.status_code in (200, 201), r.text
        listing = alice.api("GET", "/api/contents/renew")
        assert listing.status_code == 200, listing.text
        status = alice.api("GET", "/nbshelf/api/hub").json()
        seen.add(status["fingerprint"])
        time.sleep(1)
    assert len(seen) >= 4  # a new session taken into use at each renewal
    assert status["store_url"] == f"s3://{BUCKET}/users/{ALICE}"
    issued = len(re.findall(rf"issued s3://{BUCKET}/users/{ALICE} for {ALICE}", hub.log()))
    assert issued >= status["fetches"]
    counts = alice.api("GET", "/nbshelf/api/status").json()["requests"]
    assert counts.get("RETRY", 0) == 0, counts


def test_share_link_keeps_the_chosen_expiry(
    hub: Hub, servers: dict[str, UserServer], hub_iam: HubIAM
) -> None:
    """A 7-day link from a server whose credentials last 20 s: signed on the hub with
    its own key (which does not expire with the session), for 7 days."""
    alice = servers[ALICE]
    r = alice.api("PUT", "/api/contents/shared.ipynb", json=markdown_notebook("for everyone"))
    assert r.status_code in (200, 201), r.text
    r = alice.api(
        "POST",
        "/nbshelf/api/shares",
        json={"path": "shared.ipynb", "kind": "expiring", "expires_in": "7d"},
    )
    assert r.status_code == 201, r.text
    share = r.json()
    links = [v for v in json.dumps(share).split('"') if "X-Amz-Signature" in v]
    assert links, share
    for link in links:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        assert 7 * 86400 - 60 < int(query["X-Amz-Expires"][0]) <= 7 * 86400, link
        assert query["X-Amz-Credential"][0].startswith(hub_iam.hub_key[0] + "/")
        assert "X-Amz-Security-Token" not in query  # not a session's: it outlives them
        assert f"/{BUCKET}/users/{ALICE}/" in link
    assert re.search(rf"signed a 604[78]\d\d s link to users/{ALICE}/\S+ for {ALICE}", hub.log())
    assert share["expires"] == time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(_epoch(share["created"]) + 7 * 86400)
    ), share
    # the link opens (moto's checks crash on presigned GETs: off for this one request)
    notebook = share["urls"]["notebook"]
    _moto_auth(hub_iam.endpoint, "inf")
    try:
        got = requests.get(notebook, timeout=30)
    finally:
        _moto_auth(hub_iam.endpoint, "0")
    assert got.status_code == 200 and "for everyone" in got.text, got.text[:300]


def _epoch(stamp: str) -> float:
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def _moto_auth(endpoint: str, count: str) -> None:
    """moto's IAM checks off ("inf") or on ("0")."""
    r = requests.post(f"{endpoint}/moto-api/reset-auth", data=count, timeout=10)
    assert r.ok, r.text


def test_the_service_refuses_and_logs(hub: Hub, servers: dict[str, UserServer]) -> None:
    """Bad or missing tokens, the hub's own admin token (a service's, not a user's), a
    link outside the user's prefix, a bad body: clear 4xx in JSON, each logged on the hub
    without the token."""
    alice = servers[ALICE]
    service = f"{hub.url}/services/nbshelf-credentials/"

    def call(method: str, path: str, token: str | None, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        return requests.request(method, service + path, headers=headers, timeout=60, **kw)

    junk = "0" * 32
    cases = [
        (call("GET", "credentials", None), 401, "no JupyterHub API token"),
        (call("GET", "credentials", junk), 403, "does not know this token"),
        (call("GET", "credentials", hub.admin_token), 403, "a service token"),
        (
            call(
                "POST",
                "sign",
                alice.token,
                json={"key": f"users/{BOB}/secret.ipynb", "expires_in": 60},
            ),
            403,
            f"not under {BUCKET}/users/{ALICE}/",
        ),
        (call("POST", "sign", alice.token, data=b"{"), 400, "expected"),
        (
            call(
                "POST", "sign", alice.token, json={"key": f"users/{ALICE}/a", "expires_in": 10**9}
            ),
            403,
            "7 days",
        ),
    ]
    for r, status, text in cases:
        assert r.status_code == status, (r.status_code, r.text)
        assert text in r.json()["message"], r.text
        assert "Traceback" not in r.text
    # alice's own user token (not her server's) gets her own credentials, nobody else's
    r = call("GET", "credentials", alice.token)
    assert r.status_code == 200 and r.json()["store_url"] == f"s3://{BUCKET}/users/{ALICE}"
    log = hub.log()
    assert log.count("nbshelf-credentials: refused") >= len(cases)
    assert junk not in log and hub.admin_token not in log and alice.token not in log
