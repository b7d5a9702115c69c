"""The short-lived "not found" and folder answers (contents/existence.py) that keep
jupytext's probes cheap: this server's own writes are seen at once, another server's
within the cache's age, and the local store is always asked."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from nbshelf import ShelfContentsManager


def _pair(ttl: float) -> tuple[ShelfContentsManager, ShelfContentsManager]:
    url = f"memory://cache-{uuid.uuid4().hex[:8]}"
    mine = ShelfContentsManager(store_url=url, existence_cache_seconds=ttl)
    other = ShelfContentsManager(store_url=url, existence_cache_seconds=ttl)
    return mine, other


async def test_own_writes_at_once_other_servers_within_the_age() -> None:
    mine, other = _pair(ttl=0.5)
    assert not await mine.file_exists("d/jupytext.toml")
    assert not await mine.dir_exists("d")
    # another server writes: this one keeps its answers until they are 0.5 s old
    await other.save({"type": "file", "format": "text", "content": "x"}, "d/jupytext.toml")
    mine.store.requests.reset()
    assert not await mine.file_exists("d/jupytext.toml")
    assert not await mine.dir_exists("d")
    assert mine.store.requests.total == 0
    await asyncio.sleep(0.6)
    assert await mine.file_exists("d/jupytext.toml")
    assert await mine.dir_exists("d")
    # this server's own writes are seen at once, whatever the age
    assert not await mine.file_exists("d/pyproject.toml")
    await mine.save({"type": "file", "format": "text", "content": "y"}, "d/pyproject.toml")
    assert await mine.file_exists("d/pyproject.toml")
    await mine.delete("d/pyproject.toml")
    assert not await mine.file_exists("d/pyproject.toml")
    await mine.rename("d", "e")
    assert not await mine.dir_exists("d") and await mine.dir_exists("e")
    assert await mine.file_exists("e/jupytext.toml")


async def test_many_probes_in_one_folder_are_one_listing() -> None:
    mine, _ = _pair(ttl=60)
    await mine.save({"type": "file", "format": "text", "content": "x"}, "d/a.txt")
    mine.store.requests.reset()
    names = ["jupytext", "jupytext.toml", ".jupytext.yml", "pyproject.toml", "a.txt"]
    found = [await mine.file_exists(f"d/{n}") for n in names]
    assert found == [False, False, False, False, True]
    # the first unknown name is a HEAD; the second lists the folder, which answers the rest
    assert mine.store.requests.snapshot() == {"HEAD": 1, "LIST": 1}
    mine.store.requests.reset()
    assert not await mine.file_exists("d/jupytext.json")
    assert mine.store.requests.total == 0


async def test_off_on_the_local_store(tmp_path: Path) -> None:
    cm = ShelfContentsManager(root_dir=str(tmp_path), existence_cache_seconds=60)
    assert not await cm.file_exists("later.txt")
    (tmp_path / "later.txt").write_text("written behind the server's back")
    assert await cm.file_exists("later.txt")
