"""An in-process store: fast tests, and the reference for how a store behaves."""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import heapq
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from .base import GetResult, ListPage, ObjectInfo, ObjectStore, PrefixInfo, PutBody, PutOptions
from .errors import Conflict, NotFound
from .location import StoreLocation
from .options import CommonOptions, OptionReader

#: Keys deleted or copied between two turns of the event loop: a folder of 100,000 moved
#: in memory lets other requests in every :data:`YIELD_EVERY` objects.
YIELD_EVERY = 128
#: Keys filtered, sorted or merged between two turns of the event loop when the sorted
#: key list is brought up to date.
SLICE = 4096


#: One object as the shelf keeps it: its body, size, time, etag, content type and metadata
#: (keys and values in turn). Plain values only, so the garbage collector stops tracking
#: the tuple at its first pass: a store of 100,000 objects kept as an :class:`ObjectInfo`
#: and a tuple each was 200,000 tracked objects, and every full pass walked them all
#: (120-440 ms of CPU, holding the event loop, in a folder delete or listing of 100,000).
#: Metadata pairs would be tuples inside the tuple, untracked one pass later than it.
_Entry = tuple[bytes, int, datetime, "str | None", "str | None", tuple[str, ...]]


def _entry(data: bytes, info: ObjectInfo) -> _Entry:
    meta = tuple(part for pair in info.metadata.items() for part in pair)
    return (data, info.size, info.last_modified, info.etag, info.content_type, meta)


def _info(key: str, entry: _Entry) -> ObjectInfo:
    _, size, modified, etag, content_type, meta = entry
    metadata = dict(zip(meta[::2], meta[1::2], strict=True))
    return ObjectInfo(key, size, modified, etag, content_type, metadata)


@dataclass
class _Shelf:
    """The objects of one memory store, and their keys sorted for listings.

    New keys wait in ``added`` and deleted ones are only marked ``stale``: the sorted list
    is brought up to date by the next listing in O(n) (one merge of two sorted runs),
    where inserting or deleting each key in place cost O(n) apiece (a 100,000-object
    folder rename took 9.5 s of memmove)."""

    objects: dict[str, _Entry] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    added: set[str] = field(default_factory=set)
    stale: bool = False
    rebuilding: bool = False

    def store(self, key: str, data: bytes, info: ObjectInfo) -> ObjectInfo:
        if key not in self.objects:
            self.added.add(key)
        self.objects[key] = _entry(data, info)
        return info

    def delete(self, key: str) -> None:
        if self.objects.pop(key, None) is not None:
            self.stale = True

    async def sorted_keys(self) -> list[str]:
        """The keys, sorted, brought up to date in slices of :data:`SLICE`: a turn of
        the event loop between two slices, whatever the number of keys changed. Changes
        made meanwhile are merged before it returns; one rebuild at a time (a second
        caller waits for the first, as a listing would for a store's answer)."""
        while self.rebuilding:
            await asyncio.sleep(0.001)
        self.rebuilding = True
        try:
            while self.added or self.stale:
                added, self.added, self.stale = self.added, set(), False
                self.keys = await _merged(self.keys, added, self.objects)
        finally:
            self.rebuilding = False
        return self.keys


async def _merged(keys: list[str], added: set[str], objects: dict[str, Any]) -> list[str]:
    """``keys`` still in ``objects`` merged with the ``added`` ones still there, sorted."""
    kept: list[str] = []  # already sorted
    for i in range(0, len(keys), SLICE):
        kept.extend(k for k in keys[i : i + SLICE] if k in objects and k not in added)
        await asyncio.sleep(0)
    new = list(added)  # filtered a slice at a time below
    if len(kept) + len(new) <= SLICE:
        kept.extend(k for k in new if k in objects)
        kept.sort()  # two sorted runs: one linear merge
        return kept
    sorted_runs = [kept]
    for i in range(0, len(new), SLICE):
        sorted_runs.append(sorted(k for k in new[i : i + SLICE] if k in objects))
        await asyncio.sleep(0)
    merged: list[str] = []
    for i, key in enumerate(heapq.merge(*sorted_runs), 1):
        merged.append(key)
        if i % SLICE == 0:
            await asyncio.sleep(0)
    return merged


class MemoryStore(ObjectStore):
    """Objects in a dict. ``memory://NAME`` stores of the same name share their data
    within a process, so a test can open the same store twice."""

    scheme = "memory"
    uses_threads = False  # nothing blocks
    url_form = "memory://name[/prefix]"
    _shared: dict[str, _Shelf] = {}

    def __init__(self, name: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        # shared by every store of the same name
        self._shelf = MemoryStore._shared.setdefault(name, _Shelf()) if name else _Shelf()

    @classmethod
    def from_location(cls, location: StoreLocation, options: dict[str, Any]) -> MemoryStore:
        r = OptionReader("memory", options)
        common = CommonOptions.read(r)
        r.finish()
        return cls(name=location.container, **common.store_kwargs(location.prefix))

    @property
    def location(self) -> str:
        return f"memory://{self.name}"

    # ------------------------------------------------------------ hooks
    def _lookup(self, key: str) -> _Entry:
        try:
            return self._shelf.objects[key]
        except KeyError:
            raise NotFound(f"no such object {key!r}", store=self.description, key=key) from None

    async def _head(self, key: str) -> ObjectInfo:
        self.requests.add("HEAD")
        return _info(key, self._lookup(key))

    async def _get(self, key: str) -> GetResult:
        self.requests.add("GET")
        entry = self._lookup(key)
        return GetResult(_info(key, entry), entry[0])

    async def _get_range(self, key: str, start: int, end: int) -> bytes:
        self.requests.add("GET")
        return self._lookup(key)[0][start:end]

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        content_type, metadata, if_none_match = put.content_type, put.metadata, put.if_none_match
        self.requests.add("PUT")
        data = bytes(body) if isinstance(body, (bytes, bytearray, memoryview)) else body.read()
        if if_none_match and key in self._shelf.objects:
            raise Conflict(f"{key!r} already exists", store=self.description, key=key)
        info = ObjectInfo(
            key=key,
            size=len(data),
            last_modified=datetime.now(timezone.utc),
            etag=put.md5 or hashlib.md5(data, usedforsecurity=False).hexdigest(),
            content_type=content_type or mimetypes.guess_type(key)[0] or "application/octet-stream",
            metadata=dict(metadata),
        )
        return self._shelf.store(key, data, info)

    async def _delete(self, keys: Sequence[str]) -> None:
        for i, key in enumerate(keys, 1):
            self.requests.add("DELETE")
            self._shelf.delete(key)
            if i % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    async def _copy(self, src: str, dst: str) -> ObjectInfo:
        """A copy, then a turn for the event loop (as a real store's answer would give):
        a folder's copies would otherwise all run in one step."""
        self.requests.add("COPY")
        entry = self._lookup(src)
        new = replace(_info(dst, entry), last_modified=datetime.now(timezone.utc))
        stored = self._shelf.store(dst, entry[0], new)
        await asyncio.sleep(0)
        return stored

    async def _list(
        self, prefix: str, *, delimiter: str | None, token: str | None, limit: int
    ) -> ListPage:
        self.requests.add("LIST")
        objects: list[ObjectInfo] = []
        prefixes: list[PrefixInfo] = []
        keys, stored = await self._shelf.sorted_keys(), self._shelf.objects
        start = bisect.bisect_right(keys, token) if token else bisect.bisect_left(keys, prefix)
        last: str | None = None
        i = start
        while i < len(keys) and len(objects) + len(prefixes) < limit:
            key = keys[i]
            if not key.startswith(prefix):
                break
            rest = key[len(prefix) :]
            cut = rest.find(delimiter) if delimiter else -1
            if cut >= 0:
                common = prefix + rest[: cut + len(delimiter or "")]
                prefixes.append(PrefixInfo(common))
                last = common + "\U0010ffff"  # skip everything under this prefix
                i = bisect.bisect_right(keys, last)
                continue
            objects.append(_info(key, stored[key]))
            last = key
            i += 1
        more = i < len(keys) and keys[i].startswith(prefix)
        return ListPage(objects, prefixes, last if more else None)
