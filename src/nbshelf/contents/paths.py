"""API paths <-> store keys, and the one check every API path passes.

An API path ``a/b/c.ipynb`` is the key ``a/b/c.ipynb`` (the store adds its
prefix); the folder ``a/b`` is the marker key ``a/b/``. nbshelf's own data
lives under ``.nbshelf/`` (see :mod:`.layout`), which no API path may name.
"""

from __future__ import annotations

from tornado.web import HTTPError

from .layout import INTERNAL_DIR, is_internal

MAX_PATH_BYTES = 900  # leaves room for the prefix and .nbshelf/checkpoints/... within 1024


def normalize(path: str) -> str:
    """Strip slashes and refuse paths that could leave the store's root.

    Raises 400 for ``..``, ``.``, empty segments, backslashes, control characters,
    lone surrogates (text no store can encode) and overlong paths. Does not judge
    hidden or internal paths (see below).
    """
    path = (path or "").strip("/")
    if not path:
        return ""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError as e:
        raise HTTPError(
            400,
            f"Invalid path {path!r}: not valid Unicode text ({e.reason} at character {e.start})",
        ) from None
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


def check_path(path: str) -> str:
    """The one check of an API path, whatever the method: normalised (400 for a path that
    could leave the store) and not naming nbshelf's own data (400: the API never reaches
    ``.nbshelf/``, not even to say it is missing)."""
    path = normalize(path)
    if is_internal(path):
        raise HTTPError(400, f"{INTERNAL_DIR} is reserved for nbshelf's own data")
    return path


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


__all__ = [
    "INTERNAL_DIR",
    "MAX_PATH_BYTES",
    "check_path",
    "is_hidden",
    "is_internal",
    "join",
    "marker",
    "name",
    "normalize",
    "parent",
]
