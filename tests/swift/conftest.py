"""Fixtures for the Swift store tests: a real Swift all-in-one (tempauth) started
once per session, a real Keystone (+ a Swift behind it) when python3-keystone is
installed, and a fresh container per test."""

from __future__ import annotations

import collections
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


def tempauth_options(swift: SwiftServer, **extra: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "auth_url": swift.auth_url,
        "account_name": "test:tester",
        "account_key": "testing",
        "environ": {},
        "retries": 1,
    }
    opts.update(extra)
    return opts


@pytest.fixture
async def store(swift_server: SwiftServer, container: str) -> AsyncIterator[SwiftStore]:
    """A store on a fresh container (created), counters reset, server log marked."""
    s = SwiftStore.from_url(f"swift://{container}", **tempauth_options(swift_server))
    await s.check()
    s.requests.reset()
    swift_server.mark()
    yield s
    await s.close()


def server_counts(swift: SwiftServer, container: str) -> dict[str, int]:
    """Requests the real Swift logged since the last mark, as the store counts them."""
    counts: collections.Counter[str] = collections.Counter()
    for e in swift.access_log():
        path, _, query = e.path.partition("?")
        if path.startswith("/auth/"):
            counts["AUTH"] += 1
        elif path == "/info":
            counts["INFO"] += 1
        elif "bulk-delete" in query:
            counts["POST"] += 1
        elif f"/{container}" not in path:
            continue
        elif e.method == "GET" and path.rstrip("/").endswith(f"/{container}"):
            counts["LIST"] += 1
        else:
            counts[e.method] += 1
    return dict(counts)
