"""``shelf://``: the fsspec filesystem of the notebook store, seen from a kernel.

Paths are the Jupyter paths of the store. ``shelf://data.csv`` is relative to the
notebook's own folder (``$NBSHELF_NOTEBOOK_DIR``), ``shelf:///proj/data.csv`` starts at
the store's root. Inside, every path is absolute (``/proj/data.csv``), so what ``ls``
and ``glob`` return can be passed back as it is.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import time
from typing import Any

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from .client import ENV_DIR, ENV_KERNEL, ENV_URL, ShelfClient, Stream

DEFAULT_BLOCK = 8 << 20  # bytes per read request and per upload chunk
WHERE_TTL = 5.0  # seconds the notebook's folder, as the server said, is taken as known
_where: dict[str, Any] = {"at": float("-inf"), "folder": None, "client": None}


def notebook_dir() -> str:
    """The API path of this kernel's notebook folder ("" : the store's root).

    The server's session says where the notebook is now (asked at most every
    ``WHERE_TTL`` seconds), so a notebook moved to another folder while its kernel runs
    takes its relative paths along; without an answer, the folder the kernel started
    in (``$NBSHELF_NOTEBOOK_DIR``)."""
    started = os.environ.get(ENV_DIR, "").strip("/")
    kernel = os.environ.get(ENV_KERNEL)
    if not kernel or not os.environ.get(ENV_URL):
        return started
    now = time.monotonic()
    if _where["folder"] is not None and now - _where["at"] < WHERE_TTL:
        return str(_where["folder"])
    try:
        if _where["client"] is None:
            _where["client"] = ShelfClient(timeout=5.0, retries=0)
        folder = str(_where["client"].json("GET", "where", kernel=kernel)["folder"])
    except (OSError, ValueError, KeyError, TypeError):
        folder = started if _where["folder"] is None else str(_where["folder"])
    _where.update(at=now, folder=folder)
    return folder


def resolve(path: str, cwd: str | None = None) -> str:
    """An absolute store path (``/a/b``) for ``path``, relative to ``cwd`` (default: the
    notebook's folder) unless it starts with ``/``. ``..`` may not leave the root."""
    if not path.startswith("/"):
        base = notebook_dir() if cwd is None else cwd.strip("/")
        path = f"/{base}/{path}" if base else f"/{path}"
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise PermissionError(13, "shelf:// paths cannot leave the store's root", path)
            parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


class ShelfFileSystem(AbstractFileSystem):
    """Files of the notebook store, through the Jupyter server that started the kernel.

    ``ShelfFileSystem()`` in a kernel started by ``nbshelf serve``; elsewhere give
    ``server_url`` and ``token`` (the kernel token) or ``jupyter_token`` (a login token
    of that server), and ``cwd`` for relative paths.
    """

    protocol = "shelf"
    root_marker = "/"
    sep = "/"
    async_impl = False

    def __init__(
        self,
        server_url: str | None = None,
        token: str | None = None,
        *,
        jupyter_token: str | None = None,
        cwd: str | None = None,
        timeout: float = 60.0,
        block_size: int = DEFAULT_BLOCK,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client = ShelfClient(server_url, token, jupyter_token=jupyter_token, timeout=timeout)
        self.cwd = cwd
        self.blocksize = block_size

    # ---------------------------------------------------------------- paths
    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = str(path)
        if path.startswith("shelf://"):
            path = path[len("shelf://") :]
        elif path.startswith("shelf:"):
            path = path[len("shelf:") :]
        return resolve(path) if path not in ("", "/") else "/"

    @classmethod
    def _parent(cls, path: str) -> str:
        path = cls._strip_protocol(path)
        return posixpath.dirname(path) or "/"

    def unstrip_protocol(self, name: str) -> str:
        return f"shelf://{name}" if name.startswith("/") else f"shelf:///{name}"

    def _abs(self, path: str) -> str:
        """An absolute path, relative ones against ``cwd`` when one was given."""
        path = str(path)
        if self.cwd is not None and not path.startswith(("shelf:", "/")):
            return resolve(path, self.cwd)
        return str(self._strip_protocol(path))

    @staticmethod
    def _api(path: str) -> str:
        return path.strip("/")

    @staticmethod
    def _entry(e: dict[str, Any]) -> dict[str, Any]:
        out = dict(e)
        out["name"] = "/" + str(e["name"]).strip("/")
        out["size"] = int(e.get("size") or 0)
        return out

    # ---------------------------------------------------------------- metadata
    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        p = self._abs(path)
        entries = [self._entry(e) for e in self.client.json("GET", "list", path=self._api(p))]
        entries.sort(key=lambda e: e["name"])
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        p = self._abs(path)
        return self._entry(self.client.json("GET", "info", path=self._api(p)))

    def exists(self, path: str, **kwargs: Any) -> bool:
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        p = self._abs(path)
        self.client.json(
            "POST",
            "mkdir",
            path=self._api(p),
            parents="1" if create_parents else "0",
            exist_ok="0",
            idempotent=False,
        )

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        p = self._abs(path)
        self.client.json(
            "POST",
            "mkdir",
            path=self._api(p),
            parents="1",
            exist_ok="1" if exist_ok else "0",
            idempotent=False,
        )

    def rmdir(self, path: str) -> None:
        self._delete(self._abs(path), recursive=False)

    def _delete(self, p: str, recursive: bool) -> None:
        self.client.request(
            "POST",
            "delete",
            path=self._api(p),
            recursive="1" if recursive else "0",
            idempotent=False,
        )

    def rm_file(self, path: str) -> None:
        self._delete(self._abs(path), recursive=False)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Each path (globs expanded) in one request; a folder needs ``recursive=True``.
        Deleted files go to the server's trash when it keeps one."""
        targets = (
            self.expand_path(path, recursive=False)
            if not isinstance(path, str) or any(c in path for c in "*?[")
            else [self._abs(path)]
        )
        for p in targets:
            self._delete(p, recursive=recursive)

    def mv(self, path1: str, path2: str, recursive: bool = False, **kwargs: Any) -> None:
        src, dst = self._abs(path1), self._abs(path2)
        if str(path2).endswith("/") or (self.isdir(dst) and not self.isdir(src)):
            dst = posixpath.join(dst, posixpath.basename(src))
        self.client.json("POST", "move", src=self._api(src), dst=self._api(dst), idempotent=False)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        with self.open(path1, "rb") as src, self.open(path2, "wb") as dst:
            while True:
                block = src.read(self.blocksize)
                if not block:
                    break
                dst.write(block)

    def created(self, path: str) -> Any:
        return self.modified(path)

    def modified(self, path: str) -> Any:
        from datetime import datetime

        value = self.info(path).get("last_modified")
        return datetime.fromisoformat(value) if value else None

    # ---------------------------------------------------------------- data
    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ShelfFile:
        return ShelfFile(
            self,
            self._abs(path),
            mode=mode,
            block_size=block_size or self.blocksize,
            autocommit=autocommit,
            cache_options=cache_options,
            **kwargs,
        )

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kw: Any
    ) -> bytes:
        p = self._abs(path)
        size = self.info(p)["size"]
        s = 0 if start is None else (start if start >= 0 else max(0, size + start))
        e = size if end is None else (end if end >= 0 else max(0, size + end))
        if e <= s:
            return b""
        return b"".join(self.client.stream(self._api(p), s, min(e, size)))

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        with self.open(path, "wb") as f:
            f.write(value)

    def get_file(self, rpath: str, lpath: str, callback: Any = None, **kwargs: Any) -> None:
        """Download a file to the local disk, streamed (never whole in memory)."""
        p = self._abs(rpath)
        if self.isdir(p):
            os.makedirs(lpath, exist_ok=True)
            return
        size = self.info(p)["size"]
        tmp = f"{lpath}.shelf-part"
        with open(tmp, "wb") as out:
            for chunk in self.client.stream(self._api(p), 0, size) if size else ():
                out.write(chunk)
        os.replace(tmp, lpath)

    def put_file(self, lpath: str, rpath: str, callback: Any = None, **kwargs: Any) -> None:
        """Upload a local file, streamed in chunks."""
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        with open(lpath, "rb") as src, self.open(rpath, "wb") as dst:
            while True:
                block = src.read(self.blocksize)
                if not block:
                    break
                dst.write(block)


class ShelfFile(AbstractBufferedFile):
    """Reads: one ranged request per block. Writes: a block per request into an upload
    on the server, made a file in the store only when closed (an interrupted write
    (a dropped connection) leaves the previous version, never half a file; as with local
    files, leaving a ``with`` block by an exception still closes, and so writes, it)."""

    fs: ShelfFileSystem

    def __init__(self, fs: ShelfFileSystem, path: str, mode: str = "rb", **kwargs: Any):
        if mode not in ("rb", "wb", "xb"):
            raise ValueError(f"shelf:// files open as 'rb' or 'wb', not {mode!r}")
        self._upload: str | None = None
        self._sent = 0
        self._stream: Stream | None = None
        if mode == "xb" and fs.exists(path):
            raise FileExistsError(17, "File exists", path)
        super().__init__(fs, path, mode="wb" if mode == "xb" else mode, **kwargs)
        if mode == "rb" and self.details.get("type") == "directory":
            raise IsADirectoryError(21, "Is a folder", path)

    @property
    def _api_path(self) -> str:
        return str(self.path).strip("/")

    def _fetch_range(self, start: int, end: int) -> bytes:
        """Sequential reads share one streamed response (one request for a whole file);
        a seek elsewhere opens another from there."""
        end = min(end, self.size)
        if end <= start:
            return b""
        for attempt in (1, 2):
            if self._stream is None or self._stream.pos != start:
                self._close_stream()
                self._stream = self.fs.client.open_stream(self._api_path, start)
            try:
                data = self._stream.read(end - start)
            except ConnectionError:
                self._stream = None
                if attempt == 2:
                    raise
                continue
            if len(data) < end - start:
                self._close_stream()
                raise OSError(f"{self.path} is shorter than it was when opened (changed?)")
            return data
        raise AssertionError("unreachable")

    def _close_stream(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.close()
            self._stream = None

    def _initiate_upload(self) -> None:
        pass  # the upload starts with the first full block (small files: one PUT)

    def _upload_chunk(self, final: bool = False) -> bool:
        client = self.fs.client
        self.buffer.seek(0)
        data = self.buffer.read()
        if final and self._upload is None:
            client.json("PUT", "data", body=data, path=self._api_path)
            return True
        if self._upload is None:
            reply = client.json("POST", "uploads", path=self._api_path, idempotent=False)
            self._upload = str(reply["id"])
        for i in range(0, len(data), self.blocksize):
            piece = data[i : i + self.blocksize]
            client.json("PUT", f"uploads/{self._upload}", body=piece, offset=str(self._sent))
            self._sent += len(piece)
        del data
        if final:
            client.json("POST", f"uploads/{self._upload}", size=str(self._sent), idempotent=False)
            self._upload = None
        return True

    def discard(self) -> None:
        if self._upload is not None:
            with contextlib.suppress(OSError):
                self.fs.client.request("DELETE", f"uploads/{self._upload}")
            self._upload = None

    def close(self) -> None:
        self._close_stream()
        try:
            super().close()
        except BaseException:
            self.discard()
            raise
