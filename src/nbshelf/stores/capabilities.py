"""What some stores can do beyond the object interface, as typed protocols.

Callers ask for a capability with ``isinstance(store, SupportsSignedLinks)``, never for
a URL scheme or a backend class; a backend has a capability by having its methods
(they are ``runtime_checkable`` protocols), and keeps the code behind them in its own
subpackage (``swift/share.py``, ``obstore/share.py``).

* :class:`SupportsSignedLinks`: links that open one object without credentials until
  they expire (S3 presigned URLs, Swift TempURLs, Azure SAS, GCS signed URLs).
* :class:`SupportsPublicLinks`: snapshots anyone can read for as long as they exist
  (Swift: a separate public container, CDN-enabled on Rackspace; S3: objects with a
  public-read ACL).
* :class:`SupportsTreeMove`: a file or a whole folder moved in one step, whatever it
  holds (the local store: one ``os.rename``), where object stores copy every object.
* :class:`SupportsTreeDelete`: a whole folder deleted in one step (the local store: one
  rename out of sight, then ``shutil.rmtree`` in a worker thread).
* :class:`SupportsFolderRows`: a folder's entries as plain rows, in one step, without an
  :class:`~nbshelf.stores.ObjectInfo` each (the local store, where the listing is a
  directory scan and building 100,000 ObjectInfos cost more than the scan itself).

Where a file is on the local disk is not a capability: every store answers
:meth:`ObjectStore.local_path` (None when it keeps no files of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class SupportsSignedLinks(Protocol):
    """Signs URLs that open one object of the store, without credentials, for a while."""

    #: The longest ``expires_in`` (seconds) the backend can sign; None: no limit of its own.
    max_signed_expiry: int | None
    #: What the links are called, for messages ("S3 signed links").
    signed_links_name: str

    async def prepare_signed_links(self) -> None:
        """Make sure links can be signed (Swift: the account gets a temp-URL key if it
        has none). Called once before a batch of :meth:`signed_url` calls."""
        ...

    async def signed_url(self, key: str, expires_in: int, *, inline: bool = False) -> str:
        """A URL that GETs ``key`` for ``expires_in`` seconds. ``inline`` asks the
        browser to show it where the link would otherwise download it (Swift)."""
        ...

    async def put_snapshot(self, key: str, file: SnapshotFile) -> None:
        """Write one file of a snapshot that signed links will open, at ``key`` of this
        store, with ``file``'s content type, and its disposition and CSP wherever the
        backend serves them back (Swift object headers; S3, GCS, Azure object
        attributes: Content-Disposition only)."""
        ...


@dataclass(frozen=True)
class SnapshotFile:
    """One file of a snapshot to publish: its name (``n.ipynb``), bytes and type
    (None: guessed from the name), and how the storage should serve it."""

    name: str
    data: bytes
    content_type: str | None = None
    #: ``Content-Disposition`` served with it (``attachment; filename=...``: a download),
    #: where the backend keeps one (Swift header; S3/GCS/Azure object attribute).
    disposition: str | None = None
    #: ``Content-Security-Policy`` served with it, where the backend can carry a header of
    #: its own choosing (Swift, when its object server lists it in ``allowed_headers``;
    #: not S3, whose objects keep only a fixed set of headers).
    csp: str | None = None


@dataclass(frozen=True)
class PublicSnapshot:
    """Where a published snapshot is, and the URLs anyone can open it at."""

    #: File name -> the key it was written to.
    keys: dict[str, str]
    #: File name -> its public URL.
    urls: dict[str, str]
    #: The container holding ``keys`` when it is not the store's own (keys are then
    #: full keys in it); None: ``keys`` are the store's own (relative) keys.
    container: str | None = None
    #: Seconds a CDN may go on serving cached copies once the snapshot is deleted.
    cdn_ttl: int = 0


@runtime_checkable
class SupportsPublicLinks(Protocol):
    """Publishes snapshots anyone can read, at plain URLs, until they are deleted."""

    async def publish_public(
        self,
        snapshot_id: str,
        files: Sequence[SnapshotFile],
        *,
        folder: str,
        container: str | None = None,
    ) -> PublicSnapshot:
        """Publish ``files``. ``folder`` is where the snapshot goes inside this store for
        a backend that publishes the store's own objects (S3); a backend publishing into
        a separate public ``container`` (Swift; None: its default) lays the files out by
        ``snapshot_id`` there. Files are written in the order given."""
        ...

    async def unpublish_public(self, keys: Sequence[str], *, container: str | None) -> None:
        """Delete a published snapshot (missing keys are fine)."""
        ...


@runtime_checkable
class SupportsTreeMove(Protocol):
    """Moves a file, or a folder with everything under it, in one atomic step (a rename
    on one filesystem): the cost does not grow with what the folder holds, and no
    reader ever sees it half-moved."""

    async def move_tree(self, src: str, dst: str) -> None:
        """Move ``src`` (a key without a trailing slash: a file or a folder) to ``dst``,
        creating the folders above ``dst``. Raises NotFound if ``src`` is not there,
        Conflict if ``dst`` is (nothing is replaced), Unsupported if this move cannot be
        done in one step (two filesystems): the caller then copies, as on any store."""
        ...


@runtime_checkable
class SupportsTreeDelete(Protocol):
    """Deletes a folder with everything under it in one step: it is gone at once for
    every reader (one rename out of sight), and what it held is removed off the event
    loop at the filesystem's own speed, not key by key."""

    async def delete_tree(self, key: str) -> None:
        """Delete the folder ``key`` (no trailing slash) and everything under it. Raises
        NotFound if it is not there (or is a file)."""
        ...


#: One entry directly in a folder: (key, size, last modified, is it a folder).
FolderRow = tuple[str, int, datetime, bool]


@dataclass(frozen=True)
class FolderRows:
    """A folder's entries in listing order (by key), whether the folder exists, and its
    own time where the store keeps one. ``rows`` is a new list the caller owns: the
    contents listing empties it as it goes (freed a slice at a time)."""

    rows: list[FolderRow]
    exists: bool
    own_time: datetime | None


@runtime_checkable
class SupportsFolderRows(Protocol):
    """Lists one folder in one step (1 LIST), as plain rows: what a Jupyter listing needs
    of each entry (its name, size and time) and nothing else. Plain tuples are cheap to
    make, and the garbage collector stops tracking them."""

    async def folder_rows(self, folder: str) -> FolderRows:
        """The files and folders directly in ``folder`` (a key ending in ``/``, or ``""``
        for the top), hidden and internal names included; a write in progress never."""
        ...
