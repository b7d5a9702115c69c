"""Journals of folder renames and deletes: ``.nbshelf/ops/<id>.json``.

A folder rename is many copies then one bulk delete; a folder delete is copies into
the trash then one bulk delete. A server killed half-way leaves both trees, or a
partial copy. So before its first copy the manager writes a small journal (1 PUT)
naming every key it will touch, and removes it when done (1 DELETE). A journal that
is still there names an operation that did not finish: :func:`recover` looks at the
store and finishes it or rolls it back (``nbshelf recover``, or the manager itself
on its first request for journals whose server is gone).

Every step of recovery is idempotent (copies rewrite the same target, deletes ignore
missing keys), so a recovery interrupted in turn can be run again.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..stores import NotFound, ObjectStore
from . import paths

OPS = f"{paths.INTERNAL_DIR}/ops/"
_STAMP = "%Y%m%dT%H%M%S%fZ"


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
        return f"{OPS}{self.id}.json"

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
        try:
            return datetime.strptime(self.started, _STAMP).replace(tzinfo=timezone.utc)
        except ValueError:
            return None

    def describe(self) -> str:
        if self.op == "rename":
            return f"rename {self.source} -> {self.destination} ({len(self.pairs)} objects)"
        return f"delete {self.source} ({len(self.keys)} objects)"


def new_journal(op: str, source: str, destination: str = "", **kw: Any) -> Journal:
    now = datetime.now(timezone.utc).strftime(_STAMP)
    return Journal(
        op=op,
        source=source,
        destination=destination,
        started=now,
        host=socket.gethostname(),
        pid=os.getpid(),
        id=f"{now}-{secrets.token_hex(3)}",
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
        if info.is_dir_marker or not info.key.endswith(".json"):
            continue
        id = info.key[len(OPS) : -len(".json")]
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


@dataclass
class Outcome:
    """What recovery did to one journal, for the report."""

    journal: Journal
    action: str  # "finished" | "rolled back" | "nothing to do"
    lines: list[str] = field(default_factory=list)

    def report(self) -> str:
        head = f"{self.journal.id}: {self.journal.describe()}: {self.action}"
        return "\n".join([head, *(f"  {line}" for line in self.lines)])

    def __str__(self) -> str:
        return self.report()


async def _existing(store: ObjectStore, folder: str) -> set[str]:
    if not folder:
        return set()
    listing = await store.list_all(paths.marker(folder), delimiter=None)
    return {o.key for o in listing.objects}


async def _move_checkpoints(store: ObjectStore, old: str, new: str, dry_run: bool) -> int:
    """Checkpoints follow a folder rename after its objects: a crash before that left
    them under the old name."""
    base = paths.CHECKPOINTS
    listing = await store.list_all(f"{base}{old}/", delimiter=None)
    keys = [o.key for o in listing.objects]
    if keys and not dry_run:
        await store.copy_many((k, f"{base}{new}/" + k[len(base + old) + 1 :]) for k in keys)
        await store.delete(keys)
    return len(keys)


async def _delete_checkpoints(store: ObjectStore, folder: str, dry_run: bool) -> int:
    listing = await store.list_all(f"{paths.CHECKPOINTS}{folder}/", delimiter=None)
    keys = [o.key for o in listing.objects]
    if keys and not dry_run:
        await store.delete(keys)
    return len(keys)


async def recover_rename(
    store: ObjectStore, j: Journal, rollback: bool = False, dry_run: bool = False
) -> Outcome:
    """Finish a rename whose copies all exist, else roll it back; once sources are
    gone (the deletes had begun) always finish, copying back if rolling back."""
    sources = await _existing(store, j.source)
    copies = await _existing(store, j.destination)
    missing = [(s, d) for s, d in j.pairs if d not in copies]
    gone = [(s, d) for s, d in j.pairs if s not in sources]
    lost = [s for s, d in j.pairs if s not in sources and d not in copies]
    out = Outcome(j, "")
    if lost:
        out.lines.append(f"{len(lost)} object(s) exist neither at the source nor the copy")
    if rollback:
        back = [(d, s) for s, d in gone if d in copies]
        made = [d for _, d in j.pairs if d in copies]
        out.action = "rolled back"
        out.lines.append(f"copied back {len(back)} object(s) already moved")
        out.lines.append(f"deleted {len(made)} copie(s) under {j.destination}")
        if not dry_run:
            if back:
                await store.copy_many(back)
            await store.delete(made)
        return out
    if missing and not gone:  # the copies never completed: the sources are whole
        made = [d for _, d in j.pairs if d in copies]
        out.action = "rolled back"
        out.lines.append(
            f"{len(missing)} of {len(j.pairs)} copies were missing; deleted the "
            f"{len(made)} partial copie(s); {j.source} is intact"
        )
        if not dry_run:
            await store.delete(made)
        return out
    redo = [(s, d) for s, d in missing if s in sources]
    left = [s for s, _ in j.pairs if s in sources]
    out.action = "finished"
    if redo:
        out.lines.append(f"copied {len(redo)} missing object(s)")
    out.lines.append(f"deleted {len(left)} source object(s) left under {j.source}")
    if not dry_run:
        if redo:
            await store.copy_many(redo)
        await store.delete(left)
    moved = await _move_checkpoints(store, j.source, j.destination, dry_run)
    if moved:
        out.lines.append(f"moved {moved} checkpoint(s) to {j.destination}")
    return out


async def recover_delete(store: ObjectStore, j: Journal, dry_run: bool = False) -> Outcome:
    """Finish a delete whose trash copies exist (or that had no trash); if a file
    still there has no trash copy, roll back (remove the partial trash batch)."""
    from .trash import trash_key

    sources = await _existing(store, j.source)
    out = Outcome(j, "")
    left = [k for k in j.keys if k in sources]
    if j.trash:
        batch = f"{paths.TRASH}{j.trash}"
        listing = await store.list_all(batch + "/", delimiter=None)
        trashed = {o.key for o in listing.objects if not o.is_dir_marker}
        files = [k for k in left if not k.endswith("/")]
        unsaved = [k for k in files if trash_key(j.trash, k) not in trashed]
        if unsaved:
            out.action = "rolled back"
            out.lines.append(
                f"{len(unsaved)} file(s) had no copy in the trash yet: deleted the "
                f"{len(trashed)} partial trash copie(s); {j.source} is intact"
            )
            if not dry_run and trashed:
                await store.delete(sorted(trashed))
            return out
        out.lines.append(f"{len(trashed)} file(s) are in the trash at {j.trash}/")
    out.action = "finished"
    out.lines.append(f"deleted {len(left)} object(s) left under {j.source}")
    if not dry_run:
        await store.delete(left)
    dropped = await _delete_checkpoints(store, j.source, dry_run)
    if dropped:
        out.lines.append(f"deleted {dropped} checkpoint(s) of {j.source}")
    return out


async def recover(
    store: ObjectStore,
    *,
    rollback: bool = False,
    dry_run: bool = False,
    older_than: timedelta | None = None,
) -> list[Outcome | str]:
    """Recover every journal (only stale ones when ``older_than`` is given) and remove
    it; returns what was done per journal (an unreadable journal is left, as a line)."""
    results: list[Outcome | str] = []
    for j in await pending(store):
        if isinstance(j, str):
            results.append(f"{j}: unreadable journal, left in place")
            continue
        if older_than is not None and not is_stale(j, older_than):
            continue
        if j.op == "rename":
            outcome = await recover_rename(store, j, rollback=rollback, dry_run=dry_run)
        else:
            outcome = await recover_delete(store, j, dry_run=dry_run)
        if dry_run:
            outcome.action = f"would be {outcome.action}"
        else:
            await end(store, j)
        results.append(outcome)
    return results
