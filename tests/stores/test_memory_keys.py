"""The memory store keeps its sorted keys lazily (new keys in a set, deletions marking
the list stale): whatever the order of puts, copies and deletes, a listing is exactly
the sorted keys that exist, once each, and two stores of one name see the same."""

from __future__ import annotations

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
