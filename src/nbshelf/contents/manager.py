"""ShelfContentsManager: the Jupyter contents API over any object store.

Each API call costs as few store requests as the operation allows (see the
request budget in docs/design.md): opening a notebook is one GET, a poll with a
hash one HEAD, a save one PUT, a folder listing one LIST per page. Paths are
checked here once (``paths.check_path``); the store never sees a path it should not.

This module is the Jupyter API and its HTTP rules only. The rest lives beside it:
``paths`` (the path check), ``layout`` (nbshelf's reserved keys), ``lookup`` (what is at
a path), ``folder_ops`` (journalled moves and deletes, and their recovery), ``uploads``
(chunked uploads, a mixin), ``checkpoints``, ``trash``, ``models`` (models <-> bytes),
``errors`` (store errors -> HTTP errors) and ``seen`` (what was just read or written).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any, TypeVar

import nbformat
from jupyter_server.services.contents.manager import AsyncContentsManager, copy_pat
from tornado.web import HTTPError
from traitlets import Bool, Dict, Float, Instance, Integer, Unicode, default, observe

from ..stores import ENV_STORE, NotFound, ObjectInfo, ObjectStore, StoreError, open_store
from . import folder_ops, listing, lookup, models, notebook_json, paths, trust
from .checkpoints import ShelfCheckpoints
from .errors import store_errors
from .existence import ExistenceCache
from .export import ExportFolders
from .locks import PathLocks
from .seen import RecentlySeen
from .text_notebooks import type_text_notebooks
from .trash import TrashPruner
from .uploads import ChunkedUploadsMixin, ChunkSpool, spool_dir_default

T = TypeVar("T")
_CREATE_ONLY = "_nbshelf_create_only"  # set by new(), read (and removed) by save()
_SEEN_TTL = 5.0  # seconds an object this server just read or wrote is known to exist


class ShelfContentsManager(ChunkedUploadsMixin, AsyncContentsManager):
    """Notebooks and files in an object store (local directory by default)."""

    store_url = Unicode(
        config=True,
        help="Where notebooks live: file:///path, memory://name, swift://container/prefix, "
        "s3://bucket/prefix ... Empty: a local store at root_dir. Default: $NBSHELF_STORE.",
    )
    store_options = Dict(
        config=True, help="Keyword options for the store backend (credentials, endpoint ...)."
    )
    prefix = Unicode(
        "",
        config=True,
        help="A key prefix inside the store; '{username}' is replaced by the user's name "
        "(JupyterHub's $JUPYTERHUB_USER, else the login name), giving each user their own.",
    )
    root_dir = Unicode(config=True, help="The local store's root when no store_url is given.")
    page_size = Integer(1000, config=True, help="Keys per listing request.")
    max_concurrency = Integer(
        64,
        config=True,
        help="Store requests run at once by a folder rename, copy or delete (and Swift's "
        "worker threads). Unset: the store's own default (64 for object stores: 100 "
        "copies in two rounds; 8 on the local disk).",
    )
    delete_to_trash = Bool(
        True,
        config=True,
        help="Move deleted files and folders to .nbshelf/trash/ in the store instead of "
        "deleting them for good.",
    )
    trash_retention_days = Integer(
        30,
        config=True,
        help="Days deleted files stay in .nbshelf/trash/ (0: keep them until 'nbshelf trash "
        "empty').",
    )
    always_delete_dir = Bool(
        False,
        config=True,
        help="Delete non-empty folders even when delete_to_trash is False.",
    )
    max_copy_folder_size_mb = Integer(
        500, config=True, help="The largest folder (MB) that may be copied."
    )
    spool_dir = Unicode(
        config=True, help="Where chunked uploads are spooled until complete (default: $TMPDIR)."
    )
    recover_interrupted = Bool(
        True,
        config=True,
        help="On the first request, finish or roll back folder renames and deletes that a "
        "crashed server left half-done (journals in .nbshelf/ops/ whose lease has expired). "
        "Not done for a store_instance (embedding).",
    )
    recover_after_minutes = Integer(
        30,
        config=True,
        help="A journal written before leases (nbshelf < 0.2, no expiry) is recovered only "
        "once it is this old (a live server may still be running the operation).",
    )
    lease_seconds = Float(
        60.0,
        config=True,
        help="How long the lease of a folder rename or delete lasts in the store; the "
        "running operation renews it every third of that. Recovery (here and by other "
        "servers) touches only operations whose lease has expired.",
    ).tag(min=1.0)

    existence_cache_seconds = Float(
        5.0,
        config=True,
        help="For how many seconds a 'not found' answer, a folder's existence and a small "
        "folder's listing are reused (this server's own writes update them at once; other "
        "servers' writes are seen at most this late). Tools such as jupytext ask about a "
        "dozen missing files on every open and save. 0: ask the store every time. Not used "
        "on the local store (a stat is cheap, and editors write there behind the server).",
    ).tag(min=0.0)

    #: Hashes are the store's own MD5 of each object (its etag), so a poll downloads nothing.
    hash_algorithm = "md5"

    store_instance = Instance(
        "nbshelf.stores.base.ObjectStore", allow_none=True, help="A store object (for embedding)."
    )
    _store: ObjectStore | None = None
    _healed = False

    @default("store_url")
    def _store_url_default(self) -> str:
        return os.environ.get(ENV_STORE, "")

    @default("root_dir")
    def _root_dir_default(self) -> str:
        parent_root = getattr(self.parent, "root_dir", None)
        return str(parent_root) if parent_root else os.getcwd()

    @default("spool_dir")
    def _spool_dir_default(self) -> str:
        return spool_dir_default() or ""

    @default("files_handler_params")
    def _files_handler_params_default(self) -> dict[str, Any]:
        # /files/ is served by jupyter_server's FilesHandler, which reads through this
        # manager (so .nbshelf/ and hidden rules hold) but is also a tornado
        # StaticFileHandler, whose initialize() requires a path; it is not used.
        return {"path": self.root_dir}

    @default("checkpoints_class")
    def _checkpoints_class_default(self) -> type:
        return ShelfCheckpoints

    @default("checkpoints")
    def _checkpoints_default(self) -> Any:
        """jupyter_server's default, with this manager's store handed in to ours."""
        checkpoints = self.checkpoints_class(**self.checkpoints_kwargs)
        if isinstance(checkpoints, ShelfCheckpoints) and checkpoints.store_source is None:
            checkpoints.store_source = lambda: self.store
        return checkpoints

    def _forget_checkpoints(self, *paths_: str) -> None:
        """Our checkpoints of these paths move or go with them: what the checkpoints know
        of them (for pruning without a LIST) is dropped."""
        if isinstance(self.checkpoints, ShelfCheckpoints):
            for path in paths_:
                self.checkpoints.forget(path)

    @property
    def _checkpoints_in_store(self) -> bool:
        """Whether checkpoints are ours (in the store, moved and deleted with their file
        inside one journalled operation) rather than another Checkpoints class's."""
        return isinstance(self.checkpoints, ShelfCheckpoints)

    @observe("store_url", "store_options", "prefix", "root_dir")
    def _reset_store(self, change: Any) -> None:
        self._store = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._spool = ChunkSpool(self.spool_dir or None, self._upload_limits)
        self._seen = RecentlySeen(_SEEN_TTL)
        self._trash_pruner = TrashPruner()
        self._known = ExistenceCache(0.0)
        self._exports = ExportFolders()
        self._locks = PathLocks()

    @property
    def _lease(self) -> folder_ops.Lease:
        return folder_ops.Lease(self.lease_seconds)

    # ------------------------------------------------------------ the store
    @property
    def store(self) -> ObjectStore:
        """The store, opened on first use, already rooted at the user's prefix."""
        if self.store_instance is not None:
            return self.store_instance
        if self._store is None:
            # store_options are the backend's typed options, checked as the store opens
            # (an unknown one is an error naming the valid ones); {username} in the URL and
            # the prefix is filled by the one rule of nbshelf.stores.location
            options: dict[str, Any] = {"page_size": self.page_size}
            if self.trait_has_value("max_concurrency"):  # else the backend's own default
                options["max_concurrency"] = self.max_concurrency
            options.update(self.store_options)
            prefix = "/".join(p for p in (str(options.pop("prefix", "") or ""), self.prefix) if p)
            self._store = open_store(self.store_url or self.root_dir, prefix=prefix, **options)
        return self._store

    @property
    def store_description(self) -> str:
        try:
            return self.store.description
        except StoreError as e:
            return str(e)

    def _get_os_path(self, path: str) -> str:
        """The file behind an API path, for tools written for FileContentsManager. On a
        store that keeps no files here: a path in a fresh temporary folder, which the
        ``get`` that follows fills with the files the notebook refers to (jupyter_server's
        nbconvert handler asks this only to give exporters the notebook's folder; see
        :mod:`.export`)."""
        path = paths.check_path(path)
        os_path = self._os_path(path)
        if os_path is None:
            return self._exports.os_path(path)
        return os_path

    def _os_path(self, path: str) -> str | None:
        return self.store.local_path(path)

    # ------------------------------------------------------------ path rules
    async def is_hidden(self, path: str) -> bool:
        """Name-based, as on Unix: no store request. A path that could leave the store
        (``..``, backslash, control characters) or that names ``.nbshelf/`` is 400 here
        already: jupyter_server asks this first and would answer 404 for a hidden path."""
        path = paths.check_path(path)
        return paths.is_hidden(path)

    # ------------------------------------------------------------ existence
    async def file_exists(self, path: str = "") -> bool:
        """One HEAD, or none when this server read or wrote the file a moment ago
        (JupyterLab polls just before it saves, and the save handler asks again)."""
        path = paths.normalize(path)
        if not path or paths.is_internal(path):
            return False
        if path in self._seen:
            return True
        known = self._existence.file(path)
        if known is not None:
            return known
        with store_errors(path):
            if self._existence.wants_listing(paths.parent(path)):
                await self._list_names(paths.parent(path))
                known = self._existence.file(path)
                if known is not None:
                    return known
            try:
                await self.store.head(path)
            except NotFound:
                self._existence.not_found(path)
                return False
        self._seen.remember(path)
        return True

    @property
    def _existence(self) -> ExistenceCache:
        """The short-lived answers of :mod:`.existence` (off on the local store)."""
        ttl = 0.0 if self.store.local_path("") is not None else self.existence_cache_seconds
        if self._known.ttl != ttl:
            self._known = ExistenceCache(ttl)
        return self._known

    async def _list_names(self, folder: str) -> None:
        """One LIST (its first page) of a folder's names, remembered by :mod:`.existence`."""
        page = await self.store.list(paths.marker(folder), delimiter="/")
        marker = paths.marker(folder)
        files = {paths.name(o.key) for o in page.objects if o.key != marker}
        folders = {paths.name(p.key.rstrip("/")) for p in page.prefixes}
        self._existence.listed(folder, files, folders, complete=page.next_token is None)

    async def dir_exists(self, path: str) -> bool:
        path = paths.normalize(path)
        if not path:
            return True
        if paths.is_internal(path):
            return False
        known = self._existence.folder(path)
        if known is None and self._existence.enabled and path in self._seen:
            known = False  # just read or written as a file: a file wins, as in get()
        if known is not None:
            return known
        with store_errors(path):
            exists = await self._dir_exists(path)
        self._existence.folder_is(path, exists)
        return exists

    async def _dir_exists(self, path: str) -> bool:
        return (await lookup.folder_state(self.store, path))[0]

    async def exists(self, path: str) -> bool:
        return await self.file_exists(path) or await self.dir_exists(path)

    # ------------------------------------------------------------ interrupted operations
    async def _heal(self) -> None:
        """Once per manager, before its first request: recover the folder renames and
        deletes a crashed server left half-done (1 LIST when there are none)."""
        if self._healed:
            return
        self._healed = True
        if not self.recover_interrupted or self.store_instance is not None:
            return
        try:
            done = await folder_ops.recover(
                self.store, legacy_after=timedelta(minutes=self.recover_after_minutes)
            )
        except StoreError as e:
            self.log.warning("nbshelf: could not recover interrupted operations: %s", e)
            return
        for outcome in done:
            self.log.warning("nbshelf: recovered an interrupted operation: %s", outcome)

    # ------------------------------------------------------------ get
    async def get(
        self,
        path: str,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        require_hash: bool = False,
    ) -> dict[str, Any]:
        path = paths.check_path(path)
        await self._heal()
        if type not in (None, "directory", "file", "notebook"):
            raise HTTPError(400, f"Unknown type {type!r}", reason="bad type")
        with store_errors(path):
            if not path or type == "directory":
                model = await self._dir_model(path, content, missing_ok=True)
                if model is None:
                    if await self.file_exists(path):
                        raise HTTPError(400, f"{path} is not a directory", reason="bad type")
                    raise HTTPError(404, f"directory does not exist: {path!r}")
            elif type is None and not _looks_like_file(path):
                # a name without an extension is most often a folder: list it first
                model = await self._dir_model(path, content, missing_ok=True) or (
                    await self._object_model(path, content, type, format, require_hash)
                )
            else:
                model = await self._object_or_dir(path, content, type, format, require_hash)
            if content and model["type"] == "notebook":
                await self._exports.fill(self.store, path, model["content"])
        self.emit(data={"action": "get", "path": path})
        return model

    async def _object_or_dir(
        self, path: str, content: bool, type: str | None, format: str | None, require_hash: bool
    ) -> dict[str, Any]:
        try:
            return await self._object_model(path, content, type, format, require_hash)
        except HTTPError as e:
            if e.status_code != 404:
                raise
        model = await self._dir_model(path, content, missing_ok=True)
        if model is None:
            raise HTTPError(404, f"No such file or directory: {path}")
        if type is not None:
            raise HTTPError(400, f"{path} is a directory, not a {type}", reason="bad type")
        return model

    async def _object_model(
        self, path: str, content: bool, type: str | None, format: str | None, require_hash: bool
    ) -> dict[str, Any]:
        """A file or notebook model: one GET with content, one HEAD without."""
        try:
            if content:
                result = await self.store.get(path)
                info, data = result.info, result.data
            else:
                info, data = await self.store.head(path), None
        except NotFound:
            raise HTTPError(404, f"No such file or directory: {path}") from None
        self._seen.remember(path)
        model = models.object_model(path, info, type)
        if require_hash:
            models.add_hash(model, info)
        if data is None:
            return model
        if model["type"] == "notebook":
            await self._fill_notebook(model, path, data)
        else:
            text, fmt = models.file_content(path, data, format)
            model.update(content=text, format=fmt)
            model["mimetype"] = model["mimetype"] or models.default_mimetype(fmt)
        return model

    async def _fill_notebook(self, model: dict[str, Any], path: str, data: bytes) -> None:
        validation_error: dict[str, Any] = {}
        hashed_here = trust.off_loop(self)  # the signature's hashing with the parsing

        def parse() -> tuple[Any, str | None]:  # in slices: see .notebook_json
            nb = notebook_json.reads(data, capture_validation_error=validation_error)
            return nb, trust.digest_to_check(self, nb) if hashed_here else None

        try:
            nb, digest = await _off_loop(parse, len(data))
        except Exception as e:
            raise HTTPError(400, f"Unreadable Notebook: {path} {e!r}") from None
        if hashed_here:
            trust.mark_cells(self, nb, digest, path)
        else:
            self.mark_trusted_cells(nb, path)
        model["content"] = nb
        model["format"] = "json"
        self.validate_notebook_model(model, validation_error)

    async def _dir_model(
        self, path: str, content: bool, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        """A folder model: one LIST per page of entries (one HEAD or LIST without content)."""
        if not content:
            exists, when = await lookup.folder_state(self.store, path) if path else (True, None)
            if not exists:
                self._missing_dir(path, missing_ok)
                return None
            return models.base_model(path, "directory", when)
        # built a slice at a time, the event loop free in between (see .listing)
        found = await listing.list_folder(self.store, path, listing.name_filter(self))
        if found.files is not None and found.folders is not None:  # not past REMEMBERED
            self._existence.listed(path, found.files, found.folders, complete=True)
        if not found.found:
            self._missing_dir(path, missing_ok)
            return None
        entries, own_time = found.entries, found.own_time
        if not self.allow_hidden and paths.is_hidden(path):
            raise HTTPError(404, f"directory does not exist: {path!r}")
        await type_text_notebooks(self, path, entries)
        model = models.base_model(path, "directory", own_time)
        model.update(content=entries, format="json")
        return model

    def _missing_dir(self, path: str, missing_ok: bool) -> None:
        if not missing_ok:
            raise HTTPError(404, f"directory does not exist: {path!r}")

    # ------------------------------------------------------------ save
    async def _prepare_write(self, path: str) -> str:
        """The checked path of a save (never the root), once interrupted operations are
        settled."""
        path = paths.check_path(path)
        if not path:
            raise HTTPError(400, "Cannot save to the root folder itself")
        await self._heal()
        return path

    def _saved(self, path: str, model: dict[str, Any]) -> None:
        """What follows every save: remembered, post-save hooks, the event."""
        self._seen.remember(path)
        self._existence.wrote(path)
        self.run_post_save_hooks(model=model, os_path=self._os_path(path))
        self.emit(data={"action": "save", "path": path})

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        """Save a model; never inside a folder being moved or deleted (409 at once)."""
        async with self._locks.writing(paths.check_path(path)):
            if model.get("chunk") is not None:  # a chunked upload (ChunkedUploadsMixin)
                return await super().save(model, path)
            return await self._save_whole(model, path)

    async def _save_whole(self, model: dict[str, Any], path: str) -> dict[str, Any]:
        path = await self._prepare_write(path)
        self.run_pre_save_hooks(model=model, path=path)
        if "type" not in model:
            raise HTTPError(400, "No file type provided")
        if "content" not in model and model["type"] != "directory":
            raise HTTPError(400, "No file content provided")
        kind = model["type"]
        create = bool(model.pop(_CREATE_ONLY, False))
        validation_message = None
        with store_errors(path):
            if kind == "notebook":
                data, validation_message = await self._notebook_bytes(model, path)
                info = await self.store.put(
                    path, data, content_type="application/x-ipynb+json", if_none_match=create
                )
            elif kind == "file":
                data = models.file_bytes(path, model["content"], model.get("format"))
                info = await self.store.put(
                    path, data, content_type=model.get("mimetype"), if_none_match=create
                )
            elif kind == "directory":
                return await self._save_directory(path)
            else:
                raise HTTPError(400, f"Unhandled contents type: {kind}")
        saved = models.object_model(path, info, kind)
        if validation_message:
            saved["message"] = validation_message
        self._saved(path, saved)
        return saved

    async def _notebook_bytes(self, model: dict[str, Any], path: str) -> tuple[bytes, str | None]:
        """Serialise a notebook model, upgraded to v4, signed, with any validation message.

        Serialising, validating and the signature's hashing run in a worker thread; the
        signature database stays on the event loop (its SQLite connection belongs to it:
        :mod:`.trust`)."""
        content = model["content"]
        if not isinstance(content, dict) or not isinstance(content.get("nbformat"), int):
            raise HTTPError(400, f"Invalid notebook {path}: the content is not a notebook")
        if content["nbformat"] >= 4 and not isinstance(content.get("cells"), list):
            raise HTTPError(400, f"Invalid notebook {path}: it has no list of cells")
        hashed_here = trust.off_loop(self)  # the signature's hashing in the worker thread
        try:
            nb = nbformat.from_dict(content)
            if nb.get("nbformat", 4) < 4:
                nb = nbformat.convert(nb, 4)
            if not hashed_here:
                self.check_and_sign(nb, path)
            validation_error: dict[str, Any] = {}

            def serialise() -> tuple[bytes, str | None]:  # in slices: see .notebook_json
                digest = trust.digest_to_sign(self, nb) if hashed_here else None
                data = notebook_json.writes(nb, capture_validation_error=validation_error)
                return data, digest

            # saves: always in a thread, the size is unknown
            data, digest = await asyncio.to_thread(serialise)
        except HTTPError:
            raise
        except UnicodeEncodeError as e:  # a lone surrogate in a string of the notebook
            raise HTTPError(
                400, f"Invalid notebook {path}: not valid Unicode text ({e.reason})"
            ) from None
        except Exception as e:
            raise HTTPError(400, f"Invalid notebook {path}: {e}") from None
        if hashed_here:
            trust.store_signature(self, digest, path)
        self.validate_notebook_model(model, validation_error=validation_error)
        return data, model.get("message")

    async def _save_directory(self, path: str) -> dict[str, Any]:
        if not self.allow_hidden and paths.is_hidden(path):
            raise HTTPError(400, f"Cannot create hidden directory {path!r}")
        if await self.file_exists(path):
            raise HTTPError(400, f"Not a directory: {path}")
        info = await self.store.put(paths.marker(path), b"", content_type="application/directory")
        self._existence.wrote(path, folder=True)
        self.emit(data={"action": "save", "path": path})
        return models.base_model(path, "directory", info.last_modified)

    async def new(self, model: dict[str, Any] | None = None, path: str = "") -> dict[str, Any]:
        """Create a file that must not exist yet (new, untitled): a create-only put
        (Swift ``If-None-Match: *``, S3 create mode), so two servers creating the same
        name at once never overwrite each other: the second gets 409."""
        model = dict(model or {})
        if model.get("type", "notebook") != "directory":
            model[_CREATE_ONLY] = True
        return dict(await super().new(model, path))

    # ------------------------------------------------------------ delete
    async def delete_file(self, path: str) -> None:
        """Delete a file or folder (to the trash unless ``delete_to_trash`` is off), with
        its checkpoints when they are ours: one journalled operation for a folder."""
        path = paths.check_path(path)
        if not path:
            raise HTTPError(400, "Can't delete root")
        await self._heal()
        async with self._locks.tree([(path, "being deleted")]):
            await self._delete_claimed(path)

    async def _delete_claimed(self, path: str) -> None:
        self._seen.forget(path)
        self._existence.forget(path)
        self._forget_checkpoints(path)
        with store_errors(path):
            if self.delete_to_trash:
                whole = folder_ops.moves_whole(self.store)
            else:  # a listing only to refuse a folder that is not empty
                whole = self.always_delete_dir and folder_ops.deletes_whole(self.store)
            entry = await lookup.entry_at(self.store, path, listed=not whole)
            if not entry:
                raise HTTPError(404, f"File or directory does not exist: {path}")
            if (
                entry.kind == "folder"
                and not self.delete_to_trash
                and not self.always_delete_dir
                and any(k != paths.marker(path) for k in entry.keys)
            ):
                raise HTTPError(400, f"Directory {path} not empty")
            await folder_ops.delete(
                self.store,
                path,
                entry,
                to_trash=self.delete_to_trash,
                with_checkpoints=self._checkpoints_in_store,
                lease=self._lease,
            )
            if self.delete_to_trash:
                await self._trash_pruner.maybe_prune(self.store, self.trash_retention_days)

    async def delete(self, path: str) -> None:
        """jupyter_server's ``delete``, whose checkpoints ``delete_file`` already removed
        when they are ours."""
        path = path.strip("/")
        if not path:
            raise HTTPError(400, "Can't delete root")
        await self.delete_file(path)
        self._existence.forget(path)  # what was asked while it ran, too
        if not self._checkpoints_in_store:
            await self.checkpoints.delete_all_checkpoints(path)
        self.emit(data={"action": "delete", "path": path})

    # ------------------------------------------------------------ rename and copy
    async def rename_file(self, old_path: str, new_path: str) -> None:
        """Move a file or folder, with its checkpoints when they are ours: a folder is one
        journalled operation (copies, then deletes once every copy exists)."""
        old_path, new_path = paths.check_path(old_path), paths.check_path(new_path)
        if old_path == new_path:
            return
        if not old_path or not new_path:
            raise HTTPError(400, "Cannot rename the root folder")
        await self._heal()  # a half-done rename found here is settled before checking
        claims = [
            (old_path, f"being moved to {new_path}"),
            (new_path, f"being made by moving {old_path}"),
        ]
        async with self._locks.tree(claims):
            await self._rename_claimed(old_path, new_path)

    async def _rename_claimed(self, old_path: str, new_path: str) -> None:
        self._seen.forget(old_path)
        self._existence.forget(old_path)
        self._forget_checkpoints(old_path, new_path)
        whole = folder_ops.moves_whole(self.store)

        async def source() -> lookup.Entry:
            with store_errors(old_path):
                return await lookup.entry_at(self.store, old_path, listed=not whole)

        # whether the destination is free and what the source is, asked at once: two or
        # three round trips fewer than one after the other (errors kept in that order)
        taken, entry = await asyncio.gather(self.exists(new_path), source(), return_exceptions=True)
        for outcome in (taken, entry):
            if isinstance(outcome, BaseException):
                raise outcome
        if taken:
            raise HTTPError(409, f"File already exists: {new_path}")
        if new_path.startswith(old_path + "/"):
            raise HTTPError(400, f"Cannot move {old_path} into itself")
        self._existence.forget(new_path)
        assert isinstance(entry, lookup.Entry)
        if not entry:
            raise HTTPError(404, f"File or directory does not exist: {old_path}")
        with store_errors(old_path):
            await folder_ops.move(
                self.store,
                old_path,
                new_path,
                entry,
                with_checkpoints=self._checkpoints_in_store,
                lease=self._lease,
            )

    async def rename(self, old_path: str, new_path: str) -> None:
        """jupyter_server's ``rename``, whose checkpoints ``rename_file`` already moved
        when they are ours."""
        await self.rename_file(old_path, new_path)
        self._existence.forget(paths.normalize(old_path))  # what was asked meanwhile, too
        self._existence.forget(paths.normalize(new_path))
        if not self._checkpoints_in_store and old_path.strip("/") != new_path.strip("/"):
            await self.checkpoints.rename_all_checkpoints(old_path, new_path)
        self.emit(data={"action": "rename", "path": new_path, "source_path": old_path})

    async def copy(self, from_path: str, to_path: str | None = None) -> dict[str, Any]:
        """Copy a file (server side) or a folder, naming it ``name-Copy1.ext`` as Jupyter does."""
        path = paths.check_path(from_path)
        from_dir, from_name = paths.parent(path), paths.name(path)
        to_path = paths.check_path(to_path) if to_path is not None else None
        specified = to_path is not None
        target_dir = to_path if to_path is not None else from_dir
        with store_errors(path):
            is_file = await self.file_exists(path)
            if not is_file and not await self._dir_exists(path):
                raise HTTPError(404, f"No such file or directory: {path}")
            to_name = copy_pat.sub(".", from_name)
            if await self.dir_exists(target_dir):
                to_name = await self.increment_filename(to_name, target_dir, insert="-Copy")
                dest = paths.join(target_dir, to_name)
            elif not is_file:
                dest = paths.join(target_dir, to_name)  # a folder copy creates its target folder
            elif specified:
                assert to_path is not None
                if not await self.dir_exists(paths.parent(to_path)):
                    raise HTTPError(
                        404, f"No such parent directory: {paths.parent(to_path)} to copy file in"
                    )
                dest = to_path
            else:
                raise HTTPError(404, f"No such directory: {target_dir}")
            if is_file:
                async with self._locks.writing(dest):
                    info = await self.store.copy(path, dest)
                if info.size < 0:  # the store's copy response did not say (Swift)
                    info = await self.store.head(dest)
                self._seen.remember(dest)
                self._existence.wrote(dest)
                model = models.object_model(dest, info)
            else:
                claims = [(path, f"being copied to {dest}"), (dest, f"being copied from {path}")]
                async with self._locks.tree(claims):
                    model = await self._copy_dir(path, dest)
                self._existence.forget(dest)  # what was asked of names under it, too
                self._existence.wrote(dest, folder=True)
        self.emit(data={"action": "copy", "path": dest, "source_path": path})
        return model

    async def _copy_dir(self, path: str, dest: str) -> dict[str, Any]:
        listing = await self.store.list_all(paths.marker(path), delimiter=None)
        total = sum(o.size for o in listing.objects)
        if total > self.max_copy_folder_size_mb * 1024 * 1024:
            raise HTTPError(
                400,
                f"Can't copy folders larger than {self.max_copy_folder_size_mb}MB, "
                f"{path} is {total / 1024 / 1024:.0f}MB",
            )
        await self.store.copy_many((o.key, dest + o.key[len(path) :]) for o in listing.objects)
        if not any(o.key == paths.marker(path) for o in listing.objects):
            await self.store.put(paths.marker(dest), b"", content_type="application/directory")
        model = await self._dir_model(dest, content=False)
        assert model is not None
        return model

    # ------------------------------------------------------------ writers beside the API
    @contextlib.asynccontextmanager
    async def writing(self, path: str) -> AsyncIterator[str]:
        """For code that puts a file into the store itself (``server.kernel_files`` streams
        kernels' files): the checked path, held like a save against folder moves and
        deletes (409 at once inside one). Call :meth:`wrote` after the put."""
        async with self._locks.writing(paths.check_path(path)):
            yield await self._prepare_write(path)

    def wrote(self, path: str, info: ObjectInfo) -> dict[str, Any]:
        """What follows a save made that way (caches, post-save hooks, the event): its model."""
        model = models.object_model(path, info)
        self._saved(path, model)
        return model

    # ------------------------------------------------------------ misc
    async def get_kernel_path(self, path: str, model: Any = None) -> str:
        """The kernel starts in the notebook's folder: no store request needed."""
        return paths.parent(path.strip("/"))

    def info_string(self) -> str:
        return f"Serving notebooks from {self.store_description}"


async def _off_loop(fn: Callable[[], T], size: int) -> T:
    """Run CPU-heavy notebook (de)serialisation in a worker thread when it is large."""
    if size < notebook_json.OFF_LOOP_BYTES:
        return fn()
    return await asyncio.to_thread(fn)


def _looks_like_file(path: str) -> bool:
    """Whether the last segment has an extension (``x.ipynb``, ``data.csv``)."""
    name = paths.name(path)
    return "." in name.lstrip(".")


__all__ = ["ShelfContentsManager"]
