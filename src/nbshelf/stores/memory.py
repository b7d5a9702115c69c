"""An in-process store: fast tests, and the reference for how a store behaves."""

from __future__ import annotations

import bisect
import hashlib
import mimetypes
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from .base import GetResult, ListPage, ObjectInfo, ObjectStore, PrefixInfo, PutBody, PutOptions
from .errors import Conflict, NotFound
from .location import StoreLocation
from .options import CommonOptions, OptionReader


class MemoryStore(ObjectStore):
    """Objects in a dict. ``memory://NAME`` stores of the same name share their data
    within a process, so a test can open the same store twice."""

    scheme = "memory"
    uses_threads = False  # nothing blocks
    url_form = "memory://name[/prefix]"
    _shared: dict[str, tuple[dict[str, tuple[ObjectInfo, bytes]], list[str]]] = {}

    def __init__(self, name: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        # the objects and their sorted keys, shared by every store of the same name
        objects: dict[str, tuple[ObjectInfo, bytes]] = {}
        keys: list[str] = []
        if name:
            objects, keys = MemoryStore._shared.setdefault(name, (objects, keys))
        self._objects = objects
        self._keys = keys

    @classmethod
    def from_location(cls, location: StoreLocation, options: dict[str, Any]) -> MemoryStore:
        r = OptionReader("memory", options)
        common = CommonOptions.read(r)
        r.finish()
        return cls(name=location.container, **common.store_kwargs(location.prefix))

    @property
    def location(self) -> str:
        return f"memory://{self.name}"

    # ------------------------------------------------------------ hooks
    def _lookup(self, key: str) -> tuple[ObjectInfo, bytes]:
        try:
            return self._objects[key]
        except KeyError:
            raise NotFound(f"no such object {key!r}", store=self.description, key=key) from None

    async def _head(self, key: str) -> ObjectInfo:
        self.requests.add("HEAD")
        return self._lookup(key)[0]

    async def _get(self, key: str) -> GetResult:
        self.requests.add("GET")
        info, data = self._lookup(key)
        return GetResult(info, data)

    async def _get_range(self, key: str, start: int, end: int) -> bytes:
        self.requests.add("GET")
        return self._lookup(key)[1][start:end]

    def _store(self, key: str, data: bytes, info: ObjectInfo) -> ObjectInfo:
        if key not in self._objects:
            bisect.insort(self._keys, key)
        self._objects[key] = (info, data)
        return info

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        content_type, metadata, if_none_match = put.content_type, put.metadata, put.if_none_match
        self.requests.add("PUT")
        data = bytes(body) if isinstance(body, (bytes, bytearray, memoryview)) else body.read()
        if if_none_match and key in self._objects:
            raise Conflict(f"{key!r} already exists", store=self.description, key=key)
        info = ObjectInfo(
            key=key,
            size=len(data),
            last_modified=datetime.now(timezone.utc),
            etag=put.md5 or hashlib.md5(data, usedforsecurity=False).hexdigest(),
            content_type=content_type or mimetypes.guess_type(key)[0] or "application/octet-stream",
            metadata=dict(metadata),
        )
        return self._store(key, data, info)

    async def _delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.requests.add("DELETE")
            if self._objects.pop(key, None) is not None:
                i = bisect.bisect_left(self._keys, key)
                del self._keys[i]

    async def _copy(self, src: str, dst: str) -> ObjectInfo:
        self.requests.add("COPY")
        info, data = self._lookup(src)
        new = replace(info, key=dst, last_modified=datetime.now(timezone.utc))
        return self._store(dst, data, new)

    async def _list(
        self, prefix: str, *, delimiter: str | None, token: str | None, limit: int
    ) -> ListPage:
        self.requests.add("LIST")
        objects: list[ObjectInfo] = []
        prefixes: list[PrefixInfo] = []
        start = (
            bisect.bisect_right(self._keys, token)
            if token
            else bisect.bisect_left(self._keys, prefix)
        )
        last: str | None = None
        i = start
        while i < len(self._keys) and len(objects) + len(prefixes) < limit:
            key = self._keys[i]
            if not key.startswith(prefix):
                break
            rest = key[len(prefix) :]
            cut = rest.find(delimiter) if delimiter else -1
            if cut >= 0:
                common = prefix + rest[: cut + len(delimiter or "")]
                prefixes.append(PrefixInfo(common))
                last = common + "\U0010ffff"  # skip everything under this prefix
                i = bisect.bisect_right(self._keys, last)
                continue
            objects.append(self._objects[key][0])
            last = key
            i += 1
        more = i < len(self._keys) and self._keys[i].startswith(prefix)
        return ListPage(objects, prefixes, last if more else None)
