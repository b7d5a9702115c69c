"""The benchmark's bulk seeding of its largest folders (issue 16: folders of 100,000 on
every backend): what it makes is exactly what a listing of the real server returns,
page after page, and its removal leaves nothing. On moto the objects are real (their
bytes are read back); on Swift they are rows of the container database with no object
behind them, and only a listing may rely on them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from benchmarks import targets as tg

BODY = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
N = 1_500  # two pages of an S3 listing


@pytest.fixture(params=["moto", "swift"])
def server(request: pytest.FixtureRequest) -> Iterator[tg.Server]:
    start: Callable[[], tg.Server] = {"moto": tg.start_moto, "swift": tg.start_swift}[request.param]
    srv = start()
    try:
        yield srv
    finally:
        assert srv.stop is not None
        srv.stop()


def _listing(client: object, bucket: str, prefix: str) -> list[dict[str, object]]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
    return [o for page in pages for o in page.get("Contents", [])]


def test_bulk_seed_is_what_a_listing_returns(server: tg.Server) -> None:
    assert server.bulk_seed is not None
    bucket = server.new_bucket("seed")
    client = server.boto()
    client.put_object(Bucket=bucket, Key="other/kept.ipynb", Body=BODY)

    server.bulk_seed(bucket, "big/", N, BODY, False)

    listed = _listing(client, bucket, "big/")
    assert [o["Key"] for o in listed] == [f"big/nb{i:06}.ipynb" for i in range(N)]
    assert {o["Size"] for o in listed} == {len(BODY)}
    etag = hashlib.md5(BODY, usedforsecurity=False).hexdigest()
    assert {str(o["ETag"]).strip('"') for o in listed} == {etag}
    if server.name == "moto":  # real objects there: their bytes read back
        got = client.get_object(Bucket=bucket, Key=f"big/nb{N - 1:06}.ipynb")["Body"].read()
        assert got == BODY

    server.bulk_seed(bucket, "big/", N, BODY, True)

    assert _listing(client, bucket, "big/") == []
    assert [o["Key"] for o in _listing(client, bucket, "")] == ["other/kept.ipynb"]
