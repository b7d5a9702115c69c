"""The store contract, on the local and the memory store."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import pytest

from nbshelf.stores import (
    Conflict,
    InvalidKey,
    NotFound,
    ObjectStore,
    StoreError,
    open_store,
)
from nbshelf.stores.local import LocalStore
from nbshelf.stores.memory import MemoryStore

pytestmark = pytest.mark.backends("local", "memory")


async def test_put_head_get_roundtrip(store: ObjectStore) -> None:
    info = await store.put("a/b.ipynb", b'{"cells": []}', content_type="application/x-ipynb+json")
    assert info.key == "a/b.ipynb" and info.size == 13
    assert info.md5 == "a0d2c6a3d6c8a1a27bbb4b3f27e28545" or len(info.md5 or "") == 32
    head = await store.head("a/b.ipynb")
    got = await store.get("a/b.ipynb")
    assert got.data == b'{"cells": []}'
    # what a save returns is exactly what a later read says
    assert head.last_modified == info.last_modified == got.info.last_modified
    assert head.etag == info.etag == got.info.etag
    assert head.content_type == "application/x-ipynb+json"


async def test_missing_keys_raise_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFound):
        await store.head("nope.txt")
    with pytest.raises(NotFound):
        await store.get("nope.txt")
    with pytest.raises(NotFound):
        await store.copy("nope.txt", "x.txt")
    await store.delete(["nope.txt"])  # deletes are idempotent


async def test_conditional_put_refuses_existing(store: ObjectStore) -> None:
    await store.put("x.txt", b"1", if_none_match=True)
    with pytest.raises(Conflict):
        await store.put("x.txt", b"2", if_none_match=True)
    assert (await store.get("x.txt")).data == b"1"


async def test_delimited_listing_with_markers_and_paging(store: ObjectStore) -> None:
    for i in range(5):
        await store.put(f"d/f{i}.txt", b"x")
    await store.put("d/sub/g.txt", b"y")
    await store.put("d/empty/", b"")
    store.page_size = 3
    store.requests.reset()
    pages = [p async for p in store.walk("d/")]
    keys = [o.key for p in pages for o in p.objects if not o.is_dir_marker]
    folders = [f.key for p in pages for f in p.prefixes]
    assert keys == [f"d/f{i}.txt" for i in range(5)]
    assert folders == ["d/empty/", "d/sub/"]
    assert store.requests["LIST"] == len(pages) >= 2


async def test_recursive_listing_includes_markers(store: ObjectStore) -> None:
    await store.put("r/a.txt", b"1")
    await store.put("r/s/", b"")
    await store.put("r/s/b.txt", b"2")
    listing = await store.list_all("r/", delimiter=None)
    keys = {o.key for o in listing.objects}
    assert {"r/a.txt", "r/s/", "r/s/b.txt"} <= keys


async def test_copy_is_server_side_and_delete_many(store: ObjectStore) -> None:
    await store.put("src.txt", b"hello")
    store.requests.reset()
    info = await store.copy("src.txt", "dst.txt")
    assert store.requests.snapshot() == {"COPY": 1}
    assert info.key == "dst.txt" and info.size == 5
    assert (await store.get("dst.txt")).data == b"hello"
    await store.delete(["src.txt", "dst.txt"])
    with pytest.raises(NotFound):
        await store.head("dst.txt")


@pytest.mark.parametrize(
    "key", ["../x", "/abs", "a/../b", "a//b", "a\\b", "nul\x00", "ctl\x01", "x" * 1100]
)
async def test_bad_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        await store.put(key, b"")


async def test_prefix_confines_keys(store: ObjectStore) -> None:
    alice, bob = store.with_prefix("users/alice"), store.with_prefix("users/bob")
    await alice.put("nb.ipynb", b"A")
    await bob.put("nb.ipynb", b"B")
    assert (await alice.get("nb.ipynb")).data == b"A"
    assert [o.key for o in (await alice.list_all("")).objects] == ["nb.ipynb"]
    assert (await store.get("users/bob/nb.ipynb")).data == b"B"


async def test_put_streams_a_file_body(store: ObjectStore) -> None:
    body = io.BytesIO(os.urandom(3 * 1024 * 1024 + 7))
    info = await store.put("big.bin", body)
    assert info.size == 3 * 1024 * 1024 + 7
    assert (await store.get("big.bin")).data == body.getvalue()


async def test_local_write_is_atomic_when_the_body_fails(tmp_path: Path) -> None:
    """A crash mid-write (here: the body raises half-way) leaves the old version whole."""
    store = LocalStore(tmp_path)
    await store.put("nb.ipynb", b"old version")

    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            if self.sent:
                raise OSError("connection lost")
            self.sent += 1
            return b"new vers"

    with pytest.raises(StoreError):
        await store.put("nb.ipynb", Broken())  # type: ignore[arg-type]
    assert (tmp_path / "nb.ipynb").read_bytes() == b"old version"
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]  # no temp file left


async def test_local_store_never_blocks_the_event_loop(tmp_path: Path, monkeypatch) -> None:
    """A slow disk (fsync made to take a while) keeps the loop free: a ticker
    coroutine keeps running while the write is in progress."""
    import nbshelf.stores.local as local

    real_fsync = os.fsync
    started = asyncio.Event()

    def slow_fsync(fd: int) -> None:
        loop.call_soon_threadsafe(started.set)
        import time

        time.sleep(0.5)
        real_fsync(fd)

    monkeypatch.setattr(local.os, "fsync", slow_fsync)
    loop = asyncio.get_running_loop()
    store = LocalStore(tmp_path)
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        await started.wait()
        while not done:
            ticks += 1
            await asyncio.sleep(0.01)

    tick_task = asyncio.create_task(ticker())
    await store.put("slow.txt", b"data")
    done = True
    await tick_task
    assert ticks > 1  # the loop ran other work during the blocking fsync


def test_open_store_by_url(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert isinstance(open_store(f"file://{tmp_path}"), LocalStore)
    assert isinstance(open_store("memory://x"), MemoryStore)
    with pytest.raises(StoreError, match="unknown store scheme 'ftp'"):
        open_store("ftp://host/x")


async def test_local_check_names_a_missing_directory(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "missing")
    with pytest.raises(NotFound, match="does not exist"):
        await store.check()
