"""What this server learned a moment ago about paths that are *not* files, and about
folders: a short-lived cache of "not found" answers, of folder existence and of small
folder listings.

Tools added to Jupyter ask the contents manager about many paths that do not exist:
jupytext looks for a dozen configuration files (``jupytext.toml``, ``.jupytext.yml``,
``pyproject.toml`` ...) in the notebook's folder and every folder above it on each open
and save, and asks ``dir_exists`` of the notebook itself. On an object store each answer
is a request. Here:

- a "not found" (``file_exists`` False) and a folder's existence are remembered for
  ``ttl`` seconds;
- the second unknown name asked about in one folder within ``ttl`` lists that folder
  once (one LIST, its first page): a complete listing answers every other name in it,
  found or not, until ``ttl`` runs out (a folder larger than one page is not listed
  again; its names are asked one by one);
- a listing the server made anyway (the file browser's) is remembered the same way.

Every write of this server updates or forgets what it changes (a save, a new folder, a
rename, a copy, a delete), so the server never contradicts itself; what other servers or
tools write is seen at most ``ttl`` seconds late. The age is counted from the store's
answer, not from the last use, so an answer is never kept alive by being read.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from . import paths


@dataclass
class _Listing:
    when: float
    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)
    complete: bool = True


class ExistenceCache:
    """Negative and folder answers for ``ttl`` seconds (0: off), at most ``size`` of each."""

    def __init__(self, ttl: float = 5.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._absent: OrderedDict[str, float] = OrderedDict()
        self._folders: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        self._listings: OrderedDict[str, _Listing] = OrderedDict()
        self._misses: dict[str, float] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def _fresh(self, when: float) -> bool:
        return time.monotonic() - when < self.ttl

    def _put(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.size:
            table.popitem(last=False)

    def _listing(self, folder: str) -> _Listing | None:
        listing = self._listings.get(folder)
        if listing is None or not self._fresh(listing.when):
            return None
        return listing

    # ------------------------------------------------------------------ answers
    def file(self, path: str) -> bool | None:
        """Is ``path`` a file? None: not known (ask the store)."""
        if not self.enabled:
            return None
        when = self._absent.get(path)
        if when is not None and self._fresh(when):
            return False
        listing = self._listing(paths.parent(path))
        if listing is not None:
            name = paths.name(path)
            if name in listing.files:
                return True
            if listing.complete:
                return False
        return None

    def folder(self, path: str) -> bool | None:
        """Is ``path`` a folder? None: not known."""
        if not self.enabled:
            return None
        known = self._folders.get(path)
        if known is not None and self._fresh(known[0]):
            return known[1]
        own = self._listing(path)
        if own is not None and (own.files or own.folders):
            return True
        listing = self._listing(paths.parent(path))
        if listing is not None:
            if paths.name(path) in listing.folders:
                return True
            if listing.complete:
                return False
        return None

    def wants_listing(self, folder: str) -> bool:
        """Should the folder be listed rather than one more name asked? Yes from its
        second unknown name within ``ttl`` (and not when it is too large for a page)."""
        if not self.enabled:
            return False
        listing = self._listings.get(folder)
        if listing is not None and self._fresh(listing.when):
            return False  # listed already (too large to answer for every name)
        when = self._misses.get(folder)
        return when is not None and self._fresh(when)

    # ------------------------------------------------------------------ what the store said
    def not_found(self, path: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        self._put(self._absent, path, now)
        if len(self._misses) > self.size:
            self._misses.clear()
        self._misses[paths.parent(path)] = now

    def folder_is(self, path: str, exists: bool) -> None:
        if self.enabled:
            self._put(self._folders, path, (time.monotonic(), exists))

    def listed(self, folder: str, files: set[str], folders: set[str], complete: bool) -> None:
        """A listing of ``folder``'s names (``complete``: every name, not one page of many)."""
        if not self.enabled:
            return
        now = time.monotonic()
        self._put(self._listings, folder, _Listing(now, set(files), set(folders), complete))
        if files or folders:
            self._put(self._folders, folder, (now, True))

    # ------------------------------------------------------------------ this server's writes
    def wrote(self, path: str, *, folder: bool = False) -> None:
        """``path`` is now a file (or a folder): it and every folder above it exist."""
        self._absent.pop(path, None)
        name, parent = paths.name(path), paths.parent(path)
        listing = self._listings.get(parent)
        if listing is not None:
            (listing.folders if folder else listing.files).add(name)
        if folder:
            self._folders.pop(path, None)
            self.folder_is(path, True)
        while path:
            path = paths.parent(path)
            if not path:
                break
            self._absent.pop(path, None)
            self.folder_is(path, True)
            child_listing = self._listings.get(paths.parent(path))
            if child_listing is not None:
                child_listing.folders.add(paths.name(path))

    def forget(self, path: str) -> None:
        """``path`` (a file or a folder) is being renamed or deleted: forget everything
        known at or under it, and about the folders above it (they may end up empty)."""
        under = path + "/"
        for table in (self._absent, self._folders, self._listings):
            for key in [k for k in table if k == path or k.startswith(under)]:
                del table[key]
        parent = path
        while parent:
            parent = paths.parent(parent)
            self._folders.pop(parent, None)
            self._listings.pop(parent, None)


__all__ = ["ExistenceCache"]
