"""The floors: the same work done with the raw tools, no contents manager in between.

Each floor does what a folder operation cannot do with less: the local one is
``os.scandir`` + ``stat`` (a listing) and ``os.rename`` (a move, a delete into a
trash folder); the object-store ones are the store's own client (obstore for S3,
python-swiftclient for Swift) listing every page, sending every copy at once, then
one bulk delete. They go through the same counting proxy as the managers, so the
added latency applies to them too and their requests are counted the same way.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

#: Swift's bulk middleware accepts at most this many deletes in one request (its
#: default ``max_deletes_per_request``); S3's DeleteObjects takes 1000.
SWIFT_BULK_MAX = 10_000
#: what the listings count (a manager's folder marker is not an entry)
NB = ".ipynb"


# --------------------------------------------------------------------------- local
class LocalFloor:
    """``os.scandir`` + ``stat`` and ``os.rename`` on one folder tree."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_folder(self, folder: str) -> int:
        """Every entry of ``folder`` with its stat (what any listing needs: size, time)."""
        n = 0
        with os.scandir(self.root / folder) as it:
            for entry in it:
                entry.stat()
                n += 1
        return n

    def rename(self, src: str, dst: str) -> None:
        os.rename(self.root / src, self.root / dst)

    def trash(self, folder: str, trash: str) -> None:
        """A delete into a trash folder on the same filesystem: one rename."""
        dest = self.root / trash
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.root / folder, dest)

    def remove(self, folder: str) -> None:
        """A delete without trash: every file unlinked (``shutil.rmtree``)."""
        shutil.rmtree(self.root / folder)


# --------------------------------------------------------------------------- S3 (obstore)
class ObstoreFloor:
    """obstore's own calls on one bucket: list every page, copies all at once, one bulk
    delete (obstore sends a list of paths as DeleteObjects requests of 1000 keys)."""

    def __init__(
        self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str
    ) -> None:
        from obstore.store import S3Store

        self.store = S3Store(
            bucket,
            config={
                "endpoint": endpoint,
                "access_key_id": access_key,
                "secret_access_key": secret_key,
                "region": region,
            },
            client_options={"allow_http": True, "pool_max_idle_per_host": "1000"},
        )

    async def list_folder(self, folder: str) -> int:
        import obstore

        n = 0
        async for batch in obstore.list(self.store, folder.rstrip("/") + "/", chunk_size=1000):
            n += sum(1 for m in batch if m["path"].endswith(NB))
        return n

    async def keys(self, folder: str) -> list[str]:
        import obstore

        out: list[str] = []
        async for batch in obstore.list(self.store, folder.rstrip("/") + "/", chunk_size=1000):
            out.extend(m["path"] for m in batch)
        return out

    async def copy_all(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Every server-side copy sent at once (no bound)."""
        import obstore

        await asyncio.gather(*(obstore.copy_async(self.store, s, d) for s, d in pairs))

    async def delete_bulk(self, keys: Sequence[str]) -> None:
        import obstore

        await obstore.delete_async(self.store, list(keys))

    async def put_many(self, items: Sequence[tuple[str, bytes]], concurrency: int = 64) -> None:
        """Seeding (not measured): bounded, so a large folder does not open 100,000 sockets."""
        import obstore

        sem = asyncio.Semaphore(concurrency)

        async def one(key: str, data: bytes) -> None:
            async with sem:
                await obstore.put_async(self.store, key, data)

        await asyncio.gather(*(one(k, d) for k, d in items))


# --------------------------------------------------------------------------- Swift
class SwiftFloor:
    """python-swiftclient on one container: a full listing, copies all at once (one
    thread per copy, each with its own connection, all sharing one token), one bulk
    delete per 10,000 keys."""

    def __init__(self, auth_url: str, user: str, key: str, container: str) -> None:
        from swiftclient.client import Connection

        self.container = container
        conn = Connection(authurl=auth_url, user=user, key=key, retries=0)
        self.url, self.token = conn.get_auth()  # once, before anything is measured
        conn.close()

    def _conn(self) -> Any:
        from swiftclient.client import Connection

        return Connection(preauthurl=self.url, preauthtoken=self.token, retries=0)

    def list_folder(self, folder: str) -> int:
        conn = self._conn()
        try:
            _, objs = conn.get_container(
                self.container, prefix=folder.rstrip("/") + "/", full_listing=True
            )
            return sum(1 for o in objs if o["name"].endswith(NB))
        finally:
            conn.close()

    def keys(self, folder: str) -> list[str]:
        conn = self._conn()
        try:
            _, objs = conn.get_container(
                self.container, prefix=folder.rstrip("/") + "/", full_listing=True
            )
            return [o["name"] for o in objs]
        finally:
            conn.close()

    def copy_all(self, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return

        def one(pair: tuple[str, str]) -> None:
            conn = self._conn()
            try:
                conn.put_object(
                    self.container,
                    pair[1],
                    contents=b"",
                    headers={"X-Copy-From": f"/{self.container}/{quote(pair[0])}"},
                )
            finally:
                conn.close()

        with ThreadPoolExecutor(max_workers=min(len(pairs), 256)) as pool:
            list(pool.map(one, pairs))

    def delete_bulk(self, keys: Sequence[str]) -> None:
        conn = self._conn()
        try:
            for i in range(0, len(keys), SWIFT_BULK_MAX):
                body = "\n".join(
                    f"/{quote(self.container)}/{quote(k)}" for k in keys[i : i + SWIFT_BULK_MAX]
                )
                conn.post_account(
                    headers={"Content-Type": "text/plain", "Accept": "application/json"},
                    query_string="bulk-delete",
                    data=body.encode(),
                )
        finally:
            conn.close()

    def put_many(self, items: Sequence[tuple[str, bytes]], concurrency: int = 32) -> None:
        """Seeding (not measured)."""

        def chunk(part: Sequence[tuple[str, bytes]]) -> None:
            conn = self._conn()
            try:
                for k, d in part:
                    conn.put_object(self.container, k, contents=d)
            finally:
                conn.close()

        step = max(1, len(items) // concurrency + 1)
        parts = [items[i : i + step] for i in range(0, len(items), step)]
        with ThreadPoolExecutor(max_workers=max(1, len(parts))) as pool:
            list(pool.map(chunk, parts))
