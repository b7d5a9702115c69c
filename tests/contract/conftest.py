"""The store contract runs on every backend (tests/servers/backends.py): ``backend`` is
a fresh store on one of them, parametrised by the tests' ``backends`` marker (all by
default). The names below are parts of that one backend, for the tests of one backend's
own requests (S3's, Swift's)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.servers.backends import Backend
from tests.servers.counting_proxy import CountingProxy
from tests.servers.s3 import S3Target


@pytest.fixture
def container(backend: Backend) -> str:
    """The backend's Swift container, S3 bucket or Azure container."""
    return backend.container


@pytest.fixture
def new_container() -> str:
    """A container name nothing created yet (for the tests of creating one)."""
    return "t-" + uuid.uuid4().hex[:12]


@pytest.fixture
def bucket(backend: Backend) -> str:
    return backend.container


@pytest.fixture
def proxy(backend: Backend) -> CountingProxy:
    """The counting proxy between the store and its S3 or Azure server."""
    assert backend.proxy is not None, f"{backend.name} has no counting proxy"
    return backend.proxy


@pytest.fixture
def s3_server(backend: Backend) -> S3Target:
    assert backend.s3 is not None, f"{backend.name} is not S3"
    return backend.s3


@pytest.fixture
def boto(s3_server: S3Target) -> Any:
    """A boto3 client straight to the S3 server (another tool, not through the proxy)."""
    return s3_server.boto()
