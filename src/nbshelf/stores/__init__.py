"""Object stores: one small async interface over local disk, memory, Swift, S3.

``open_store(url)`` picks the backend by URL scheme through the
``nbshelf.stores`` entry points, so a new backend is one module plus one entry
point, and nothing above this layer changes.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from .base import (
    GetResult,
    ListPage,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    PutBody,
    RequestCounter,
    gather_bounded,
)
from .errors import (
    AuthFailed,
    Conflict,
    IntegrityError,
    InvalidKey,
    NotFound,
    StoreError,
    Unavailable,
    Unsupported,
)

_BUILTIN = {
    "file": "nbshelf.stores.local:LocalStore",
    "memory": "nbshelf.stores.memory:MemoryStore",
    "swift": "nbshelf.stores.swift:SwiftStore",
    "s3": "nbshelf.stores.obstore:S3Store",
}


def backend_class(scheme: str) -> type[ObjectStore]:
    """The store class registered for a URL scheme."""
    target = None
    for ep in entry_points(group="nbshelf.stores"):
        if ep.name == scheme:
            target = ep
            break
    try:
        if target is not None:
            cls = target.load()
        elif scheme in _BUILTIN:
            module, _, name = _BUILTIN[scheme].partition(":")
            cls = getattr(__import__(module, fromlist=[name]), name)
        else:
            known = sorted({*_BUILTIN, *(ep.name for ep in entry_points(group="nbshelf.stores"))})
            raise StoreError(f"unknown store scheme {scheme!r}: use one of {', '.join(known)}")
    except ImportError as e:
        extra = {"swift": "swift", "s3": "s3", "gs": "s3", "az": "s3"}.get(scheme, "all")
        raise StoreError(
            f"the {scheme} store needs extra packages ({e.name}): pip install 'nbshelf[{extra}]'"
        ) from None
    return cls  # type: ignore[no-any-return]


def open_store(url: str, **options: Any) -> ObjectStore:
    """Build a store from a URL: ``/path`` or ``file:///path``, ``memory://name``,
    ``swift://container/prefix``, ``s3://bucket/prefix`` ..."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
    return backend_class(scheme).from_url(url, **options)


__all__ = [
    "AuthFailed",
    "Conflict",
    "GetResult",
    "IntegrityError",
    "InvalidKey",
    "ListPage",
    "NotFound",
    "ObjectInfo",
    "ObjectStore",
    "PrefixInfo",
    "PutBody",
    "RequestCounter",
    "StoreError",
    "Unavailable",
    "Unsupported",
    "backend_class",
    "gather_bounded",
    "open_store",
]
