"""Bad configuration is a clear one-line error that says what to check, with no secret."""

from __future__ import annotations

import pytest

from nbshelf.stores import AuthFailed, NotFound, StoreError, Unavailable
from nbshelf.stores.obstore.s3 import S3Store
from tests.servers import free_port
from tests.servers.s3 import S3Target, make_store

pytestmark = pytest.mark.s3

SECRET = "do-not-print-this-secret"


def one_line(e: BaseException) -> str:
    text = str(e)
    print(f"\n{type(e).__name__}: {text}")
    assert "\n" not in text
    assert SECRET not in text and "testing" not in text.replace("nbshelf-", "")
    return text


async def test_unknown_bucket(s3_server: S3Target) -> None:
    store = make_store(s3_server, s3_server.endpoint, "no-such-bucket-here")
    with pytest.raises(NotFound) as e:
        await store.check()
    text = one_line(e.value)
    assert "no-such-bucket-here" in text and "check the bucket name" in text


async def test_wrong_keys(s3_server: S3Target, bucket: str) -> None:
    if not s3_server.checks_auth:
        pytest.skip(f"{s3_server.name} accepts any credentials")
    store = make_store(s3_server, s3_server.endpoint, bucket, secret_access_key=SECRET)
    with pytest.raises(AuthFailed) as e:
        await store.check()
    text = one_line(e.value)
    assert "check the access key and secret" in text and "store options" in text


async def test_wrong_region(s3_server: S3Target, bucket: str) -> None:
    if not s3_server.checks_auth:
        pytest.skip(f"{s3_server.name} ignores the signing region")
    store = make_store(s3_server, s3_server.endpoint, bucket, region="eu-west-3")
    with pytest.raises(StoreError) as e:
        await store.check()
    text = one_line(e.value)
    assert "region" in text and "eu-west-3" in text


async def test_unreachable_endpoint() -> None:
    port = free_port()
    store = S3Store.from_url(
        "s3://some-bucket",
        endpoint_url=f"http://127.0.0.1:{port}",
        access_key_id="k",
        secret_access_key=SECRET,
    )
    with pytest.raises(Unavailable) as e:
        await store.check()
    text = one_line(e.value)
    assert f"127.0.0.1:{port}" in text and "AWS_ENDPOINT_URL_S3" in text


async def test_plain_http_needs_consent() -> None:
    with pytest.raises(StoreError, match="allow_http"):
        S3Store.from_url(
            "s3://b",
            endpoint_url="http://s3.example.org",
            access_key_id="k",
            secret_access_key=SECRET,
        )
    store = S3Store.from_url(
        "s3://b",
        endpoint_url="http://s3.example.org",
        allow_http="true",
        access_key_id="k",
        secret_access_key=SECRET,
    )
    assert store.settings.allow_http


def test_unknown_option() -> None:
    with pytest.raises(StoreError, match="unknown store option"):
        S3Store.from_url("s3://b", endpoint_url="https://s3.example.org", no_such_option="1")
