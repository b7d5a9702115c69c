"""Transient faults between nbshelf's stores and real servers, through the fault proxy.

Every backend that talks HTTP (Swift's native API, and the S3 API of Swift and of
moto) is driven through :class:`FaultProxy`: connections refused or reset, HTTP
500/502/503/429, a stall longer than the client timeout, a request or response cut
mid-body, the server away for a while, the server gone for good. Each case checks
the outcome (the call succeeds after retries, or fails with ``Unavailable`` naming
the store within its deadline) and, read straight from the server without any
fault, the bytes stored: always exactly the old or the new version.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from nbshelf.stores import NotFound, ObjectStore, Unavailable
from nbshelf.stores.obstore.s3 import S3Store
from nbshelf.stores.swift import SwiftStore
from tests.servers.fault_proxy import FaultProxy
from tests.servers.swift import SwiftServer

from .conftest import Ledger, assert_no_secret

FAST = {"retries": 5, "retry_backoff": 0.05, "retry_max_backoff": 0.4, "deadline": 20}


@dataclass
class Target:
    name: str
    store: ObjectStore  # through the fault proxy
    direct: ObjectStore  # straight to the server
    proxy: FaultProxy


def _swift_store(auth_url: str, container: str, **extra: Any) -> SwiftStore:
    return SwiftStore.from_url(
        f"swift://{container}",
        auth_url=auth_url,
        account_name="test:tester",
        account_key="testing",
        environ={},
        timeout=1.5,
        **extra,
    )


def _s3_store(endpoint: str, bucket: str, key: str, secret: str, **extra: Any) -> S3Store:
    return S3Store.from_url(
        f"s3://{bucket}/pre",
        endpoint_url=endpoint,
        access_key_id=key,
        secret_access_key=secret,
        region="us-east-1",
        timeout="1500ms",
        **extra,
    )


@pytest.fixture(params=["swift", "s3-on-swift", "s3-on-moto"])
async def target(
    request: pytest.FixtureRequest, swift_server: SwiftServer, container: str
) -> AsyncIterator[Target]:
    kind = request.param
    upstream = swift_server.ports["proxy"]
    if kind == "s3-on-moto":
        moto = request.getfixturevalue("moto_server")
        upstream = int(moto.endpoint.rsplit(":", 1)[1])
    with FaultProxy("127.0.0.1", upstream) as proxy:
        if kind == "swift":
            store = _swift_store(f"{proxy.url}/auth/v1.0", container, **FAST)
            direct = _swift_store(swift_server.auth_url, container)
        else:
            if kind == "s3-on-moto":
                key, secret, endpoint = moto.access_key, moto.secret_key, moto.endpoint
            else:
                key, secret, endpoint = "test:tester", "testing", swift_server.endpoint
            bucket = "rel-" + uuid.uuid4().hex[:10]
            direct = _s3_store(endpoint, bucket, key, secret)
            store = _s3_store(proxy.url, bucket, key, secret, **FAST)
            import boto3
            from botocore.config import Config

            boto3.client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                region_name="us-east-1",
                config=Config(s3={"addressing_style": "path"}),
            ).create_bucket(Bucket=bucket)
        await store.check()
        await direct.check()
        yield Target(kind, store, direct, proxy)
        await store.close()
        await direct.close()


async def _stored(t: Target, key: str) -> bytes | None:
    try:
        return (await t.direct.get(key)).data
    except NotFound:
        return None


def _account(ledger: Ledger, kind: str, expected: bytes | None, got: bytes | None) -> None:
    if got != expected:
        ledger.lost(kind, len(expected or b""))
    else:
        ledger.lost(kind, 0)


TRANSIENT = [
    ("refuse", {}),
    ("reset", {}),
    ("status", {"status": 500}),
    ("status", {"status": 502}),
    ("status", {"status": 503}),
    ("status", {"status": 429}),
    ("delay", {"seconds": 3.0}),  # longer than the client's 1.5 s timeout
]


@pytest.mark.parametrize(("mode", "params"), TRANSIENT, ids=lambda v: str(v))
async def test_transient_faults_are_retried(
    target: Target, mode: str, params: dict[str, Any], ledger: Ledger
) -> None:
    old, new = os.urandom(50_000), os.urandom(60_000)
    await target.direct.put("nb.ipynb", old)
    target.store.requests.reset()
    kind = f"{mode} {params.get('status', '')}".strip()

    target.proxy.set(mode, times=2, **params)
    target.proxy.drop()
    info = await target.store.put("nb.ipynb", new)
    ledger.fault(f"{kind} (PUT)", 2)
    ledger.saves(f"save through {kind}")
    assert info.size == len(new)
    assert target.store.requests["RETRY"] >= 1
    got = await _stored(target, "nb.ipynb")
    _account(ledger, f"{kind} (PUT)", new, got)
    assert got == new

    target.proxy.set(mode, times=2, **params)
    target.proxy.drop()
    assert (await target.store.get("nb.ipynb")).data == new
    ledger.fault(f"{kind} (GET)", 2)


async def test_cut_request_and_response_are_retried_whole(target: Target, ledger: Ledger) -> None:
    old, new = os.urandom(400_000), os.urandom(500_000)
    await target.direct.put("big.bin", old)

    target.proxy.set("cut_request", after=100_000, times=1)  # the PUT's body cut once
    ledger.fault("request cut mid-body (PUT)")
    ledger.saves("save through a cut request")
    await target.store.put("big.bin", new)
    got = await _stored(target, "big.bin")
    _account(ledger, "request cut mid-body", new, got)
    assert got == new
    assert target.proxy.stats["cut_up"] == 1

    target.proxy.set("cut_response", after=200_000, times=1)  # the GET's body cut once
    ledger.fault("response cut mid-body (GET)")
    assert (await target.store.get("big.bin")).data == new
    assert target.proxy.stats["cut_down"] == 1


async def test_store_away_for_a_while_then_back(target: Target, ledger: Ledger) -> None:
    """Refused for about 1.5 s: the retries (backoff up to 0.4 s, 20 s deadline) outlast it."""
    new = os.urandom(10_000)
    target.proxy.set("refuse")
    target.proxy.drop()
    timer = threading.Timer(1.5, target.proxy.set, args=("pass",))
    timer.start()
    try:
        store = target.store
        store.retry = type(store.retry)(retries=50, backoff=0.05, max_backoff=0.4, deadline=20)
        await store.put("away.ipynb", new)
    finally:
        timer.cancel()
    ledger.fault("store stopped ~1.5 s")
    ledger.saves("save while the store was away")
    got = await _stored(target, "away.ipynb")
    _account(ledger, "store stopped ~1.5 s", new, got)
    assert got == new


async def test_store_down_for_good_is_unavailable_within_the_deadline(
    target: Target, ledger: Ledger
) -> None:
    old = os.urandom(10_000)
    await target.direct.put("nb.ipynb", old)
    target.store.retry = type(target.store.retry)(
        retries=1000, backoff=0.05, max_backoff=0.2, deadline=2
    )
    target.proxy.set("status", status=503)
    target.proxy.drop()
    with pytest.raises(Unavailable) as e:
        await target.store.put("nb.ipynb", os.urandom(10_000))
    ledger.fault("store down for good (503)")
    ledger.saves("save while the store is down")
    assert "deadline" in str(e.value) or "503" in str(e.value)
    assert target.store.location.split(" at ")[0] in str(e.value)  # names the store
    assert_no_secret(str(e.value), "testing-secret")
    got = await _stored(target, "nb.ipynb")
    _account(ledger, "store down for good", old, got)
    assert got == old  # the previous version, whole

    target.proxy.set("pause")  # accepts, then answers nothing: the deadline still holds
    target.proxy.drop()
    with pytest.raises(Unavailable):
        await target.store.get("nb.ipynb")
    ledger.fault("store stalls (no answer)")
    target.proxy.set("pass")
    await asyncio.sleep(0)


async def test_create_only_put_retried_after_a_lost_answer(target: Target, ledger: Ledger) -> None:
    """The 201 of a create-only PUT lost (the response cut): the retry meets 412, sees its
    own bytes there, and succeeds; someone else's object stays a conflict."""
    body = os.urandom(20_000)
    target.proxy.set("cut_response", after=1, times=1)
    await target.store.put("new.ipynb", body, if_none_match=True)
    ledger.fault("answer of a create-only PUT lost")
    ledger.saves("create-only save with a lost answer")
    got = await _stored(target, "new.ipynb")
    _account(ledger, "answer of a create-only PUT lost", body, got)
    assert got == body
