"""Folder listings from obstore without stalling the event loop.

obstore hands a listing back as one Python dict per entry, built in one go while it
holds the GIL: 100,000 entries stalled the event loop for about 400 ms before nbshelf
even looked at them. Asked with ``return_arrow=True`` it hands back Arrow tables
instead (arro3), built without a Python object per entry. Here their rows become plain
tuples a slice of :data:`SLICE` rows at a time, the event loop free in between
(``asyncio.sleep(0)``), kept as sorted runs that :meth:`Listing.pages` merges page by
page into :class:`ObjectInfo` (sorting 100,000 entries at once would stall the loop for
30 ms again).

Memory: a listed entry is kept as one row (a tuple of the key, size, time and etag:
about 250 bytes with a key of 30 characters) until its page is handed out; the Arrow
tables are dropped once converted.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from arro3.core import DataType

from ..base import ObjectInfo, PrefixInfo

#: Rows converted between two yields to the event loop (well under 1 ms of work).
SLICE = 128

#: A listed object as plain values (key, size, last modified, etag): a tuple of atoms,
#: which Python's cyclic GC stops tracking, so 100,000 of them trigger no full collection
#: (as 100,000 ObjectInfo objects did: 100-170 ms stalls); ObjectInfo is made per page.
Row = tuple[str, int, datetime, "str | None"]
_INT64 = DataType.int64()
Entry = tuple[str, Any]  # (key, ObjectInfo | PrefixInfo), what a page holds


@dataclass
class Listing:
    """A listing as sorted runs of plain rows: objects in the store's order (sorted by
    key), rows whose key was rewritten (folder markers, sorted here: there are few), and
    common prefixes (``(key,)``). ``content_type`` names an object's type by its key."""

    content_type: Callable[[str], str]
    objects: list[Row] = field(default_factory=list)
    rewritten: list[Row] = field(default_factory=list)
    prefixes: list[tuple[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.objects) + len(self.rewritten) + len(self.prefixes)

    def _merged(self) -> Iterator[tuple[Any, ...]]:
        """Every row in key order, one per key (a folder marker before a prefix of the same
        key), each let go of as it is handed out: nothing is freed all at once at the end
        (freeing 100,000 objects in one go stalled the loop for 30 ms)."""
        runs: list[deque[Any]] = [deque(self.rewritten), deque(self.objects), deque(self.prefixes)]
        self.rewritten, self.objects, self.prefixes = [], [], []
        last: str | None = None
        while True:
            best: deque[Any] | None = None
            run: deque[Any]
            for run in runs:
                if run and (best is None or run[0][0] < best[0][0]):
                    best = run
            if best is None:
                return
            row = best.popleft()
            if row[0] != last:
                last = row[0]
                yield row

    def _entry(self, row: tuple[Any, ...], strip: int) -> Entry:
        key = row[0][strip:]
        if len(row) == 1:
            return key, PrefixInfo(key)
        return key, ObjectInfo(key, row[1], row[2], row[3], self.content_type(key))

    async def pages(self, size: int, strip: int = 0) -> AsyncIterator[tuple[list[Entry], bool]]:
        """The entries ``size`` at a time (and whether more follow), their keys without
        their first ``strip`` characters (the store's prefix; its own marker, which
        becomes "", is left out), the event loop free between pages and every
        :data:`SLICE` entries."""
        it = self._merged()
        ahead = next(it, None)
        while ahead is not None:
            page: list[Entry] = []
            while ahead is not None and len(page) < size:
                if not strip or len(ahead[0]) > strip:
                    page.append(self._entry(ahead, strip))
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


async def rows(table: Any) -> AsyncIterator[list[Row]]:
    """The rows of an obstore Arrow listing (a Table or RecordBatch) as ``(path, size,
    whole second, etag)``, :data:`SLICE` at a time, yielding to the loop after each."""
    at = _seconds_cache()
    n = table.num_rows
    for start in range(0, n, SLICE):
        part = table.slice(start, min(SLICE, n - start))
        paths = part["path"].to_pylist()
        times = part["last_modified"].cast(_INT64).to_pylist()
        sizes = part["size"].to_pylist()
        etags = part["e_tag"].to_pylist()
        yield [
            (p, s, at(t), e.strip('"') if e else None)
            for p, t, s, e in zip(paths, times, sizes, etags, strict=True)
        ]
        await asyncio.sleep(0)


def prefix_rows(common: list[str]) -> list[tuple[str]]:
    """Common prefixes ``a/b`` as sorted ``("a/b/",)`` rows."""
    keys = sorted(p.rstrip("/") + "/" for p in common)  # strings: a few ms for 100,000
    return [(key,) for key in keys]


__all__ = ["SLICE", "Listing", "Row", "prefix_rows", "rows"]
