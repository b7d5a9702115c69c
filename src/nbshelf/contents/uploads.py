"""Chunked uploads, spooled to disk until complete: a mixin for the contents manager, as
jupyter_server's LargeFileManager adds them to its file manager.

JupyterLab sends a large file as numbered chunks (1, 2, ..., -1 for the last).
Each chunk is appended to a temporary file; only when the last one arrives is
the whole file written to the store, in one put, streamed from disk. So a
200 MB upload never sits in memory, and a partial upload never becomes visible.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

from tornado.web import HTTPError

from ..stores import ObjectStore
from . import models
from .errors import store_errors


@dataclass
class _Upload:
    file: IO[bytes]
    next_chunk: int = 2
    size: int = 0
    touched: float = field(default_factory=time.monotonic)


class ChunkSpool:
    """The uploads in progress, by path."""

    def __init__(self, directory: str | None = None, stale_after: float = 3600.0) -> None:
        self.directory = directory
        self.stale_after = stale_after
        self._uploads: dict[str, _Upload] = {}

    def add(self, path: str, chunk: int, data: bytes) -> tuple[int, IO[bytes] | None]:
        """Append one chunk; return (bytes so far, the complete file on the last chunk).

        A chunk out of order (missing, repeated or from an upload that was never
        started) is refused and the upload is dropped: the client must start again.
        """
        self._drop_stale()
        if chunk == 1:
            self.discard(path)
            upload = _Upload(
                tempfile.TemporaryFile(prefix="nbshelf-upload-", dir=self.directory)  # noqa: SIM115
            )
            self._uploads[path] = upload
        else:
            existing = self._uploads.get(path)
            if existing is None or (chunk != -1 and chunk != existing.next_chunk):
                expected = existing.next_chunk if existing else 1
                self.discard(path)
                raise HTTPError(
                    400,
                    f"Upload of {path}: got chunk {chunk}, expected {expected}; "
                    "nothing was saved, upload the file again",
                )
            upload = existing
            upload.next_chunk += 1
        upload.file.write(data)
        upload.size += len(data)
        upload.touched = time.monotonic()
        if chunk == -1:
            del self._uploads[path]
            upload.file.flush()
            upload.file.seek(0)
            return upload.size, upload.file
        return upload.size, None

    def discard(self, path: str) -> None:
        upload = self._uploads.pop(path, None)
        if upload is not None:
            upload.file.close()

    def _drop_stale(self) -> None:
        now = time.monotonic()
        for path, upload in list(self._uploads.items()):
            if now - upload.touched > self.stale_after:
                self.discard(path)

    def close(self) -> None:
        for path in list(self._uploads):
            self.discard(path)


def spool_dir_default() -> str | None:
    """$NBSHELF_SPOOL_DIR, else the system temporary directory."""
    return os.environ.get("NBSHELF_SPOOL_DIR") or None


class ChunkedUploadsMixin:
    """``save`` of a model with a ``chunk``: spooled, then one put on the last chunk.

    The manager it is mixed into provides the store, the path check (``_prepare_write``)
    and what it does after any save (``_saved``).
    """

    _spool: ChunkSpool

    if TYPE_CHECKING:  # what the manager provides (declared here for type checkers only)

        @property
        def store(self) -> ObjectStore: ...

        async def _prepare_write(self, path: str) -> str: ...

        def _saved(self, path: str, model: dict[str, Any]) -> None: ...

        def run_pre_save_hooks(self, model: Any, path: str, **kwargs: Any) -> None: ...

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        chunk = model.get("chunk")
        if chunk is None:
            return await super().save(model, path)  # type: ignore[misc]
        path = await self._prepare_write(path)
        return await self._save_chunk(model, path, int(chunk))

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
        if chunk == 0 or chunk < -1:
            raise HTTPError(400, f"Invalid chunk number {chunk}: chunks count 1, 2, ... and -1")
        if chunk == 1:
            self.run_pre_save_hooks(model=model, path=path)
        data = models.file_bytes(path, model["content"], model["format"])
        size, complete = self._spool.add(path, chunk, data)
        if complete is None:
            partial = models.base_model(path, "file", datetime.now(timezone.utc))
            partial["size"] = size
            return partial
        try:
            with store_errors(path):
                info = await self.store.put(path, complete, content_type=model.get("mimetype"))
        finally:
            complete.close()
        saved = models.object_model(path, info, "file")
        self._saved(path, saved)
        return saved
