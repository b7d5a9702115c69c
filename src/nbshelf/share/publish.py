"""Publishing share snapshots, and the share service.

The service asks the store for capabilities (:mod:`nbshelf.stores.capabilities`),
never for its kind:

* ``local``: the nbshelf server serves the snapshot itself at
  ``/nbshelf/shared/<id>/<name>`` without login (stores that can sign no links, such
  as the local and memory stores, or on request on any store). Snapshot objects:
  ``.nbshelf/shared/<id>/`` in the store.
* ``public`` (:class:`SupportsPublicLinks`): the store publishes the snapshot where
  anyone can read it. Swift: a separate public container (``.r:*``, no listings),
  never the notebooks' own, CDN-enabled on Rackspace Cloud Files; S3: the snapshot
  objects get a public-read ACL, where the bucket allows it.
* ``expiring`` (:class:`SupportsSignedLinks`): snapshot objects in the private store
  and signed URLs to them (Swift TempURL, S3 presigned URL, Azure SAS ...).

Revoking deletes the snapshot objects, so every kind of link stops working
(a signed URL stays valid until it expires but then points at nothing).
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
from typing import Any
from urllib.parse import quote, urlparse

from ..contents import layout, paths
from ..stores import (
    NotFound,
    ObjectStore,
    SnapshotFile,
    StoreError,
    SupportsPublicLinks,
    SupportsSignedLinks,
    Unsupported,
)
from .config import ShareConfig
from .models import KINDS, Share, ShareError, expiry_from, new_id, utcnow
from .records import ShareRecords
from .render import PAGE_CSP, render_html

log = logging.getLogger("nbshelf.share")

NOTEBOOK_TYPE = "application/x-ipynb+json"
_REVOKED_MEANWHILE = "This share was revoked while it was being updated: the link stays revoked"
HTML_TYPE = "text/html; charset=utf-8"
#: What a shared file that is not a notebook is served as: never a page.
TEXT_TYPE = "text/plain; charset=utf-8"
BINARY_TYPE = "application/octet-stream"


def download_type(data: bytes) -> str:
    """A shared raw file's content type: text/plain if it is UTF-8 text, else
    application/octet-stream (never what its name says: page.html runs no script)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return BINARY_TYPE
    return TEXT_TYPE


def disposition(kind: str, name: str) -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` (RFC 6266)."""
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def snapshot_files(
    names: dict[str, str], data: bytes, html: bytes | None
) -> dict[str, SnapshotFile]:
    """The snapshot's files by role: a notebook and its page (the page with the CSP), or
    a raw file as a download (safe type, ``Content-Disposition: attachment``)."""
    name = names["notebook"]
    if name.endswith(".ipynb"):
        files = {"notebook": SnapshotFile(name, data, NOTEBOOK_TYPE)}
    else:
        files = {
            "notebook": SnapshotFile(
                name, data, download_type(data), disposition("attachment", name)
            )
        }
    if html is not None:
        files["html"] = SnapshotFile(names["html"], html, HTML_TYPE, csp=PAGE_CSP)
    return files


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
    kind = "urls" if url.lower().startswith("https:") else "url"
    return f"{nbviewer.rstrip('/')}/{kind}/{p.netloc}{p.path}"


def serves_links_itself(store: ObjectStore) -> bool:
    """True when the store can make no link of its own (neither signed nor public):
    the nbshelf server serves its snapshots (kind ``local``)."""
    return not isinstance(store, (SupportsSignedLinks, SupportsPublicLinks))


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
        if layout.is_internal(norm):
            raise ShareError(400, f"{layout.INTERNAL_DIR}/ holds nbshelf's own data: not shareable")
        return norm

    def resolve_kind(self, kind: str | None, expires_in: int | None) -> tuple[str, int | None]:
        """The kind this backend gives for the request, and the expiry in seconds."""
        kind = kind or ("expiring" if expires_in is not None else "public")
        if kind not in KINDS:
            raise ShareError(400, f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
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
        store = self.store
        if serves_links_itself(store):
            kind = "local"  # the nbshelf server serves it, public or until it expires
        if kind == "expiring" and isinstance(store, SupportsSignedLinks):
            longest = store.max_signed_expiry
            if longest is not None and (expires_in or 0) > longest:
                raise ShareError(
                    400,
                    f"{store.signed_links_name[:1].upper()}{store.signed_links_name[1:]} "
                    f"last at most {_duration(longest)}: choose a shorter expiry",
                )
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
        shares = await self._store_errors(self.records.list())
        if path:
            path = self.check_path(path)
            shares = [s for s in shares if s.path == path]
        if not include_revoked:
            shares = [s for s in shares if s.revoked is None]
        return shares

    async def get(self, share_id: str) -> Share:
        return await self._store_errors(self.records.get(share_id))

    async def update(self, share_id: str, *, base_url: str | None = None) -> Share:
        """Re-publish the file's current version at the same links."""
        share = await self.get(share_id)
        if share.revoked is not None:
            raise ShareError(409, "This share was revoked: share the file again")
        if share.expired:
            raise ShareError(409, "This share has expired: share the file again")
        data = await self._read(share.path)
        try:
            await self._publish(share, data, base_url)
            share.updated = utcnow()
            await self._store_errors(self.records.save(share))
        except Exception:
            # half published (a store error, or the revoke deleting what this update was
            # signing): a revoke that came in meanwhile must still win, and is what to say
            withdrawn = False
            with contextlib.suppress(Exception):
                withdrawn = await self._withdraw_if_revoked(share)
            if withdrawn:
                raise ShareError(409, _REVOKED_MEANWHILE) from None
            raise
        if await self._withdraw_if_revoked(share):
            raise ShareError(409, _REVOKED_MEANWHILE)
        log.info("nbshelf: updated share %s of %s", share.id, share.path)
        return share

    async def _withdraw_if_revoked(self, share: Share) -> bool:
        """A revoke that came in while ``share`` was being published wins: its tombstone
        (written before it unpublished) is looked for again (1 HEAD), and if it is there
        what the update published is deleted and the record rewritten as revoked."""
        revoked = await self._store_errors(self.records.revoked_at(share.id))
        if revoked is None:
            return False
        await self._store_errors(self._unpublish(share))
        share.revoked = revoked
        await self._store_errors(self.records.save(share))
        log.info("nbshelf: update of share %s withdrawn: revoked meanwhile", share.id)
        return True

    async def revoke(self, share_id: str) -> Share:
        """Tombstone first (so a racing update sees it and withdraws), then the snapshot
        goes, then the record says revoked. Each step is idempotent: revoking again
        deletes a snapshot a crashed update may have left."""
        share = await self.get(share_id)
        await self._store_errors(self.records.mark_revoked(share.id))
        await self._store_errors(self._unpublish(share))
        if share.revoked is None:
            log.info("nbshelf: revoked share %s of %s", share.id, share.path)
        share.revoked = share.revoked or utcnow()
        await self._store_errors(self.records.save(share))
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
                if what == "html":
                    return result.data, HTML_TYPE
                if name.endswith(".ipynb"):
                    return result.data, NOTEBOOK_TYPE
                return result.data, download_type(result.data)
        raise ShareError(404, "No such shared file")

    # ------------------------------------------------------------ helpers
    async def _store_errors(self, aw: Any) -> Any:
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
                store = self.store
                if not isinstance(store, SupportsSignedLinks):
                    raise ShareError(
                        501,
                        f"{store.description} cannot sign links: share with a link the "
                        "nbshelf server serves (kind 'local') instead",
                    )
                await store.prepare_signed_links()
                await self._publish_private(share, names, data, html)
                seconds = share.seconds_left() or 1
                share.urls = {
                    # inline: Swift's tempurl answers "attachment" (a download) otherwise
                    what: await store.signed_url(
                        share.snapshot[what], seconds, inline=what == "html"
                    )
                    for what in names
                }
                share.note = (
                    "A signed link: anyone with it can open the snapshot until it expires. "
                    "Revoking deletes the snapshot, so the link then finds nothing."
                )
            elif isinstance(self.store, SupportsPublicLinks):
                await self._publish_public(self.store, share, names, data, html)
            else:
                raise ShareError(
                    501,
                    f"{self.store.description} cannot make public links: "
                    "share with an expiring link instead",
                )
        except Unsupported as e:
            raise ShareError(409, str(e)) from None
        except StoreError as e:
            raise _share_error(e) from None

    async def _publish_private(
        self, share: Share, names: dict[str, str], data: bytes, html: bytes | None
    ) -> None:
        prefix = layout.share_snapshot_folder(share.id)
        files = snapshot_files(names, data, html)
        share.snapshot = {what: prefix + f.name for what, f in files.items()}
        store = self.store
        for what, f in files.items():
            if share.kind == "expiring" and isinstance(store, SupportsSignedLinks):
                # the storage serves it: its type, disposition and CSP go with it
                await store.put_snapshot(share.snapshot[what], f)
            else:  # the nbshelf server serves it, with its own headers
                await store.put(share.snapshot[what], f.data, content_type=f.content_type)

    async def _publish_public(
        self,
        store: SupportsPublicLinks,
        share: Share,
        names: dict[str, str],
        data: bytes,
        html: bytes | None,
    ) -> None:
        files = list(snapshot_files(names, data, html).values())
        published = await store.publish_public(
            share.id,
            files,
            folder=layout.share_snapshot_folder(share.id),
            container=self.config.public_container or None,
        )
        share.snapshot = {what: published.keys[name] for what, name in names.items()}
        if published.container:
            share.snapshot["container"] = published.container
        share.urls = {what: published.urls[name] for what, name in names.items()}
        share.urls["nbviewer"] = nbviewer_link(self.config.nbviewer_url, share.urls["notebook"])
        if published.cdn_ttl:
            share.note = (
                "Revoking deletes the snapshot; the CDN may keep serving cached copies "
                f"until its TTL ({_duration(published.cdn_ttl)}) runs out."
            )
        else:
            share.note = "Revoking deletes the public snapshot: the link stops working at once."

    async def _unpublish(self, share: Share) -> None:
        keys = [v for k, v in share.snapshot.items() if k in ("notebook", "html")]
        container = share.snapshot.get("container")
        if container:
            store = self.store
            if not isinstance(store, SupportsPublicLinks):
                raise ShareError(
                    409,
                    f"This share's snapshot is in the public container {container!r}, "
                    f"which {store.description} cannot reach: delete it there",
                )
            await store.unpublish_public(keys, container=container)
        elif keys:
            await self.store.delete(keys)


def _duration(seconds: int) -> str:
    """``604800`` -> ``7 days``, ``900`` -> ``15 minutes``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


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
