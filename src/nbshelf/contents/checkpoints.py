"""ShelfCheckpoints: several checkpoints per file, kept in the same store.

A checkpoint of ``a/b.ipynb`` is the object ``.nbshelf/checkpoints/a/b.ipynb/<id>``
made by a server-side copy, so creating one costs one COPY (plus one DELETE when the
oldest are pruned). Its id is its UTC creation time, so ids sort by age. They live
under the store's prefix: two prefixes never share them.

Pruning needs the file's checkpoints. The first checkpoint of a file lists them (1
LIST); after that this server knows them (:class:`KnownCheckpoints`: what it listed,
created and deleted) for ``known_seconds``, so JupyterLab's checkpoint after every save
is 1 COPY. Checkpoints another server made meanwhile are seen at the next LIST; until
then a file may keep more than ``keep`` (never fewer).

The store is handed in (``store_source``, set by the contents manager that makes the
checkpoints object), so this module knows no manager. :func:`move_checkpoints` and
:func:`delete_checkpoints` are the one place checkpoints follow a renamed or deleted
file or folder (on a store that moves folders whole, with one rename:
:func:`trash_checkpoints` moves them into the trash with a deleted folder); folder
operations and their recovery use them too.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import nbformat
from jupyter_server.services.contents.checkpoints import (
    AsyncCheckpoints,
    AsyncGenericCheckpointsMixin,
)
from tornado.web import HTTPError
from traitlets import Callable as CallableTrait
from traitlets import Float, Integer

from ..stores import Conflict, NotFound, ObjectStore, Unsupported
from ..stores.capabilities import SupportsTreeMove
from . import layout, notebook_json, paths
from .errors import store_errors


async def move_checkpoints(
    store: ObjectStore, old_path: str, new_path: str, *, dry_run: bool = False
) -> int:
    """Move the checkpoints of a file, or of every file in a folder, to its new path
    (1 LIST; N COPY + 1 bulk DELETE when there are any). Returns how many; on a store
    that moves a folder whole (``SupportsTreeMove``), their folder is renamed instead
    (1 RENAME, however many: :data:`MOVED_WHOLE` is returned when there were any)."""
    old, new = layout.checkpoint_folder(old_path), layout.checkpoint_folder(new_path)
    if not dry_run:
        moved = await _move_whole(store, old, new)
        if moved is not None:
            return moved
    listing = await store.list_all(old, delimiter=None)
    keys = [o.key for o in listing.objects]
    if keys and not dry_run:
        await store.copy_many((k, new + k[len(old) :]) for k in keys)
        await store.delete(keys)
    return len(keys)


#: What :func:`move_checkpoints` returns for checkpoints moved with one rename: some,
#: not counted.
MOVED_WHOLE = -1


async def _move_whole(store: ObjectStore, old: str, new: str) -> int | None:
    """One rename of the checkpoint folder ``old`` to ``new`` where the store can:
    :data:`MOVED_WHOLE`, or 0 if there was none; None where it cannot (not such a store,
    two filesystems, or ``new`` already holds checkpoints: copy and merge them)."""
    if not isinstance(store, SupportsTreeMove):
        return None
    try:
        await store.move_tree(old.rstrip("/"), new.rstrip("/"))
    except NotFound:
        return 0
    except (Conflict, Unsupported):
        return None
    return MOVED_WHOLE


async def trash_checkpoints(store: ObjectStore, path: str, batch: str) -> None:
    """The checkpoints of a file or folder just moved whole into the trash ``batch``: on
    a store that moves folders whole, their folder goes into the batch too (1 RENAME;
    purged with the batch); elsewhere they are deleted (:func:`delete_checkpoints`)."""
    old = layout.checkpoint_folder(path)
    moved = await _move_whole(store, old, layout.trashed_checkpoints_folder(batch, path))
    if moved is None:
        await delete_checkpoints(store, path)


async def restore_trashed_checkpoints(
    store: ObjectStore, batch: str, path: str, target: str
) -> None:
    """The checkpoints :func:`trash_checkpoints` moved into the trash with ``path`` go
    back with it to ``target`` (1 RENAME where the store moves folders whole and
    ``target`` has none; otherwise they stay in the trash until it is purged)."""
    await _move_whole(
        store, layout.trashed_checkpoints_folder(batch, path), layout.checkpoint_folder(target)
    )


async def delete_checkpoints(store: ObjectStore, path: str, *, dry_run: bool = False) -> int:
    """Delete the checkpoints of a file, or of every file in a folder (1 LIST; 1 bulk
    DELETE when there are any). Returns how many."""
    listing = await store.list_all(layout.checkpoint_folder(path), delimiter=None)
    keys = [o.key for o in listing.objects]
    if keys and not dry_run:
        await store.delete(keys)
    return len(keys)


class KnownCheckpoints:
    """The checkpoint keys of recently checkpointed files, as this server last listed,
    created or deleted them, for ``ttl`` seconds from the listing (at most ``size``
    files)."""

    def __init__(self, ttl: float, size: int = 1024) -> None:
        self.ttl, self.size = ttl, size
        self._known: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()

    def get(self, path: str) -> list[str] | None:
        """The keys, oldest first, or None when not known (list them)."""
        entry = self._known.get(path)
        if entry is None or time.monotonic() - entry[0] >= self.ttl:
            return None
        return entry[1]

    def listed(self, path: str, keys: list[str]) -> None:
        if self.ttl <= 0:
            return
        self._known[path] = (time.monotonic(), sorted(keys))
        self._known.move_to_end(path)
        while len(self._known) > self.size:
            self._known.popitem(last=False)

    def update(self, path: str, keys: list[str]) -> None:
        """What this server changed (created, pruned), keeping the listing's age: the
        keys are listed again ``ttl`` after the last LIST, however often they change."""
        entry = self._known.get(path)
        if entry is not None:
            self._known[path] = (entry[0], sorted(keys))

    def forget(self, path: str) -> None:
        """``path`` and everything under it (a renamed or deleted file or folder)."""
        under = path.rstrip("/") + "/"
        for known in [p for p in self._known if p == path or p.startswith(under)]:
            del self._known[known]


def _checked(path: str) -> str:
    """A file's path. nbshelf's own data is never named by the API (400, as for every
    method on ``.nbshelf/``); the root has no checkpoints (404)."""
    path = paths.check_path(path)
    if not path:
        raise HTTPError(404, f"No such file: {path}")
    return path


class ShelfCheckpoints(AsyncGenericCheckpointsMixin, AsyncCheckpoints):
    """Checkpoints as objects under ``.nbshelf/checkpoints/`` in the notebooks' store.

    Also a ``GenericCheckpointsMixin`` (checkpoints readable as models): the interface
    tools such as nbdime use to read a checkpoint, whatever its storage. Creating and
    restoring stay server-side copies (the mixin's versions are overridden here)."""

    keep = Integer(
        5, config=True, help="Checkpoints kept per file; the oldest beyond this are deleted."
    ).tag(min=1)

    known_seconds = Float(
        600.0,
        config=True,
        help="For how long this server prunes a file's checkpoints from what it listed, "
        "created and deleted itself, without listing them again (0: list them at every "
        "checkpoint). Checkpoints another server made meanwhile are pruned once they are "
        "listed again.",
    ).tag(min=0.0)

    store_source = CallableTrait(
        None,
        allow_none=True,
        help="A function returning the store to keep checkpoints in (the contents manager "
        "that makes this object hands in its own store).",
    )

    @property
    def store(self) -> ObjectStore:
        source: Callable[[], ObjectStore] | None = self.store_source
        if source is None:
            raise RuntimeError(
                "ShelfCheckpoints has no store: use it with nbshelf.ShelfContentsManager, "
                "or set its store_source"
            )
        return source()

    def _key(self, path: str, checkpoint_id: str) -> str:
        if not checkpoint_id or "/" in checkpoint_id or checkpoint_id.startswith("."):
            raise HTTPError(400, f"Invalid checkpoint id {checkpoint_id!r}")
        return layout.checkpoint_key(_checked(path), checkpoint_id)

    async def create_checkpoint(self, contents_mgr: Any, path: str) -> dict[str, Any]:
        path = _checked(path)
        checkpoint_id = layout.new_checkpoint_id()
        with store_errors(path):
            key = self._key(path, checkpoint_id)
            try:
                info = await self.store.copy(path, key)
            except NotFound:
                raise HTTPError(404, f"No such file: {path}") from None
            await self._prune(path, key)
        return {"id": checkpoint_id, "last_modified": info.last_modified}

    _known: KnownCheckpoints | None = None

    @property
    def known(self) -> KnownCheckpoints:
        """What this server knows of files' checkpoints (:class:`KnownCheckpoints`)."""
        if self._known is None or self._known.ttl != self.known_seconds:
            self._known = KnownCheckpoints(self.known_seconds)
        return self._known

    def forget(self, path: str) -> None:
        """Forget what is known of the checkpoints of ``path`` (and of everything under
        it): they were moved or deleted with it."""
        self.known.forget(paths.normalize(path))

    async def _prune(self, path: str, new_key: str) -> None:
        """Keep the newest ``keep`` checkpoints, ``new_key`` (just made) among them: from
        what this server knows of them, else from a LIST."""
        keys = self.known.get(path)
        remember = self.known.update
        if keys is None:
            listing = await self.store.list_all(layout.checkpoint_folder(path), delimiter="/")
            keys = [o.key for o in listing.objects if not o.is_dir_marker]
            remember = self.known.listed
        keys = sorted({*keys, new_key})
        doomed = keys[: -self.keep] if len(keys) > self.keep else []
        if doomed:
            await self.store.delete(doomed)
        remember(path, keys[len(doomed) :])

    async def restore_checkpoint(self, contents_mgr: Any, checkpoint_id: str, path: str) -> None:
        path = _checked(path)
        with store_errors(path):
            try:
                await self.store.copy(self._key(path, checkpoint_id), path)
            except NotFound:
                self.no_such_checkpoint(path, checkpoint_id)

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        """Oldest first, as jupyter_server lists them: JupyterLab reverses the list to offer
        the newest first in its "Revert to checkpoint" dialog."""
        path = _checked(path)
        with store_errors(path):
            listing = await self.store.list_all(layout.checkpoint_folder(path), delimiter="/")
        found = sorted((o for o in listing.objects if not o.is_dir_marker), key=lambda o: o.key)
        self.known.listed(path, [o.key for o in found])
        return [{"id": paths.name(o.key), "last_modified": o.last_modified} for o in found]

    async def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        path = _checked(path)
        key = self._key(path, checkpoint_id)
        with store_errors(path):
            try:
                await self.store.head(key)
            except NotFound:
                self.no_such_checkpoint(path, checkpoint_id)
            self.known.forget(path)
            await self.store.delete([key])

    async def rename_checkpoint(self, checkpoint_id: str, old_path: str, new_path: str) -> None:
        old_key, new_key = self._key(old_path, checkpoint_id), self._key(new_path, checkpoint_id)
        with store_errors(old_path):
            self.forget(old_path)
            self.forget(new_path)
            await self.store.copy(old_key, new_key)
            await self.store.delete([old_key])

    async def rename_all_checkpoints(self, old_path: str, new_path: str) -> None:
        """Move the checkpoints of a file, or of every file in a folder, with it."""
        old_path, new_path = _checked(old_path), _checked(new_path)
        self.forget(old_path)
        self.forget(new_path)
        with store_errors(old_path):
            await move_checkpoints(self.store, old_path, new_path)

    async def delete_all_checkpoints(self, path: str) -> None:
        """Delete the checkpoints of a file, or of every file in a deleted folder."""
        path = _checked(path)
        self.forget(path)
        with store_errors(path):
            await delete_checkpoints(self.store, path)

    # ------------------------------------------------ GenericCheckpointsMixin (read as models)
    async def _resolve_id(self, checkpoint_id: Any, path: str) -> str:
        """An id string names that checkpoint. A list entry (a dict), as nbdime passes
        ``list_checkpoints(path)[0]`` believing a file has one checkpoint (jupyter_server's
        FileCheckpoints), means "the file's checkpoint": the newest (see docs/design.md,
        "Choices")."""
        if isinstance(checkpoint_id, str):
            return checkpoint_id
        listed = await self.list_checkpoints(path)
        if not listed:
            self.no_such_checkpoint(path, str(checkpoint_id))
        return str(listed[-1]["id"])

    async def _read(self, checkpoint_id: Any, path: str) -> bytes:
        path = _checked(path)
        key = self._key(path, await self._resolve_id(checkpoint_id, path))
        with store_errors(path):
            try:
                return (await self.store.get(key)).data
            except NotFound:
                self.no_such_checkpoint(path, str(checkpoint_id))
                raise

    async def get_notebook_checkpoint(self, checkpoint_id: Any, path: str) -> dict[str, Any]:
        data = await self._read(checkpoint_id, path)
        try:  # a large one in a worker thread, in slices (see .notebook_json)
            if len(data) < notebook_json.OFF_LOOP_BYTES:
                nb = notebook_json.reads(data)
            else:
                nb = await asyncio.to_thread(notebook_json.reads, data)
        except Exception as e:
            raise HTTPError(400, f"Unreadable notebook checkpoint of {path}: {e!r}") from None
        return {"type": "notebook", "content": nb}

    async def get_file_checkpoint(self, checkpoint_id: Any, path: str) -> dict[str, Any]:
        data = await self._read(checkpoint_id, path)
        try:
            return {"type": "file", "content": data.decode("utf-8"), "format": "text"}
        except UnicodeDecodeError:
            import base64

            return {"type": "file", "content": base64.b64encode(data).decode(), "format": "base64"}

    async def create_notebook_checkpoint(self, nb: Any, path: str) -> dict[str, Any]:
        """A checkpoint of the given notebook content (not of the stored file)."""
        node = nbformat.from_dict(nb)
        data = await asyncio.to_thread(notebook_json.writes, node)  # the size is unknown
        return await self._put_checkpoint(path, data)

    async def create_file_checkpoint(self, content: Any, format: str, path: str) -> dict[str, Any]:
        import base64

        data = base64.b64decode(content) if format == "base64" else str(content).encode("utf-8")
        return await self._put_checkpoint(path, data)

    async def _put_checkpoint(self, path: str, data: bytes) -> dict[str, Any]:
        path = _checked(path)
        checkpoint_id = layout.new_checkpoint_id()
        with store_errors(path):
            key = self._key(path, checkpoint_id)
            info = await self.store.put(key, data)
            await self._prune(path, key)
        return {"id": checkpoint_id, "last_modified": info.last_modified}

    def no_such_checkpoint(self, path: str, checkpoint_id: str) -> None:
        raise HTTPError(404, f"Checkpoint does not exist: {path}@{checkpoint_id}")


__all__ = [
    "MOVED_WHOLE",
    "ShelfCheckpoints",
    "delete_checkpoints",
    "move_checkpoints",
    "restore_trashed_checkpoints",
    "trash_checkpoints",
]
