"""API paths <-> store keys, and the rules on which paths are allowed.

An API path ``a/b/c.ipynb`` is the key ``a/b/c.ipynb`` (the store adds its
prefix); the folder ``a/b`` is the marker key ``a/b/``. nbshelf's own data
lives under ``.nbshelf/``, which no API path may name.
"""

from __future__ import annotations

from tornado.web import HTTPError

#: nbshelf's own data (checkpoints, trash, share records): never listed, never reachable.
INTERNAL_DIR = ".nbshelf"
CHECKPOINTS = f"{INTERNAL_DIR}/checkpoints/"
TRASH = f"{INTERNAL_DIR}/trash/"
MAX_PATH_BYTES = 900  # leaves room for the prefix and .nbshelf/checkpoints/... within 1024


def normalize(path: str) -> str:
    """Strip slashes and refuse paths that could leave the store's root.

    Raises 400 for ``..``, ``.``, empty segments, backslashes, control characters
    and overlong paths. Does not judge hidden or internal paths (see below).
    """
    path = (path or "").strip("/")
    if not path:
        return ""
    if "\\" in path:
        raise HTTPError(400, f"Invalid path {path!r}: backslashes are not allowed")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise HTTPError(400, f"Invalid path {path!r}: control characters are not allowed")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise HTTPError(400, f"Invalid path {path!r}: empty, '.' and '..' segments are not allowed")
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise HTTPError(
            400, f"Path too long ({len(path.encode('utf-8'))} bytes, max {MAX_PATH_BYTES})"
        )
    return path


def is_internal(path: str) -> bool:
    """True for ``.nbshelf`` and anything under it."""
    return path == INTERNAL_DIR or path.startswith(INTERNAL_DIR + "/")


def is_hidden(path: str) -> bool:
    """A path is hidden if any of its segments starts with a dot (as on Unix)."""
    return any(part.startswith(".") for part in path.split("/") if part)


def marker(path: str) -> str:
    """The marker key of a folder (``""`` for the root)."""
    return f"{path}/" if path else ""


def parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def join(folder: str, child: str) -> str:
    return f"{folder}/{child}" if folder else child
