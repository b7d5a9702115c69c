"""Folder listings from obstore without stalling the event loop.

obstore hands a listing back as one Python dict per entry, built in one go while it
holds the GIL: 100,000 entries stalled the event loop for about 400 ms before nbshelf
even looked at them. Asked with ``return_arrow=True`` it hands back Arrow tables
instead (arro3), built without a Python object per entry. Here their rows become
:class:`ObjectInfo` a slice of :data:`SLICE` rows at a time, the event loop free in
between (``asyncio.sleep(0)``), and the entries are kept as sorted runs that
:meth:`Listing.pages` merges page by page: sorting 100,000 entries at once would stall
the loop for 30 ms again.

Memory: an entry is kept as one ``(key, ObjectInfo)`` pair (about 500 bytes with a
key of 30 characters); the Arrow table is dropped once converted.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

from arro3.core import DataType

from ..base import ObjectInfo, PrefixInfo

#: Rows converted between two yields to the event loop (about 1 ms of work).
SLICE = 256

Entry = tuple[str, Any]  # (key, ObjectInfo | PrefixInfo)
_KEY = itemgetter(0)
_INT64 = DataType.int64()


@dataclass
class Listing:
    """A listing as sorted runs: plain objects in the store's order (sorted by key),
    entries whose key was rewritten (folder markers, sorted here: there are few), and
    common prefixes."""

    objects: list[Entry] = field(default_factory=list)
    rewritten: list[Entry] = field(default_factory=list)
    prefixes: list[Entry] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.objects) + len(self.rewritten) + len(self.prefixes)

    def entries(self) -> Iterator[Entry]:
        """Every entry in key order, one per key (a folder marker before a prefix of the
        same key: ``heapq.merge`` keeps the runs' order for equal keys)."""
        last: str | None = None
        for entry in heapq.merge(self.rewritten, self.objects, self.prefixes, key=_KEY):
            if entry[0] != last:
                last = entry[0]
                yield entry

    async def pages(self, size: int) -> AsyncIterator[tuple[list[Entry], bool]]:
        """The entries ``size`` at a time (and whether more follow), the event loop free
        between pages and every :data:`SLICE` entries."""
        it = self.entries()
        ahead = next(it, None)
        while ahead is not None:
            page: list[Entry] = []
            while ahead is not None and len(page) < size:
                page.append(ahead)
                ahead = next(it, None)
                if len(page) % SLICE == 0:
                    await asyncio.sleep(0)
            yield page, ahead is not None
            await asyncio.sleep(0)


def _seconds_cache() -> Callable[[int], datetime]:
    """Microseconds since the epoch -> that time in whole seconds (UTC), as HEAD says it;
    objects written together share their second, so each second is made once."""
    made: dict[int, datetime] = {}

    def at(micros: int) -> datetime:
        second = micros // 1_000_000
        when = made.get(second)
        if when is None:
            when = made[second] = datetime.fromtimestamp(second, timezone.utc)
        return when

    return at


async def rows(table: Any) -> AsyncIterator[list[tuple[str, datetime, int, str | None]]]:
    """The rows of an obstore Arrow listing (a Table or RecordBatch) as ``(path, whole
    second, size, etag)``, :data:`SLICE` at a time, yielding to the loop after each."""
    at = _seconds_cache()
    n = table.num_rows
    for start in range(0, n, SLICE):
        part = table.slice(start, min(SLICE, n - start))
        paths = part["path"].to_pylist()
        times = part["last_modified"].cast(_INT64).to_pylist()
        sizes = part["size"].to_pylist()
        etags = part["e_tag"].to_pylist()
        yield [
            (p, at(t), s, e.strip('"') if e else None)
            for p, t, s, e in zip(paths, times, sizes, etags, strict=True)
        ]
        await asyncio.sleep(0)


def prefix_entries(common: list[str]) -> list[Entry]:
    """Common prefixes ``a/b`` as sorted ``("a/b/", PrefixInfo)`` entries."""
    keys = sorted(p.rstrip("/") + "/" for p in common)  # strings: a few ms for 100,000
    return [(key, PrefixInfo(key)) for key in keys]


__all__ = ["SLICE", "Listing", "ObjectInfo", "prefix_entries", "rows"]
