"""The journal of a folder rename or delete: the record ``.nbshelf/ops/<id>.json``.

A folder rename is many copies then one bulk delete; a folder delete is copies into
the trash then one bulk delete. A server killed half-way leaves both trees, or a
partial copy. So before its first copy :mod:`.folder_ops` writes a small journal
(1 PUT) naming every key it will touch, and removes it when done (1 DELETE). A journal
that is still there names an operation that did not finish; recovery (in
:mod:`.folder_ops`) reads it here.

The journal is also the operation's **lease**: it names a random owner id and an expiry,
and the running operation rewrites it (1 PUT) every third of the lease to push the
expiry on. Recovery touches only journals whose lease has expired: a live operation on
another machine, in another container or PID namespace keeps renewing its lease, so
host names and process ids (kept for the report only) never decide. Expiry is judged
by the reader's clock against the writer's: clocks may differ by up to two thirds of the
lease (20 s of the default 60 s) before a live lease could look expired.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..stores import NotFound, ObjectStore, urgent
from . import layout
from .layout import OPS


@dataclass
class Journal:
    """One folder operation in progress: what a crash would leave half-done."""

    op: str  # "rename" | "delete"
    source: str
    destination: str = ""
    pairs: list[tuple[str, str]] = field(default_factory=list)  # rename: (src, dst) keys
    keys: list[str] = field(default_factory=list)  # delete: keys to delete
    trash: str = ""  # delete: the trash batch the keys are copied to first ("" = no trash)
    started: str = ""
    host: str = ""
    pid: int = 0
    id: str = ""
    owner: str = ""  # a random id of the running operation (the lease holder)
    expires: str = ""  # the lease's end, a layout stamp; renewed while the operation runs
    #: Done by one rename of the whole folder (``SupportsTreeMove``), not key by key: no
    #: keys are named; it happened or it did not, and only its checkpoints may lag.
    tree: bool = False

    @property
    def key(self) -> str:
        return layout.journal_key(self.id)

    def to_json(self) -> bytes:
        """The journal as JSON. A folder of 100,000 names 100,000 keys: the lists are
        encoded :data:`ENCODE_SLICE` items per call, so the thread writing a large
        journal (:func:`encoded`) hands the interpreter over between slices instead of
        holding it for one 50 ms ``json.dumps``."""
        head: dict[str, Any] = {
            "version": 2,
            "op": self.op,
            "source": self.source,
            "destination": self.destination,
            "trash": self.trash,
            "started": self.started,
            "host": self.host,
            "pid": self.pid,
            "owner": self.owner,
            "expires": self.expires,
            "tree": self.tree,
        }
        text = json.dumps(head, ensure_ascii=False)
        pairs = _json_array([[src, dst] for src, dst in self.pairs])
        keys = _json_array(self.keys)
        return f'{text[:-1]}, "pairs": {pairs}, "keys": {keys}}}'.encode()

    @property
    def size(self) -> int:
        """How many keys the journal names (what its encoding costs)."""
        return len(self.pairs) + len(self.keys)

    @classmethod
    def from_json(cls, id: str, data: bytes) -> Journal:
        body = json.loads(data)
        if body.get("op") not in ("rename", "delete"):
            raise ValueError(f"unknown operation {body.get('op')!r}")
        return cls(
            op=body["op"],
            source=str(body["source"]),
            destination=str(body.get("destination") or ""),
            pairs=[(str(s), str(d)) for s, d in body.get("pairs") or []],
            keys=[str(k) for k in body.get("keys") or []],
            trash=str(body.get("trash") or ""),
            started=str(body.get("started") or ""),
            host=str(body.get("host") or ""),
            pid=int(body.get("pid") or 0),
            id=id,
            owner=str(body.get("owner") or ""),
            expires=str(body.get("expires") or ""),
            tree=bool(body.get("tree")),
        )

    @property
    def started_at(self) -> datetime | None:
        return layout.parse_stamp(self.started)

    @property
    def expires_at(self) -> datetime | None:
        return layout.parse_stamp(self.expires)

    @property
    def trees(self) -> list[str]:
        """The paths the operation changes (its source, and a rename's destination)."""
        return [p for p in (self.source, self.destination) if p]

    def extend_lease(self, seconds: float, now: datetime | None = None) -> None:
        now = now or datetime.now(timezone.utc)
        self.expires = layout.new_stamp(now + timedelta(seconds=seconds))

    def describe(self) -> str:
        if self.tree:
            what = f"-> {self.destination}" if self.op == "rename" else "to the trash"
            return f"{self.op} {self.source} {what} (the whole folder at once)"
        if self.op == "rename":
            return f"rename {self.source} -> {self.destination} ({len(self.pairs)} objects)"
        return f"delete {self.source} ({len(self.keys)} objects)"


def new_journal(
    op: str, source: str, destination: str = "", *, lease_seconds: float = 60.0, **kw: Any
) -> Journal:
    journal_id = layout.new_journal_id()
    journal = Journal(
        op=op,
        source=source,
        destination=destination,
        started=journal_id.partition("-")[0],
        host=socket.gethostname(),
        pid=os.getpid(),
        id=journal_id,
        owner=secrets.token_hex(8),
        **kw,
    )
    journal.extend_lease(lease_seconds)
    return journal


#: Items of a journal's lists encoded per ``json.dumps`` call (well under 1 ms each).
ENCODE_SLICE = 1024


def _json_array(items: list[Any]) -> str:
    """``json.dumps(items)``, a slice at a time."""
    if len(items) <= ENCODE_SLICE:
        return json.dumps(items, ensure_ascii=False)
    parts = [
        json.dumps(items[i : i + ENCODE_SLICE], ensure_ascii=False)[1:-1]
        for i in range(0, len(items), ENCODE_SLICE)
    ]
    return "[" + ", ".join(parts) + "]"


async def encoded(journal: Journal) -> bytes:
    """The journal's JSON; a large one made in a worker thread, off the event loop."""
    if journal.size <= ENCODE_SLICE:
        return journal.to_json()
    return await asyncio.to_thread(journal.to_json)


async def begin(store: ObjectStore, journal: Journal) -> Journal:
    """Write the journal before the operation's first copy (1 PUT)."""
    await store.put(journal.key, await encoded(journal), content_type="application/json")
    return journal


async def renew(store: ObjectStore, journal: Journal, lease_seconds: float) -> None:
    """Push the lease's expiry on (1 PUT), while the operation runs: in the store's urgent
    lane, never queued behind the operation's own copies and deletes."""
    journal.extend_lease(lease_seconds)
    body = await encoded(journal)
    with urgent():
        await store.put(journal.key, body, content_type="application/json")


async def end(store: ObjectStore, journal: Journal) -> None:
    """Remove the journal once the operation is complete (1 DELETE)."""
    await store.delete([journal.key])


async def pending(store: ObjectStore, *, skip: str = "") -> list[Journal | str]:
    """Every journal left in the store but ``skip`` (an id), oldest first (an unreadable
    one as its key): 1 LIST, and 1 GET per journal found."""
    listing = await store.list_all(OPS, delimiter="/")
    found: list[Journal | str] = []
    for info in sorted(listing.objects, key=lambda o: o.key):
        id = layout.journal_id_of(info.key)
        if id is None or id == skip:
            continue
        try:
            found.append(Journal.from_json(id, (await store.get(info.key)).data))
        except NotFound:
            continue  # finished (or recovered by another server) meanwhile
        except (ValueError, KeyError, TypeError):
            found.append(info.key)
    return found


def is_stale(journal: Journal, older_than: timedelta, now: datetime | None = None) -> bool:
    """Whether no live server can still be running the operation: its lease has expired.

    A journal written before leases (no expiry) is stale once it started more than
    ``older_than`` ago. Hosts and process ids are never asked: they say nothing across
    machines, containers and PID namespaces.
    """
    now = now or datetime.now(timezone.utc)
    expires = journal.expires_at
    if expires is not None:
        return now > expires
    started = journal.started_at
    return started is None or now - started > older_than
