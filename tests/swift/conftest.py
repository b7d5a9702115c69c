"""Fixtures for the Swift store tests: a real Swift all-in-one (tempauth) started
once per session, a real Keystone (+ a Swift behind it) when python3-keystone is
installed, and a fresh container per test."""

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

from tests.servers import ServerUnavailable  # noqa: E402
from tests.servers.swift import SwiftServer  # noqa: E402
from tests.swift.helpers import tempauth_options  # noqa: E402

from nbshelf.stores.swift import SwiftStore  # noqa: E402


def _skip(reason: str) -> None:
    print(f"\nSKIP: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def swift_server() -> Iterator[SwiftServer]:
    try:
        server = SwiftServer().start()
    except ServerUnavailable as e:
        _skip(str(e))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keystone_server() -> Iterator[Any]:
    from tests.servers.keystone import KeystoneServer

    try:
        ks = KeystoneServer().start()
    except ServerUnavailable as e:
        _skip(str(e))
    yield ks
    ks.stop()


@pytest.fixture(scope="session")
def keystone_swift(keystone_server: Any) -> Iterator[SwiftServer]:
    """A second Swift, behind the real Keystone (authtoken + keystoneauth)."""
    server = SwiftServer(auth="keystone", keystone_url=keystone_server.url).start()
    keystone_server.register_swift(server.endpoint)
    yield server
    server.stop()


@pytest.fixture
def container() -> str:
    return "t-" + uuid.uuid4().hex[:12]


@pytest.fixture
async def store(swift_server: SwiftServer, container: str) -> AsyncIterator[SwiftStore]:
    """A store on a fresh container (created), counters reset, server log marked."""
    s = SwiftStore.from_url(f"swift://{container}", **tempauth_options(swift_server))
    await s.check()
    s.requests.reset()
    swift_server.mark()
    yield s
    await s.close()


