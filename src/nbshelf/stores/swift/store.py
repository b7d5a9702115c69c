"""OpenStack Swift and Rackspace Cloud Files: ``swift://container/optional/prefix``.

python-swiftclient does the HTTP and keystoneauth1 the Keystone/Rackspace
identity; both block, so every call runs in the store's bounded thread pool
(:meth:`ObjectStore._run`), one swiftclient ``Connection`` per worker thread
(they are not thread-safe) sharing one token (:mod:`.auth`).

Every HTTP request a connection sends is counted in :attr:`requests`, retries
included (``GET``, ``HEAD``, ``PUT``, ``DELETE``, ``COPY``, ``LIST``, ``POST``
for bulk delete, ``INFO`` for the one ``GET /info`` of a store's life, and
``AUTH`` for each token fetched).

Swift's ``Last-Modified`` header is its timestamp rounded *up* to the second,
while listings give microseconds: listings are rounded up the same way, so
one object has one ``last_modified`` whichever request saw it; then one second
is taken off everywhere, so that no time is ever in the future (JupyterLab's
file browser shows a just-saved file that is 0.5 s "ahead" as modified "next yr.").
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import math
import mimetypes
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote, urlparse

from swiftclient import client as swift_client
from swiftclient.utils import generate_temp_url

from ..base import (
    EPOCH,
    GetResult,
    ListPage,
    ObjectInfo,
    ObjectStore,
    PrefixInfo,
    PutBody,
    PutOptions,
    RequestCounter,
    RetryPolicy,
    gather_bounded,
    md5_of,
)
from ..capabilities import PublicSnapshot, SnapshotFile
from ..errors import (
    AuthFailed,
    Conflict,
    IntegrityError,
    NotFound,
    PermissionDenied,
    StoreError,
    Unavailable,
    Unsupported,
)
from ..expiring import CredentialSource
from ..location import StoreLocation
from ..options import CommonOptions, OptionReader
from . import share
from .auth import SharedAuth
from .config import SwiftConfig

DIRECTORY_CONTENT_TYPE = "application/directory"
#: Listed entries converted between two yields to the event loop.
_SLICE = 128
#: How long a put into a container it has just created is sent again while the proxy
#: still answers 404 from its cache (Swift's default: 6 s).
CONTAINER_SHOWS_SECONDS = 10.0
#: Signs a TempURL GET of a full key for some seconds (blocking; run in a thread).
LinkSigner = Callable[[str, int], str]
_META = "x-object-meta-"


# ---------------------------------------------------------------------------- time
#: ceil(t) - 1 s is never after t, and the same whichever request reported t
_NOT_AHEAD = timedelta(seconds=1)


def _ceil_second(dt: datetime) -> datetime:
    if dt.microsecond:
        dt = dt.replace(microsecond=0) + timedelta(seconds=1)
    return dt


def _from_header(value: str | None) -> datetime:
    if not value:
        return EPOCH
    dt = parsedate_to_datetime(value)
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)) - _NOT_AHEAD


def _from_listing(value: str | None) -> datetime:
    """``2026-11-22T16:27:53.146020`` (UTC) -> 16:27:53: the header's 16:27:54, less 1 s."""
    if not value:
        return EPOCH
    return _ceil_second(datetime.fromisoformat(value).replace(tzinfo=timezone.utc)) - _NOT_AHEAD


def _from_timestamp(value: str) -> datetime:
    return datetime.fromtimestamp(math.ceil(float(value)), timezone.utc) - _NOT_AHEAD


# ---------------------------------------------------------------------------- connections
class _Renewal:
    """Stands in for a keystoneauth session in swiftclient's 401 handling: swiftclient
    calls ``invalidate()`` once on a 401, then ``get_auth()`` once, then gives up."""

    def __init__(self, conn: _Connection) -> None:
        self.conn = conn

    def __bool__(self) -> bool:
        return True

    def invalidate(self) -> bool:
        self.conn.stale_token = self.conn.token
        return self.conn.shared.can_renew


class _Connection(swift_client.Connection):
    """A swiftclient connection that takes its token from the store's shared auth and
    counts every request it sends."""

    def __init__(self, shared: SharedAuth, counter: RequestCounter, cfg: SwiftConfig) -> None:
        # No retries here: the store's RetryPolicy retries every call (with jitter and a
        # deadline). swiftclient still retries a 401 once, after renewing the token.
        super().__init__(
            retries=0,
            starting_backoff=0.2,
            max_backoff=2,
            timeout=cfg.timeout,
            retry_on_ratelimit=False,
        )
        self.shared = shared
        self.counter = counter
        self.stale_token: str | None = None
        self.session = _Renewal(self)

    def _retry(self, reset_func: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        mine: str | None = getattr(self, "token", None)
        if self.shared.renews_ahead and mine is not None:
            # credentials from a source: take the shared token, renewed before it expires
            url, token = self.shared.current()
            if token != mine:
                self.url, self.token = url, token
        return super()._retry(reset_func, func, *args, **kwargs)

    def put_object(self, container: str, obj: str, contents: Any, *args: Any, **kwargs: Any) -> Any:
        """swiftclient rewinds a body for a second attempt only when it retries itself
        (``retries`` > 0; here the store retries): without this, a PUT answered 401 (a
        token expired or revoked) could not be sent again with the renewed token."""
        tell, seek = getattr(contents, "tell", None), getattr(contents, "seek", None)
        if tell is None or seek is None or args:
            return super().put_object(container, obj, contents, *args, **kwargs)
        start = tell()
        return self._retry(
            lambda *a, **k: seek(start), swift_client.put_object, container, obj, contents, **kwargs
        )

    def get_auth(self) -> tuple[str, str]:
        if self.stale_token is not None:
            stale, self.stale_token = self.stale_token, None
            self.url, self.token = self.shared.renew(stale)
        else:
            self.url, self.token = self.shared.current()
        return self.url, self.token

    def nbshelf_capabilities(self) -> dict[str, Any]:
        """The cluster's ``GET /info`` (no token needed, but the storage URL is)."""
        url, _ = self.shared.current()
        return dict(self.get_capabilities(url))

    def http_connection(self, url: str | None = None) -> Any:
        parsed, conn = super().http_connection(url)
        base = urlparse(url or self.url or "").path.rstrip("/")
        send = conn.request
        counter = self.counter

        def request(
            method: str, full_path: str, data: Any = None, headers: Any = None, files: Any = None
        ) -> Any:
            counter.add(_operation(method, full_path, headers or {}, base))
            return send(method, full_path, data, headers, files)

        conn.request = request
        return parsed, conn


def _operation(method: str, full_path: str, headers: Mapping[str, Any], base: str) -> str:
    """The counter's name for one request: a GET is a LIST, an INFO or a GET."""
    lower = {k.lower() for k in headers}
    if method == "PUT" and "x-copy-from" in lower:
        return "COPY"
    if method == "GET":
        path = full_path.split("?", 1)[0]
        if path.rstrip("/").endswith("/info") and not path.startswith(base + "/"):
            return "INFO"
        rel = path[len(base) :].strip("/") if path.startswith(base) else path.strip("/")
        return "LIST" if "/" not in rel else "GET"
    return method


# ---------------------------------------------------------------------------- the store
@dataclass(frozen=True)
class SwiftOptions:
    """The Swift store's options, read once: the common ones, ``copy_head``, ``environ``
    (a mapping used instead of ``os.environ``), ``credentials`` (a credential source,
    :mod:`nbshelf.stores.expiring`: short-lived credentials, asked again before they
    expire) and the credentials (:class:`SwiftConfig`: its fields, Bookstore's and the
    OpenStack CLI's spellings, else ``ST_*``/``OS_*``)."""

    common: CommonOptions
    config: SwiftConfig
    #: HEAD after a copy so its ObjectInfo has size and content type (2 requests, not 1).
    copy_head: bool = False
    credentials: CredentialSource | None = None
    #: signs TempURLs in the store's place (the hub service: its users hold no key)
    link_signer: LinkSigner | None = None

    @classmethod
    def read(cls, location: StoreLocation, options: dict[str, Any]) -> SwiftOptions:
        r = OptionReader("swift", options)
        environ = r.raw("environ")
        source = r.function(
            "credentials", "a callable returning fresh credentials (env, expires_at)"
        )
        signer = r.function("link_signer", "a callable (full key, seconds) -> URL")
        copy_head = bool(r.flag("copy_head", False))
        common = CommonOptions.read(r)
        config = SwiftConfig.build(
            location.container,
            location.prefix,
            environ={} if source is not None and environ is None else environ,
            options=r,
            deferred=source is not None,
        )
        r.finish()
        return cls(
            common=common,
            config=config,
            copy_head=copy_head,
            credentials=source,
            link_signer=signer,
        )


class SwiftStore(ObjectStore):
    """A Swift (or Cloud Files) container plus an optional key prefix.

    Options (keyword arguments, else the environment): see :class:`SwiftOptions` and
    :class:`SwiftConfig`: ``auth_url``/``auth_endpoint``, ``account_name``,
    ``account_key``, ``auth_version``, ``tenant_id``, ``tenant_name``, ``project_name``,
    ``user_domain_name``, ``project_domain_name``, ``application_credential_id``,
    ``application_credential_secret``, ``region``, ``interface``, ``storage_url``,
    ``auth_token``, ``temp_url_key``, ``timeout``, ``retries``, ``copy_head``,
    ``environ`` (a mapping used instead of ``os.environ``), ``credentials`` (a credential
    source: short-lived credentials renewed before they expire, :mod:`..expiring`).
    ``{username}`` may be part of the container as well as of the prefix.

    Capabilities: :class:`~nbshelf.stores.capabilities.SupportsSignedLinks` (TempURLs)
    and :class:`~nbshelf.stores.capabilities.SupportsPublicLinks` (a public container,
    CDN-enabled on Rackspace), both in :mod:`.share`.
    """

    scheme = "swift"
    url_form = "swift://container[/prefix]"
    username_in_container = True
    #: TempURLs have no longest expiry of their own.
    max_signed_expiry: int | None = None
    signed_links_name = "Swift temporary URLs"

    def __init__(
        self,
        config: SwiftConfig,
        *,
        page_size: int = 1000,
        max_concurrency: int = 64,
        copy_head: bool = False,
        retry: RetryPolicy | None = None,
        credentials: CredentialSource | None = None,
        link_signer: LinkSigner | None = None,
    ) -> None:
        super().__init__(
            prefix=config.prefix,
            page_size=page_size,
            max_concurrency=max_concurrency,
            retry=retry,
        )
        self.container = config.container
        #: HEAD after a copy so its ObjectInfo has size and content type (2 requests, not 1).
        self.copy_head = copy_head
        self._auth = SharedAuth(config, self.requests, f"swift://{self.container}", credentials)
        self._auth.location = self.location
        self._link_signer = link_signer
        self._local = threading.local()
        self._capabilities: dict[str, Any] | None = None
        self._legacy_markers: set[str] = set()  # full keys of application/directory markers

    @classmethod
    def from_location(cls, location: StoreLocation, options: dict[str, Any]) -> SwiftStore:
        opts = SwiftOptions.read(location, options)
        common = opts.common
        return cls(
            opts.config,
            page_size=common.page_size,
            max_concurrency=common.max_concurrency,
            copy_head=opts.copy_head,
            retry=common.retry,
            credentials=opts.credentials,
            link_signer=opts.link_signer,
        )

    @property
    def config(self) -> SwiftConfig:
        """The configuration in use (its credentials replaced when a source renews them)."""
        return self._auth.cfg

    @property
    def location(self) -> str:
        where = self.config.storage_url or self.config.auth_url or ""
        if self.config.auth_version == "rackspace":
            where = f"Cloud Files {self.config.region}"
        return f"swift://{self.container}" + (f" at {where}" if where else "")

    # ------------------------------------------------------------ plumbing
    def _conn(self) -> _Connection:
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _Connection(self._auth, self.requests, self.config)
            self._local.conn = conn
        return conn

    async def _call(self, method: str, *args: Any, key: str | None = None, **kwargs: Any) -> Any:
        """Run one swiftclient call in the pool and turn its errors into store errors."""

        def run() -> Any:
            conn = self._conn()
            try:
                return getattr(conn, method)(*args, **kwargs)
            except StoreError:
                raise
            except Exception as e:
                raise self._error(e, key) from None

        return await self._run(run)

    @property
    def _endpoint(self) -> str:
        url = self._auth.url or self.config.storage_url or self.config.auth_url or "?"
        p = urlparse(url)
        return f"{p.scheme}://{p.netloc}"

    def _error(self, e: Exception, key: str | None) -> StoreError:
        where = self.description
        if isinstance(e, swift_client.ClientException):
            status = e.http_status
            what = f"{key!r}" if key else f"container {self.container!r}"
            if status == 401 and self._auth.source_error is not None:
                # refused, and the credential source could not give fresh ones: its reason
                return self._auth.source_error
            if status == 401 and self.config.auth_version == "token":
                return AuthFailed(
                    f"the pre-issued token was refused by {self._endpoint} (HTTP 401) and "
                    "cannot be renewed without credentials: give an auth URL, user and key",
                    store=where,
                    key=key,
                )
            if status == 403:  # authenticated, and this is not allowed to these credentials
                return PermissionDenied(
                    f"{self.config.who} may not do this on {what} (HTTP 403 from "
                    f"{self._endpoint}): the credentials lack that permission; check the "
                    "container's ACL (X-Container-Read / X-Container-Write) or the user's role",
                    store=where,
                    key=key,
                )
            if status in (401, 403):
                verb = "refused" if status == 401 else "forbidden"
                return AuthFailed(
                    f"access to {what} {verb} (HTTP {status}) by {self._endpoint} for "
                    f"{self.config.who} (auth URL {self.config.auth_url or 'none'}): check the "
                    "credentials and the container's ACL",
                    store=where,
                    key=key,
                )
            if status == 404:
                return NotFound(f"no such object {what}", store=where, key=key)
            if status in (409, 412):
                return Conflict(
                    f"{what} already exists or changed (HTTP {status})", store=where, key=key
                )
            if status == 422:
                return IntegrityError(
                    f"Swift refused {what}: the body it received does not match its MD5",
                    store=where,
                    key=key,
                )
            if status is None or status >= 500 or status in (408, 429, 498, 499):
                what_failed = f"HTTP {status} {e.http_reason or ''}".strip() if status else "error"
                return Unavailable(
                    f"Swift at {self._endpoint} failed ({what_failed}): check that the Swift "
                    "cluster is up and healthy",
                    store=where,
                    key=key,
                )
            return StoreError(f"Swift answered HTTP {status} for {what}", store=where, key=key)
        if (
            isinstance(e, OSError)
            or "Connection" in type(e).__name__
            or "Timeout" in type(e).__name__
        ):
            return Unavailable(
                f"cannot reach Swift at {self._endpoint} ({type(e).__name__}): check the "
                "storage URL, the network, and that Swift is running",
                store=where,
                key=key,
            )
        return StoreError(f"Swift request failed ({type(e).__name__})", store=where, key=key)

    # ------------------------------------------------------------ objects
    def _info(self, key: str, headers: Mapping[str, str]) -> ObjectInfo:
        h = {k.lower(): v for k, v in headers.items()}
        meta = {k[len(_META) :]: v for k, v in h.items() if k.startswith(_META)}
        last = (
            _from_header(h["last-modified"])
            if h.get("last-modified")
            else _from_timestamp(h["x-timestamp"])
            if h.get("x-timestamp")
            else EPOCH
        )
        return ObjectInfo(
            key=key,
            size=int(h.get("content-length") or 0),
            last_modified=last,
            etag=(h.get("etag") or "").strip('"') or None,
            content_type=h.get("content-type"),
            metadata=meta,
        )

    async def _head(self, key: str) -> ObjectInfo:
        try:
            headers = await self._call("head_object", self.container, key, key=key)
        except NotFound:
            legacy = await self._legacy_marker(key)
            if legacy is None:
                raise
            return legacy
        return self._info(key, headers)

    async def _legacy_marker(self, key: str) -> ObjectInfo | None:
        """``a/b/`` missing: an older ``a/b`` ``application/directory`` marker stands for it
        (one more HEAD, only for a missing folder marker)."""
        if not key.endswith("/") or len(key) < 2:
            return None
        try:
            headers = await self._call("head_object", self.container, key[:-1], key=key)
        except NotFound:
            return None
        info = self._info(key, headers)
        if (info.content_type or "").split(";")[0].strip() != DIRECTORY_CONTENT_TYPE:
            return None
        self._legacy_markers.add(key[:-1])
        return info

    async def _get(self, key: str) -> GetResult:
        try:
            headers, body = await self._call("get_object", self.container, key, key=key)
        except NotFound:
            legacy = await self._legacy_marker(key)
            if legacy is None:
                raise
            return GetResult(legacy, b"")
        return GetResult(self._info(key, headers), body)

    async def _get_range(self, key: str, start: int, end: int) -> bytes:
        headers = {"Range": f"bytes={start}-{end - 1}"}
        _, body = await self._call("get_object", self.container, key, headers=headers, key=key)
        return bytes(body)

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        content_type, metadata, if_none_match = put.content_type, put.metadata, put.if_none_match
        if content_type is None:
            if key.endswith("/"):
                content_type = DIRECTORY_CONTENT_TYPE
            else:
                content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if isinstance(body, bytes | bytearray | memoryview):
            # swiftclient cannot resend a bytes body (no seek): a retry after a dropped
            # connection, or after a 401 to renew the token, would fail. A BytesIO it
            # rewinds and sends again.
            data: Any = io.BytesIO(bytes(body))
            start, size = 0, len(body)
        else:
            start = body.tell()
            body.seek(0, 2)
            size = body.tell() - start
            body.seek(start)
            data = body
        etag = put.md5  # hashed once by ObjectStore.put (off the loop when large)
        if etag is None:
            etag = await self._run(md5_of, data)
        headers = {f"X-Object-Meta-{k}": v for k, v in metadata.items()}
        if if_none_match:
            headers["If-None-Match"] = "*"

        async def send() -> dict[str, Any]:
            response: dict[str, Any] = {}
            await self._call(
                "put_object",
                self.container,
                key,
                data,
                content_length=size,
                etag=etag,
                content_type=content_type,
                headers=headers,
                response_dict=response,
                key=key,
            )
            return response

        try:
            response = await send()
        except NotFound:  # the container is missing: create it on first use, once
            await self._ensure_container()
            response = await self._once_the_container_shows(send, lambda: data.seek(start))
        h = {k.lower(): v for k, v in response.get("headers", {}).items()}
        return ObjectInfo(
            key=key,
            size=size,
            last_modified=_from_header(h.get("last-modified")),
            etag=(h.get("etag") or etag).strip('"'),
            content_type=content_type,
            metadata={k.lower(): v for k, v in metadata.items()},
        )

    async def _delete(self, keys: Sequence[str]) -> None:
        todo = list(dict.fromkeys(keys))
        for key in keys:  # an older a/b marker stands for a/b/: delete it with it
            if key.endswith("/") and key[:-1] in self._legacy_markers:
                todo.append(key[:-1])
                self._legacy_markers.discard(key[:-1])
        if len(todo) > 1:
            caps = await self._bulk_caps()
            if caps is not None:
                step = max(1, int(caps.get("max_deletes_per_request", 10000)))
                for i in range(0, len(todo), step):
                    await self._bulk_delete(todo[i : i + step])
                return

        async def one(key: str) -> None:
            with contextlib.suppress(NotFound):
                await self._call("delete_object", self.container, key, key=key)

        await gather_bounded((one(k) for k in todo), self.max_concurrency)

    async def _bulk_caps(self) -> dict[str, Any] | None:
        """The cluster's bulk-delete limits from ``/info`` (fetched once per store)."""
        if self._capabilities is None:
            try:
                caps = await self._call("nbshelf_capabilities")
            except StoreError:
                caps = {}
            self._capabilities = caps or {}
        caps = self._capabilities.get("bulk_delete")
        return caps if isinstance(caps, dict) else None

    async def _bulk_delete(self, keys: Sequence[str]) -> None:
        lines = "\n".join(quote(f"/{self.container}/{k}") for k in keys)
        response: dict[str, Any] = {}
        await self._call(
            "post_account",
            headers={"Content-Type": "text/plain", "Accept": "application/json"},
            query_string="bulk-delete",
            data=lines.encode("utf-8"),
            response_dict=response,
        )
        try:
            result = json.loads(response.get("content") or b"{}")
        except ValueError:
            result = {}
        errors = [e for e in result.get("Errors", []) if not str(e[1]).startswith("404")]
        status = str(result.get("Response Status", "200"))
        if errors or not (status.startswith("200") or status.startswith("404")):
            first = errors[0] if errors else ["", status]
            code = int(str(first[1]).split()[0]) if str(first[1])[:3].isdigit() else None
            name = unquote(str(first[0])).split("/", 2)[-1] if first[0] else None
            raise self._error(
                swift_client.ClientException("bulk delete failed", http_status=code), name
            )

    async def _copy(self, src: str, dst: str) -> ObjectInfo:
        if src.endswith("/") and src[:-1] in self._legacy_markers:
            src = src[:-1]
        response: dict[str, Any] = {}
        await self._call(
            "put_object",
            self.container,
            dst,
            None,
            content_length=0,
            headers={"X-Copy-From": quote(f"/{self.container}/{src}")},
            response_dict=response,
            key=src,
        )
        if self.copy_head:
            return await self._head(dst)
        h = {k.lower(): v for k, v in response.get("headers", {}).items()}
        # The response has the new object's etag and Last-Modified, not its size or type.
        return ObjectInfo(
            key=dst,
            size=-1,
            last_modified=_from_header(h.get("last-modified")),
            etag=(h.get("etag") or "").strip('"') or None,
        )

    # ------------------------------------------------------------ listings
    async def _list(
        self, prefix: str, *, delimiter: str | None, token: str | None, limit: int
    ) -> ListPage:
        # One more than asked tells whether another page exists: N entries cost
        # ceil(N/limit) requests, never one extra empty page.
        try:
            _, items = await self._call(
                "get_container",
                self.container,
                marker=token,
                limit=limit + 1,
                prefix=prefix or None,
                delimiter=delimiter,
                full_listing=False,
            )
        except NotFound:  # no container yet (made on the first put): nothing in it
            return ListPage([], [], None)
        more = len(items) > limit
        items = items[:limit]
        objects: list[ObjectInfo] = []
        prefixes: list[PrefixInfo] = []
        seen: set[str] = set()
        for i, item in enumerate(items, 1):
            if i % _SLICE == 0:  # a page of 1,000 is 5 ms of work: the loop is let in
                await asyncio.sleep(0)
            if "subdir" in item:
                if item["subdir"] not in seen:
                    seen.add(item["subdir"])
                    prefixes.append(PrefixInfo(item["subdir"]))
                continue
            name = item["name"]
            ctype = (item.get("content_type") or "").split(";")[0].strip()
            info = ObjectInfo(
                key=name,
                size=int(item.get("bytes") or 0),
                last_modified=_from_listing(item.get("last_modified")),
                etag=item.get("hash"),
                content_type=item.get("content_type"),
            )
            if ctype == DIRECTORY_CONTENT_TYPE and not name.endswith("/"):
                self._legacy_markers.add(name)
                key = name + "/"
                if delimiter and key != prefix:
                    if key not in seen:
                        seen.add(key)
                        prefixes.append(PrefixInfo(key))
                    continue
                info = ObjectInfo(key, 0, info.last_modified, info.etag, DIRECTORY_CONTENT_TYPE)
            objects.append(info)
        next_token = None
        if more and items:
            last = items[-1]
            next_token = last.get("subdir") or last["name"]
        return ListPage(objects, prefixes, next_token)

    # ------------------------------------------------------------ container, URLs
    async def check(self) -> None:
        """Authenticate, HEAD the container, create it if it is missing."""
        try:
            await self._call("head_container", self.container)
        except NotFound:
            await self._ensure_container()

    async def _once_the_container_shows(
        self, send: Callable[[], Any], rewind: Callable[[], Any]
    ) -> dict[str, Any]:
        """``send()`` again now that the container exists. A Swift proxy keeps a "no such
        container" answer in its cache for a while (a tenth of its
        ``recheck_container_existence``: 6 s by default), and a put that raced the
        container's creation can put that answer back after the creation cleared it: the
        next puts then get 404 though the container exists. Asked again, with backoff,
        for up to :data:`CONTAINER_SHOWS_SECONDS`."""
        delay, waited = 0.25, 0.0
        while True:
            rewind()
            try:
                return dict(await send())
            except NotFound:
                if waited + delay > CONTAINER_SHOWS_SECONDS:
                    raise
                await asyncio.sleep(delay)
                waited += delay
                delay = min(2 * delay, 2.0)

    async def _ensure_container(self) -> None:
        try:
            await self._call("put_container", self.container)
        except AuthFailed as e:
            raise AuthFailed(
                f"container {self.container!r} does not exist and {self.config.who} may not "
                f"create it: create it (e.g. `swift post {self.container}`) or use a "
                f"container this account can write to ({e.message})",
                store=self.description,
            ) from None

    def _object_path(self, full_key: str) -> str:
        if self._auth.url is None:
            raise StoreError(
                "the storage URL is not known before the store is used: call check() first",
                store=self.description,
            )
        return f"{urlparse(self._auth.url).path}/{self.container}/{full_key}"

    def public_url(self, key: str) -> str:
        """The object's URL; readable without a token if the container is public (``.r:*``)."""
        path = self._object_path(self._full(key))
        p = urlparse(str(self._auth.url))
        return f"{p.scheme}://{p.netloc}{quote(path)}"

    # ------------------------------------------------------------ sharing (see .share)
    async def prepare_signed_links(self) -> None:
        """Give the account a temp-URL key if it has none (never replacing one); with a
        ``link_signer`` nothing: the signer holds the key."""
        if self._link_signer is None:
            await share.ensure_temp_url_key(self)

    async def signed_url(self, key: str, expires_in: int, *, inline: bool = False) -> str:
        """A TempURL (HMAC-SHA256) signed with the account's temp-URL key, or by the
        ``link_signer`` (the hub service, whose users hold no key); ``inline`` makes
        Swift answer it for display, not as an attachment (a download)."""
        if self._link_signer is not None:
            try:
                url = await asyncio.to_thread(self._link_signer, self._full(key), expires_in)
            except StoreError:
                raise
            except Exception as e:
                raise Unavailable(
                    f"the link could not be signed ({e})", store=self.description
                ) from None
            return url + "&inline" if inline else url
        await self._run(self._auth.current)
        secret = self.config.temp_url_key
        if not secret:
            headers = await self._call("head_account")
            secret = {k.lower(): v for k, v in headers.items()}.get("x-account-meta-temp-url-key")
        if not secret:
            raise Unsupported(
                "the Swift account has no temp-URL key: set one with "
                "`swift post -m Temp-URL-Key:<secret>` or the temp_url_key option",
                store=self.description,
            )
        path = self._object_path(self._full(key))
        signed = generate_temp_url(path, int(expires_in), secret, "GET", digest="sha256")
        if isinstance(signed, bytes):
            signed = signed.decode()
        query = str(signed).split("?", 1)[1]
        p = urlparse(str(self._auth.url))
        url = f"{p.scheme}://{p.netloc}{quote(path)}?{query}"
        return url + "&inline" if inline else url

    async def put_snapshot(self, key: str, file: SnapshotFile) -> None:
        """``file`` at ``key`` with its Content-Disposition, CSP and ``nosniff`` headers."""
        await share.put_snapshot(self, key, file)

    async def publish_public(
        self,
        snapshot_id: str,
        files: Sequence[SnapshotFile],
        *,
        folder: str,
        container: str | None = None,
    ) -> PublicSnapshot:
        """The files in a public container (``container``, default ``<container>_public``)
        under ``<prefix><snapshot_id>/``; on Rackspace that container is CDN-enabled and
        the URLs are the CDN's. ``folder`` (a place inside this store) is not used."""
        return await share.publish_public(
            self, snapshot_id, files, container or f"{self.container}_public"
        )

    async def unpublish_public(self, keys: Sequence[str], *, container: str | None) -> None:
        await share.delete_from(self, container or f"{self.container}_public", keys)

    async def close(self) -> None:
        await super().close()
