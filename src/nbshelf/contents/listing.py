"""A folder's listing as Jupyter models, built a slice at a time.

A folder of 100,000 notebooks is 100,000 models: built in one go they held the event
loop for a second, and jupyter_server's ``should_list`` (every ``hide_globs`` pattern
``fnmatch``-ed against every name) was most of it. Here the patterns are compiled into
one expression per listing. Pages from a store are turned into models on the loop,
which is given back every :data:`SLICE` entries; rows from a store that lists them
(the local store) are turned into models in one pass in a worker thread. Either way the
server answers other requests while a large folder is listed.
"""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jupyter_server.services.contents.manager import ContentsManager

from ..stores import ObjectStore, release_in_slices
from ..stores.capabilities import FolderRows, SupportsFolderRows
from . import models, paths

#: Entries turned into models between two yields to the event loop (well under 1 ms).
SLICE = 128
#: The largest listing whose names the existence cache keeps (:mod:`.existence`): copying
#: and later freeing 100,000 names would hold the loop for 10 ms, and a folder that
#: large is not listed again for a name anyway.
REMEMBERED = 10_000


@functools.lru_cache(maxsize=16)
def _globs(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """The ``hide_globs`` as one pattern, matching what ``fnmatch`` matches (on POSIX:
    case-sensitive, ``fnmatch.translate`` of each)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def name_filter(manager: Any) -> Callable[[str], bool]:
    """Whether a name is listed: hidden names only with ``allow_hidden``, and the
    manager's ``should_list`` (jupyter_server's own compiled here; an override is
    called as it is)."""
    allow_hidden = bool(manager.allow_hidden)
    if type(manager).should_list is not ContentsManager.should_list:
        should_list: Callable[[str], bool] = manager.should_list

        def listed(name: str) -> bool:
            return (allow_hidden or not name.startswith(".")) and bool(should_list(name))

        return listed
    hidden = _globs(tuple(manager.hide_globs))

    def fast(name: str) -> bool:
        if not allow_hidden and name.startswith("."):
            return False
        return hidden is None or hidden.match(name) is None

    return fast


@dataclass
class Listed:
    """What one listing found: the models, every name (for the existence cache; None
    past :data:`REMEMBERED` names), whether the folder exists and its own time where the
    store keeps one."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    files: set[str] | None = field(default_factory=set)
    folders: set[str] | None = field(default_factory=set)
    found: bool = False
    own_time: datetime | None = None

    def named(self, files: Iterable[str], folders: Iterable[str] = ()) -> None:
        """Remember names seen (all of them, hidden ones too), up to :data:`REMEMBERED`."""
        if self.files is None or self.folders is None:
            return
        self.files.update(files)
        self.folders.update(folders)
        if len(self.files) + len(self.folders) > REMEMBERED:
            self.files = self.folders = None


async def list_folder(store: ObjectStore, path: str, listed: Callable[[str], bool]) -> Listed:
    """Models of the entries of the folder ``path`` (one LIST a page), hidden and
    internal ones left out; the event loop is given back every :data:`SLICE` entries.

    The loop body is the whole cost of a large local listing (the scan runs in a
    thread): plain loops over slices, no generator per entry, one model dict each."""
    if isinstance(store, SupportsFolderRows):
        found = await store.folder_rows(paths.marker(path) if path else "")
        return await asyncio.to_thread(_from_rows, found, path, listed, store.folders_have_times)
    marker = paths.marker(path)
    out = Listed(found=not path)
    at_root = not path
    entries = out.entries
    entry_model, folder_model = models.entry_model, models.base_model
    async for page in store.walk(marker, delimiter="/"):
        objects, prefixes = page.objects, page.prefixes
        for start in range(0, len(objects), SLICE):
            names = []
            for info in objects[start : start + SLICE]:
                child = info.key
                if child == marker:
                    out.own_time = info.last_modified if store.folders_have_times else None
                    continue
                name = child.rpartition("/")[2]
                names.append(name)
                if child.endswith("/") or not listed(name):
                    continue
                if at_root and paths.is_internal(child):
                    continue
                entries.append(entry_model(child, name, info))
            out.found = True
            out.named(names)
            await asyncio.sleep(0)
        for start in range(0, len(prefixes), SLICE):
            names = []
            for prefix in prefixes[start : start + SLICE]:
                child = prefix.key.rstrip("/")
                name = child.rpartition("/")[2]
                names.append(name)
                if not listed(name) or paths.is_internal(child):
                    continue
                entries.append(folder_model(child, "directory", prefix.last_modified))
            out.found = True
            out.named((), names)
            await asyncio.sleep(0)
        await asyncio.sleep(0)
    return out


def _from_rows(
    found: FolderRows, path: str, listed: Callable[[str], bool], folders_have_times: bool
) -> Listed:
    """:func:`list_folder` from the rows a store listed the folder as (the local store),
    in a worker thread, consuming them (``found.rows`` is empty after): the rows are
    plain tuples, so building every model in one pass
    there costs the event loop nothing but the interpreter's switch interval (1 ms in
    nbshelf's server, :func:`nbshelf.server.warmup.tune_interpreter`), where slices on
    the loop paid a loop iteration every :data:`SLICE` entries and kept the listing
    waiting behind every other request."""
    out = Listed(found=found.exists or not path)
    if folders_have_times:
        out.own_time = found.own_time
    entries = out.entries
    add = entries.append
    at_root = not path
    file_model, folder_model = models.row_model, models.base_model
    is_internal = paths.is_internal
    files: list[str] = []
    folders: list[str] = []
    for key, size, when, is_folder in found.rows:
        if is_folder:
            child = key[:-1]
            name = child.rpartition("/")[2]
            folders.append(name)
            if listed(name) and not is_internal(child):
                add(folder_model(child, "directory", when))
            continue
        name = key.rpartition("/")[2]
        files.append(name)
        if listed(name) and not (at_root and is_internal(key)):
            add(file_model(key, name, size, when))
    if len(files) + len(folders) <= REMEMBERED:
        out.named(files, folders)
    else:
        out.files = out.folders = None
    # the rows freed here, a slice at a time: letting go of 100,000 at once is one C
    # call that holds the GIL (13 ms on an idle core), on whichever thread does it last
    # (the event loop's, when the listing returns)
    release_in_slices(found.rows)
    return out


__all__ = ["REMEMBERED", "SLICE", "Listed", "list_folder", "name_filter"]
