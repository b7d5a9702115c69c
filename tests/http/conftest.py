"""The tests of a real ``nbshelf serve`` over HTTP; ``server`` is the session's one on the
local store (``local_server``, tests/servers/plugin.py)."""

from __future__ import annotations

import pytest

from tests.servers.jupyter import NbshelfServer


@pytest.fixture
def server(local_server: NbshelfServer) -> NbshelfServer:
    return local_server
