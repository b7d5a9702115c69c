"""The ObjectStore hooks over any obstore store (S3, GCS, Azure), called async directly.

What obstore cannot do, and how this module works around it:

* A key ending in "/" cannot be written, read or deleted (obstore strips the
  slash: ``put("a/b/")`` writes ``a/b``). Folder markers ``a/b/`` are written
  as the hidden object ``a/b/.nbshelf-folder``; markers ``a/b/`` made by other
  tools (S3 console) are *read*: obstore lists them as ``a/b`` (a path equal to
  the listed prefix, or in recursive listings a zero-byte ``a/b`` followed by
  keys under ``a/b/``), and both kinds are shown to callers as ``a/b/``.
* ``put`` and ``copy`` results carry no Last-Modified: one HEAD follows (counted).
  (S3 with static credentials sends CopyObject itself and reads its answer:
  :meth:`.s3.S3Store._copy`.)
* ``head`` returns no content type or user metadata (``get`` does).
* Delimited listings are not pageable (obstore follows S3's continuation tokens
  itself): a listing fetches the whole folder, one LIST per 1000 entries (the
  S3 page). :meth:`ObstoreBackedStore.walk` (what callers page through: every caller
  lists a whole folder) cuts that one result into pages; a ``list`` with a token
  fetches the folder again and skips to the token.

Also here: what the three clouds' stores share to be built (:class:`ObstoreOptions`,
:func:`build_client`); ``s3``, ``gcs`` and ``azure`` build one each.
"""

from __future__ import annotations

import functools
import math
import mimetypes
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any, ClassVar, cast

import obstore
from obstore import exceptions as oe

from ..base import (
    GetResult,
    ListPage,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    PutBody,
    PutOptions,
    check_key,
    gather_bounded,
)
from ..capabilities import SnapshotFile
from ..errors import NotFound, StoreError
from ..options import CommonOptions, OptionReader
from .errors import translate
from .listing import SLICE, Listing, prefix_rows, rows

#: The hidden object that stands for the folder marker "a/b/" (callers never see it).
MARKER_NAME = ".nbshelf-folder"
DIRECTORY_CONTENT_TYPE = "application/x-directory"
#: Entries per list response of S3 (and of Swift's s3api, Azure's 5000 aside).
SERVER_PAGE = 1000
#: obstore's own retries are off: the store's RetryPolicy (nbshelf.stores.base) retries
#: every call the same way on every backend, with jitter and a per-call deadline.
RETRY = {"max_retries": 0, "retry_timeout": timedelta(seconds=15)}

mimetypes.init()  # now, not on the event loop: the first guess_type reads /etc/mime.types

_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zµ]*)\s*", re.IGNORECASE)
_DURATION_UNIT = {
    "ms": 1e-3, "msec": 1e-3, "millis": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9,
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
}  # fmt: skip


def duration_seconds(text: str, name: str) -> float:
    """A duration as obstore reads it (``"5s"``, ``"1500ms"``, ``"1m 30s"``) in seconds:
    the requests nbshelf sends itself (httpx) wait as long as obstore's. A bare number is
    seconds. Anything else is a :class:`StoreError` naming the option."""
    total, pos, text = 0.0, 0, text.strip()
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        unit = m.group(2).lower() if m else None
        if m is None or m.end() == pos or unit not in _DURATION_UNIT:
            raise StoreError(f"{name} {text!r} is not a duration: write it as 30s, 1500ms or 5m")
        total += float(m.group(1)) * _DURATION_UNIT[unit]
        pos = m.end()
    if total <= 0:
        raise StoreError(f"{name} {text!r} must be longer than nothing: write it as 30s")
    return total


@dataclass(frozen=True)
class ObstoreOptions:
    """What every obstore store takes besides its cloud's own settings."""

    common: CommonOptions
    #: Multipart part size, and parts in flight.
    chunk_size: int = 8 * 1024 * 1024
    upload_concurrency: int = 2
    #: obstore's client timeouts.
    connect_timeout: str = "5s"
    timeout: str = "300s"

    @classmethod
    def read(cls, r: OptionReader) -> ObstoreOptions:
        return cls(
            common=CommonOptions.read(r),
            chunk_size=r.integer("chunk_size", 8 * 1024 * 1024),
            upload_concurrency=r.integer("upload_concurrency", 2),
            connect_timeout=r.text("connect_timeout", default="5s") or "5s",
            timeout=r.text("timeout", default="300s") or "300s",
        )

    def timeouts(self) -> tuple[float, float]:
        """(connect, request) timeouts in seconds, for requests sent beside obstore."""
        return (
            duration_seconds(self.connect_timeout, "connect_timeout"),
            duration_seconds(self.timeout, "timeout"),
        )

    def client_options(self, allow_http: bool) -> dict[str, Any]:
        return {
            "allow_http": allow_http,
            "connect_timeout": self.connect_timeout,
            "timeout": self.timeout,
        }

    def store_kwargs(self, prefix: str) -> dict[str, Any]:
        """The keywords of :class:`ObstoreBackedStore`'s constructor."""
        return {
            **self.common.store_kwargs(prefix),
            "chunk_size": self.chunk_size,
            "upload_concurrency": self.upload_concurrency,
        }


def build_client(
    factory: Callable[..., Any], container: str, *, known: Iterable[str], **kwargs: Any
) -> Any:
    """``factory(container, **kwargs)`` (an obstore store class), its errors made ours.
    ``known`` are nbshelf's own option names for this backend, for the message about an
    option neither nbshelf nor obstore knows."""
    try:
        return factory(container, retry_config=RETRY, **kwargs)
    except oe.UnknownConfigurationKeyError as e:
        raise StoreError(
            f"unknown store option: {str(e).splitlines()[0][:200]} (nbshelf's options for "
            f"this store are {', '.join(sorted(known))}; any other is passed to obstore)"
        ) from None
    except (oe.BaseError, ValueError, TypeError) as e:
        raise StoreError(f"invalid store configuration ({type(e).__name__})") from None


@functools.lru_cache(maxsize=256)
def _type_of_suffix(suffix: str) -> str:
    return mimetypes.guess_type("x" + suffix)[0] or "application/octet-stream"


def _guess_type(key: str) -> str:
    """The content type of a key by its name, from a cache of the name's suffixes (every
    extension from the first dot: ``.tar.gz``), as ``mimetypes.guess_type`` says."""
    if key.endswith("/"):
        return DIRECTORY_CONTENT_TYPE
    name = key.rpartition("/")[2].lstrip(".")
    dot = name.find(".")
    return _type_of_suffix(name[dot:] if dot >= 0 else "")


def _second(dt: datetime) -> datetime:
    """Whole seconds: HTTP dates (HEAD) have no fraction, list XML may have ms."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.replace(microsecond=0)


def _etag(tag: str | None) -> str | None:
    return tag.strip('"') if tag else None


class ObstoreBackedStore(ObjectStore):
    """Common hooks; subclasses build ``self._os`` and say what to check in errors.

    Every obstore store signs links (S3 presigned URLs, GCS signed URLs, Azure SAS):
    :class:`~nbshelf.stores.capabilities.SupportsSignedLinks`.
    """

    #: Entries per LIST request of this service (S3: 1000, Azure: 5000).
    server_page: ClassVar[int] = SERVER_PAGE
    #: obstore's calls are async (its own Rust threads): no worker threads of ours.
    uses_threads: ClassVar[bool] = False
    #: The longest expiry the service signs (None: no limit of nbshelf's).
    max_signed_expiry: int | None = None
    signed_links_name: str = "signed links"

    def __init__(
        self,
        os_store: Any,
        *,
        chunk_size: int = 8 * 1024 * 1024,
        upload_concurrency: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._os = os_store
        self.chunk_size = chunk_size
        self.upload_concurrency = upload_concurrency
        #: What to check, by kind of failure (subclasses name their settings).
        self.hints: dict[str, str] = {
            "auth": "check the credentials",
            "region": "check the region",
            "bucket": "check the bucket name",
            "endpoint": "check the endpoint and that the server is running",
        }
        #: Full keys "a/b/" of folder markers written by other tools that a listing or
        #: head has shown: only those get the extra DELETE (:meth:`_delete_foreign_markers`).
        self._foreign_markers: set[str] = set()

    # ------------------------------------------------------------ errors

    def _error(self, exc: BaseException, key: str | None = None) -> StoreError:
        return translate(exc, store=self.description, key=key, hints=self.hints)

    async def _call(self, coro: Any, key: str | None = None) -> Any:
        try:
            return await coro
        except (StoreError, StopAsyncIteration):
            raise
        except Exception as e:  # obstore raises its own classes and OSError subclasses
            raise self._error(e, key) from None

    # ------------------------------------------------------------ conversions
    def _info(self, meta: Any, key: str | None = None, **extra: Any) -> ObjectInfo:
        key = key or meta["path"]
        return ObjectInfo(
            key=key,
            size=int(meta["size"]),
            last_modified=_second(meta["last_modified"]),
            etag=_etag(meta.get("e_tag")),
            content_type=extra.pop("content_type", None) or self._guess_type(key),
            **extra,
        )

    @staticmethod
    def _guess_type(key: str) -> str:
        return _guess_type(key)

    @staticmethod
    def _marker_key(key: str) -> str:
        return key + MARKER_NAME

    # ------------------------------------------------------------ hooks
    async def _head(self, key: str) -> ObjectInfo:
        if key.endswith("/"):
            return await self._head_folder(key)
        self.requests.add("HEAD")
        meta = await self._call(obstore.head_async(self._os, key), key)
        return self._info(meta)

    async def _head_folder(self, key: str) -> ObjectInfo:
        """A folder exists if its marker (ours or a foreign ``a/b/``) or any key under it
        does: one LIST of at most one server page, whatever the folder holds."""
        self.requests.add("LIST")
        stream = obstore.list(self._os, key, chunk_size=1)
        try:
            chunk = await self._call(stream.__anext__(), key)
        except StopAsyncIteration:
            chunk = []
        if not chunk:
            raise NotFound(f"no such folder {key!r}", store=self.description, key=key)
        if chunk[0]["path"] == key.rstrip("/"):
            self._foreign_markers.add(key)
        return (
            self._info(chunk[0], key, content_type=DIRECTORY_CONTENT_TYPE)
            if chunk[0]["path"] in (key.rstrip("/"), self._marker_key(key))
            else ObjectInfo(
                key=key,
                size=0,
                last_modified=_second(chunk[0]["last_modified"]),
                content_type=DIRECTORY_CONTENT_TYPE,
            )
        )

    async def _get(self, key: str) -> GetResult:
        if key.endswith("/"):
            return GetResult(await self._head_folder(key), b"")
        self.requests.add("GET")
        result = await self._call(obstore.get_async(self._os, key), key)
        data = bytes(await self._call(result.bytes_async(), key))
        attrs = dict(result.attributes)
        content_type = attrs.pop("Content-Type", None)
        for std in (
            "Content-Disposition",
            "Content-Encoding",
            "Content-Language",
            "Cache-Control",
            "Storage-Class",
        ):
            attrs.pop(std, None)
        return GetResult(
            self._info(result.meta, key, content_type=content_type, metadata=attrs), data
        )

    async def _get_range(self, key: str, start: int, end: int) -> bytes:
        self.requests.add("GET")
        data = await self._call(obstore.get_range_async(self._os, key, start=start, end=end), key)
        return bytes(data)

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        content_type, metadata, if_none_match = put.content_type, put.metadata, put.if_none_match
        target = self._marker_key(key) if key.endswith("/") else key
        content_type = content_type or self._guess_type(key)
        attributes: dict[str, str] = {"Content-Type": content_type, **metadata}
        size, multipart = self._plan_upload(body, if_none_match)
        kwargs: dict[str, Any] = {"attributes": attributes, "use_multipart": multipart}
        if if_none_match:
            kwargs["mode"] = "create"
        if multipart:
            parts = max(1, math.ceil(size / self.chunk_size))
            self.requests.add("POST", 2)  # create + complete
            self.requests.add("PUT", parts)
            kwargs.update(chunk_size=self.chunk_size, max_concurrency=self.upload_concurrency)
        else:
            self.requests.add("PUT")
        data: Any = (
            body if multipart or isinstance(body, (bytes, bytearray, memoryview)) else (body.read())
        )
        result = await self._call(obstore.put_async(self._os, target, data, **kwargs), key)
        info = await self._head_after_write(target, key)
        return ObjectInfo(
            key=key,
            size=info.size,
            last_modified=info.last_modified,
            etag=_etag(result.get("e_tag")) or info.etag,
            content_type=DIRECTORY_CONTENT_TYPE if key.endswith("/") else content_type,
            metadata=dict(metadata),
        )

    def _plan_upload(self, body: PutBody, if_none_match: bool) -> tuple[int, bool]:
        """(size, multipart?). Files larger than one chunk stream as a multipart upload;
        a conditional create cannot be multipart in obstore, so it is sent whole."""
        if isinstance(body, (bytes, bytearray, memoryview)):
            return len(body), False
        f = cast(IO[bytes], body)
        start = f.tell()
        f.seek(0, 2)
        size = f.tell() - start
        f.seek(start)
        return size, size > self.chunk_size and not if_none_match

    async def _head_after_write(self, target: str, key: str) -> ObjectInfo:
        self.requests.add("HEAD")
        meta = await self._call(obstore.head_async(self._os, target), key)
        return self._info(meta, key)

    async def _delete(self, keys: Sequence[str]) -> None:
        targets = [self._marker_key(k) if k.endswith("/") else k for k in keys]
        # a foreign "a/b/" is deleted only if seen; nbshelf's own markers are hidden objects
        foreign = [k for k in keys if k in self._foreign_markers]
        for i in range(0, len(targets), SERVER_PAGE):
            batch = targets[i : i + SERVER_PAGE]
            self.requests.add("DELETE")  # one DeleteObjects (POST ?delete) per 1000 keys
            await self._call(obstore.delete_async(self._os, batch))
        if foreign:
            await self._delete_foreign_markers(foreign)
            self._foreign_markers.difference_update(foreign)

    async def _delete_foreign_markers(self, keys: Sequence[str]) -> None:
        """Markers ``a/b/`` written by other tools (and seen in a listing or head):
        obstore cannot name them. Backends that can send a raw request override this;
        the default leaves them."""

    async def _copy(self, src: str, dst: str) -> ObjectInfo:
        if src.endswith("/") or dst.endswith("/"):
            await self._head_folder(src)
            return await self._put(
                dst if dst.endswith("/") else dst + "/",
                b"",
                PutOptions(content_type=DIRECTORY_CONTENT_TYPE),
            )
        self.requests.add("COPY")
        await self._call(obstore.copy_async(self._os, src, dst), src)
        return await self._head_after_write(dst, dst)

    async def _copy_no_info(self, src: str, dst: str) -> None:
        """COPY alone when the caller needs no info (folder renames): no HEAD after it. A
        folder marker of ours is one COPY of its hidden object (not a LIST, a PUT and a
        HEAD: three round trips in a row that the other copies of a folder waited for);
        a marker another tool wrote is a PUT of ours at ``dst``."""
        if src.endswith("/") and dst.endswith("/"):
            if src not in self._foreign_markers:
                self.requests.add("COPY")
                try:
                    marker, target = self._marker_key(src), self._marker_key(dst)
                    await self._call(obstore.copy_async(self._os, marker, target), src)
                    return
                except NotFound:
                    pass
            await self._copy(src, dst)
            return
        if src.endswith("/") or dst.endswith("/"):
            await self._copy(src, dst)
            return
        self.requests.add("COPY")
        await self._call(obstore.copy_async(self._os, src, dst), src)

    # ------------------------------------------------------------ listing
    async def walk(
        self, prefix: str = "", *, delimiter: str | None = "/"
    ) -> AsyncIterator[ListPage]:
        """Every page of a listing from one fetch of the whole folder (one LIST per
        server page), cut into pages of ``page_size`` as they are read (:mod:`.listing`:
        the event loop is free between slices of entries)."""
        if prefix:
            check_key(prefix)
        full = self.prefix + prefix
        found = await self._retrying(
            lambda: self._fetch(full, delimiter), prefix or None, op="list"
        )
        strip = len(self.prefix)  # keys relative to the prefix as they are made
        async for entries, more in found.pages(max(1, self.page_size), strip):
            last = self.prefix + entries[-1][0] if more and entries else None
            yield self._page(entries, last)

    async def _list(
        self, prefix: str, *, delimiter: str | None, token: str | None, limit: int
    ) -> ListPage:
        found = await self._fetch(prefix, delimiter)
        page: list[tuple[str, Any]] = []
        async for entries, _ in found.pages(SLICE):
            page.extend(e for e in entries if not token or e[0] > token)
            if len(page) > limit:
                break
        more = len(page) > limit
        page = page[:limit]
        return self._page(page, page[-1][0] if more and page else None)

    @staticmethod
    def _page(entries: list[tuple[str, Any]], next_token: str | None) -> ListPage:
        objects = [e[1] for e in entries if isinstance(e[1], ObjectInfo)]
        prefixes = [e[1] for e in entries if isinstance(e[1], PrefixInfo)]
        return ListPage(objects, prefixes, next_token)

    async def _arrow(self, base: str, delimiter: str | None) -> tuple[list[Any], list[str]]:
        """obstore's listing of ``base`` as Arrow tables (and the common prefixes)."""
        if delimiter:
            result = await self._call(
                obstore.list_with_delimiter_async(self._os, base or None, return_arrow=True)
            )
            return [result["objects"]], list(result["common_prefixes"])
        stream = obstore.list(
            self._os, base or None, chunk_size=self.server_page, return_arrow=True
        )
        tables: list[Any] = []
        while True:
            try:
                tables.append(await self._call(stream.__anext__()))
            except StopAsyncIteration:
                return tables, []

    async def _fetch(self, prefix: str, delimiter: str | None) -> Listing:
        """Every entry under ``prefix``, translated, as sorted runs (:class:`.Listing`)."""
        if delimiter not in (None, "/"):
            raise StoreError("lists take delimiter '/' or none", store=self.description)
        # obstore lists whole path segments: "a/no" would mean "a/no/"; list the parent
        # folder and filter for a partial last segment.
        base = prefix if not prefix or prefix.endswith("/") else prefix.rpartition("/")[0]
        base = base.rstrip("/")
        tables, common = await self._arrow(base, delimiter)
        total = sum(t.num_rows for t in tables) + len(common)
        self.requests.add("LIST", max(1, math.ceil(total / self.server_page)))
        found = Listing(
            _guess_type, prefixes=[e for e in prefix_rows(common) if e[0].startswith(prefix)]
        )
        empty: list[int] = []  # recursive listings: zero-byte entries, maybe foreign markers
        unsorted = False
        for table in tables:
            async for part in rows(table):
                for row in part:
                    path = row[0]
                    key = self._listed_key(path, base)
                    if not key.startswith(prefix):
                        continue
                    if key != path:  # a folder marker: ours (hidden object) or "base/"
                        if not path.endswith(MARKER_NAME):
                            self._foreign_markers.add(key)
                        found.rewritten.append((key, *row[1:]))
                        continue
                    if found.objects and key < found.objects[-1][0]:
                        unsorted = True
                    if not delimiter and row[1] == 0:
                        empty.append(len(found.objects))
                    found.objects.append(row)
        if unsorted:  # not seen from S3, GCS or Azure (they list in key order)
            found.objects.sort(key=lambda e: e[0])
        if empty and not unsorted:
            await self._resolve_empty(found, empty)
        found.rewritten.sort(key=lambda e: e[0])
        return found

    @staticmethod
    def _listed_key(path: str, base: str) -> str:
        if path.endswith("/" + MARKER_NAME) or path == MARKER_NAME:
            return path[: -len(MARKER_NAME)]
        if base and path == base:
            return path + "/"  # the listed folder's own foreign marker "base/"
        return path

    async def _resolve_empty(self, found: Listing, empty: list[int]) -> None:
        """In a recursive listing obstore shows a foreign marker "a/e/" as "a/e", like an
        empty file "a/e": one HEAD per zero-byte entry tells them apart (a HEAD of "a/e"
        finds the file, not the marker). Notebooks are never empty, so this is rare."""

        async def is_file(path: str) -> bool:
            self.requests.add("HEAD")
            try:
                await self._call(obstore.head_async(self._os, path), path)
            except NotFound:
                return False
            return True

        keys = [found.objects[i][0] for i in empty]
        files = await gather_bounded((is_file(k) for k in keys), self.max_concurrency)
        markers = {i for i, file in zip(empty, files, strict=True) if not file}
        if not markers:
            return
        for i in markers:
            key, *rest = found.objects[i]
            self._foreign_markers.add(key + "/")
            found.rewritten.append((key + "/", *rest))  # type: ignore[arg-type]
        found.objects = [e for i, e in enumerate(found.objects) if i not in markers]

    async def check(self) -> None:
        """One LIST of at most one server page: proves endpoint, credentials, region and
        bucket, each with its own message. Buckets are not created (that needs rights a
        notebook user rarely has)."""
        self.requests.add("LIST")
        stream = obstore.list(self._os, self.prefix.rstrip("/") or None, chunk_size=1)
        try:
            await self._call(stream.__anext__())
        except StopAsyncIteration:
            pass
        except NotFound:
            raise NotFound(
                f"the bucket does not exist: {self.hints['bucket']}, or create it",
                store=self.description,
            ) from None

    # ------------------------------------------------------------ signed links
    async def prepare_signed_links(self) -> None:
        """Nothing to prepare: the store's credentials sign the links."""

    async def put_snapshot(self, key: str, file: SnapshotFile) -> None:
        """``file`` at ``key``; its disposition as the object's Content-Disposition
        attribute, which S3, GCS and Azure serve back (also through signed links).
        obstore treats the attribute names it knows (Content-Disposition, Content-Type,
        ...) as the object's own headers and every other one as user metadata. These
        objects keep no header of their own choosing, so ``file.csp`` is not stored."""
        attrs = {"Content-Disposition": file.disposition} if file.disposition else {}
        await self.put(key, file.data, content_type=file.content_type, metadata=attrs)

    async def signed_url(self, key: str, expires_in: int, *, inline: bool = False) -> str:
        """A presigned URL (SigV4 query string on S3, a SAS on Azure); no request is
        made. ``inline`` changes nothing: these links open as the object's type says."""
        full = self._full(key)
        return cast(
            str,
            await self._call(
                obstore.sign_async(self._os, "GET", full, timedelta(seconds=expires_in)),
                full,
            ),
        )
