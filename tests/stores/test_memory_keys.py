"""The memory store keeps its sorted keys lazily (new keys in a set, deletions marking
the list stale): whatever the order of puts, copies and deletes, a listing is exactly
the sorted keys that exist, once each, and two stores of one name see the same."""

from __future__ import annotations

import asyncio
import gc
import random

from nbshelf.stores.memory import MemoryStore


async def test_listings_follow_any_order_of_writes_and_deletes() -> None:
    rng = random.Random(7)
    store, twin = MemoryStore("keys-order"), MemoryStore("keys-order")
    present: set[str] = set()
    names = [f"d{rng.randrange(4)}/f{i:03}" for i in range(300)]
    for step in range(2000):
        key = rng.choice(names)
        op = rng.random()
        if op < 0.5:
            await store.put(key, b"x")
            present.add(key)
        elif op < 0.7 and present:
            src = rng.choice(sorted(present))
            await store.copy(src, key)
            present.add(key)
        else:
            batch = rng.sample(names, 5)
            await store.delete(batch)
            present.difference_update(batch)
        if step % 97 == 0:
            listed = await twin.list_all("", delimiter=None)
            assert [o.key for o in listed.objects] == sorted(present)
    listed = await store.list_all("", delimiter=None)
    assert [o.key for o in listed.objects] == sorted(present)
    folders = await store.list_all("")
    assert [p.key for p in folders.prefixes] == sorted({k.split("/")[0] + "/" for k in present})


async def test_kept_objects_leave_the_garbage_collector_alone() -> None:
    """A full collection walks every object the collector tracks; a memory store of
    100,000 objects kept as two tracked objects each made every pass 120-440 ms. The
    objects are kept as plain values: storing 10,000 adds none (but the ~200 handles of
    calls' deadlines that asyncio keeps until it sweeps them), and what comes back
    (metadata, content type, etag, body) is what went in, copies included."""
    store = MemoryStore("keys-untracked")
    await store.put("warm", b"x")  # the store's own structures exist before counting
    gc.collect()
    before = len(gc.get_objects())
    for i in range(10_000):
        await store.put(f"nb{i:05}.ipynb", b"{}", metadata={"md5": "m", "who": "a"})
        await asyncio.sleep(0)  # a turn of the loop, as between requests
    gc.collect()
    assert len(gc.get_objects()) - before < 1_000  # kept as before: 20,000
    original = await store.head("nb00007.ipynb")
    await store.copy("nb00007.ipynb", "copy.ipynb")
    for key in ("nb00007.ipynb", "copy.ipynb"):
        got = await store.get(key)
        assert got.data == b"{}" and got.info.key == key
        assert dict(got.info.metadata) == {"md5": "m", "who": "a"}
        assert got.info.etag == original.etag and got.info.content_type == original.content_type
    listed = await store.list_all("", delimiter=None)
    assert [o.size for o in listed.objects] == [2] * 10_001 + [1]
