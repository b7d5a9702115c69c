"""Share records kept in the store itself, under ``.nbshelf/shares/<id>.json`` (the key
layout is :mod:`nbshelf.contents.layout`'s).

Records live inside the user's prefix, next to the notebooks they describe, so
they move with the store (any server or CLI on the same store sees the same
shares) and two users' shares never mix. One JSON object per share: creating
or revoking a share writes one object; listing is one LIST plus one GET each.

A revocation always wins. The record is rewritten by updates as well as by a revoke, and
not every store can write conditionally (Swift has no ``If-Match`` on PUT), so a revoke
first creates a *tombstone*, ``.nbshelf/shares/<id>.revoked`` (create-only, never
overwritten, never removed by anything but the record's own removal). A share is revoked
when its record says so **or** its tombstone exists: :meth:`ShareRecords.get` looks
(1 HEAD when the record says active), :meth:`ShareRecords.list` sees the tombstones in
the same LIST. An update checks it before publishing and again after, and withdraws what
it published if a revoke came in between (``share/publish.py``).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone

from ..contents.layout import SHARES, share_record_key, share_tombstone_key
from ..stores import Conflict, NotFound, ObjectStore, gather_bounded
from .models import ID_RE, Share, ShareError, utcnow

_TOMBSTONE = ".revoked"


class ShareRecords:
    """Read and write share records in one store (already rooted at the user's prefix)."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    async def save(self, share: Share) -> None:
        body = json.dumps(share.to_record(), indent=1, sort_keys=True).encode()
        await self.store.put(share_record_key(share.id), body, content_type="application/json")

    async def get(self, share_id: str) -> Share:
        """The record, revoked if its tombstone exists (whatever the record says)."""
        if not ID_RE.match(share_id or ""):
            raise ShareError(404, "No such share")
        try:
            result = await self.store.get(share_record_key(share_id))
        except NotFound:
            raise ShareError(404, f"No such share: {share_id}") from None
        share = Share.from_record(json.loads(result.data))
        if share.revoked is None:
            share.revoked = await self.revoked_at(share_id)
        return share

    async def revoked_at(self, share_id: str) -> datetime | None:
        """When the share was revoked, by its tombstone (1 HEAD); None if it is not."""
        try:
            info = await self.store.head(share_tombstone_key(share_id))
        except NotFound:
            return None
        return info.last_modified.astimezone(timezone.utc)

    async def mark_revoked(self, share_id: str) -> None:
        """Create the tombstone (create-only: a second revoke finds it and goes on)."""
        body = json.dumps({"id": share_id, "revoked": utcnow().isoformat()}).encode()
        with contextlib.suppress(Conflict):  # revoked already
            await self.store.put(
                share_tombstone_key(share_id),
                body,
                content_type="application/json",
                if_none_match=True,
            )

    async def list(self) -> list[Share]:
        listing = await self.store.list_all(SHARES, delimiter="/")
        keys = [o.key for o in listing.objects if o.key.endswith(".json")]
        tombstones = {
            o.key[len(SHARES) : -len(_TOMBSTONE)]: o.last_modified
            for o in listing.objects
            if o.key.endswith(_TOMBSTONE)
        }

        async def one(key: str) -> Share | None:
            try:
                return Share.from_record(json.loads((await self.store.get(key)).data))
            except (NotFound, ValueError, KeyError):
                return None  # deleted meanwhile, or not a record

        found = await gather_bounded((one(k) for k in keys), self.store.max_concurrency)
        shares = [s for s in found if s is not None]
        for s in shares:
            if s.revoked is None and s.id in tombstones:
                s.revoked = tombstones[s.id].astimezone(timezone.utc)
        return sorted(shares, key=lambda s: (s.created, s.id), reverse=True)
