"""A large folder is listed a slice at a time (stores/obstore/listing.py, contents/listing.py),
so the server answers other requests while it lists: here what jupyter_server's session
handler asks when a notebook's kernel starts (``get_kernel_path``, answered without a
store request), asked again and again while a listing runs, is answered between the
listing's first page and its last. On S3 a folder is fetched in one go and cut into pages: before,
every page was built and turned into models without the event loop getting a turn."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from nbshelf import ShelfContentsManager
from nbshelf.stores import ListPage
from tests.servers.backends import Backend

pytestmark = pytest.mark.backends("memory", "s3-moto", "swift")

NB = {
    "type": "notebook",
    "format": "json",
    "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
}


async def _seed(backend: Backend, n: int) -> None:
    sem = asyncio.Semaphore(32)

    async def one(i: int) -> None:
        async with sem:
            await backend.store.put(f"big/f{i:05}.txt", b"x")

    await asyncio.gather(*(one(i) for i in range(n)))


async def test_other_requests_are_answered_while_a_big_folder_is_listed(
    backend: Backend,
) -> None:
    n = 20_000 if backend.kind == "memory" else 2_000
    await _seed(backend, n)
    store = backend.store
    store.page_size = 100
    cm = ShelfContentsManager(store_instance=store)
    await cm.save(dict(NB), "small.ipynb")

    pages: list[int] = []  # the entries of each page handed to the manager, in order
    walk = store.walk

    async def counted_walk(prefix: str = "", *, delimiter: str | None = "/") -> AsyncIterator[Any]:
        async for page in walk(prefix, delimiter=delimiter):
            assert isinstance(page, ListPage)
            pages.append(len(page.objects) + len(page.prefixes))
            yield page

    store.walk = counted_walk  # type: ignore[method-assign]
    answered_at: list[int] = []  # pages handed out when each other request was answered
    listing = asyncio.create_task(cm.get("big", type="directory"))
    while not listing.done():
        assert await cm.get_kernel_path("small.ipynb") == ""
        answered_at.append(len(pages))
        await asyncio.sleep(0)
    model = await listing
    assert len(model["content"]) == n
    assert len(pages) == n // 100
    # answered while the pages were being handed out and turned into models
    during = [p for p in answered_at if 0 < p < len(pages)]
    assert len(during) >= 10, answered_at[-20:]


@pytest.mark.backends("memory", "s3-moto")
async def test_memory_per_listed_entry_is_bounded(backend: Backend) -> None:
    """docs/design.md: a listing holds about the size of the models it returns at its
    peak (620 bytes an entry for 100,000 on S3); asserted with room: under 1,000 bytes an
    entry of Python heap at the peak, the models included."""
    n = 20_000 if backend.kind == "memory" else 2_000
    await _seed(backend, n)
    cm = ShelfContentsManager(store_instance=backend.store)
    await cm.get("big", type="directory")  # caches, imports, first-use allocations
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        model = await cm.get("big", type="directory")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(model["content"]) == n
    assert (peak - base) / n < 1_000


@pytest.mark.backends("memory")
@pytest.mark.parametrize(
    "path", ["a.ipynb", "d/b.txt", "d/e/c.png", "noext", "d/.hidden.py", "x.IPYNB"]
)
def test_a_listed_entry_has_the_model_a_file_gets(path: str) -> None:
    """The listing builds each entry's model in one step (models.entry_model): the same
    model as the one a file gets alone (models.object_model)."""
    from datetime import datetime, timezone

    from nbshelf.contents import models
    from nbshelf.stores import ObjectInfo

    info = ObjectInfo(path, 12, datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    name = path.rsplit("/", 1)[-1]
    listed, alone = models.entry_model(path, name, info), models.object_model(path, info)
    assert listed == alone and list(listed) == list(alone)
