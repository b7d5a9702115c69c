"""Fixtures for the contents tests (ShelfContentsManager: Jupyter models <-> objects): the
``store`` of these tests is a fresh one on the local and on the memory backend (built by
tests/servers/backends.py, as every backend's store is), and a manager over it.
A module that runs on other backends asks for ``backend`` with its ``backends`` marker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nbshelf import ShelfContentsManager
from nbshelf.stores import ObjectStore
from tests.servers.backends import open_backend


@pytest.fixture(params=["local", "memory"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ObjectStore]:
    async with open_backend(request.param, request) as backend:
        yield backend.store


@pytest.fixture
def manager(store: ObjectStore, tmp_path: Path) -> ShelfContentsManager:
    (tmp_path / "store").mkdir(exist_ok=True)
    return ShelfContentsManager(root_dir=str(tmp_path), store_instance=store)
