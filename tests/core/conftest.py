"""Fixtures for the core tests: local and memory stores, managers over them, and a
real ``nbshelf serve`` (jupyter_server + JupyterLab) over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbshelf import ShelfContentsManager
from nbshelf.stores import ObjectStore
from nbshelf.stores.local import LocalStore
from nbshelf.stores.memory import MemoryStore

from .server import NbshelfServer


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "store", page_size=1000)
    return MemoryStore(name=f"t-{uuid.uuid4().hex}")


@pytest.fixture
def manager(store: ObjectStore, tmp_path: Path) -> ShelfContentsManager:
    (tmp_path / "store").mkdir(exist_ok=True)
    return ShelfContentsManager(root_dir=str(tmp_path), store_instance=store)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NbshelfServer]:
    """A real `nbshelf serve` on the local store in a fresh folder."""
    srv = NbshelfServer(tmp_path_factory.mktemp("served")).start()
    yield srv
    srv.stop()
