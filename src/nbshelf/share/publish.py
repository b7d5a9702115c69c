"""Publishing share snapshots, one strategy per backend, and the share service.

* ``local``: the nbshelf server serves the snapshot itself at
  ``/nbshelf/shared/<id>/<name>`` without login (local and memory stores, or on
  request on any store). Snapshot objects: ``.nbshelf/shared/<id>/`` in the store.
* ``public`` on Swift: snapshots in a separate public container (``.r:*``, no
  listings), never the notebooks' own; on Rackspace Cloud Files that container is
  CDN-enabled through the catalog's CDN management endpoint and the HTTPS CDN URL
  is returned. On S3: the snapshot objects get a public-read ACL, where the bucket
  allows it.
* ``expiring``: snapshot objects in the private store and signed URLs to them
  (Swift TempURL, S3 presigned URL).

Revoking deletes the snapshot objects, so every kind of link stops working
(a signed URL stays valid until it expires but then points at nothing).
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any
from urllib.parse import quote, urlparse

from ..contents import paths
from ..stores import NotFound, ObjectStore, StoreError, Unsupported
from .config import ShareConfig
from .models import KINDS, Share, ShareError, expiry_from, new_id, utcnow
from .records import ShareRecords, snapshot_prefix
from .render import render_html

log = logging.getLogger("nbshelf.share")

NOTEBOOK_TYPE = "application/x-ipynb+json"
HTML_TYPE = "text/html; charset=utf-8"
#: SigV4 presigned URLs last at most 7 days.
S3_MAX_EXPIRY = 7 * 86400


def snapshot_names(path: str) -> dict[str, str]:
    """The snapshot's file names: the file itself, and its page for a notebook."""
    base = paths.name(path)
    names = {"notebook": base}
    if base.endswith(".ipynb"):
        names["html"] = base[: -len(".ipynb")] + ".html"
    return names


def nbviewer_link(nbviewer: str, url: str) -> str:
    """nbviewer's address for a public URL (``/urls/`` for https, ``/url/`` for http)."""
    p = urlparse(url)
    kind = "urls" if p.scheme == "https" else "url"
    return f"{nbviewer.rstrip('/')}/{kind}/{p.netloc}{p.path}"


def _backend(store: ObjectStore) -> str:
    if store.scheme == "swift":
        return "swift"
    if store.scheme in ("s3", "gs", "az"):
        return store.scheme
    return "server"


class ShareService:
    """Create, list, update and revoke shares of one store's files.

    ``base_url`` (create/update) is the nbshelf server's address for ``local``
    links: the handlers pass the URL the request came to.
    """

    def __init__(self, store: ObjectStore, config: ShareConfig | None = None) -> None:
        self.store = store
        self.config = config or ShareConfig()
        self.records = ShareRecords(store)

    # ------------------------------------------------------------ checks
    @staticmethod
    def check_path(path: str) -> str:
        from tornado.web import HTTPError

        try:
            norm = paths.normalize(path)
        except HTTPError as e:
            raise ShareError(400, str(e.log_message)) from None
        if not norm:
            raise ShareError(400, "Give the path of a file to share")
        if paths.is_internal(norm):
            raise ShareError(400, f"{paths.INTERNAL_DIR}/ holds nbshelf's own data: not shareable")
        return norm

    def resolve_kind(self, kind: str | None, expires_in: int | None) -> tuple[str, int | None]:
        """The kind this backend gives for the request, and the expiry in seconds."""
        kind = kind or ("expiring" if expires_in is not None else "public")
        if kind not in KINDS:
            raise ShareError(400, f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        backend = _backend(self.store)
        if kind == "expiring" and expires_in is None:
            expires_in = self.config.default_expiry
        if expires_in is not None:
            if expires_in <= 0:
                raise ShareError(400, "The expiry is in the past: choose a time in the future")
            if expires_in > self.config.max_expiry:
                raise ShareError(
                    400, f"The expiry is too far: at most {self.config.max_expiry // 86400} days"
                )
        if kind == "public" and expires_in is not None:
            raise ShareError(
                400, "Public links do not expire: ask for an expiring link to set an expiry"
            )
        if backend == "server":
            kind = "local"  # the nbshelf server serves it, public or until it expires
        if kind == "expiring" and backend == "s3" and (expires_in or 0) > S3_MAX_EXPIRY:
            raise ShareError(400, "S3 signed links last at most 7 days: choose a shorter expiry")
        return kind, expires_in

    # ------------------------------------------------------------ operations
    async def create(
        self,
        path: str,
        kind: str | None = None,
        expires_in: int | None = None,
        *,
        base_url: str | None = None,
    ) -> Share:
        path = self.check_path(path)
        kind, expires_in = self.resolve_kind(kind, expires_in)
        data = await self._read(path)
        now = utcnow()
        share = Share(
            id=new_id(),
            path=path,
            kind=kind,  # type: ignore[arg-type]
            created=now,
            expires=expiry_from(expires_in, now),
        )
        await self._publish(share, data, base_url)
        await self.records.save(share)
        log.info("nbshelf: shared %s (%s, id %s)", path, kind, share.id)
        return share

    async def list(self, path: str | None = None, *, include_revoked: bool = False) -> list[Share]:
        shares = await self._call(self.records.list())
        if path:
            path = self.check_path(path)
            shares = [s for s in shares if s.path == path]
        if not include_revoked:
            shares = [s for s in shares if s.revoked is None]
        return shares

    async def get(self, share_id: str) -> Share:
        return await self._call(self.records.get(share_id))

    async def update(self, share_id: str, *, base_url: str | None = None) -> Share:
        """Re-publish the file's current version at the same links."""
        share = await self.get(share_id)
        if share.revoked is not None:
            raise ShareError(409, "This share was revoked: share the file again")
        if share.expired:
            raise ShareError(409, "This share has expired: share the file again")
        data = await self._read(share.path)
        await self._publish(share, data, base_url)
        share.updated = utcnow()
        await self.records.save(share)
        log.info("nbshelf: updated share %s of %s", share.id, share.path)
        return share

    async def revoke(self, share_id: str) -> Share:
        share = await self.get(share_id)
        if share.revoked is None:
            await self._call(self._unpublish(share))
            share.revoked = utcnow()
            await self._call(self.records.save(share))
            log.info("nbshelf: revoked share %s of %s", share.id, share.path)
        return share

    async def open_served(self, share_id: str, name: str) -> tuple[bytes, str]:
        """The bytes and content type of a snapshot the nbshelf server serves itself."""
        try:
            share = await self.records.get(share_id)
        except (ShareError, StoreError):
            raise ShareError(404, "No such shared file") from None
        if share.kind != "local" or not share.active:
            raise ShareError(404, "No such shared file (revoked or expired)")
        for what, key in share.snapshot.items():
            if what in ("notebook", "html") and posixpath.basename(key) == name:
                try:
                    result = await self.store.get(key)
                except NotFound:
                    raise ShareError(404, "No such shared file") from None
                return result.data, HTML_TYPE if what == "html" else NOTEBOOK_TYPE
        raise ShareError(404, "No such shared file")

    # ------------------------------------------------------------ helpers
    async def _call(self, aw: Any) -> Any:
        try:
            return await aw
        except StoreError as e:
            raise _share_error(e) from None

    async def _read(self, path: str) -> bytes:
        try:
            return (await self.store.get(path)).data
        except NotFound:
            raise ShareError(404, f"No such file: {path}") from None
        except StoreError as e:
            raise _share_error(e) from None

    async def _publish(self, share: Share, data: bytes, base_url: str | None) -> None:
        names = snapshot_names(share.path)
        html = await render_html(data, names["notebook"]) if "html" in names else None
        try:
            if share.kind == "local":
                await self._publish_private(share, names, data, html)
                base = (self.config.server_url or base_url or "http://localhost:8888/").rstrip("/")
                share.urls = {
                    what: f"{base}/nbshelf/shared/{share.id}/{quote(name)}"
                    for what, name in names.items()
                }
                share.note = "Revoking makes the link stop working at once."
            elif share.kind == "expiring":
                await self._publish_private(share, names, data, html)
                seconds = share.seconds_left() or 1
                share.urls = {
                    what: await self.store.signed_url(share.snapshot[what], seconds)
                    for what in names
                }
                if "html" in share.urls and _backend(self.store) == "swift":
                    # Swift's tempurl answers "attachment" (a download) unless asked inline
                    share.urls["html"] += "&inline"
                share.note = (
                    "A signed link: anyone with it can open the snapshot until it expires. "
                    "Revoking deletes the snapshot, so the link then finds nothing."
                )
            elif _backend(self.store) == "swift":
                await self._publish_swift_public(share, names, data, html)
            elif _backend(self.store) == "s3":
                await self._publish_s3_public(share, names, data, html)
            else:
                raise ShareError(
                    501,
                    f"{self.store.scheme} stores cannot make public links here: "
                    "share with an expiring link instead",
                )
        except Unsupported as e:
            raise ShareError(409, str(e)) from None
        except StoreError as e:
            raise _share_error(e) from None

    async def _publish_private(
        self, share: Share, names: dict[str, str], data: bytes, html: bytes | None
    ) -> None:
        if _backend(self.store) == "swift" and share.kind == "expiring":
            from ..stores import _swift_share

            await _swift_share.ensure_temp_url_key(self.store)  # type: ignore[arg-type]
        prefix = snapshot_prefix(share.id)
        share.snapshot = {"notebook": prefix + names["notebook"]}
        await self.store.put(
            share.snapshot["notebook"],
            data,
            content_type=NOTEBOOK_TYPE if names["notebook"].endswith(".ipynb") else None,
        )
        if html is not None:
            share.snapshot["html"] = prefix + names["html"]
            await self.store.put(share.snapshot["html"], html, content_type=HTML_TYPE)

    async def _publish_swift_public(
        self, share: Share, names: dict[str, str], data: bytes, html: bytes | None
    ) -> None:
        from ..stores import _swift_share
        from ..stores.swift import SwiftStore

        store = self.store
        assert isinstance(store, SwiftStore)
        container = self.config.public_container or f"{store.container}_public"
        rackspace = _swift_share.is_rackspace(store)
        if rackspace:
            await store._call("put_container", container)
        else:
            await _swift_share.ensure_public_container(store, container)
        prefix = f"{store.prefix}{share.id}/"
        share.snapshot = {"container": container, "notebook": prefix + names["notebook"]}
        await _swift_share.put_into(
            store, container, share.snapshot["notebook"], data, NOTEBOOK_TYPE
        )
        if html is not None:
            share.snapshot["html"] = prefix + names["html"]
            await _swift_share.put_into(store, container, share.snapshot["html"], html, HTML_TYPE)
        if rackspace:
            cdn = await _swift_share.cdn_enable(store, container)
            share.urls = {w: f"{cdn}/{quote(share.snapshot[w])}" for w in names}
            share.note = (
                "Revoking deletes the snapshot; the CDN may keep serving cached copies "
                "until its TTL (15 minutes) runs out."
            )
        else:
            share.urls = {
                w: _swift_share.object_url(store, container, share.snapshot[w]) for w in names
            }
            share.note = "Revoking deletes the public snapshot: the link stops working at once."
        share.urls["nbviewer"] = nbviewer_link(self.config.nbviewer_url, share.urls["notebook"])

    async def _publish_s3_public(
        self, share: Share, names: dict[str, str], data: bytes, html: bytes | None
    ) -> None:
        from ..stores import _obstore_share
        from ..stores.s3 import S3Store

        store = self.store
        assert isinstance(store, S3Store)
        await self._publish_private(share, names, data, html)
        try:
            share.urls = {
                w: await _obstore_share.make_public(store, share.snapshot[w]) for w in names
            }
        except StoreError:
            await self.store.delete(share.snapshot.values())  # nothing half-public left
            raise
        share.urls["nbviewer"] = nbviewer_link(self.config.nbviewer_url, share.urls["notebook"])
        share.note = "Revoking deletes the public snapshot: the link stops working at once."

    async def _unpublish(self, share: Share) -> None:
        keys = [v for k, v in share.snapshot.items() if k in ("notebook", "html")]
        container = share.snapshot.get("container")
        if container:
            from ..stores import _swift_share

            await _swift_share.delete_from(self.store, container, keys)  # type: ignore[arg-type]
        elif keys:
            await self.store.delete(keys)


def revoked_message(share: Share) -> str:
    """What revoking did, in words, for this kind of link."""
    if share.kind == "expiring":
        until = f"{share.expires:%Y-%m-%d %H:%M} UTC" if share.expires else "it expires"
        return (
            "The snapshot is deleted: the signed link stays formally valid until "
            f"{until} but now finds nothing. Copies already downloaded cannot be recalled."
        )
    if "CDN" in share.note:
        return (
            "The public snapshot is deleted; the CDN may serve cached copies for up to "
            "15 minutes more."
        )
    return "The snapshot is deleted: the link no longer works."


def _share_error(e: StoreError) -> ShareError:
    from ..contents.errors import http_error

    if isinstance(e, Unsupported):
        return ShareError(409, str(e))
    err = http_error(e, e.key or "")
    return ShareError(err.status_code, str(err.log_message))
