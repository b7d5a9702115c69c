"""The journal of a folder rename or delete: the record ``.nbshelf/ops/<id>.json``.

A folder rename is many copies then one bulk delete; a folder delete is copies into
the trash then one bulk delete. A server killed half-way leaves both trees, or a
partial copy. So before its first copy :mod:`.folder_ops` writes a small journal
(1 PUT) naming every key it will touch, and removes it when done (1 DELETE). A journal
that is still there names an operation that did not finish; recovery (in
:mod:`.folder_ops`) reads it here.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..stores import NotFound, ObjectStore
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

    @property
    def key(self) -> str:
        return layout.journal_key(self.id)

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "version": 1,
            "op": self.op,
            "source": self.source,
            "destination": self.destination,
            "pairs": [list(p) for p in self.pairs],
            "keys": self.keys,
            "trash": self.trash,
            "started": self.started,
            "host": self.host,
            "pid": self.pid,
        }
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

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
        )

    @property
    def started_at(self) -> datetime | None:
        return layout.parse_stamp(self.started)

    def describe(self) -> str:
        if self.op == "rename":
            return f"rename {self.source} -> {self.destination} ({len(self.pairs)} objects)"
        return f"delete {self.source} ({len(self.keys)} objects)"


def new_journal(op: str, source: str, destination: str = "", **kw: Any) -> Journal:
    journal_id = layout.new_journal_id()
    return Journal(
        op=op,
        source=source,
        destination=destination,
        started=journal_id.partition("-")[0],
        host=socket.gethostname(),
        pid=os.getpid(),
        id=journal_id,
        **kw,
    )


async def begin(store: ObjectStore, journal: Journal) -> Journal:
    """Write the journal before the operation's first copy (1 PUT)."""
    await store.put(journal.key, journal.to_json(), content_type="application/json")
    return journal


async def end(store: ObjectStore, journal: Journal) -> None:
    """Remove the journal once the operation is complete (1 DELETE)."""
    await store.delete([journal.key])


async def pending(store: ObjectStore) -> list[Journal | str]:
    """Every journal left in the store, oldest first (an unreadable one as its key)."""
    listing = await store.list_all(OPS, delimiter="/")
    found: list[Journal | str] = []
    for info in sorted(listing.objects, key=lambda o: o.key):
        id = layout.journal_id_of(info.key)
        if id is None:
            continue
        try:
            found.append(Journal.from_json(id, (await store.get(info.key)).data))
        except NotFound:
            continue  # finished (or recovered by another server) meanwhile
        except (ValueError, KeyError, TypeError):
            found.append(info.key)
    return found


def is_stale(journal: Journal, older_than: timedelta, now: datetime | None = None) -> bool:
    """Whether no live server can still be running the operation: its process is gone
    (same host), or it started more than ``older_than`` ago (any host)."""
    if journal.host == socket.gethostname() and journal.pid > 0:
        try:
            os.kill(journal.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, another user's
    started = journal.started_at
    now = now or datetime.now(timezone.utc)
    return started is None or now - started > older_than
