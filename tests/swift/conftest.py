"""Fixtures for the Swift tests (auth, Keystone, the Bookstore configuration and import):
a fresh container name per test. The servers (``swift_server``, ``keystone_server``,
``keystone_swift``) are the session's, from tests/servers/plugin.py."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def container() -> str:
    return "t-" + uuid.uuid4().hex[:12]
