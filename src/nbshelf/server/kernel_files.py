"""Files for kernels: the endpoint ``shelf://`` (``nbshelf.kernelfs``) talks to, and what
a kernel this server starts is told about it.

A kernel runs on the server's disk while its notebook lives in the store. Rather than
hand it the store's credentials, the server gives every kernel it starts:

``NBSHELF_SERVER_URL``
    this server (loopback), where ``/nbshelf/api/kernel-files/`` answers;
``NBSHELF_KERNEL_TOKEN``
    a credential good for those endpoints only (not the rest of the Jupyter API):
    an HMAC of the server's cookie secret, so it is the same after a restart of the
    server (the cookie secret is kept in the runtime folder) and a kernel that outlived
    its server goes on working with the next one;
``NBSHELF_NOTEBOOK_DIR``
    the API path of the notebook's folder, against which relative ``shelf://`` paths
    resolve (jupyter_server's ``JPY_SESSION_NAME`` is a disk path, wrong for a store);
``NBSHELF_KERNEL_ID``
    the kernel's id, by which it asks ``where`` its notebook is now (the session API's
    path: a notebook moved while its kernel runs, or restarts, takes it along).

The kernel's working directory is the notebook's real folder on the local store (as
before), and a local working folder mirroring the notebook's folder elsewhere
(``ShelfKernels.work_dir``; see ``%shelf`` in ``nbshelf.kernelfs.magic``).

Every path passes :func:`nbshelf.contents.paths.check_path` (``.nbshelf/`` and paths
leaving the store are refused), hidden files are refused unless
``ContentsManager.allow_hidden``, listings, folders, moves and deletes go through the
contents manager (the trash, checkpoints and journalled folder operations included), and
a file's put is held like a save (``ShelfContentsManager.writing``: 409 inside a folder
being moved or deleted) and followed by what follows a save (``wrote``: caches,
post-save hooks, the event).
Reads stream from the store by byte ranges (``ObjectStore.get_range``), writes are
chunked into a spool file on the server's disk and put once whole: neither side holds
a large file in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import mimetypes
import os
import re
import secrets
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.web import HTTPError
from traitlets import Bool, Integer, Unicode
from traitlets.config import Configurable

from ..contents import ShelfContentsManager, paths
from ..contents.errors import store_errors

API = "nbshelf/api/kernel-files"
AUTH_SCHEME = "nbshelf-kernel"
ENV_URL = "NBSHELF_SERVER_URL"
ENV_TOKEN = "NBSHELF_KERNEL_TOKEN"
ENV_DIR = "NBSHELF_NOTEBOOK_DIR"
ENV_WORK = "NBSHELF_WORK_DIR"
ENV_KERNEL = "NBSHELF_KERNEL_ID"
READ_PIECE = 8 << 20  # bytes read from the store, and written to the kernel, at a time
MAX_CHUNK = 64 << 20  # the largest upload chunk accepted in one request


class ShelfKernels(Configurable):
    """What kernels started by this server get to reach the store through it."""

    enabled = Bool(
        True,
        config=True,
        help="Give kernels shelf:// (NBSHELF_SERVER_URL, NBSHELF_KERNEL_TOKEN, "
        "NBSHELF_NOTEBOOK_DIR in their environment) and the kernel-files endpoint.",
    )
    load_magic = Bool(
        True,
        config=True,
        help="Load the %%shelf magic (nbshelf.kernelfs.magic) into IPython kernels.",
    )
    work_dir = Unicode(
        "",
        config=True,
        help="Where kernels of notebooks in a non-local store start: a folder per "
        "notebook folder under it. Default: $NBSHELF_WORK_DIR, else "
        "<Jupyter data dir>/nbshelf/work/<store>.",
    )
    upload_expiry_seconds = Integer(
        3600, config=True, help="Unfinished kernel uploads idle this long are dropped."
    )
    max_uploads = Integer(64, config=True, help="Unfinished kernel uploads kept at once.")


def kernel_token(cookie_secret: bytes) -> str:
    """The kernels' credential: stable for a server's cookie secret, useless elsewhere."""
    return hmac.new(cookie_secret, b"nbshelf kernel files v1", hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- uploads
@dataclass
class _Upload:
    path: str
    file: Path
    size: int = 0
    touched: float = field(default_factory=time.monotonic)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class _Uploads:
    """Chunked writes in progress: a spool file each, bounded in number and idle time."""

    def __init__(self, folder: Path, expiry: float, limit: int) -> None:
        self.folder, self.expiry, self.limit = folder, expiry, limit
        self.open: dict[str, _Upload] = {}

    def start(self, path: str) -> str:
        self.expire()
        if len(self.open) >= self.limit:
            raise HTTPError(
                503, f"Too many unfinished kernel uploads ({self.limit}); close open files"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        uid = secrets.token_hex(16)
        file = self.folder / uid
        file.touch(mode=0o600)
        self.open[uid] = _Upload(path, file)
        return uid

    def get(self, uid: str) -> _Upload:
        up = self.open.get(uid)
        if up is None:
            raise HTTPError(404, f"No such upload {uid!r} (finished, aborted or expired)")
        up.touched = time.monotonic()
        return up

    def drop(self, uid: str) -> None:
        up = self.open.pop(uid, None)
        if up is not None:
            up.file.unlink(missing_ok=True)

    def expire(self) -> None:
        now = time.monotonic()
        for uid, up in list(self.open.items()):
            if now - up.touched > self.expiry and not up.lock.locked():
                self.drop(uid)


# ----------------------------------------------------------------------------- handlers
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class KernelFilesHandler(APIHandler):
    """Base: the kernel token (or a normal Jupyter login), the path rules."""

    async def prepare(self) -> None:  # type: ignore[override]
        scheme, _, cred = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == AUTH_SCHEME:
            if not self.check_host():
                raise HTTPError(403)
            expected = self.settings.get("nbshelf_kernel_token") or ""
            if not expected or not hmac.compare_digest(cred.strip(), expected):
                raise HTTPError(403, "The kernel's nbshelf token was refused by this server")
            self.current_user = self._jupyter_current_user = {"name": "nbshelf-kernel"}  # type: ignore[assignment]
            return
        await super().prepare()
        if not self.current_user:
            raise HTTPError(403, "Not authenticated")

    def check_xsrf_cookie(self) -> None:
        if self.request.headers.get("Authorization", "").lower().startswith(AUTH_SCHEME):
            return None  # a header credential, not a cookie: no cross-site forgery
        return super().check_xsrf_cookie()

    @property
    def cm(self) -> Any:
        return self.contents_manager

    @property
    def uploads(self) -> _Uploads:
        uploads: _Uploads = self.settings["nbshelf_kernel_uploads"]
        return uploads

    def api_path(self, name: str = "path") -> str:
        """The checked API path of the argument ``name``: 400 for a path that could leave
        the store, 403 for ``.nbshelf/`` and (unless allowed) hidden files."""
        raw = self.get_argument(name, "")
        try:
            path = paths.check_path(raw)
        except HTTPError as e:
            if paths.is_internal(paths.normalize(raw)):
                raise HTTPError(403, e.log_message, reason="Forbidden") from None
            raise
        if paths.is_hidden(path) and not getattr(self.cm, "allow_hidden", False):
            raise HTTPError(
                403,
                f"{path} is hidden; the server does not serve hidden files "
                "(ContentsManager.allow_hidden)",
            )
        return path

    def reply(self, body: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, default=str))

    async def file_info(self, path: str) -> dict[str, Any] | None:
        """The file at ``path`` (1 HEAD), or None."""
        if not path:
            return None
        try:
            with store_errors(path):
                info = await self.cm.store.head(path)
        except HTTPError as e:
            if e.status_code == 404:
                return None
            raise
        if info.key.endswith("/"):
            return None
        return {
            "name": path,
            "type": "file",
            "size": info.size,
            "last_modified": info.last_modified.isoformat(),
            "etag": info.etag,
            "mimetype": mimetypes.guess_type(path)[0],
        }

    async def folder_exists(self, path: str) -> bool:
        return bool(await self.cm.dir_exists(path))


def _entry(model: dict[str, Any]) -> dict[str, Any]:
    kind = "directory" if model["type"] == "directory" else "file"
    return {
        "name": model["path"],
        "type": kind,
        "size": model.get("size") or 0 if kind == "file" else 0,
        "last_modified": model.get("last_modified"),
        "mimetype": model.get("mimetype"),
    }


class InfoHandler(KernelFilesHandler):
    @web.authenticated
    async def get(self) -> None:
        path = self.api_path()
        found = await self.file_info(path)
        if found is None and await self.folder_exists(path):
            found = {"name": path, "type": "directory", "size": 0}
        if found is None:
            raise HTTPError(404, f"No such file or directory: {path}")
        self.reply(found)


class ListHandler(KernelFilesHandler):
    @web.authenticated
    async def get(self) -> None:
        path = self.api_path()
        try:
            model = await self.cm.get(path, content=True, type="directory")
        except HTTPError as e:
            if e.status_code not in (400, 404):
                raise
            found = await self.file_info(path)
            if found is None:
                raise HTTPError(404, f"No such file or directory: {path}") from None
            self.reply([found])
            return
        self.reply([_entry(m) for m in model["content"]])


class DataHandler(KernelFilesHandler):
    """GET: the bytes of a file, streamed (``Range`` honoured). PUT: a small file whole."""

    @web.authenticated
    async def get(self) -> None:
        path = self.api_path()
        found = await self.file_info(path)
        if found is None:
            if path == "" or await self.folder_exists(path):
                raise HTTPError(400, f"{path or '/'} is a folder", reason="IsADirectory")
            raise HTTPError(404, f"No such file: {path}")
        size = found["size"]
        start, end = 0, size
        m = _RANGE.match(self.request.headers.get("Range", ""))
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(size, int(m.group(2)) + 1) if m.group(2) else size
            else:  # the last N bytes
                start = max(0, size - int(m.group(2)))
            start = min(start, size)
            end = max(start, end)
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{max(start, end - 1)}/{size}")
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Length", str(end - start))
        if found.get("etag"):
            self.set_header("ETag", found["etag"])
        pos = start
        while pos < end:
            with store_errors(path):
                piece = await self.cm.store.get_range(path, pos, min(end, pos + READ_PIECE))
            if not piece:  # the object shrank under us: end the body short, loudly
                raise HTTPError(409, f"{path} changed while it was read")
            self.write(piece)
            pos += len(piece)
            del piece
            try:
                await self.flush()  # waits for the kernel: at most a piece is held here
            except StreamClosedError:
                return  # the kernel read what it wanted (a seek elsewhere, a close)
        self.finish()

    @web.authenticated
    async def put(self) -> None:
        path = self.api_path()
        await _writable(self, path)
        body = self.request.body
        async with self.cm.writing(path) as path:
            with store_errors(path):
                info = await self.cm.store.put(
                    path, body, content_type=mimetypes.guess_type(path)[0]
                )
            self.cm.wrote(path, info)
        self.reply({"name": path, "type": "file", "size": info.size})


async def _writable(h: KernelFilesHandler, path: str) -> None:
    if not path:
        raise HTTPError(400, "Cannot write the root folder", reason="IsADirectory")
    if await h.folder_exists(path):
        raise HTTPError(400, f"{path} is a folder", reason="IsADirectory")
    parent = paths.parent(path)
    if parent and await h.file_info(parent) is not None:
        raise HTTPError(400, f"{parent} is a file, not a folder", reason="NotADirectory")


class UploadsHandler(KernelFilesHandler):
    """POST ?path=: start a chunked write; the file appears only when it is committed."""

    @web.authenticated
    async def post(self) -> None:
        path = self.api_path()
        await _writable(self, path)
        self.reply({"id": self.uploads.start(path)})


class UploadHandler(KernelFilesHandler):
    """PUT ?offset=N: append a chunk; POST: commit (one store put); DELETE: abort."""

    @web.authenticated
    async def put(self, uid: str) -> None:
        up = self.uploads.get(uid)
        offset = int(self.get_argument("offset"))
        body = self.request.body
        if len(body) > MAX_CHUNK:
            raise HTTPError(413, f"Chunks are at most {MAX_CHUNK} bytes")
        async with up.lock:
            if offset + len(body) == up.size and offset < up.size:
                self.reply({"size": up.size})  # a retried chunk that had landed
                return
            if offset != up.size:
                raise HTTPError(409, f"Chunk at {offset}, but {up.size} bytes were received")
            await asyncio.to_thread(_append, up.file, body)
            up.size += len(body)
        self.reply({"size": up.size})

    @web.authenticated
    async def post(self, uid: str) -> None:
        up = self.uploads.get(uid)
        expected = int(self.get_argument("size", "-1"))
        async with up.lock:
            if expected >= 0 and expected != up.size:
                raise HTTPError(409, f"{expected} bytes written, {up.size} received")
            try:
                async with self.cm.writing(up.path) as path:
                    with store_errors(path), open(up.file, "rb") as f:
                        info = await self.cm.store.put(
                            path, f, content_type=mimetypes.guess_type(path)[0]
                        )
                    self.cm.wrote(path, info)
            finally:
                self.uploads.drop(uid)
        self.reply({"name": up.path, "type": "file", "size": info.size})

    @web.authenticated
    async def delete(self, uid: str) -> None:
        self.uploads.drop(uid)
        self.set_status(204)
        self.finish()


def _append(file: Path, body: bytes) -> None:
    with open(file, "ab") as f:
        f.write(body)


class MkdirHandler(KernelFilesHandler):
    @web.authenticated
    async def post(self) -> None:
        path = self.api_path()
        parents = self.get_argument("parents", "1") == "1"
        exist_ok = self.get_argument("exist_ok", "1") == "1"
        if not path or await self.folder_exists(path):
            if exist_ok:
                self.reply({"name": path, "type": "directory"})
                return
            raise HTTPError(409, f"Folder exists: {path}")
        if await self.file_info(path) is not None:
            raise HTTPError(409, f"A file is there: {path}")
        todo = [path]
        parent = paths.parent(path)
        while parent and not await self.folder_exists(parent):
            if not parents:
                raise HTTPError(404, f"No such folder: {parent}")
            todo.append(parent)
            parent = paths.parent(parent)
        for p in reversed(todo):
            await self.cm.save({"type": "directory"}, p)
        self.reply({"name": path, "type": "directory"})


class DeleteHandler(KernelFilesHandler):
    """A file, or a folder with ``recursive=1``: through the contents manager (the trash
    when ``delete_to_trash``, checkpoints, journalled folder deletes)."""

    @web.authenticated
    async def post(self) -> None:
        path = self.api_path()
        if not path:
            raise HTTPError(403, "The root folder cannot be deleted")
        recursive = self.get_argument("recursive", "0") == "1"
        if not recursive and await self.file_info(path) is None:
            if not await self.folder_exists(path):
                raise HTTPError(404, f"No such file or directory: {path}")
            listing = await self.cm.get(path, content=True, type="directory")
            if listing["content"]:
                raise HTTPError(400, f"Folder not empty: {path}", reason="NotEmpty")
        await self.cm.delete(path)
        self.set_status(204)
        self.finish()


class WhereHandler(KernelFilesHandler):
    """GET ?kernel=ID: the folder of that kernel's notebook now (a notebook moved to
    another folder while its kernel runs takes its relative paths with it)."""

    @web.authenticated
    async def get(self) -> None:
        kernel = self.get_argument("kernel", "")
        sm = self.settings.get("session_manager")
        found = None
        if sm is not None and kernel:
            for s in await sm.list_sessions():
                if s.get("kernel", {}).get("id") == kernel and s.get("type") != "console":
                    found = s.get("path") or ""
                    if s.get("type") == "notebook":
                        break
        if found is None:
            raise HTTPError(404, f"No session of kernel {kernel!r}")
        self.reply({"folder": paths.parent(found.strip("/"))})


class MoveHandler(KernelFilesHandler):
    @web.authenticated
    async def post(self) -> None:
        src, dst = self.api_path("src"), self.api_path("dst")
        await self.cm.rename(src, dst)
        self.reply({"name": dst})


# ----------------------------------------------------------------------------- kernels
def _local_host(ip: str) -> str:
    if ip in ("", "0.0.0.0", "*", "localhost"):
        return "127.0.0.1"
    if ip == "::":
        return "[::1]"
    return f"[{ip}]" if ":" in ip else ip


def server_url(serverapp: Any) -> str:
    proto = "https" if getattr(serverapp, "certfile", "") else "http"
    base = serverapp.web_app.settings["base_url"]
    return f"{proto}://{_local_host(serverapp.ip)}:{serverapp.port}{base}".rstrip("/")


def _default_work_dir(cm: Any) -> str:
    from jupyter_core.paths import jupyter_data_dir

    env = os.environ.get(ENV_WORK)
    if env:
        return env
    tag = hashlib.sha256(str(getattr(cm, "store_description", "")).encode()).hexdigest()[:12]
    return os.path.join(jupyter_data_dir(), "nbshelf", "work", tag)


def _is_ipykernel(km: Any, kernel_name: str | None) -> bool:
    try:
        spec = km.kernel_spec_manager.get_kernel_spec(kernel_name or km.default_kernel_name)
    except Exception:
        return False
    return any("ipykernel" in a for a in spec.argv)


def setup(serverapp: Any) -> None:
    """Add the endpoints and give the kernels this server starts what shelf:// needs."""
    settings = ShelfKernels(parent=serverapp)
    cm = serverapp.contents_manager
    if not settings.enabled or not isinstance(cm, ShelfContentsManager):
        return  # the endpoints answer from nbshelf's store, through its manager
    web_app = serverapp.web_app
    secret = serverapp.cookie_secret or secrets.token_bytes(32)
    token = kernel_token(secret if isinstance(secret, bytes) else str(secret).encode())
    spool = Path(getattr(cm, "spool_dir", None) or tempfile.gettempdir())
    folder = spool / f"nbshelf-kernel-uploads-{os.getpid()}"
    web_app.settings["nbshelf_kernel_token"] = token
    web_app.settings["nbshelf_kernel_uploads"] = _Uploads(
        folder, settings.upload_expiry_seconds, settings.max_uploads
    )
    base = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, API, "info"), InfoHandler),
            (url_path_join(base, API, "list"), ListHandler),
            (url_path_join(base, API, "data"), DataHandler),
            (url_path_join(base, API, "mkdir"), MkdirHandler),
            (url_path_join(base, API, "delete"), DeleteHandler),
            (url_path_join(base, API, "move"), MoveHandler),
            (url_path_join(base, API, "where"), WhereHandler),
            (url_path_join(base, API, "uploads"), UploadsHandler),
            (url_path_join(base, API, r"uploads/([0-9a-f]{32})"), UploadHandler),
        ],
    )
    import atexit

    atexit.register(shutil.rmtree, folder, True)

    km = getattr(serverapp, "kernel_manager", None)
    if km is None:
        return
    work_dir = settings.work_dir or _default_work_dir(cm)
    original_cwd = km.cwd_for_path
    original_start = km.start_kernel

    def cwd_for_path(path: str | None, **kwargs: Any) -> str:
        """The notebook's real folder on the local store; elsewhere a working folder."""
        api = paths.normalize(path or "")
        try:
            local = cm.store.local_path(api)
        except Exception:
            local = None
        if local is not None:
            while api and not (local and os.path.isdir(local)):
                api = paths.parent(api)
                local = cm.store.local_path(api)
            return str(local) if local and os.path.isdir(local) else original_cwd(path, **kwargs)
        target = os.path.join(work_dir, *api.split("/")) if api else work_dir
        os.makedirs(target, exist_ok=True)
        return target

    async def start_kernel(
        *, kernel_id: str | None = None, path: str | None = None, **kw: Any
    ) -> Any:
        env = dict(kw.get("env") or os.environ)
        kernel_id = kernel_id or str(uuid.uuid4())  # the kernel asks for its notebook by it
        try:
            folder_path = paths.normalize(path or "")
        except HTTPError:
            folder_path = ""
        env.update(
            {
                ENV_URL: server_url(serverapp),
                ENV_TOKEN: token,
                ENV_DIR: folder_path,
                ENV_KERNEL: kernel_id,
            }
        )
        if cm.store.local_path("") is None:
            env[ENV_WORK] = work_dir
        kw["env"] = env
        if settings.load_magic and _is_ipykernel(km, kw.get("kernel_name")):
            extra = list(kw.get("extra_arguments") or [])
            extra.append("--ext=nbshelf.kernelfs.magic")
            kw["extra_arguments"] = extra
        return await original_start(kernel_id=kernel_id, path=path, **kw)

    km.cwd_for_path = cwd_for_path
    km.start_kernel = start_kernel
    serverapp.log.info(
        "nbshelf: kernels reach the store through %s/%s (shelf://)", server_url(serverapp), API
    )


__all__ = ["ENV_DIR", "ENV_TOKEN", "ENV_URL", "ShelfKernels", "kernel_token", "setup"]
