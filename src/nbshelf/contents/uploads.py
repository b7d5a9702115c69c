"""Chunked uploads, spooled to disk until complete.

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
from typing import IO

from tornado.web import HTTPError


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
