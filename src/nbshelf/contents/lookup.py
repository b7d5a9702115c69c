"""What is at a path: a file, a folder, or nothing (the "HEAD, and on NotFound a LIST"
idiom, written once).

A path is a file if its object exists (1 HEAD). Otherwise it is a folder if any key lies
under ``path/`` (its marker included): :func:`entry_at` lists every key under it (what a
rename or delete needs), :func:`folder_state` asks for one (1 LIST, or 1 HEAD of the
marker where the folder is empty, as in a store that keeps folders' times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..stores import NotFound, ObjectInfo, ObjectStore
from . import paths


@dataclass(frozen=True)
class Entry:
    """What :func:`entry_at` found: ``file`` (its info), ``folder`` (every key under it,
    marker included) or nothing (``kind`` None)."""

    kind: str | None
    info: ObjectInfo | None = None
    objects: list[ObjectInfo] = field(default_factory=list)
    #: False for a folder found without listing its keys (``entry_at(listed=False)``).
    listed: bool = True

    def __bool__(self) -> bool:
        return self.kind is not None

    @property
    def keys(self) -> list[str]:
        return [o.key for o in self.objects]


async def objects_under(store: ObjectStore, folder: str) -> list[ObjectInfo]:
    """Every object under a folder, its marker included (1 LIST per page)."""
    listing = await store.list_all(paths.marker(folder), delimiter=None)
    return listing.objects


async def keys_under(store: ObjectStore, folder: str) -> list[str]:
    """Every key under a folder, its marker included (1 LIST per page)."""
    return [o.key for o in await objects_under(store, folder)]


async def entry_at(store: ObjectStore, path: str, *, listed: bool = True) -> Entry:
    """A file (1 HEAD), else a folder with every object under it (+ 1 LIST per page).
    ``listed=False``: a folder without its keys (+ what :func:`folder_state` costs), for
    a store that moves it whole without naming them."""
    try:
        return Entry("file", await store.head(path))
    except NotFound:
        if not listed:
            return (
                Entry("folder", listed=False)
                if (await folder_state(store, path))[0]
                else Entry(None)
            )
        objects = await objects_under(store, path)
    return Entry("folder", objects=objects) if objects else Entry(None)


async def folder_state(store: ObjectStore, path: str) -> tuple[bool, datetime | None]:
    """Whether a folder exists, and its time where the store keeps one (1 HEAD of the
    marker; + 1 LIST of one key when there is no marker)."""
    try:
        info = await store.head(paths.marker(path))
        return True, info.last_modified if store.folders_have_times else None
    except NotFound:
        page = await store.list(paths.marker(path), delimiter="/", limit=1)
        return bool(page.objects or page.prefixes), None
