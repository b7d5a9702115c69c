"""Share records kept in the store itself, under ``.nbshelf/shares/<id>.json`` (the key
layout is :mod:`nbshelf.contents.layout`'s).

Records live inside the user's prefix, next to the notebooks they describe, so
they move with the store (any server or CLI on the same store sees the same
shares) and two users' shares never mix. One JSON object per share: creating
or revoking a share writes one object; listing is one LIST plus one GET each.
"""

from __future__ import annotations

import json

from ..contents.layout import SHARES, share_record_key
from ..stores import NotFound, ObjectStore, gather_bounded
from .models import ID_RE, Share, ShareError


class ShareRecords:
    """Read and write share records in one store (already rooted at the user's prefix)."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    async def save(self, share: Share) -> None:
        body = json.dumps(share.to_record(), indent=1, sort_keys=True).encode()
        await self.store.put(share_record_key(share.id), body, content_type="application/json")

    async def get(self, share_id: str) -> Share:
        if not ID_RE.match(share_id or ""):
            raise ShareError(404, "No such share")
        try:
            result = await self.store.get(share_record_key(share_id))
        except NotFound:
            raise ShareError(404, f"No such share: {share_id}") from None
        return Share.from_record(json.loads(result.data))

    async def list(self) -> list[Share]:
        listing = await self.store.list_all(SHARES, delimiter="/")
        keys = [o.key for o in listing.objects if o.key.endswith(".json")]

        async def one(key: str) -> Share | None:
            try:
                return Share.from_record(json.loads((await self.store.get(key)).data))
            except (NotFound, ValueError, KeyError):
                return None  # deleted meanwhile, or not a record

        found = await gather_bounded((one(k) for k in keys), self.store.max_concurrency)
        shares = [s for s in found if s is not None]
        return sorted(shares, key=lambda s: (s.created, s.id), reverse=True)
