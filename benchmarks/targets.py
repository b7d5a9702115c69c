"""The benchmarked contents managers, the servers they talk to, and raw access to what
they store (for seeding the same data everywhere and checking results independently)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

SWIFT_USER, SWIFT_KEY = "test:tester", "testing"
REGION = "us-east-1"


# --------------------------------------------------------------------------- raw access
class Raw:
    """Direct access to the objects (or files) under a target's root, bypassing the
    contents manager under test. Keys are relative to the root."""

    async def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    async def get(self, key: str) -> bytes | None:
        raise NotImplementedError

    async def keys(self, prefix: str) -> list[str]:
        raise NotImplementedError

    async def put_many(self, items: list[tuple[str, bytes]], concurrency: int = 8) -> None:
        sem = asyncio.Semaphore(concurrency)

        async def one(key: str, data: bytes) -> None:
            async with sem:
                await self.put(key, data)

        await asyncio.gather(*(one(k, d) for k, d in items))


class RawLocal(Raw):
    def __init__(self, root: Path) -> None:
        self.root = root

    async def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    async def get(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    async def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    async def put_many(self, items: list[tuple[str, bytes]], concurrency: int = 8) -> None:
        for k, d in items:
            await self.put(k, d)


class RawStore(Raw):
    """Through an nbshelf store object (the memory store has no other way in)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def put(self, key: str, data: bytes) -> None:
        await self.store.put(key, data)

    async def get(self, key: str) -> bytes | None:
        from nbshelf.stores import NotFound

        try:
            return bytes((await self.store.get(key)).data)
        except NotFound:
            return None

    async def keys(self, prefix: str) -> list[str]:
        listing = await self.store.list_all(prefix.rstrip("/") + "/")
        return sorted(o.key for o in listing.objects)


class RawS3(Raw):
    """boto3 straight to the server (not through the counting proxy)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=key, Body=data)

    async def get(self, key: str) -> bytes | None:
        def get() -> bytes | None:
            try:
                return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
            except self.client.exceptions.NoSuchKey:
                return None

        return await asyncio.to_thread(get)

    async def keys(self, prefix: str) -> list[str]:
        def keys() -> list[str]:
            out: list[str] = []
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix.rstrip("/") + "/"
            )
            for page in pages:
                out.extend(o["Key"] for o in page.get("Contents", []))
            return sorted(out)

        return await asyncio.to_thread(keys)


def boto_client(endpoint: str, access_key: str, secret_key: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            max_pool_connections=16,
        ),
    )


# --------------------------------------------------------------------------- servers
@dataclass
class Server:
    """One running server with a counting proxy in front of it."""

    name: str  # "moto" | "swift"
    label: str
    endpoint: str  # direct (seeding, checks)
    proxy: Any  # ProxyProcess: the proxy in a process of its own
    access_key: str
    secret_key: str
    version: str = ""
    stop: Callable[[], None] | None = None
    #: the server's own processes (CPU time read from /proc by the load test)
    pids: list[int] = field(default_factory=list)
    #: a large folder seeded (or removed) without a request per object:
    #: (bucket, prefix, n, body, delete); None: seed over HTTP
    bulk_seed: Callable[[str, str, int, bytes, bool], None] | None = None
    #: what the bulk seeding makes, for the report
    bulk_seed_note: str = ""

    def boto(self) -> Any:
        return boto_client(self.endpoint, self.access_key, self.secret_key)

    def new_bucket(self, tag: str) -> str:
        name = f"bench-{tag}-{uuid.uuid4().hex[:8]}".lower()
        self.boto().create_bucket(Bucket=name)
        return name


def start_moto() -> Server:
    from importlib.metadata import version

    from tests.servers.moto_server import start_moto as _start
    from tests.servers.proxy_process import ProxyProcess

    moto = _start(module="benchmarks.moto_seeding")
    proxy = ProxyProcess(moto.endpoint).start()

    def bulk_seed(bucket: str, prefix: str, n: int, body: bytes, delete: bool) -> None:
        query = urlencode({"bucket": bucket, "prefix": prefix, "n": n, "delete": int(delete)})
        req = urllib.request.Request(
            f"{moto.endpoint}/_nbshelf_seed?{query}", data=body, method="POST"
        )
        urllib.request.urlopen(req, timeout=600).close()

    def stop() -> None:
        proxy.stop()
        moto.stop()

    return Server(
        "moto",
        "moto S3 server",
        moto.endpoint,
        proxy,
        moto.access_key,
        moto.secret_key,
        version=f"moto {version('moto')}",
        stop=stop,
        pids=[moto.proc.pid],
        bulk_seed=bulk_seed,
        bulk_seed_note=(
            "the listing sizes are seeded through moto's own backend in its process "
            "(benchmarks/moto_seeding.py): real objects, not one HTTP PUT each"
        ),
    )


def start_swift() -> Server:
    import subprocess

    from tests.servers.proxy_process import ProxyProcess
    from tests.servers.swift import SwiftServer, swift_python

    swift = SwiftServer().start()
    proxy = ProxyProcess(swift.endpoint).start()
    ver = subprocess.run(
        [str(swift_python()), "-c", "import swift; print(swift.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()

    def stop() -> None:
        proxy.stop()
        swift.stop()

    def bulk_seed(container: str, prefix: str, n: int, body: bytes, delete: bool) -> None:
        etag = hashlib.md5(body, usedforsecurity=False).hexdigest()
        swift.listing_rows(container, prefix, n, size=len(body), etag=etag, delete=delete)

    return Server(
        "swift",
        "OpenStack Swift all-in-one (tempauth; native API and s3api)",
        swift.endpoint,
        proxy,
        SWIFT_USER,
        SWIFT_KEY,
        version=f"swift {ver}",
        stop=stop,
        pids=[p.pid for p in swift.procs.values()],
        bulk_seed=bulk_seed,
        bulk_seed_note=(
            "the listing sizes are seeded as rows written straight into the container's "
            "database (tests/servers/swift.py, listing_rows): what a listing reads, with "
            "no object behind them; a PUT each runs at ~100 objects/s here"
        ),
    )


# --------------------------------------------------------------------------- targets
@dataclass
class Target:
    """One contents manager configuration on one server."""

    name: str  # "nbshelf", "s3contents" ...
    server: str  # "local", "moto", "swift"
    api: str  # "disk", "memory", "swift", "s3"
    make_cm: Callable[[], Any]
    raw: Raw
    proxy: Any = None
    notes: list[str] = field(default_factory=list)
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.name}/{self.api}@{self.server}"

    def close(self) -> None:
        for fn in self.cleanup:
            fn()


def _tmpdir(tag: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"nbshelf-bench-{tag}-"))


def _rmtree(path: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(path, ignore_errors=True)


def floor_target() -> Target:
    from jupyter_server.services.contents.filemanager import AsyncFileContentsManager

    root = _tmpdir("floor")

    def make() -> Any:
        return AsyncFileContentsManager(
            root_dir=str(root), delete_to_trash=False, always_delete_dir=True
        )

    return Target(
        "jupyter_server",
        "local",
        "disk",
        make,
        RawLocal(root),
        notes=[
            "AsyncFileContentsManager with delete_to_trash=False, always_delete_dir=True "
            "(its default sends folders to the desktop trash)"
        ],
        cleanup=[_rmtree(root)],
    )


def nbshelf_local_target() -> Target:
    from nbshelf import ShelfContentsManager

    root = _tmpdir("local")
    return Target(
        "nbshelf",
        "local",
        "disk",
        lambda: ShelfContentsManager(root_dir=str(root)),
        RawLocal(root),
        cleanup=[_rmtree(root)],
    )


def nbshelf_memory_target() -> Target:
    from nbshelf import ShelfContentsManager
    from nbshelf.stores.memory import MemoryStore

    # One store object for every manager and the raw access: two MemoryStore objects of
    # the same name share objects but not their sorted key index (listings differ).
    store = MemoryStore.from_url(f"memory://bench-{uuid.uuid4().hex[:8]}")
    return Target(
        "nbshelf",
        "local",
        "memory",
        lambda: ShelfContentsManager(store_instance=store),
        RawStore(store),
    )


def nbshelf_swift_target(server: Server) -> Target:
    from nbshelf import ShelfContentsManager

    container = server.new_bucket("nbshelf-swift")
    options = {
        "auth_url": f"{server.proxy.url}/auth/v1.0",
        "account_name": SWIFT_USER,
        "account_key": SWIFT_KEY,
        "environ": {},
        "retries": 1,
    }

    def make() -> Any:
        return ShelfContentsManager(store_url=f"swift://{container}", store_options=options)

    return Target(
        "nbshelf",
        server.name,
        "swift",
        make,
        RawS3(server.boto(), container),
        proxy=server.proxy,
    )


def nbshelf_s3_target(server: Server) -> Target:
    from nbshelf import ShelfContentsManager

    bucket = server.new_bucket("nbshelf-s3")
    options = {
        "endpoint_url": server.proxy.url,
        "access_key_id": server.access_key,
        "secret_access_key": server.secret_key,
        "region": REGION,
    }

    def make() -> Any:
        return ShelfContentsManager(store_url=f"s3://{bucket}", store_options=options)

    return Target(
        "nbshelf", server.name, "s3", make, RawS3(server.boto(), bucket), proxy=server.proxy
    )


def s3contents_target(server: Server) -> Target:
    from s3contents import S3ContentsManager

    bucket = server.new_bucket("s3contents")
    ckpt_root = _tmpdir("s3contents")

    def make() -> Any:
        # root_dir is where s3contents' GenericFileCheckpoints writes (local disk);
        # each manager gets its own, as each server machine would
        return S3ContentsManager(
            access_key_id=server.access_key,
            secret_access_key=server.secret_key,
            endpoint_url=server.proxy.url,
            bucket=bucket,
            region_name=REGION,
            root_dir=tempfile.mkdtemp(dir=ckpt_root),
        )

    return Target(
        "s3contents",
        server.name,
        "s3",
        make,
        RawS3(server.boto(), bucket),
        proxy=server.proxy,
        cleanup=[_rmtree(ckpt_root)],
    )


def jupyterfs_target(server: Server) -> Target:
    from jupyterfs.manager.fsspec import FSSpecManager

    bucket = server.new_bucket("jupyterfs")

    def make() -> Any:
        return FSSpecManager(
            f"s3://{bucket}",
            key=server.access_key,
            secret=server.secret_key,
            endpoint_url=server.proxy.url,
            client_kwargs={"region_name": REGION},
        )

    return Target(
        "jupyter-fs",
        server.name,
        "s3",
        make,
        RawS3(server.boto(), bucket),
        proxy=server.proxy,
        notes=["jupyter-fs FSSpecManager over s3fs (its fsspec backend)"],
    )


def installed(dist: str) -> str | None:
    """The installed version of a distribution, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    names = [
        "nbshelf",
        "jupyter_server",
        "s3contents",
        "jupyter-fs",
        "s3fs",
        "fsspec",
        "aiobotocore",
        "obstore",
        "python-swiftclient",
        "moto",
        "nbformat",
    ]
    return {n: installed(n) for n in names}


def env_summary() -> dict[str, Any]:
    import platform

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": list(os.getloadavg()),
    }
