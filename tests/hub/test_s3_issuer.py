"""S3Issuer on moto with its IAM checks on, and the S3 store renewing the credentials it
issues: per-user STS sessions (one role per user: moto ignores session policies), saves
going on across several renewals with no failed request and no extra store request.

moto does not expire STS sessions: a renewal is seen as new session keys taken into use
(the store's credential cache holds the issuer's latest answer), not as a refused request.
moto also ignores ``s3:prefix`` conditions (a scoped user may list the whole bucket) and
does not check a copy's source: those two are not asserted here (docs/jupyterhub.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from nbshelf.hub import IssuedCredentials, IssueRefused
from nbshelf.share.models import ShareError
from nbshelf.share.publish import ShareService
from nbshelf.stores import PermissionDenied, open_store

from ..servers import free_port
from .iam import HubIAM, setup_hub_iam

pytestmark = pytest.mark.s3

BUCKET = "hub-issuer"
USERS = ["alice", "bob"]


@pytest.fixture(scope="module")
def hub_iam(moto_iam_server: Any) -> HubIAM:
    return setup_hub_iam(moto_iam_server, BUCKET, USERS)


def _client(hub: HubIAM, creds: IssuedCredentials) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=hub.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds.env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=creds.env["AWS_SESSION_TOKEN"],
    )


def _denied(call: Any) -> bool:
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"] == "AccessDenied"
    return False


def test_issued_credentials_reach_one_prefix(hub_iam: HubIAM) -> None:
    issuer = hub_iam.issuer(duration_seconds=900)
    alice, bob = issuer.issue("alice"), issuer.issue("bob")
    assert alice.store_url == f"s3://{BUCKET}/users/alice"
    assert alice.expires_at is not None and alice.expires_at.tzinfo is not None
    assert "AWS_SESSION_TOKEN" in alice.env and "secret" not in repr(alice).lower()
    a, b = _client(hub_iam, alice), _client(hub_iam, bob)
    b.put_object(Bucket=BUCKET, Key="users/bob/private.ipynb", Body=b"bob's")
    a.put_object(Bucket=BUCKET, Key="users/alice/mine.ipynb", Body=b"alice's")
    assert a.get_object(Bucket=BUCKET, Key="users/alice/mine.ipynb")["Body"].read() == b"alice's"
    key = "users/bob/private.ipynb"
    assert _denied(lambda: a.get_object(Bucket=BUCKET, Key=key))
    assert _denied(lambda: a.put_object(Bucket=BUCKET, Key="users/bob/x", Body=b"x"))
    assert _denied(lambda: a.delete_object(Bucket=BUCKET, Key=key))
    errors = a.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": key}]}).get("Errors")
    assert errors and errors[0]["Code"] == "AccessDenied"
    assert b.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"bob's"


def test_refusals_name_the_reason(hub_iam: HubIAM) -> None:
    issuer = hub_iam.issuer()
    with pytest.raises(IssueRefused, match="one path segment"):
        issuer.issue("../bob")
    closed = hub_iam.issuer(sts_endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(IssueRefused, match=r"AssumeRole of .*nbshelf-alice failed: Endpoint"):
        closed.issue("alice")
    with pytest.raises(IssueRefused, match="not under hub-issuer/users/alice/"):
        issuer.sign_url("alice", "users/bob/private.ipynb", 60)
    with pytest.raises(IssueRefused, match="not under hub-issuer/users/alice/"):
        issuer.sign_url("alice", "users/alice/../bob/private.ipynb", 60)
    url = issuer.sign_url("alice", "users/alice/mine.ipynb", 7 * 86400)
    assert "X-Amz-Expires=604800" in url and hub_iam.hub_key[0] in url


async def test_saves_go_on_across_renewals(hub_iam: HubIAM) -> None:
    """8-second sessions (moto accepts any duration; AWS at least 900 s): the store asks
    the issuer again at half their life; 4 renewals, every save and listing answered."""
    issuer = hub_iam.issuer(duration_seconds=8)
    issued: list[IssuedCredentials] = []

    def source() -> IssuedCredentials:
        issued.append(issuer.issue("alice"))
        return issued[-1]

    first = issuer.issue("alice")
    options = {k: v for k, v in first.options.items() if k != "hub_signs_links"}
    store = open_store(first.store_url, credentials=source, **options)
    cache = store.credential_cache  # type: ignore[attr-defined]
    saves = 0
    try:
        while cache.fetches < 5:
            saves += 1
            body = f"save {saves}".encode()
            info = await store.put(f"work/n{saves % 3}.ipynb", body)
            assert info.size == len(body)
            page = await store.list("work/")
            assert len(page.objects) == min(saves, 3)
            await asyncio.sleep(0.5)
        # the last keys issued are the ones in use; each renewal brought new keys
        assert cache.current() is issued[-1]
        keys = {c.env["AWS_ACCESS_KEY_ID"] for c in issued}
        assert len(keys) == len(issued) >= 5
        counts = store.requests.snapshot()
        assert counts.get("RETRY", 0) == 0
        assert counts["PUT"] == saves and counts["LIST"] == saves
        # alice's renewed credentials, pointed at bob's prefix, are refused
        other = open_store(f"s3://{BUCKET}/users/bob", credentials=source, **options)
        with pytest.raises(PermissionDenied):
            await other.get("private.ipynb")
        await other.close()
    finally:
        await store.close()


async def test_links_last_what_the_user_chose_or_say_how_long(hub_iam: HubIAM) -> None:
    """Signed on the hub (link_signer): 7 days whatever the session's life. Without it, a
    link signed with 60-second credentials would die with them: the longest expiry offered
    is what is left of them, and a 7-day link is refused saying so (never a link that
    dies early while claiming 7 days)."""
    issuer = hub_iam.issuer(duration_seconds=60)
    first = issuer.issue("alice")
    options = {k: v for k, v in first.options.items() if k != "hub_signs_links"}
    bare = open_store(first.store_url, credentials=lambda: first, **options)
    signed = open_store(
        first.store_url,
        credentials=lambda: first,
        link_signer=lambda key, seconds: issuer.sign_url("alice", key, seconds),
        **options,
    )
    try:
        await bare.put("n.ipynb", b"{}")
        assert 0 < (bare.max_signed_expiry or 0) <= 60
        with pytest.raises(ShareError) as refused:
            ShareService(bare).resolve_kind("expiring", 7 * 86400)
        assert refused.value.status == 400
        assert "short-lived credentials last at most" in str(refused.value)
        assert signed.max_signed_expiry == 7 * 86400
        assert ShareService(signed).resolve_kind("expiring", 7 * 86400) == ("expiring", 604800)
        url = await signed.signed_url("n.ipynb", 7 * 86400)
        assert "X-Amz-Expires=604800" in url and "X-Amz-Security-Token" not in url
        with pytest.raises(IssueRefused):
            issuer.sign_url("alice", "users/bob/n.ipynb", 60)  # what the hub refuses
    finally:
        await bare.close()
        await signed.close()
