"""S3 public links (what :meth:`S3Store.publish_public` does): the snapshot's objects
written into the bucket, then each made public-read, the one sharing request obstore
cannot make.

obstore writes, reads and presigns objects but sets no ACLs, so a public share
sends ``PUT <object>?acl`` with the canned ACL header ``x-amz-acl: public-read``
itself, signed with AWS Signature V4 (static credentials), with httpx. Many
buckets refuse object ACLs (AWS's default "bucket owner enforced" ownership,
Block Public Access, S3-compatible servers without ACL support): that is a
clear :class:`Unsupported` error naming the alternative, expiring links.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..capabilities import PublicSnapshot, SnapshotFile
from ..errors import AuthFailed, StoreError, Unsupported

if TYPE_CHECKING:
    from .s3 import S3Store

NOT_PUBLIC_HINT = (
    "this bucket does not allow public objects (object ACLs disabled or public access "
    "blocked): share with an expiring link instead (--expires / kind 'expiring')"
)


async def publish_public(
    store: S3Store, files: Sequence[SnapshotFile], folder: str
) -> PublicSnapshot:
    """Write ``files`` under ``folder`` (relative keys), then make each public-read; if
    one cannot be, delete them all (nothing half-public is left) and raise."""
    keys = {f.name: folder + f.name for f in files}
    for f in files:
        await store.put_snapshot(keys[f.name], f)
    try:
        urls = {name: await make_public(store, key) for name, key in keys.items()}
    except StoreError:
        await store.delete(keys.values())
        raise
    return PublicSnapshot(keys, urls)


async def make_public(store: S3Store, key: str) -> str:
    """Give one object (relative key) the canned ACL ``public-read``; return its plain URL.

    The request is signed by :mod:`.sigv4` (the one SigV4 implementation) and
    sent with the store's httpx client."""
    if not store.signs_requests:
        raise Unsupported(
            "public S3 shares need static credentials (access key and secret) to set the "
            "object's ACL; " + NOT_PUBLIC_HINT.split(": ", 1)[1],
            store=store.description,
        )
    resp = await store.signed_request(
        "PUT",
        store._full(key),
        "ACL",
        query="acl",
        headers={"x-amz-acl": "public-read"},
        error_key=key,
    )
    if resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content:
        raise AuthFailed(
            f"credentials refused setting an ACL: {store.hints['auth']}",
            store=store.description,
            key=key,
        )
    if resp.status_code >= 300:
        code = _error_code(resp.content)
        raise Unsupported(
            f"the bucket refused a public-read ACL (HTTP {resp.status_code}"
            f"{' ' + code if code else ''}): {NOT_PUBLIC_HINT}",
            store=store.description,
            key=key,
        )
    return store.public_url(key)


def _error_code(body: bytes) -> str:
    start, end = body.find(b"<Code>"), body.find(b"</Code>")
    if 0 <= start < end:
        return body[start + 6 : end].decode("utf-8", "replace")[:64]
    return ""


__all__ = ["NOT_PUBLIC_HINT", "make_public", "publish_public"]
