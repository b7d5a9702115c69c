"""The trash: deleted files wait under ``.nbshelf/trash/<when>/<path>`` in the store.

An accidental delete is never final: every object of a deleted file or folder
is copied (server side) here before it is deleted, and can be listed, restored
or purged, from the command line (``nbshelf trash``) or from Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..stores import NotFound, ObjectStore
from . import paths

_STAMP = "%Y%m%dT%H%M%S%fZ"


def new_batch() -> str:
    """The folder of one delete: its UTC time, so batches sort by age."""
    return datetime.now(timezone.utc).strftime(_STAMP)


def batch_time(batch: str) -> datetime | None:
    try:
        return datetime.strptime(batch, _STAMP).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def trash_key(batch: str, key: str) -> str:
    return f"{paths.TRASH}{batch}/{key}"


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


async def move_to_trash(store: ObjectStore, keys: list[str]) -> str:
    """Copy the files among ``keys`` into a new trash batch; return the batch name.

    The caller deletes the originals afterwards, only once this has succeeded.
    """
    batch = new_batch()
    await store.copy_many((k, trash_key(batch, k)) for k in keys if not k.endswith("/"))
    return batch


async def list_trash(store: ObjectStore) -> list[TrashedFile]:
    """Every trashed file, newest delete first."""
    listing = await store.list_all(paths.TRASH, delimiter=None)
    found = []
    for info in listing.objects:
        if info.is_dir_marker:
            continue
        batch, _, path = info.key[len(paths.TRASH) :].partition("/")
        if path:
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
    if paths.is_internal(target):
        raise ValueError(f"cannot restore into {paths.INTERNAL_DIR}/")
    source = trash_key(batch, path)
    try:
        await store.head(source)
        pairs = [(source, target)]
    except NotFound:
        listing = await store.list_all(source + "/", delimiter=None)
        pairs = [
            (o.key, target + o.key[len(source) :]) for o in listing.objects if not o.is_dir_marker
        ]
    if not pairs:
        raise FileNotFoundError(f"nothing in the trash at {ref!r} (see 'nbshelf trash list')")
    if not overwrite:
        for _, dst in pairs:
            try:
                await store.head(dst)
            except NotFound:
                continue
            raise FileExistsError(f"{dst} exists: restore --to another path, or --overwrite")
    await store.copy_many(pairs)
    await store.delete([src for src, _ in pairs])
    return [dst for _, dst in pairs]


async def purge(store: ObjectStore, older_than: timedelta | None = None) -> int:
    """Delete trashed files for good (all, or those deleted more than ``older_than`` ago)."""
    cutoff = datetime.now(timezone.utc) - older_than if older_than is not None else None
    listing = await store.list_all(paths.TRASH, delimiter=None)
    doomed = []
    for info in listing.objects:
        batch = info.key[len(paths.TRASH) :].partition("/")[0]
        when = batch_time(batch)
        if cutoff is None or (when is not None and when < cutoff):
            doomed.append(info.key)
    if doomed:
        await store.delete(doomed)
    return len([k for k in doomed if not k.endswith("/")])
