"""Fixtures for the share tests: real servers (Swift all-in-one with tempauth and its
S3 API, moto), a real ``nbshelf serve`` over each store, and notebooks to share."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.core.server import NbshelfServer  # noqa: E402
from tests.servers import ServerUnavailable  # noqa: E402
from tests.servers.swift import SwiftServer  # noqa: E402


def skip(reason: str) -> None:
    print(f"\nSKIP: {reason}", file=sys.stderr)
    pytest.skip(reason)


def clean_env(**values: str) -> dict[str, str]:
    """No OS_*/ST_*/AWS_*/NBSHELF_* from the machine: only what the test gives."""
    env = {k: "" for k in os.environ if k.startswith(("OS_", "ST_", "AWS_", "NBSHELF_"))}
    env.update(values)
    return env


@pytest.fixture(scope="session")
def swift_server() -> Iterator[SwiftServer]:
    try:
        server = SwiftServer().start()
    except ServerUnavailable as e:
        skip(str(e))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto() -> Iterator[Any]:
    from tests.servers.moto_server import start_moto

    try:
        server = start_moto()
    except ServerUnavailable as e:
        skip(f"moto: {e}")
    yield server
    server.stop()


def start_served(
    tmp: Path, store: str = "", env: dict[str, str] | None = None, *extra: str
) -> NbshelfServer:
    return NbshelfServer(tmp, *extra, store=store, env=env or {}).start()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
