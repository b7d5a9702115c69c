"""A folder operation whose lease ran out stops before it deletes anything
(contents/folder_ops.py ``_Held.still_held``).

Recovery (another server's, or ``nbshelf recover``) takes an operation whose lease has
expired for abandoned and finishes or undoes it. If the server running it was stalled
long enough for a renewal to land after the lease had run out, both could act: the live
server deleting the sources while recovery rolls the copies back loses both. So the
holder refuses to take its destructive step once its lease has lapsed (or has less than
a third left and cannot be renewed in time), answers 503 and leaves the journal whole.

The stall is made by the store (memory store hooks slowed, the journal's renewal held
past the lease): deterministic in what must happen whatever the machine's load (every
delay here is a lower bound).
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Sequence

import pytest
from tornado.web import HTTPError

from nbshelf.contents import folder_ops, journal
from nbshelf.contents.lookup import entry_at
from nbshelf.stores import ObjectInfo
from nbshelf.stores.base import PutBody, PutOptions
from nbshelf.stores.memory import MemoryStore

LEASE = 1.5  # seconds: a renewal every 0.5 s
FILES = 40
COPY_SECONDS = 0.25  # 40 copies at 4 at once: 2.5 s at least, longer than the lease


class StalledStore(MemoryStore):
    """Copies take COPY_SECONDS each; with ``stall_renewals`` a journal rewrite (a lease
    renewal, not its first write) is held ``LEASE + 0.5`` s before it is stored."""

    stall_renewals = False

    def __init__(self, name: str) -> None:
        super().__init__(name=name, max_concurrency=4)
        self.written: set[str] = set()
        self.deleted: list[str] = []

    async def _copy(self, src: str, dst: str) -> ObjectInfo:
        await asyncio.sleep(COPY_SECONDS)
        return await super()._copy(src, dst)

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        if key.startswith(".nbshelf/ops/"):
            if key in self.written and self.stall_renewals:
                await asyncio.sleep(LEASE + 0.5)
            self.written.add(key)
        return await super()._put(key, body, put)

    async def _delete(self, keys: Sequence[str]) -> None:
        self.deleted.extend(k for k in keys if not k.startswith(".nbshelf/"))
        await super()._delete(keys)


async def _seeded(stall: bool) -> tuple[StalledStore, dict[str, bytes]]:
    store = StalledStore(f"lapse-{uuid.uuid4().hex[:8]}")
    store.stall_renewals = stall
    files = {f"proj/f{i:02}.txt": f"file {i}".encode() for i in range(FILES)}
    for key, data in files.items():
        await store.put(key, data)
    return store, files


async def _contents(store: MemoryStore, folder: str) -> dict[str, bytes]:
    listing = await store.list_all(folder + "/", delimiter=None)
    return {
        o.key[len(folder) + 1 :]: (await store.get(o.key)).data
        for o in listing.objects
        if not o.is_dir_marker
    }


@pytest.mark.parametrize("op", ["rename", "delete"])
async def test_a_lapsed_lease_stops_before_anything_is_deleted(op: str) -> None:
    store, files = await _seeded(stall=True)
    entry = await entry_at(store, "proj")
    lease = folder_ops.Lease(LEASE)
    with pytest.raises(HTTPError) as refused:
        if op == "rename":
            await folder_ops.move(store, "proj", "moved", entry, lease=lease)
        else:
            await folder_ops.delete(store, "proj", entry, to_trash=True, lease=lease)
    assert refused.value.status_code == 503
    assert "took longer than its lease" in str(refused.value.log_message)
    assert store.deleted == []  # not one source deleted
    assert await _contents(store, "proj") == {k[5:]: v for k, v in files.items()}
    left = await journal.pending(store)
    assert len(left) == 1 and not isinstance(left[0], str)  # the journal, for recovery

    # once the lease has expired recovery finishes (or undoes) it: nothing lost
    await asyncio.sleep(LEASE)
    done = await folder_ops.recover(store)
    assert len(done) == 1
    if op == "rename":
        assert await _contents(store, "moved") == {k[5:]: v for k, v in files.items()}
    assert await journal.pending(store) == []


async def test_a_lease_renewed_in_time_lets_a_long_operation_finish() -> None:
    """The same rename, three times longer than its lease, with renewals that land:
    it finishes, every file moved once, no journal left."""
    store, files = await _seeded(stall=False)
    entry = await entry_at(store, "proj")
    await folder_ops.move(store, "proj", "moved", entry, lease=folder_ops.Lease(LEASE))
    assert sorted(store.deleted) == sorted(files)
    assert await _contents(store, "moved") == {k[5:]: v for k, v in files.items()}
    assert await journal.pending(store) == []


class BlockingStore(MemoryStore):
    """A backend whose client blocks, as swiftclient does: every call runs in the store's
    bounded thread pool (``max_concurrency=1`` here, as the live-recovery race runs it),
    and the one bulk delete of the sources blocks its thread for twice the lease (a
    bulk delete of thousands of objects on a busy Swift). Each journal write records
    when it landed, on this process's monotonic clock."""

    uses_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(name=name, max_concurrency=1)
        self.journal_writes: list[float] = []

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        await self._run(lambda: None)  # a blocking client's request, in the pool
        info = await super()._put(key, body, put)
        if key.startswith(".nbshelf/ops/"):
            self.journal_writes.append(time.monotonic())
        return info

    async def _delete(self, keys: Sequence[str]) -> None:
        if any(k.startswith("proj/") for k in keys):
            await self._run(time.sleep, 2 * LEASE)
        await super()._delete(keys)


async def test_a_long_bulk_delete_never_starves_the_leases_renewals() -> None:
    """While the one bulk delete of the sources holds the store's only worker thread for
    twice the lease, the lease is still renewed (its renewals run in a lane of their
    own): each journal write lands within a lease of the one before, so recovery can
    never take the running rename for abandoned. (Before, the renewal queued behind the
    delete and landed after the lease had run out: a clean CI run saw ``nbshelf
    recover`` finish a live rename on Swift.)"""
    store = BlockingStore(f"starve-{uuid.uuid4().hex[:8]}")
    files = {f"proj/f{i:02}.txt": f"file {i}".encode() for i in range(8)}
    for key, data in files.items():
        await store.put(key, data)
    entry = await entry_at(store, "proj")
    await folder_ops.move(store, "proj", "moved", entry, lease=folder_ops.Lease(LEASE))
    assert await _contents(store, "moved") == {k[5:]: v for k, v in files.items()}
    gaps = [b - a for a, b in itertools.pairwise(store.journal_writes)]
    assert len(gaps) >= 2, store.journal_writes  # renewed during the delete
    assert max(gaps) < LEASE, gaps
