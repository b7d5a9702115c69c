"""Chunked uploads, spooled to disk until complete: a mixin for the contents manager, as
jupyter_server's LargeFileManager adds them to its file manager.

JupyterLab sends a large file as numbered chunks (1, 2, ..., -1 for the last), one
after the other, each waiting for the answer to the one before; it names no upload,
only the path and the chunk number. Each upload of a path is a *session* of its own:

* Chunk 1 starts a session, with a spool file of its own (a named file, opened to append
  one chunk and closed again: an unfinished upload holds no file descriptor). Only when
  the last chunk arrives is the whole file written to the store, in one put streamed
  from disk, so a 200 MB upload never sits in memory and a partial upload never becomes
  visible.
* Chunk numbers are all there is to tell two uploads of one path apart, so one path has
  at most one session. A new chunk 1 for a path whose upload received a chunk less than
  ``upload_takeover_seconds`` (60 s) ago is refused with 409 ("another upload of this
  file is in progress"): the first upload lands whole, the second fails clearly, and
  JupyterLab stops an upload at its first error. Chunks A1, B1, A2, A-1 give A 201 with
  A's bytes and B a 409, never a mix.
* An upload silent for longer than that is taken to be abandoned (a closed tab, a dropped
  connection): a new chunk 1 replaces it, so a retry works. The old session's spool file
  is deleted at once and a *ghost* of it is kept: the number of the chunk its client would
  send next. A later chunk with that number is refused (409, the upload was replaced)
  unless it is also exactly the chunk the new session expects: then it is the new
  session's (a client silent past the takeover time that resumes at precisely that
  number is the one case nbshelf cannot tell apart; docs/reliability.md).
* Unfinished uploads are bounded per server (one user's server): ``max_pending_uploads``
  sessions and ``max_spooled_bytes`` spooled bytes; past either bound the chunk is
  refused with 507 and a message saying which bound, while everything else keeps
  answering. A session with no chunk for ``upload_expiry_seconds`` (an hour) expires: its
  file is deleted and its ghost refuses the late chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tornado.web import HTTPError
from traitlets import Float, HasTraits, Integer

from ..stores import ObjectStore
from . import models
from .errors import store_errors

#: What a spool file's name starts with (``<spool_dir>/nbshelf-upload-<pid>-<id>.part``).
SPOOL_PREFIX = "nbshelf-upload-"


@dataclass(frozen=True)
class UploadLimits:
    """The bounds on unfinished uploads (the manager's traitlets, read on every chunk)."""

    max_pending: int = 100
    max_bytes: int = 4 << 30
    expire_after: float = 3600.0
    takeover_after: float = 60.0


@dataclass
class _Session:
    """One upload of one path: the chunks received so far, in a closed spool file."""

    path: str
    file: str
    next_chunk: int = 2
    size: int = 0
    touched: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ended: bool = False  # finished, superseded, expired or failed: its file goes


@dataclass
class _Ghost:
    """An upload that was replaced or expired: the chunk its client would send next."""

    path: str
    next_chunk: int
    since: float
    why: str


class ChunkSpool:
    """The uploads in progress, one session per path, and the ghosts of replaced ones.

    Every decision (which session a chunk belongs to, whether a bound is hit) is taken
    synchronously on the event loop before any await, so concurrent requests see one
    consistent state; a session's chunks are written to its file one at a time.
    """

    def __init__(
        self,
        directory: str | None = None,
        limits: Callable[[], UploadLimits] | UploadLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self._limits = limits or UploadLimits()
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._ghosts: list[_Ghost] = []
        self.spooled_bytes = 0
        self._swept = False

    # ------------------------------------------------------------ state
    @property
    def limits(self) -> UploadLimits:
        return self._limits() if callable(self._limits) else self._limits

    @property
    def pending(self) -> int:
        """Uploads started and not finished."""
        return len(self._sessions)

    def files(self) -> list[str]:
        return [s.file for s in self._sessions.values()]

    # ------------------------------------------------------------ chunks
    async def add(self, path: str, chunk: int, data: bytes) -> tuple[int, str | None]:
        """Spool one chunk; return (bytes so far, the complete file's name on the last
        chunk). The caller streams that file to the store, then calls :meth:`finish`."""
        session = self._claim(path, chunk, len(data))
        async with session.lock:  # a session's chunks land in its file in order
            try:
                if not session.ended or chunk == -1:
                    await asyncio.to_thread(_append, session.file, data, chunk == 1)
            except OSError as e:
                if session.ended:  # the last chunk: no longer a session, release it here
                    self.finish_file(session.file, session.size)
                else:
                    self._end(session)
                    _unlink(session.file)
                raise HTTPError(
                    507 if e.errno in (errno.ENOSPC, errno.EDQUOT) else 503,
                    f"Upload of {path}: the chunk could not be spooled to disk "
                    f"({e.strerror}); nothing was saved, upload the file again",
                ) from None
            if session.ended and chunk != -1:  # superseded or expired while writing
                _unlink(session.file)
        if chunk == -1:
            return session.size, session.file
        return session.size, None

    def _claim(self, path: str, chunk: int, nbytes: int) -> _Session:
        """Which session this chunk belongs to (or the 4xx/507 refusing it); the bytes
        are counted against the bound here, before anything is written."""
        now = self._clock()
        limits = self.limits
        self._expire(now, limits.expire_after)
        if not self._swept:
            self._swept = True
            self._sweep(limits.expire_after)
        current = self._sessions.get(path)
        if chunk == 1:
            if current is not None:
                idle = now - current.touched
                if idle < limits.takeover_after:
                    raise HTTPError(
                        409,
                        f"Upload of {path} refused: another upload of this file is in "
                        f"progress (its last chunk came {idle:.0f} s ago); nothing of this "
                        "one was saved. If that upload was stopped, upload again after "
                        f"{_duration(limits.takeover_after)} without a chunk",
                    )
                self._ghost(current, "a newer upload of the same file replaced it", now)
            if len(self._sessions) >= limits.max_pending:
                raise HTTPError(
                    507,
                    f"Upload of {path} refused: {len(self._sessions)} uploads are unfinished, "
                    f"the most this server keeps (max_pending_uploads = {limits.max_pending}); "
                    "finish them or wait until they expire (after "
                    f"{_duration(limits.expire_after)} without a chunk), then upload again",
                )
            self._check_bytes(path, nbytes, limits)
            session = _Session(path, self._new_file(), touched=now, size=nbytes)
            self._sessions[path] = session
            self.spooled_bytes += nbytes
            return session
        ghosts = [g for g in self._ghosts if g.path == path and chunk in (-1, g.next_chunk)]
        fits = current is not None and chunk in (-1, current.next_chunk)
        if fits:
            # the session in progress answered a chunk within the takeover time, the
            # replaced upload's client had been silent longer: the chunk is the session's
            for g in ghosts:
                self._ghosts.remove(g)
            ghosts = []
        if ghosts:
            self._ghosts.remove(ghosts[0])
            raise HTTPError(
                409,
                f"Upload of {path}: {ghosts[0].why}, so this upload was dropped at chunk "
                f"{chunk}; nothing of it was saved",
            )
        if current is None or not fits:
            expected = current.next_chunk if current is not None else 1
            if current is not None:
                self._end(current)
            raise HTTPError(
                400,
                f"Upload of {path}: got chunk {chunk}, expected {expected}"
                + ("" if current is not None else " (no upload of this file is in progress)")
                + "; nothing was saved, upload the file again",
            )
        self._check_bytes(path, nbytes, limits, session=current)
        current.touched = now
        current.size += nbytes
        self.spooled_bytes += nbytes
        if chunk == -1:
            del self._sessions[path]  # no other chunk can reach it now
            current.ended = True
        else:
            current.next_chunk += 1
        return current

    def _check_bytes(
        self, path: str, nbytes: int, limits: UploadLimits, session: _Session | None = None
    ) -> None:
        if self.spooled_bytes + nbytes <= limits.max_bytes:
            return
        if session is not None:
            self._end(session)
        raise HTTPError(
            507,
            f"Upload of {path} refused: unfinished uploads would hold "
            f"{self.spooled_bytes + nbytes} bytes on the server's disk, more than "
            f"max_spooled_bytes = {limits.max_bytes}; nothing of this upload was saved: "
            "finish the other uploads or wait until they expire, then upload again",
        )

    def finish_file(self, file: str, size: int) -> None:
        """The complete file was put (or failed to be): delete it, release its bytes."""
        _unlink(file)
        self.spooled_bytes = max(0, self.spooled_bytes - size)

    # ------------------------------------------------------------ housekeeping
    def _new_file(self) -> str:
        directory = self.directory or tempfile.gettempdir()
        return os.path.join(directory, f"{SPOOL_PREFIX}{os.getpid()}-{uuid.uuid4().hex}.part")

    def _ghost(
        self, session: _Session, why: str, since: float, *, next_chunk: int | None = None
    ) -> None:
        """End a session and remember the chunk its client would send next."""
        self._end(session)
        self._ghosts.append(_Ghost(session.path, next_chunk or session.next_chunk, since, why))
        # ghosts cost a few bytes each; keep a bounded number, oldest dropped first
        limit = 4 * max(1, self.limits.max_pending)
        if len(self._ghosts) > limit:
            del self._ghosts[: len(self._ghosts) - limit]

    def _end(self, session: _Session) -> None:
        """Drop a session: its file is deleted (now, or by the write in progress)."""
        if self._sessions.get(session.path) is session:
            del self._sessions[session.path]
        if not session.ended:
            session.ended = True
            self.spooled_bytes = max(0, self.spooled_bytes - session.size)
            if not session.lock.locked():
                _unlink(session.file)

    def _expire(self, now: float, after: float) -> None:
        for session in [s for s in self._sessions.values() if now - s.touched > after]:
            self._ghost(session, f"it received no chunk for {_duration(after)} and expired", now)
        self._ghosts = [g for g in self._ghosts if now - g.since <= after]

    def _sweep(self, after: float) -> None:
        """Delete spool files a stopped or crashed server left (any process's): those not
        written to for the expiry time, which a live server has expired already."""
        directory = self.directory or tempfile.gettempdir()
        cutoff = time.time() - after
        try:
            names = [n for n in os.listdir(directory) if n.startswith(SPOOL_PREFIX)]
        except OSError:
            return
        for name in names:
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError):
                if name.endswith(".part") and os.stat(path).st_mtime < cutoff:
                    os.unlink(path)

    def expire(self) -> None:
        """Drop the sessions idle past the expiry (also done on every chunk)."""
        self._expire(self._clock(), self.limits.expire_after)

    def close(self) -> None:
        for session in list(self._sessions.values()):
            self._end(session)
        self._ghosts.clear()


def _append(file: str, data: bytes, create: bool) -> None:
    """Append one chunk to a spool file, opened for this write only."""
    flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT | os.O_EXCL if create else 0)
    fd = os.open(file, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _unlink(file: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(file)


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        n = int(seconds // 3600)
        return f"{n} hour{'s' if n != 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        n = int(seconds // 60)
        return f"{n} minute{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"


def spool_dir_default() -> str | None:
    """$NBSHELF_SPOOL_DIR, else the system temporary directory."""
    return os.environ.get("NBSHELF_SPOOL_DIR") or None


def chunk_number(value: Any) -> int:
    """The chunk number of a model: an integer 1, 2, ... or -1 (the last); else 400."""
    if isinstance(value, bool) or not isinstance(value, int) or value == 0 or value < -1:
        raise HTTPError(
            400,
            f"Invalid chunk {value!r}: chunks are numbered 1, 2, ... and -1 for the last one",
        )
    return value


class ChunkedUploadsMixin(HasTraits):
    """``save`` of a model with a ``chunk``: spooled, then one put on the last chunk.

    The manager it is mixed into provides the store, the path check (``_prepare_write``)
    and what it does after any save (``_saved``).
    """

    max_pending_uploads = Integer(
        100,
        config=True,
        help="Chunked uploads this server keeps unfinished at once; a new one past the "
        "bound is refused with 507 (each is a spool file, closed between chunks).",
    )
    max_spooled_bytes = Integer(
        4 << 30,
        config=True,
        help="Bytes the unfinished chunked uploads may hold on the server's disk together; "
        "a chunk past the bound is refused with 507.",
    )
    upload_takeover_seconds = Float(
        60.0,
        config=True,
        help="A new upload of a file whose chunked upload is in progress is refused (409) "
        "until that upload has received no chunk for this long; then the new one replaces "
        "it, and the old one's later chunks are refused.",
    )
    upload_expiry_seconds = Float(
        3600.0,
        config=True,
        help="An unfinished chunked upload that receives no chunk for this long expires "
        "(its spooled chunks are deleted; its late chunks are refused).",
    )

    _spool: ChunkSpool

    if TYPE_CHECKING:  # what the manager provides (declared here for type checkers only)

        @property
        def store(self) -> ObjectStore: ...

        async def _prepare_write(self, path: str) -> str: ...

        def _saved(self, path: str, model: dict[str, Any]) -> None: ...

        def run_pre_save_hooks(self, model: Any, path: str, **kwargs: Any) -> None: ...

    def _upload_limits(self) -> UploadLimits:
        return UploadLimits(
            int(self.max_pending_uploads),
            int(self.max_spooled_bytes),
            float(self.upload_expiry_seconds),
            float(self.upload_takeover_seconds),
        )

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        chunk = model.get("chunk")
        if chunk is None:
            return await super().save(model, path)  # type: ignore[misc]
        number = chunk_number(chunk)
        path = await self._prepare_write(path)
        return await self._save_chunk(model, path, number)

    async def _save_chunk(self, model: dict[str, Any], path: str, chunk: int) -> dict[str, Any]:
        if "type" not in model:
            raise HTTPError(400, "No file type provided")
        if model["type"] != "file":
            raise HTTPError(
                400, f'File type "{model["type"]}" is not supported for large file transfer'
            )
        if "content" not in model:
            raise HTTPError(400, "No file content provided")
        if model.get("format") not in ("text", "base64"):
            raise HTTPError(400, "Must specify format of file contents as 'text' or 'base64'")
        if chunk == 1:
            self.run_pre_save_hooks(model=model, path=path)
        data = models.file_bytes(path, model["content"], model["format"])
        size, complete = await self._spool.add(path, chunk, data)
        if complete is None:
            partial = models.base_model(path, "file", datetime.now(timezone.utc))
            partial["size"] = size
            return partial
        try:
            with open(complete, "rb") as body, store_errors(path):
                info = await self.store.put(path, body, content_type=model.get("mimetype"))
        finally:
            self._spool.finish_file(complete, size)
        saved = models.object_model(path, info, "file")
        self._saved(path, saved)
        return saved
