"""Object stores: one small async interface over local disk, memory, Swift, S3, GCS, Azure.

What lives here: ``base`` (the :class:`ObjectStore` interface: head, get, put, delete,
copy, list; retries, key checks, request counting), ``errors`` (the typed errors),
``location`` (one parse of a store URL and the one ``{username}`` rule), ``credentials``
(expiring credentials renewed from a source before they expire, for S3), ``options``
(typed backend options), ``capabilities`` (what some backends can do beyond objects:
signed and public links, as protocols checked with ``isinstance``), and the backends:
``local``, ``memory``, ``swift/`` and ``obstore/`` (S3, GCS, Azure).

``open_store(url)`` picks the backend by URL scheme through the ``nbshelf.stores``
entry points, so a new backend is one module or subpackage plus one entry point, and
nothing above this layer changes. Callers use this package's names and the stores'
public methods only, never a ``_``-prefixed module or method.

May import: the standard library and the backends' client libraries. Nothing of
Jupyter (no jupyter_server, tornado, traitlets, nbformat) and nothing else of nbshelf.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, cast

from .base import (
    GetResult,
    ListPage,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    PutBody,
    RequestCounter,
    gather_bounded,
    release_in_slices,
    urgent,
)
from .capabilities import (
    PublicSnapshot,
    SnapshotFile,
    SupportsPublicLinks,
    SupportsSignedLinks,
)
from .credentials import CredentialCache
from .errors import (
    AuthFailed,
    Conflict,
    CredentialsUnavailable,
    IntegrityError,
    InvalidKey,
    NotFound,
    PermissionDenied,
    StoreError,
    Unavailable,
    Unsupported,
)
from .location import ENV_STORE, StoreLocation, scheme_of

_BUILTIN = {
    "file": "nbshelf.stores.local:LocalStore",
    "memory": "nbshelf.stores.memory:MemoryStore",
    "swift": "nbshelf.stores.swift:SwiftStore",
    "s3": "nbshelf.stores.obstore:S3Store",
    "gs": "nbshelf.stores.obstore:GCSStore",
    "az": "nbshelf.stores.obstore:AzureStore",
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
    return cast("type[ObjectStore]", cls)


def open_store(
    url: str, *, prefix: str = "", for_user: str | None = None, **options: Any
) -> ObjectStore:
    """Build a store from a URL: ``/path`` or ``file:///path``, ``memory://name``,
    ``swift://container/prefix``, ``s3://bucket/prefix``, ``gs://``, ``az://`` ...

    ``prefix`` is appended to the URL's prefix; ``{username}`` in either (and in a Swift
    container) is replaced by ``for_user`` (see :mod:`.location`). ``options`` are the
    backend's (credentials, endpoint, ``page_size`` ...): an unknown one is an error."""
    return backend_class(scheme_of(url)).from_url(url, prefix=prefix, for_user=for_user, **options)


__all__ = [
    "ENV_STORE",
    "AuthFailed",
    "Conflict",
    "CredentialCache",
    "CredentialsUnavailable",
    "GetResult",
    "IntegrityError",
    "InvalidKey",
    "ListPage",
    "NotFound",
    "ObjectInfo",
    "ObjectStore",
    "PermissionDenied",
    "PrefixInfo",
    "PublicSnapshot",
    "PutBody",
    "RequestCounter",
    "SnapshotFile",
    "StoreError",
    "StoreLocation",
    "SupportsPublicLinks",
    "SupportsSignedLinks",
    "Unavailable",
    "Unsupported",
    "backend_class",
    "gather_bounded",
    "open_store",
    "release_in_slices",
    "urgent",
]
