"""What the Swift store's sharing capabilities do (the store's public methods
``prepare_signed_links``, ``publish_public`` and ``unpublish_public`` call these): a
public container, the account's temp-URL key, Rackspace CDN enabling.

They operate on a :class:`SwiftStore` through its own connection pool and
error translation (``_call``), so every request is counted and every failure is
a typed store error without secrets.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

from ..capabilities import PublicSnapshot, SnapshotFile
from ..errors import AuthFailed, NotFound, StoreError, Unsupported

if TYPE_CHECKING:
    from .store import SwiftStore

#: The service type of Rackspace's CDN management endpoint in the service catalog.
CDN_SERVICE_TYPE = "rax:object-cdn"
#: Seconds the CDN caches a public snapshot (the X-TTL set when enabling a container).
CDN_TTL = 900


async def publish_public(
    store: SwiftStore, snapshot_id: str, files: Sequence[SnapshotFile], container: str
) -> PublicSnapshot:
    """Write ``files`` under ``<prefix><snapshot_id>/`` in the public ``container``
    (made public first; on Rackspace made and CDN-enabled) and return their URLs."""
    rackspace = is_rackspace(store)
    if rackspace:
        await store._call("put_container", container)
    else:
        await ensure_public_container(store, container)
    folder = f"{store.prefix}{snapshot_id}/"
    keys = {f.name: folder + f.name for f in files}
    for f in files:
        await put_into(store, container, keys[f.name], f.data, f.content_type, headers_of(f))
    if rackspace:
        cdn = await cdn_enable(store, container)
        urls = {name: f"{cdn}/{quote(key)}" for name, key in keys.items()}
        return PublicSnapshot(keys, urls, container=container, cdn_ttl=CDN_TTL)
    urls = {name: object_url(store, container, key) for name, key in keys.items()}
    return PublicSnapshot(keys, urls, container=container)


async def ensure_public_container(store: SwiftStore, container: str) -> None:
    """Create ``container`` (or update it) readable by anyone, without listings.

    ``.r:*`` lets anyone GET an object whose name they know; leaving out
    ``.rlistings`` keeps the names (which hold the unguessable share ids) unlisted.
    """
    if container == store.container:
        raise StoreError(
            "the public container must not be the notebooks' own container "
            "(that would make every notebook public)",
            store=store.description,
        )
    try:
        await store._call("put_container", container, headers={"X-Container-Read": ".r:*"})
    except AuthFailed as e:
        raise AuthFailed(
            f"{store.config.who} may not create or change the public container "
            f"{container!r}: create it with `swift post -r '.r:*' {container}` "
            f"or share with an expiring link ({e.message})",
            store=store.description,
        ) from None


def headers_of(f: SnapshotFile) -> dict[str, str]:
    """The object headers Swift serves back with a snapshot file: its disposition and,
    for a page, its CSP and ``nosniff`` (kept where the object server's
    ``allowed_headers`` lists them; Swift's default list has Content-Disposition only)."""
    headers: dict[str, str] = {}
    if f.disposition:
        headers["Content-Disposition"] = f.disposition
    if f.csp:
        headers["Content-Security-Policy"] = f.csp
    headers["X-Content-Type-Options"] = "nosniff"
    return headers


async def put_snapshot(store: SwiftStore, key: str, f: SnapshotFile) -> None:
    """One file of a private snapshot (TempURLs open it), in the store's own container."""
    await put_into(store, store.container, store._full(key), f.data, f.content_type, headers_of(f))


async def put_into(
    store: SwiftStore,
    container: str,
    key: str,
    data: bytes,
    content_type: str | None,
    headers: dict[str, str] | None = None,
) -> None:
    await store._call(
        "put_object",
        container,
        key,
        io.BytesIO(data),  # a BytesIO swiftclient can resend (see SwiftStore._put)
        content_length=len(data),
        content_type=content_type,
        headers=headers or {},
        key=key,
    )


async def delete_from(store: SwiftStore, container: str, keys: Sequence[str]) -> None:
    for key in keys:
        with contextlib.suppress(NotFound):
            await store._call("delete_object", container, key, key=key)


def object_url(store: SwiftStore, container: str, key: str) -> str:
    """The plain URL of an object in ``container`` of the store's account."""
    base = str(store._auth.url or store.config.storage_url or "")
    if not base:
        raise StoreError("the storage URL is not known yet", store=store.description)
    return f"{base.rstrip('/')}/{quote(container)}/{quote(key)}"


async def ensure_temp_url_key(store: SwiftStore) -> bool:
    """Make sure the account has a temp-URL key; set a random one if it has none.

    Returns True if this call set it. A user who may not change account metadata
    gets a clear error. An existing key is never replaced (that would break every
    link already signed with it).
    """
    if store.config.temp_url_key:
        return False
    headers = await store._call("head_account")
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("x-account-meta-temp-url-key") or lower.get("x-account-meta-temp-url-key-2"):
        return False
    try:
        await store._call(
            "post_account", headers={"X-Account-Meta-Temp-URL-Key": secrets.token_urlsafe(32)}
        )
    except AuthFailed:
        raise Unsupported(
            f"the Swift account has no temp-URL key and {store.config.who} may not set one: "
            "ask the account's admin to run `swift post -m Temp-URL-Key:<secret>`, or set "
            "the temp_url_key option",
            store=store.description,
        ) from None
    return True


# ---------------------------------------------------------------------------- Rackspace CDN
def is_rackspace(store: SwiftStore) -> bool:
    return store.config.auth_version == "rackspace"


def cdn_endpoint(store: SwiftStore) -> str | None:
    """The CDN management URL from the service catalog (Rackspace), or None."""
    auth: Any = store._auth
    session = getattr(auth, "_session", None)
    if session is None:
        return None
    cfg = store.config
    try:
        url = session.get_endpoint(
            service_type=CDN_SERVICE_TYPE, interface=cfg.interface, region_name=cfg.region
        )
    except Exception:
        return None
    return str(url).rstrip("/") if url else None


async def cdn_enable(store: SwiftStore, container: str) -> str:
    """CDN-enable ``container`` through the catalog's CDN management endpoint and return
    its HTTPS CDN base URL (``X-Cdn-Ssl-Uri``)."""
    await store._run(store._auth.current)
    endpoint = cdn_endpoint(store)
    if not endpoint:
        raise Unsupported(
            "the service catalog has no CDN management endpoint (rax:object-cdn)"
            f"{' in region ' + store.config.region if store.config.region else ''}",
            store=store.description,
        )

    def run() -> dict[str, str]:
        import requests

        _, token = store._auth.current()
        url = f"{endpoint}/{quote(container)}"
        headers = {"X-Auth-Token": token, "X-CDN-Enabled": "True", "X-TTL": str(CDN_TTL)}
        store.requests.add("CDN")
        resp = requests.put(url, headers=headers, timeout=store.config.timeout)
        if resp.status_code in (401, 403):
            raise AuthFailed(
                f"the CDN service refused to enable {container!r} (HTTP {resp.status_code})",
                store=store.description,
            )
        if resp.status_code >= 300:
            host = urlparse(endpoint).netloc
            raise StoreError(
                f"the CDN service at {host} answered HTTP {resp.status_code} enabling "
                f"{container!r}",
                store=store.description,
            )
        h = {k.lower(): v for k, v in resp.headers.items()}
        if "x-cdn-ssl-uri" not in h:
            store.requests.add("CDN")
            head = requests.head(url, headers={"X-Auth-Token": token}, timeout=store.config.timeout)
            h = {k.lower(): v for k, v in head.headers.items()}
        return h

    h = await store._run(run)
    uri = h.get("x-cdn-ssl-uri") or h.get("x-cdn-uri")
    if not uri:
        raise StoreError(
            f"the CDN service enabled {container!r} but gave no CDN URL",
            store=store.description,
        )
    return uri.rstrip("/")
