"""The trash: deleted files wait under ``.nbshelf/trash/<when>/<path>`` in the store.

An accidental delete is never final: every object of a deleted file or folder
is copied (server side) here before it is deleted, and can be listed, restored
or purged, from the command line (``nbshelf trash``) or from Python. On a store that
moves folders whole (``SupportsTreeMove``: the local store) a deleted file or folder is
moved here with one rename instead, its checkpoints beside it
(``.nbshelf/trash/<when>/.nbshelf/checkpoints/``), and a restore to a free path moves
both back the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..stores import Conflict, NotFound, ObjectStore, Unsupported
from ..stores.capabilities import SupportsTreeMove
from . import layout, paths
from .checkpoints import restore_trashed_checkpoints
from .layout import new_trash_batch as new_batch
from .layout import trash_batch_time as batch_time
from .layout import trash_key
from .lookup import entry_at


@dataclass(frozen=True)
class TrashedFile:
    """One deleted file: ``ref`` (``<batch>/<path>``) names it for restore."""

    batch: str
    path: str
    size: int
    deleted: datetime | None

    @property
    def ref(self) -> str:
        return f"{self.batch}/{self.path}"


async def copy_to_trash(store: ObjectStore, keys: Iterable[str], batch: str = "") -> str:
    """Copy the files among ``keys`` into the trash batch ``batch`` (a new one if not
    given); return the batch name. Folder markers are not copied.

    The caller deletes the originals afterwards, only once this has succeeded.
    """
    batch = batch or new_batch()
    await store.copy_many((k, trash_key(batch, k)) for k in keys if not k.endswith("/"))
    return batch


class TrashPruner:
    """Deletes trash batches older than the retention, at most once an hour, so that a
    delete usually costs no extra listing."""

    def __init__(self, every: float = 3600.0) -> None:
        self.every = every
        self._last = -1e18

    async def maybe_prune(self, store: ObjectStore, retention_days: int) -> None:
        now = time.monotonic()
        if retention_days > 0 and now - self._last > self.every:
            self._last = now
            await purge(store, timedelta(days=retention_days))


async def list_trash(store: ObjectStore) -> list[TrashedFile]:
    """Every trashed file, newest delete first."""
    listing = await store.list_all(layout.TRASH, delimiter=None)
    found = []
    for info in listing.objects:
        if info.is_dir_marker:
            continue
        batch, _, path = info.key[len(layout.TRASH) :].partition("/")
        if path and not layout.is_internal(path):  # not the checkpoints deleted with them
            found.append(TrashedFile(batch, path, info.size, batch_time(batch)))
    return sorted(found, key=lambda f: (f.batch, f.path), reverse=True)


async def restore(
    store: ObjectStore, ref: str, to: str | None = None, overwrite: bool = False
) -> list[str]:
    """Restore a trashed file, or every file of a trashed folder (``<batch>/<folder>``).

    Returns the restored paths. Refuses to overwrite an existing file unless asked.
    """
    batch, _, path = paths.normalize(ref).partition("/")
    if not path or batch_time(batch) is None:
        raise ValueError(f"not a trash reference: {ref!r} (see 'nbshelf trash list')")
    target = paths.normalize(to) if to else path
    if layout.is_internal(target):
        raise ValueError(f"cannot restore into {layout.INTERNAL_DIR}/")
    source = trash_key(batch, path)
    found = await entry_at(store, source)
    if found.kind == "file":
        pairs = [(source, target)]
    else:
        pairs = [(k, target + k[len(source) :]) for k in found.keys if not k.endswith("/")]
    if not pairs:
        raise FileNotFoundError(f"nothing in the trash at {ref!r} (see 'nbshelf trash list')")
    if await _moved_back_whole(store, source, target):
        await restore_trashed_checkpoints(store, batch, path, target)
        return [dst for _, dst in pairs]
    if not overwrite:
        for _, dst in pairs:
            if not await _exists(store, dst):
                continue
            raise FileExistsError(f"{dst} exists: restore --to another path, or --overwrite")
    await store.copy_many(pairs)
    await store.delete([src for src, _ in pairs])
    return [dst for _, dst in pairs]


async def _moved_back_whole(store: ObjectStore, source: str, target: str) -> bool:
    """On a store that moves folders whole, a trashed file or folder goes back with one
    rename when nothing is at ``target``; otherwise (or on two filesystems) False, and
    it is restored file by file."""
    if not isinstance(store, SupportsTreeMove) or await entry_at(store, target, listed=False):
        return False
    try:
        await store.move_tree(source, target)
    except (Conflict, Unsupported):
        return False
    return True


async def purge(store: ObjectStore, older_than: timedelta | None = None) -> int:
    """Delete trashed files for good (all, or those deleted more than ``older_than`` ago).

    With ``older_than``, the batches are listed first (1 LIST of the trash's folders) and
    only those old enough are listed whole: the hourly pruning a delete may trigger
    costs one short listing when nothing has expired, however full the trash."""
    cutoff = datetime.now(timezone.utc) - older_than if older_than is not None else None
    folders = [layout.TRASH]
    if cutoff is not None:
        top = await store.list_all(layout.TRASH, delimiter="/")
        folders = []
        for prefix in top.prefixes:
            when = batch_time(prefix.key[len(layout.TRASH) :].rstrip("/"))
            if when is not None and when < cutoff:
                folders.append(prefix.key)
    doomed = []
    for folder in folders:
        listing = await store.list_all(folder, delimiter=None)
        for info in listing.objects:
            batch = info.key[len(layout.TRASH) :].partition("/")[0]
            if cutoff is None or batch_time(batch) is not None:
                doomed.append(info.key)
    if doomed:
        await store.delete(doomed)
    return len([k for k in doomed if not k.endswith("/") and _trashed_file(k)])


def _trashed_file(key: str) -> bool:
    """A deleted file's key, not one of the checkpoints deleted with it."""
    path = key[len(layout.TRASH) :].partition("/")[2]
    return bool(path) and not layout.is_internal(path)


async def _exists(store: ObjectStore, key: str) -> bool:
    try:
        await store.head(key)
    except NotFound:
        return False
    return True
