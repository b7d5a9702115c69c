"""A fresh store on any backend the suite runs, and how to count its requests: the
parameter of the tests that run the same assertions on several backends.

======== ==================================================================== ==========
name     store                                                                counted at
======== ==================================================================== ==========
memory   ``memory://<fresh name>``                                            the store
local    ``<tmp_path>/store`` (the test's own folder)                          the store
swift    ``swift://<fresh container>`` on the real Swift (tempauth)            + Swift's access log
s3-moto  ``s3://<fresh bucket>/pre`` on moto's server, through a CountingProxy + the proxy
s3-swift ``s3://<fresh bucket>/pre`` on the real Swift's S3 API, likewise      + the proxy
azure    ``az://<fresh container>/pre`` on Azurite, through a CountingProxy     + the proxy
======== ==================================================================== ==========

Each store gets a container/bucket/folder of its own on the one server the session
started (tests/servers/plugin.py): no test starts a server to get a clean store.

A test picks its backends with ``@pytest.mark.backends("s3-moto", "s3-swift")`` (all
of them by default) and asks for the ``backend`` (or just ``store``) fixture. What
differs between backends by design (a save on S3 is a PUT and a HEAD; a Swift or S3
copy does not learn the size) is stated once, here, as the backend's facts, so the
contract tests assert the same things everywhere with each backend's exact numbers.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .counting_proxy import CountingProxy, Record
from .s3 import S3Target, make_store
from .s3 import server_counts as s3_server_counts
from .swift_client import count_entries, tempauth_options

if TYPE_CHECKING:
    from nbshelf.stores import ObjectStore

ALL = ("memory", "local", "swift", "s3-moto", "s3-swift", "azure")
S3 = ("s3-moto", "s3-swift")
#: the backends whose store talks HTTP to a real server started by the suite
SERVERS = ("swift", "s3-moto", "s3-swift", "azure")


def azure_operation(r: Record) -> str:
    """The store-counter name of one Azure Blob request as the server saw it."""
    if r.method == "GET":
        return "LIST" if r.query.get("comp") == "list" else "GET"
    if r.method == "PUT":
        return "COPY" if "x-ms-copy-source" in r.headers else "PUT"
    if r.method == "POST" and r.query.get("comp") == "batch":
        return "DELETE"
    return r.method


@dataclass
class Backend:
    """One fresh store, and the real server behind it when there is one."""

    name: str
    store: ObjectStore
    #: the Swift container, the S3 bucket or the Azure container (empty: memory, local)
    container: str = ""
    proxy: CountingProxy | None = None  # S3 and Azure: the server's view of requests
    swift: Any = None  # swift: the SwiftServer (its access log is the server's view)
    s3: S3Target | None = None  # S3: the server, for boto3 and raw clients
    azurite: Any = None
    #: Swift: the access-log entries read since :meth:`reset`
    swift_log: list[Any] = field(default_factory=list)
    _bulk_deleted: bool = False

    # ------------------------------------------------------------------ what it is
    @property
    def kind(self) -> str:
        """``memory``, ``local``, ``swift``, ``s3`` or ``azure``."""
        return "s3" if self.name in S3 else self.name

    @property
    def has_server(self) -> bool:
        return self.name in SERVERS

    # ------------------------------------------------------------------ its facts
    @property
    def save_cost(self) -> dict[str, int]:
        """A put: Azure HEADs after the PUT (obstore drops the answer's modification
        time); S3 sends its PutObject itself and reads Last-Modified from the answer
        (moto and Swift's s3api send it; AWS does not, and gets a HEAD)."""
        return {"PUT": 1, "HEAD": 1} if self.kind == "azure" else {"PUT": 1}

    @property
    def copy_cost(self) -> dict[str, int]:
        """A server-side copy: Azure HEADs the copy for its time and size."""
        return {"COPY": 1, "HEAD": 1} if self.kind == "azure" else {"COPY": 1}

    def delete_cost(self, n: int) -> dict[str, int]:
        """Deleting ``n`` keys in one call: memory and local one DELETE each; S3 and Azure
        one batch (DeleteObjects, a blob batch); Swift one bulk-delete POST for several
        keys (after reading /info once per store, for the cluster's limit), a plain
        DELETE for one."""
        if self.kind in ("memory", "local"):
            return {"DELETE": n}
        if self.kind in ("s3", "azure") or n == 1:
            return {"DELETE": 1}
        cost = {"POST": 1} if self._bulk_deleted else {"INFO": 1, "POST": 1}
        self._bulk_deleted = True
        return cost

    @property
    def copy_knows_size(self) -> bool:
        """Does a copy's answer give the size? Swift's and S3's copy answers do not
        (their ObjectInfo says -1, unknown) and nbshelf sends no HEAD for it."""
        return self.kind not in ("swift", "s3")

    @property
    def copy_keeps_etag(self) -> bool:
        """A copy has its source's etag (the MD5 of a single-part object); Azure gives a
        copy an etag of its own."""
        return self.kind != "azure"

    @property
    def md5_known(self) -> bool:
        """A put's answer has the body's MD5 (its etag, or metadata); Azure's etag is no MD5."""
        return self.kind != "azure"

    @property
    def head_has_attributes(self) -> bool:
        """HEAD gives the content type and user metadata; obstore's head (S3, Azure) gives
        neither (a GET does)."""
        return self.kind in ("memory", "local", "swift")

    @property
    def lists_content_type(self) -> bool:
        """A listing gives each object's content type (S3 and Azure listings do not; the
        local store's reads no extended attribute: ``head`` and ``get`` say it)."""
        return self.kind in ("memory", "swift")

    @property
    def lists_etag(self) -> bool:
        """A listing gives each object's etag (the local store's does not: it would read
        an extended attribute, or hash the file, per entry; ``head`` and ``get`` say it)."""
        return self.kind != "local"

    @property
    def folders_are_markers(self) -> bool:
        """Every folder is listed as its own marker ``a/b/`` (the local store: a folder on
        disk is one), and stays, empty, when its last object is deleted."""
        return self.kind == "local"

    def listed(self, keys: list[str]) -> list[str]:
        """What a listing of exactly these keys shows: on the local store, every folder
        above them as well (its marker), sorted as listings are."""
        if not self.folders_are_markers:
            return sorted(keys)
        folders = {k[: i + 1] for k in keys for i, c in enumerate(k) if c == "/"}
        return sorted(set(keys) | folders)

    def error_key(self, key: str) -> str:
        """The key a NotFound names: obstore stores (S3, Azure) name the full key, the
        store's prefix (``pre/`` here) included."""
        return f"pre/{key}" if self.kind in ("s3", "azure") else key

    @property
    def whole_seconds(self) -> bool:
        """Times in whole seconds (what the server's listing and HEAD say alike)."""
        return self.kind in ("swift", "s3")

    @property
    def list_request_per_page(self) -> bool:
        """One LIST per page the store hands out (memory, Swift); S3 and Azure fetch the
        server's own page (1000, 5000 entries) and hand it out in pieces, the local store
        scans the folder once (one LIST) and hands that out in pieces."""
        return self.kind in ("memory", "swift")

    # ------------------------------------------------------------------ counting
    def reset(self) -> None:
        """Forget the requests counted so far, at the store and at the server."""
        self.store.requests.reset()
        if self.proxy is not None:
            self.proxy.reset()
        if self.swift is not None:
            self.swift.mark()
            self.swift_log = []

    def counts(self) -> dict[str, int]:
        return self.store.requests.snapshot()

    def server_counts(self) -> dict[str, int] | None:
        """Requests the real server saw since :meth:`reset`, by store operation (None:
        no server). Swift logs a copy as the PUT (with X-Copy-From) it is."""
        if self.kind == "swift":
            self.swift_log += self.swift.access_log()
            return count_entries(self.swift_log, self.container)
        if self.kind == "s3":
            assert self.proxy is not None
            return s3_server_counts(self.proxy)
        if self.kind == "azure":
            assert self.proxy is not None
            return dict(collections.Counter(azure_operation(r) for r in self.proxy.snapshot()))
        return None

    def as_server_logs(self, expected: dict[str, int]) -> dict[str, int]:
        """The store's counts as this backend's server sees them."""
        if self.kind != "swift" or "COPY" not in expected:
            return dict(expected)
        out = collections.Counter(expected)
        out["PUT"] += out.pop("COPY")
        return dict(out)

    def assert_counts(self, expected: dict[str, int]) -> None:
        """The exact request counts since :meth:`reset`: at the store's counter, and
        (Swift, S3, Azure) as the real server saw them."""
        assert self.counts() == expected
        if self.has_server:
            assert self.server_counts() == self.as_server_logs(expected)


@asynccontextmanager
async def open_backend(name: str, request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """A fresh store on backend ``name``; servers come from the session's fixtures
    (started on first use, skipped with the reason when not installed)."""
    from nbshelf.stores import open_store  # nbshelf is imported when a test runs

    if name not in ALL:
        raise ValueError(f"unknown backend {name!r}: one of {', '.join(ALL)}")
    unique = uuid.uuid4().hex[:12]
    backend: Backend
    if name == "memory":
        backend = Backend(name, open_store(f"memory://t-{unique}"))
    elif name == "local":
        tmp_path: Path = request.getfixturevalue("tmp_path")
        backend = Backend(name, open_store(str(tmp_path / "store"), page_size=1000))
    elif name == "swift":
        swift = request.getfixturevalue("swift_server")
        container = f"t-{unique}"
        store = open_store(f"swift://{container}", **tempauth_options(swift))
        await store.check()  # creates the container
        backend = Backend(name, store, container=container, swift=swift)
    elif name in S3:
        target: S3Target = request.getfixturevalue("moto_s3" if name == "s3-moto" else "swift_s3")
        bucket = f"nbshelf-{unique}"
        target.boto().create_bucket(Bucket=bucket)
        proxy = CountingProxy(target.endpoint).start()
        store = make_store(target, proxy.url, bucket)
        backend = Backend(name, store, container=bucket, proxy=proxy, s3=target)
    else:  # azure
        azurite = request.getfixturevalue("azurite_server")
        container = f"c{unique}"
        azurite.create_container(container)
        proxy = CountingProxy(f"http://127.0.0.1:{azurite.port}").start()
        options = {**azurite.store_options(), "endpoint": f"{proxy.url}/devstoreaccount1"}
        store = open_store(f"az://{container}/pre", **options)
        backend = Backend(name, store, container=container, proxy=proxy, azurite=azurite)
    backend.reset()
    try:
        yield backend
    finally:
        await backend.store.close()
        if backend.proxy is not None:
            backend.proxy.stop()
