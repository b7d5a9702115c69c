"""Export As (nbconvert) on stores that keep no files on this machine.

jupyter_server's nbconvert handler asks the contents manager for ``_get_os_path(path)``
only to hand nbconvert the notebook's folder as ``resources["metadata"]["path"]``, where
exporters look for the files a notebook refers to: the HTML exporter with
``embed_images`` reads ``![](figure.png)`` from there, LaTeX/PDF finds images through
``TEXINPUTS``, an executing export runs in it. Then the handler ``get``s the notebook.

On the local store that is the notebook's real folder. On any other store it is a fresh
temporary folder per export (``<tmp>/nbshelf-export-*/<id>/<folder>/``), and the
``get`` that follows fills it with exactly the neighbouring files the notebook's
Markdown cells refer to by a relative path (``![...](img.png)``, ``<img src="...">``):
one GET each, at most ``MAX_FILES`` files of at most ``MAX_BYTES`` each, never outside
the store's prefix nor under ``.nbshelf/``; nothing when it refers to none. Folders of
finished exports are removed after ``KEEP_SECONDS`` (and when the server stops).
"""

from __future__ import annotations

import atexit
import os
import posixpath
import re
import shutil
import tempfile
import time
import uuid
from collections import OrderedDict
from typing import Any
from urllib.parse import unquote, urlparse

from ..stores import NotFound, ObjectStore, StoreError
from . import paths

MAX_FILES = 50
MAX_BYTES = 20 << 20
KEEP_SECONDS = 600.0

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


def referenced_files(nb: Any, folder: str) -> list[str]:
    """The store paths of the files a notebook's Markdown cells refer to relatively."""
    found: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        for ref in _MD_IMAGE.findall(source) + _HTML_IMAGE.findall(source):
            url = urlparse(ref)
            if url.scheme or url.netloc or ref.startswith("/"):
                continue  # attachment:, http:, data:, absolute: nothing to fetch
            rel = unquote(url.path)
            full = posixpath.normpath(posixpath.join(folder, rel)) if rel else ""
            if not full or full == "." or full.startswith("../") or full == "..":
                continue
            try:
                full = paths.check_path(full)
            except Exception:
                continue  # a name the API would refuse (.nbshelf/, control characters)
            if full and full not in found:
                found.append(full)
    return found[:MAX_FILES]


class ExportFolders:
    """The temporary folders of exports: made by :meth:`os_path`, filled by :meth:`fill`."""

    def __init__(self) -> None:
        self._root: str | None = None
        self._pending: OrderedDict[str, str] = OrderedDict()
        self._made: list[tuple[float, str]] = []

    def _base(self) -> str:
        if self._root is None or not os.path.isdir(self._root):
            self._root = tempfile.mkdtemp(prefix="nbshelf-export-")
            atexit.register(shutil.rmtree, self._root, True)
        return self._root

    def os_path(self, path: str) -> str:
        """Where the notebook at ``path`` seems to be for the export about to run."""
        self._prune()
        one = os.path.join(self._base(), uuid.uuid4().hex[:16])
        folder = paths.parent(path)
        local_folder = os.path.join(one, *folder.split("/")) if folder else one
        os.makedirs(local_folder, exist_ok=True)
        self._made.append((time.monotonic(), one))
        self._pending[path] = one
        while len(self._pending) > 64:
            self._pending.popitem(last=False)
        return os.path.join(local_folder, paths.name(path))

    async def fill(self, store: ObjectStore, path: str, nb: Any) -> None:
        """If an export asked for ``path``'s folder, copy the files the notebook refers to
        into it (one GET each)."""
        top = self._pending.pop(path, None)
        if top is None:
            return
        for ref in referenced_files(nb, paths.parent(path)):
            try:
                got = await store.get(ref)
            except (NotFound, StoreError):
                continue  # a missing image stays missing, as on disk
            if len(got.data) > MAX_BYTES:
                continue
            target = os.path.join(top, *ref.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(got.data)

    def _prune(self) -> None:
        now = time.monotonic()
        keep = []
        for made, folder in self._made:
            if now - made > KEEP_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                keep.append((made, folder))
        self._made = keep


__all__ = ["MAX_BYTES", "MAX_FILES", "ExportFolders", "referenced_files"]
