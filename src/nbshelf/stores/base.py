"""The one small async interface every object store implements.

Public methods (``head``, ``get``, ``put``, ``delete``, ``copy``, ``list``)
take keys relative to the store's prefix and return :class:`ObjectInfo` with
relative keys, so nothing above this layer can reach outside the prefix.
A backend implements the private ``_head``/``_get``/... hooks on *full* keys
and counts every request it makes in :attr:`ObjectStore.requests`.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import hashlib
import random
import re
import threading
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, ClassVar, TypeVar

from .errors import (
    Conflict,
    IntegrityError,
    InvalidKey,
    PermissionDenied,
    StoreError,
    Unavailable,
)
from .location import StoreLocation, resolve

T = TypeVar("T")
S = TypeVar("S", bound="ObjectStore")

#: What ``put`` accepts: bytes, or a readable binary file positioned at its start
#: (spooled uploads are streamed from disk, never read whole into memory).
PutBody = bytes | IO[bytes]

MAX_KEY_BYTES = 1024
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_MULTIPART_RE = re.compile(r"^([0-9a-f]{32})-(\d+)$")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: Set (by :func:`urgent`) around store calls that must not wait behind bulk work.
_URGENT: ContextVar[bool] = ContextVar("nbshelf_store_urgent", default=False)
#: Worker threads of the urgent lane: a lease renewal at a time, per folder operation.
URGENT_THREADS = 4


@contextmanager
def urgent() -> Iterator[None]:
    """Run the store calls made inside (in this task) in a lane of their own.

    A backend whose client blocks runs its calls in a pool of ``max_concurrency``
    threads, shared by everything the server does. A folder operation's lease renewal
    queued there waits behind the operation's own bulk work: one bulk delete of
    thousands of objects can hold a thread longer than the lease, and a renewal that
    lands after the lease ran out lets recovery take the live operation for abandoned.
    Calls made inside this block never queue behind the shared pool."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a store knows of one object, without its body.

    Slotted: a listing of 100,000 holds 100,000 of them, 80 bytes and one object the
    garbage collector tracks each (with a ``__dict__``: 330 bytes and two)."""

    key: str
    size: int
    last_modified: datetime
    etag: str | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_dir_marker(self) -> bool:
        return self.key.endswith("/")

    @property
    def md5(self) -> str | None:
        """The MD5 of the body when the store knows it (plain etag or kept in metadata)."""
        if self.etag and _MD5_RE.match(self.etag.strip('"')):
            return self.etag.strip('"')
        return self.metadata.get("md5")


@dataclass(frozen=True, slots=True)
class PrefixInfo:
    """A common prefix (a "folder") found by a delimited listing."""

    key: str
    last_modified: datetime | None = None


@dataclass(frozen=True)
class ListPage:
    """One page of a listing; ``next_token`` is None on the last page."""

    objects: list[ObjectInfo]
    prefixes: list[PrefixInfo]
    next_token: str | None = None


@dataclass(frozen=True)
class PutOptions:
    """How a backend writes one object (what ``ObjectStore.put`` was asked)."""

    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    #: Fail with Conflict if the object exists (create-only).
    if_none_match: bool = False
    #: The body's MD5 (hex), computed once by ``ObjectStore.put``: a backend that sends or
    #: keeps it uses this rather than hashing the body again.
    md5: str | None = None


@dataclass(frozen=True)
class GetResult:
    info: ObjectInfo
    data: bytes


@dataclass(frozen=True)
class RetryPolicy:
    """How every store call is retried, the same for every backend.

    Only transient failures are retried (:class:`Unavailable`: connection refused or
    reset, timeouts, HTTP 5xx, 408, 429; and :class:`IntegrityError`: the store got
    other bytes than were sent), with exponential backoff and full jitter, at most
    ``retries`` times, all within a per-call ``deadline`` (a put gets one more second
    per ``min_rate`` bytes of body). Every operation of the interface is idempotent
    (a put writes the object whole; deletes ignore missing keys; a copy rewrites the
    same target), so each may be retried; a put is retried only if its body can be
    rewound, and a create-only put whose retry finds the object already there checks
    that it holds the bytes sent (its own first try) before calling it a conflict.
    The client libraries' own retries are off, so this is the only retry layer.
    """

    retries: int = 2
    backoff: float = 0.25
    max_backoff: float = 4.0
    deadline: float = 120.0
    min_rate: int = 1 << 20

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1, 2, ...): full jitter."""
        cap = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return random.uniform(0, cap)

    def deadline_for(self, size: int = 0) -> float:
        return self.deadline + size / max(1, self.min_rate)


#: Failures worth another try.
TRANSIENT: tuple[type[StoreError], ...] = (Unavailable, IntegrityError)


class RequestCounter:
    """Counts the requests a store makes, by operation (``GET``, ``PUT``, ``LIST`` ...).

    Tests assert exact counts from it and the benchmarks report them.
    """

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def add(self, op: str, n: int = 1) -> None:
        self.counts[op] += n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def snapshot(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if v}

    def reset(self) -> None:
        self.counts.clear()

    def __getitem__(self, op: str) -> int:
        return self.counts[op]

    def __repr__(self) -> str:
        return f"RequestCounter({self.snapshot()})"


#: Items freed in one C call at most by :func:`release_in_slices` (about 0.4 ms)
RELEASE_SLICE = 4096


def release_in_slices(items: list[Any]) -> None:
    """Empty ``items``, freeing what only it holds :data:`RELEASE_SLICE` at a time.
    Letting go of a list of 100,000 tuples frees them all in one C call, which holds
    the GIL (and so the event loop, whichever thread it runs on) for 10-15 ms on an
    idle core; between slices the thread gives the GIL back."""
    while items:
        del items[-RELEASE_SLICE:]


def normalize_prefix(prefix: str) -> str:
    """``"/users/alice"`` -> ``"users/alice/"``; ``""`` stays ``""``."""
    prefix = prefix.strip("/")
    if not prefix:
        return ""
    for part in prefix.split("/"):
        if part in ("", ".", ".."):
            raise InvalidKey(f"invalid store prefix {prefix!r}")
    return prefix + "/"


#: Keys checked between two turns of the event loop (well under 1 ms).
KEY_SLICE = 256
#: An empty, "." or ".." path segment (the trailing "/" of a folder key stripped first).
_BAD_SEGMENT = re.compile(r"(?:^|/)\.{0,2}(?:/|$)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


async def _checked_keys(prefix: str, keys: Iterable[str]) -> list[str]:
    """Every key checked and prefixed, the event loop given a turn every
    :data:`KEY_SLICE` keys (a folder of 100,000 held it 300 ms in one go)."""
    keys = list(keys)
    if len(keys) <= KEY_SLICE:
        return [prefix + check_key(k) for k in keys]
    out: list[str] = []
    for start in range(0, len(keys), KEY_SLICE):
        out.extend([prefix + check_key(k) for k in keys[start : start + KEY_SLICE]])
        await asyncio.sleep(0)
    return out


def check_key(key: str) -> str:
    """Refuse keys that could escape the prefix or that no store accepts."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise InvalidKey(f"invalid key {key!r}")
    if _BAD_SEGMENT.search(key.rstrip("/")):
        raise InvalidKey(f"invalid key {key!r}")
    if _CONTROL.search(key):  # one regular expression, not a loop per character
        raise InvalidKey(f"invalid key {key!r}: control characters")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(f"key too long ({len(key.encode('utf-8'))} bytes, max {MAX_KEY_BYTES})")
    return key


def md5_of(body: PutBody, chunk: int = 1 << 20) -> str:
    """MD5 of a body; for a file, read in chunks and rewound afterwards."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return hashlib.md5(body, usedforsecurity=False).hexdigest()
    h = hashlib.md5(usedforsecurity=False)
    start = body.tell()
    while block := body.read(chunk):
        h.update(block)
    body.seek(start)
    return h.hexdigest()


#: Bodies at least this large are hashed in a worker thread (1 MB: about 2 ms of MD5).
OFF_LOOP_BYTES = 1 << 20


async def _md5_off_loop(body: PutBody, size: int) -> str:
    if size < OFF_LOOP_BYTES:
        return md5_of(body)
    return await asyncio.to_thread(md5_of, body)


def multipart_etag(body: PutBody, part_size: int) -> str:
    """The S3 etag of a multipart upload in parts of ``part_size``: the MD5 of the
    parts' MD5s, a dash, the number of parts."""
    data = body if isinstance(body, (bytes, bytearray, memoryview)) else None
    digests: list[bytes] = []
    if data is not None:
        for i in range(0, max(1, len(data)), part_size):
            digests.append(hashlib.md5(data[i : i + part_size], usedforsecurity=False).digest())
    else:
        f = body
        start = f.tell()  # type: ignore[union-attr]
        while block := f.read(part_size):  # type: ignore[union-attr]
            digests.append(hashlib.md5(block, usedforsecurity=False).digest())
        f.seek(start)  # type: ignore[union-attr]
    whole = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
    return f"{whole}-{len(digests)}"


def _body_position(body: PutBody) -> tuple[int | None, int, bool]:
    """(start offset of a file body or None, size, whether a retry can resend it)."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return None, len(body), True
    try:
        if not body.seekable():
            return None, 0, False
        start = body.tell()
        body.seek(0, 2)
        size = body.tell() - start
        body.seek(start)
    except (OSError, ValueError, AttributeError):
        return None, 0, False
    return start, size, True


class ObjectStore(abc.ABC):
    """An object store: a container/bucket (or directory) plus an optional key prefix.

    Subclasses implement the ``_``-prefixed hooks on full keys. Blocking client
    libraries must run in :meth:`_run` (a bounded thread pool) so that no call
    blocks the event loop.
    """

    #: The URL scheme this backend answers to (``file``, ``memory``, ``swift`` ...).
    scheme: ClassVar[str] = ""
    #: The shape of its URLs, for messages (``s3://bucket[/prefix]``).
    url_form: ClassVar[str] = ""
    #: Whether ``{username}`` may be part of the container too, not only of the prefix.
    username_in_container: ClassVar[bool] = False
    #: True where folders have their own modification time (a directory on disk);
    #: in object stores a folder's listing entry carries no time.
    folders_have_times: ClassVar[bool] = False
    #: Whether the backend runs blocking calls in worker threads (:meth:`_run`).
    uses_threads: ClassVar[bool] = True

    def __init__(
        self,
        *,
        prefix: str = "",
        page_size: int = 1000,
        max_concurrency: int = 64,
        retry: RetryPolicy | None = None,
    ):
        self.prefix = normalize_prefix(prefix)
        self.page_size = page_size
        self.max_concurrency = max_concurrency
        self.requests = RequestCounter()
        self.retry = retry or RetryPolicy()
        self._executor: ThreadPoolExecutor | None = None
        self._urgent_executor: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------ construction
    @classmethod
    def from_url(
        cls: type[S], url: str, *, prefix: str = "", for_user: str | None = None, **options: Any
    ) -> S:
        """Build the store from a URL such as ``swift://container/prefix``.

        ``prefix`` is appended to the URL's prefix and ``{username}`` filled in, by the
        one rule of :func:`nbshelf.stores.location.resolve`; the other ``options`` are
        the backend's, read once into its typed options (an unknown one is an error
        naming the valid ones)."""
        location = resolve(
            url,
            scheme=cls.scheme,
            form=cls.url_form or f"{cls.scheme}://...",
            prefix=prefix,
            for_user=for_user,
            options=options,
            username_in_container=cls.username_in_container,
        )
        return cls.from_location(location, options)

    @classmethod
    @abc.abstractmethod
    def from_location(cls: type[S], location: StoreLocation, options: dict[str, Any]) -> S:
        """Build the store at ``location`` with the backend's ``options``."""

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the store is, for messages: never a secret."""

    @property
    def description(self) -> str:
        return f"{self.location}/{self.prefix}".rstrip("/")

    def with_prefix(self, prefix: str) -> ObjectStore:
        """A store on the same backend, rooted at a sub-prefix (shares the counter)."""
        clone = self._clone()
        clone.prefix = self.prefix + normalize_prefix(prefix)
        return clone

    def _clone(self) -> ObjectStore:
        import copy

        return copy.copy(self)

    # ------------------------------------------------------------ public API
    async def head(self, key: str) -> ObjectInfo:
        full = self._full(key)
        info = await self._retrying(lambda: self._head(full), key, op="read")
        return self._rel(info)

    async def get(self, key: str) -> GetResult:
        full = self._full(key)
        result = await self._retrying(lambda: self._get(full), key, op="read")
        return GetResult(self._rel(result.info), result.data)

    async def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start`` (inclusive) to ``end`` (exclusive) of an object, shorter at its
        end: what streams a large object in pieces without holding it whole."""
        if start < 0 or end < start:
            raise ValueError(f"bad range {start}-{end}")
        if end == start:
            return b""
        full = self._full(key)
        return await self._retrying(lambda: self._get_range(full, start, end), key)

    async def _get_range(self, key: str, start: int, end: int) -> bytes:
        """A backend that can ask for a byte range overrides this; the default reads the
        object whole."""
        return (await self._get(key)).data[start:end]

    async def put(
        self,
        key: str,
        body: PutBody,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        """Write an object whole. ``if_none_match`` fails with Conflict if it exists.

        What the store holds afterwards is checked against the MD5 of what was sent
        (the etag, or the multipart etag, or the MD5 a backend keeps): a mismatch is
        :class:`IntegrityError`, never a silent corruption.
        """
        full = self._full(key)
        start, size, rewindable = _body_position(body)
        # a stream that cannot be rewound cannot be hashed first (nor sent twice); a large
        # body is hashed in a worker thread (hashlib lets go of the GIL), not on the loop
        sent = await _md5_off_loop(body, size) if rewindable else None
        attempts = 0

        async def once() -> ObjectInfo:
            nonlocal attempts
            attempts += 1
            if start is not None and attempts > 1:
                body.seek(start)  # type: ignore[union-attr]
            try:
                info = await self._put(
                    full,
                    body,
                    PutOptions(content_type, dict(metadata or {}), if_none_match, md5=sent),
                )
            except Conflict:
                if not (if_none_match and attempts > 1):
                    raise
                # our first try may have landed before its answer was lost
                there = await self._head(full)
                if sent is None or there.md5 != sent:
                    raise
                return there
            if sent is not None:
                if start is not None:
                    body.seek(start)  # type: ignore[union-attr]
                if size < OFF_LOOP_BYTES:
                    self._verify(info, sent, body, key)
                else:  # a multipart etag is checked by hashing every part again
                    await asyncio.to_thread(self._verify, info, sent, body, key)
            return info

        info = await self._retrying(once, key, size=size, retry=rewindable, op="write")
        return self._rel(info)

    def _verify(self, info: ObjectInfo, sent: str, body: PutBody, key: str) -> None:
        """Raise IntegrityError if the store says it holds other bytes than were sent."""
        got = info.md5
        if got is None and info.etag:
            m = _MULTIPART_RE.match(info.etag.strip('"'))
            part = getattr(self, "chunk_size", None)
            if m and isinstance(part, int) and part > 0:
                got, sent = m.group(0), multipart_etag(body, part)
        if got is not None and got != sent:
            raise IntegrityError(
                f"the store holds other bytes than were sent for {key!r} "
                f"(MD5 sent {sent}, stored {got})",
                store=self.description,
                key=key,
            )

    async def delete(self, keys: Iterable[str]) -> None:
        """Delete keys; missing keys are not an error (deletes are idempotent)."""
        full = await _checked_keys(self.prefix, keys)
        if full:
            await self._retrying(lambda: self._delete(full), None, op="delete")

    async def copy(self, src: str, dst: str) -> ObjectInfo:
        """Server-side copy: the body never passes through this process."""
        s, d = self._full(src), self._full(dst)
        info = await self._retrying(lambda: self._copy(s, d), src, op="copy")
        return self._rel(info)

    async def copy_many(
        self, pairs: Iterable[tuple[str, str]], *, return_exceptions: bool = False
    ) -> list[BaseException | None]:
        """Server-side copies of many objects, at most ``max_concurrency`` at once.

        Returns no object info, which spares a HEAD per copy on backends whose copy
        response does not carry it (S3). With ``return_exceptions``, each failure is
        returned in its pair's place; otherwise the first is raised once all are done.
        """

        async def one(src: str, dst: str) -> None:
            s, d = self._full(src), self._full(dst)  # checked as each starts
            await self._retrying(lambda: self._copy_no_info(s, d), src, op="copy")

        return await gather_bounded(
            (one(src, dst) for src, dst in pairs),
            self.max_concurrency,
            return_exceptions=return_exceptions,
        )

    async def list(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = "/",
        token: str | None = None,
        limit: int | None = None,
    ) -> ListPage:
        """One page (at most ``limit`` or ``page_size`` entries) of keys under ``prefix``."""
        if prefix:
            check_key(prefix)
        page = await self._retrying(
            lambda: self._list(
                self.prefix + prefix,
                delimiter=delimiter,
                token=token,
                limit=limit or self.page_size,
            ),
            prefix or None,
            op="list",
        )
        return self._rel_page(page)

    def _rel_page(self, page: ListPage) -> ListPage:
        """A page of full keys as callers see it: keys relative to the prefix."""
        return ListPage(
            # the prefix's own folder marker is the store's root, not an object in it
            [self._rel(o) for o in page.objects if o.key != self.prefix],
            [PrefixInfo(p.key[len(self.prefix) :], p.last_modified) for p in page.prefixes],
            page.next_token,
        )

    async def walk(
        self, prefix: str = "", *, delimiter: str | None = "/"
    ) -> AsyncIterator[ListPage]:
        """Every page of a listing, one request each; the next page is asked for as soon
        as a page's last key is known, so the store works on it while the caller handles
        this one (Swift: 20 pages of 1,000 in about the time of the store's own listing,
        not 20 round trips plus the work on each)."""
        ahead = asyncio.ensure_future(self.list(prefix, delimiter=delimiter))
        try:
            while True:
                page = await ahead
                if page.next_token:
                    ahead = asyncio.ensure_future(
                        self.list(prefix, delimiter=delimiter, token=page.next_token)
                    )
                yield page
                if not page.next_token:
                    return
        finally:
            if not ahead.done():  # the caller stopped early: the page asked for is dropped
                ahead.cancel()
            ahead.add_done_callback(_retrieved)

    async def list_all(self, prefix: str = "", *, delimiter: str | None = "/") -> ListPage:
        objects: list[ObjectInfo] = []
        prefixes: list[PrefixInfo] = []
        async for page in self.walk(prefix, delimiter=delimiter):
            objects.extend(page.objects)
            prefixes.extend(page.prefixes)
        return ListPage(objects, prefixes, None)

    async def check(self) -> None:
        """Prove the store is reachable and usable (creating its container if needed)."""
        await self.list("", limit=1)

    def local_path(self, key: str) -> str | None:
        """The file holding ``key`` on the local disk ("" : the store's own folder), or
        None where the store keeps no files of its own (everything but the local store)."""
        return None

    async def close(self) -> None:
        for pool in (self._executor, self._urgent_executor):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._executor = self._urgent_executor = None

    # ------------------------------------------------------------ retries
    async def _retrying(
        self,
        call: Callable[[], Awaitable[T]],
        key: str | None,
        *,
        size: int = 0,
        retry: bool = True,
        op: str = "",
    ) -> T:
        """``call()`` under :attr:`retry`: transient failures retried with backoff and
        jitter, everything within the call's deadline (then :class:`Unavailable`). A
        :class:`PermissionDenied` gets the operation ``op`` named, whatever the backend."""
        policy = self.retry
        deadline = policy.deadline_for(size)

        async def attempts() -> T:
            attempt = 0
            while True:
                try:
                    return await call()
                except TRANSIENT:
                    attempt += 1
                    if not retry or attempt > policy.retries:
                        raise
                    self.requests.add("RETRY")
                await asyncio.sleep(policy.delay(attempt))

        try:
            return await asyncio.wait_for(attempts(), deadline)
        except PermissionDenied as e:
            if op and not e.operation:
                e.operation = op
            raise
        except asyncio.TimeoutError:
            raise Unavailable(
                f"no answer within the call's deadline of {deadline:.0f} s (retries included): "
                "check that the store is up and reachable",
                store=self.description,
                key=key,
            ) from None

    # ------------------------------------------------------------ helpers
    def _full(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _rel(self, info: ObjectInfo) -> ObjectInfo:
        if self.prefix and info.key.startswith(self.prefix):
            # built directly: dataclasses.replace costs 4x as much, per listed entry
            return ObjectInfo(
                info.key[len(self.prefix) :],
                info.size,
                info.last_modified,
                info.etag,
                info.content_type,
                info.metadata,
            )
        return info

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.max_concurrency, thread_name_prefix=f"nbshelf-{self.scheme}"
            )
        return self._executor

    def start_threads(self) -> None:
        """Start this store's worker threads now (at server start-up, off the event loop):
        a thread started by a call makes the event loop wait until it runs (the first
        folder rename on Swift held it 135 ms while 16 started). Blocks until they run."""
        if self.uses_threads:
            start_threads(self._pool(), self.max_concurrency)
            start_threads(self._urgent_pool(), URGENT_THREADS)

    def _urgent_pool(self) -> ThreadPoolExecutor:
        if self._urgent_executor is None:
            self._urgent_executor = ThreadPoolExecutor(
                max_workers=URGENT_THREADS, thread_name_prefix=f"nbshelf-{self.scheme}-urgent"
            )
        return self._urgent_executor

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking client code in this store's bounded thread pool (in the urgent
        lane's own threads inside :func:`urgent`)."""
        loop = asyncio.get_running_loop()
        pool = self._urgent_pool() if _URGENT.get() else self._pool()
        return await loop.run_in_executor(pool, lambda: fn(*args, **kwargs))

    # ------------------------------------------------------------ backend hooks
    @abc.abstractmethod
    async def _head(self, key: str) -> ObjectInfo: ...

    @abc.abstractmethod
    async def _get(self, key: str) -> GetResult: ...

    @abc.abstractmethod
    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo: ...

    @abc.abstractmethod
    async def _delete(self, keys: Sequence[str]) -> None: ...

    @abc.abstractmethod
    async def _copy(self, src: str, dst: str) -> ObjectInfo: ...

    async def _copy_no_info(self, src: str, dst: str) -> None:
        """A copy whose result nobody reads; override where that saves a request."""
        await self._copy(src, dst)

    @abc.abstractmethod
    async def _list(
        self, prefix: str, *, delimiter: str | None, token: str | None, limit: int
    ) -> ListPage: ...


def _retrieved(task: asyncio.Future[Any]) -> None:
    """A dropped task's outcome, taken so that asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


def start_threads(pool: ThreadPoolExecutor, n: int) -> None:
    """Make ``pool`` start ``n`` worker threads now, and wait until they all run: ``n``
    tasks that wait for each other, so that no thread is idle to take the next one."""
    if n < 1:
        return
    barrier = threading.Barrier(n)
    futures = [pool.submit(barrier.wait, 10) for _ in range(n)]
    for future in futures:
        try:
            future.result()
        except threading.BrokenBarrierError:  # a pool smaller than n: its threads run
            return


async def gather_bounded(
    aws: Iterable[Awaitable[T]], limit: int, *, return_exceptions: bool = False
) -> list[Any]:
    """Run awaitables concurrently, at most ``limit`` at once, results in order.

    At most ``limit`` workers take the next awaitable as each finishes one (made from
    ``aws`` only then); a worker that takes one starts another, so they join one per
    event loop turn and only as there is work. Starting 1,000 copies thus never holds
    the event loop while 1,000 tasks are made and take their first step (that burst
    held it 30-100 ms; 64 started in one turn, 3-5 ms). Every one started finishes
    before this returns (so nothing is left running); then the first error is raised,
    or, with ``return_exceptions``, errors are returned in place. An error of ``aws``
    itself starts nothing more and is raised.
    """
    results: dict[int, Any] = {}
    queue = enumerate(aws)  # each awaitable made only when a worker takes it
    broken: list[Exception] = []  # the iterable's own error: nothing more is started
    workers: list[asyncio.Task[None]] = []

    def one_more() -> None:
        if len(workers) < max(1, limit) and not broken:
            workers.append(asyncio.ensure_future(worker()))

    async def worker() -> None:
        while not broken:
            try:
                i, aw = next(queue)
            except StopIteration:
                return
            except Exception as e:
                broken.append(e)
                return
            one_more()  # workers join one per loop turn, up to limit, as there is work
            try:
                results[i] = await aw
            except Exception as e:  # handed back in its place
                results[i] = e

    one_more()
    try:
        done = 0
        while done < len(workers):  # workers started while waiting are waited for too
            await workers[done]
            done += 1
    except BaseException:  # cancelled: nothing is left running
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    if broken:
        raise broken[0]
    ordered = [results[i] for i in range(len(results))]
    if not return_exceptions:
        for r in ordered:
            if isinstance(r, BaseException):
                raise r
    return ordered
