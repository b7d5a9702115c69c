"""Fixtures for the S3 store tests: real S3 servers over HTTP, each behind a counting proxy.

``s3_server`` is parametrized: moto's server (an AWS emulation) and the S3 API
(s3api) of the real Swift all-in-one from tests/servers/swift.py. Every test
gets a fresh bucket, a :class:`CountingProxy` in front of the server, and an
``S3Store`` that talks through the proxy, so request counts are asserted both
at the store's counter and as the server saw them.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests.servers` is importable however pytest was started
    sys.path.insert(0, str(ROOT))

from tests.s3._helpers import S3Target, make_store  # noqa: E402
from tests.servers import ServerUnavailable  # noqa: E402
from tests.servers.counting_proxy import CountingProxy  # noqa: E402

from nbshelf.stores.obstore.s3 import S3Store  # noqa: E402


@pytest.fixture(scope="session")
def moto_target() -> Iterator[S3Target]:
    from tests.servers.moto_server import start_moto

    try:
        server = start_moto()
    except ServerUnavailable as e:
        pytest.skip(f"moto: {e}")
    try:
        yield S3Target("moto", server.endpoint, server.access_key, server.secret_key)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def swift_target() -> Iterator[S3Target]:
    try:
        from tests.servers.swift import SwiftServer
    except ImportError as e:  # pragma: no cover - the launcher lands separately
        pytest.skip(f"Swift launcher not importable: {e}")
    try:
        server = SwiftServer().start()
    except ServerUnavailable as e:
        pytest.skip(f"Swift: {e}")
    try:
        yield S3Target("swift", server.endpoint, "test:tester", "testing", checks_auth=True)
    finally:
        server.stop()


@pytest.fixture(scope="session", params=["moto", "swift"])
def s3_server(request: pytest.FixtureRequest) -> S3Target:
    target: S3Target = request.getfixturevalue(f"{request.param}_target")
    return target


@pytest.fixture
def proxy(s3_server: S3Target) -> Iterator[CountingProxy]:
    with CountingProxy(s3_server.endpoint) as p:
        yield p


@pytest.fixture
def bucket(s3_server: S3Target) -> str:
    name = f"nbshelf-{uuid.uuid4().hex[:12]}"
    s3_server.boto().create_bucket(Bucket=name)
    return name


@pytest.fixture
def boto(s3_server: S3Target) -> Any:
    return s3_server.boto()


@pytest.fixture
async def store(s3_server: S3Target, proxy: CountingProxy, bucket: str) -> AsyncIterator[S3Store]:
    s = make_store(s3_server, proxy.url, bucket)
    yield s
    await s.close()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.servers.azurite import start_azurite

    try:
        server = start_azurite(tmp_path_factory.mktemp("azurite"))
    except ServerUnavailable as e:
        print(f"\nskipping Azure tests: {e}")
        pytest.skip(f"Azurite: {e}")
    try:
        yield server
    finally:
        server.stop()
