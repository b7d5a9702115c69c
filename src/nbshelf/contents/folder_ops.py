"""Moving and deleting files and folders in a store, and finishing what a crash interrupted.

An object store has no rename: a folder move is a copy of every object, then one bulk
delete of the sources once every copy exists; a folder delete is a copy of every file
into the trash, then one bulk delete. Either touches many objects, so before its first
copy it writes a journal (:mod:`.journal`) naming every key, and removes it once done,
checkpoints included. A journal left behind names an operation a crash interrupted:
:func:`recover` finishes it or rolls it back with the same steps, each idempotent
(copies rewrite the same target, deletes ignore missing keys), so a recovery cut
short in turn can run again.

A store that moves a folder whole (``SupportsTreeMove``: the local store, one
``os.rename``) moves it, or moves it into the trash, in one step instead, still under
the journal and its lease (which names no keys: the rename happened or it did not), and
its checkpoints follow with one more rename.

The contents manager decides what an HTTP request may do (existence, 404/409/400); this
module only does the store's part, so ``nbshelf recover`` and the manager share it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from tornado.web import HTTPError

from ..stores import NotFound, ObjectInfo, ObjectStore, PermissionDenied, StoreError, Unsupported
from ..stores.capabilities import SupportsTreeDelete, SupportsTreeMove
from . import journal, layout
from .checkpoints import MOVED_WHOLE, delete_checkpoints, move_checkpoints, trash_checkpoints
from .journal import Journal
from .locks import overlaps
from .lookup import Entry, entry_at, keys_under, objects_under
from .refused import undo_refused_move
from .trash import copy_to_trash

log = logging.getLogger("nbshelf")

#: How long a journal written before leases (no expiry) counts as live.
LEGACY_LIVE = timedelta(minutes=30)
#: Listed objects compared with what was copied between two turns of the event loop.
COMPARE_SLICE = 1024


@dataclass(frozen=True)
class Lease:
    """How long a folder operation's lease lasts; it is renewed every third of that."""

    seconds: float = 60.0


def moves_whole(store: ObjectStore) -> bool:
    """Whether the store moves a folder in one step (``SupportsTreeMove``): then
    :func:`move`, and :func:`delete` to the trash, need no listing of its keys
    (``lookup.entry_at(..., listed=False)``)."""
    return isinstance(store, SupportsTreeMove)


def deletes_whole(store: ObjectStore) -> bool:
    """Whether the store deletes a folder in one step (``SupportsTreeDelete``): then a
    folder deleted without the trash is neither listed nor journalled."""
    return isinstance(store, SupportsTreeDelete)


def move_pairs(entry: Entry, old: str, new: str) -> list[tuple[str, str]]:
    """The (source, copy) keys of moving what ``entry`` found at ``old`` to ``new``."""
    if entry.kind == "file":
        return [(old, new)]
    return [(k, new + k[len(old) :]) for k in entry.keys]


async def move(
    store: ObjectStore,
    old: str,
    new: str,
    entry: Entry,
    *,
    with_checkpoints: bool = True,
    lease: Lease | None = None,
) -> None:
    """Move the file or folder ``entry`` found at ``old`` to ``new``, its checkpoints too.

    Copies run concurrently (bounded by the store); the sources are deleted only once
    every copy exists. A failed copy deletes the copies already made, leaves every
    source intact and raises the store's error. More than one object: journalled and
    leased (409 if another server holds a live lease on an overlapping folder), and the
    sources are listed again before they are deleted, so that a file another server
    saved meanwhile is copied again rather than lost. On a store that moves folders
    whole: one rename (see :func:`_move_whole`).
    """
    if await _move_whole(store, old, new, entry, with_checkpoints, lease):
        return
    entry = await _listed(store, old, entry)
    pairs = move_pairs(entry, old, new)
    if len(pairs) == 1:
        await _copy_then_delete(store, pairs)
        if with_checkpoints:
            await move_checkpoints(store, old, new)
        return
    j = journal.new_journal("rename", old, new, pairs=pairs, lease_seconds=_seconds(lease))
    async with _leased(store, j, lease) as held:
        await _copy_then_delete(store, pairs, held, recheck=(old, new, entry.objects))
        if with_checkpoints:
            await move_checkpoints(store, old, new)


async def _copy_then_delete(
    store: ObjectStore,
    pairs: list[tuple[str, str]],
    held: _Held | None = None,
    *,
    recheck: tuple[str, str, list[ObjectInfo]] | None = None,
) -> None:
    await _copy_or_undo(store, pairs, held)
    if recheck is not None and held is not None:
        old, new, seen = recheck
        again = await _changed_since(store, old, seen)
        if again:  # saved by another server meanwhile: copy the newest version too
            more = [(k, new + k[len(old) :]) for k in again]
            known = {src for src, _ in held.journal.pairs}
            held.journal.pairs.extend(pair for pair in more if pair[0] not in known)
            await held.renew()  # the journal names every key before it is deleted
            await _copy_or_undo(store, more, None)
            pairs = [*pairs, *(pair for pair in more if pair[0] not in known)]
    if held is not None:
        await held.still_held("deleting the sources")
    try:
        await store.delete([src for src, _ in pairs])
    except PermissionDenied as e:  # copies landed, the sources may not be deleted
        denied, undone = await undo_refused_move(store, pairs, e)
        if held is not None and undone:
            held.undone = True  # nothing to recover: remove the journal
        raise denied from None


async def _copy_or_undo(
    store: ObjectStore, pairs: list[tuple[str, str]], held: _Held | None
) -> None:
    """Copy every pair; if one fails, delete the copies made and raise the failure (the
    journal, if any, is then removed: the sources were never touched)."""
    results = await store.copy_many(pairs, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if not failures:
        return
    made = [
        dst for (_, dst), r in zip(pairs, results, strict=True) if not isinstance(r, BaseException)
    ]
    try:
        await store.delete(made)
        if held is not None:
            held.undone = True
    except StoreError:
        log.warning("nbshelf: could not remove %d partial copies", len(made))
    raise failures[0]


async def _changed_since(store: ObjectStore, folder: str, listed: list[ObjectInfo]) -> list[str]:
    """The keys under ``folder`` that are new or changed since it was ``listed`` (1 LIST
    a page); a large folder compared a slice at a time, the event loop free between."""
    seen: dict[str, ObjectInfo] = {}
    for start in range(0, len(listed), COMPARE_SLICE):
        seen.update((o.key, o) for o in listed[start : start + COMPARE_SLICE])
        await asyncio.sleep(0)
    changed = []
    now = await objects_under(store, folder)
    for start in range(0, len(now), COMPARE_SLICE):  # the event loop gets a turn between
        for info in now[start : start + COMPARE_SLICE]:
            before = seen.get(info.key)
            if before is None or (before.etag, before.size, before.last_modified) != (
                info.etag,
                info.size,
                info.last_modified,
            ):
                changed.append(info.key)
        await asyncio.sleep(0)
    return changed


async def delete(
    store: ObjectStore,
    path: str,
    entry: Entry,
    *,
    to_trash: bool,
    with_checkpoints: bool = True,
    lease: Lease | None = None,
) -> None:
    """Delete the file or folder ``entry`` found at ``path``, its checkpoints too; with
    ``to_trash``, every file is first copied into a new trash batch. More than one
    object: journalled and leased (a crash leaves a file or an empty folder whole
    anyway), and with the trash, files saved meanwhile by another server are copied
    into the trash again before the delete. On a store that moves folders whole, into
    the trash with one rename (see :func:`_move_whole`)."""
    if to_trash and await _move_whole(store, path, "", entry, with_checkpoints, lease):
        return
    if not to_trash and await _delete_whole(store, path, entry, with_checkpoints):
        return
    entry = await _listed(store, path, entry)
    if entry.kind == "file" or len(entry.objects) == 1:
        keys = [path] if entry.kind == "file" else entry.keys
        if to_trash:
            await copy_to_trash(store, keys)
        await store.delete(keys)
        if with_checkpoints:
            await delete_checkpoints(store, path)
        return
    keys = entry.keys
    batch = layout.new_trash_batch() if to_trash else ""
    j = journal.new_journal("delete", path, keys=keys, trash=batch, lease_seconds=_seconds(lease))
    async with _leased(store, j, lease) as held:
        if batch:  # named first, in the journal, so recovery can check its copies
            await copy_to_trash(store, keys, batch)
            again = await _changed_since(store, path, entry.objects)
            if again:
                known = set(keys)
                j.keys.extend(k for k in again if k not in known)
                await held.renew()
                await copy_to_trash(store, again, batch)
                keys = list(j.keys)
        await held.still_held("deleting the files")
        await store.delete(keys)
        if with_checkpoints:
            await delete_checkpoints(store, path)


# ---------------------------------------------------------------- moves in one step
async def _delete_whole(
    store: ObjectStore, path: str, entry: Entry, with_checkpoints: bool
) -> bool:
    """Delete the folder ``entry`` in one step where the store can (the local store: one
    rename out of sight, then its files removed in a worker thread), its checkpoints'
    folder too. No journal: there is no moment at which part of it is deleted. False
    when the store cannot: nothing deleted, the caller deletes key by key."""
    if entry.kind != "folder" or not isinstance(store, SupportsTreeDelete):
        return False
    try:
        await store.delete_tree(path)
    except Unsupported:
        return False
    if with_checkpoints:
        try:
            await store.delete_tree(layout.checkpoint_folder(path).rstrip("/"))
        except NotFound:
            pass
        except Unsupported:
            await delete_checkpoints(store, path)
    return True


async def _move_whole(
    store: ObjectStore,
    old: str,
    new: str,
    entry: Entry,
    with_checkpoints: bool,
    lease: Lease | None,
) -> bool:
    """Move ``old`` to ``new`` (``new`` empty: into a new trash batch) with one rename,
    then its checkpoints with one more. A folder holds the lease (a journal naming no
    keys) throughout, as a copied one does: another server's overlapping operation is
    refused, and a crash between the two renames is finished by recovery. False when
    the store cannot (not such a store, or two filesystems): nothing moved, the caller
    copies."""
    if not isinstance(store, SupportsTreeMove):
        return False
    batch = "" if new else layout.new_trash_batch()
    target = new or layout.trash_key(batch, old)

    async def follow() -> None:
        if not with_checkpoints:
            return
        if batch:
            await trash_checkpoints(store, old, batch)
        else:
            await move_checkpoints(store, old, new)

    if entry.kind == "file":  # no journal, as for a copied file: it is never half-moved
        try:
            await store.move_tree(old, target)
        except Unsupported:
            return False
        await follow()
        return True
    op = "rename" if new else "delete"
    j = journal.new_journal(op, old, new, trash=batch, tree=True, lease_seconds=_seconds(lease))
    async with _leased(store, j, lease) as held:
        try:
            await store.move_tree(old, target)
        except Unsupported:
            return False  # the journal is removed: nothing was moved
        except StoreError:
            held.undone = True  # refused before anything moved: nothing to recover
            raise
        await follow()
    return True


async def _listed(store: ObjectStore, path: str, entry: Entry) -> Entry:
    """``entry`` with every key under the folder, listed now if it was found without."""
    if entry.listed:
        return entry
    found = await entry_at(store, path)
    if not found:
        raise NotFound(f"{path} is gone", store=store.description, key=path)
    return found


# ---------------------------------------------------------------- leases
class _Held:
    """A lease being held: ``renew()`` rewrites the journal now (its lease pushed on, its
    keys as they are); ``undone`` is set when a failed copy was cleanly undone.

    It also knows when its lease runs out (``deadline``, on this server's monotonic
    clock, from just before the expiry written was computed) and whether it ever did:
    a renewal that landed after the lease it renewed had run out (``lapsed``) leaves a
    moment in which recovery could rightly take the operation for abandoned. Before a
    step recovery must never race (deleting the sources) :meth:`still_held` refuses
    then, and the operation is left to recovery whole."""

    def __init__(self, store: ObjectStore, j: Journal, seconds: float, deadline: float) -> None:
        self.store, self.journal, self.seconds = store, j, seconds
        self.lock = asyncio.Lock()
        self.undone = False
        self.deadline = deadline
        self.lapsed = False

    async def renew(self) -> None:
        async with self.lock:  # one PUT of the journal at a time, never after the end
            started = time.monotonic()
            await journal.renew(self.store, self.journal, self.seconds)
            if time.monotonic() > self.deadline:
                self.lapsed = True  # in the store it had expired before this landed
            else:
                self.deadline = started + self.seconds

    async def still_held(self, step: str) -> None:
        """Make sure the lease is held, with a third of it left at least, before
        ``step``; else raise 503 and leave the journal for recovery."""
        if not self.lapsed and self.deadline - time.monotonic() < self.seconds / 3:
            await self.renew()
        if self.lapsed or time.monotonic() >= self.deadline:
            self.lapsed = True
            log.warning(
                "nbshelf: the lease of %s ran out before %s: left to recovery",
                self.journal.describe(),
                step,
            )
            raise HTTPError(
                503,
                f"{self.journal.describe()} took longer than its lease "
                f"({self.seconds:g} s) and was stopped before {step}: nothing is lost; "
                "once the lease has expired, `nbshelf recover` (or a server started on "
                "this store) finishes or undoes it",
            )


def _seconds(lease: Lease | None) -> float:
    return (lease or Lease()).seconds


@asynccontextmanager
async def _leased(store: ObjectStore, j: Journal, lease: Lease | None) -> AsyncIterator[_Held]:
    """Write the journal (the lease), refuse with 409 if another live operation holds an
    overlapping folder, renew the lease every third of it while the block runs, and
    remove the journal at the end, or after an error that left nothing to recover (a
    failed copy cleanly undone); any other error leaves it, for recovery once the lease
    has expired."""
    seconds = _seconds(lease)
    deadline = time.monotonic() + seconds
    j.extend_lease(seconds)  # the expiry written counts from now, as the deadline does
    await journal.begin(store, j)
    try:
        rival = await _rival(store, j)
    except BaseException:
        await journal.end(store, j)
        raise
    if rival is not None:
        await journal.end(store, j)
        verb = "moved" if rival.op == "rename" else "deleted"
        raise HTTPError(
            409,
            f"{rival.source} is being {verb} by another server (until {rival.expires} at "
            "the latest); try again when it is done",
        )
    held = _Held(store, j, seconds, deadline)
    stop = asyncio.Event()

    async def keep_renewing() -> None:
        while True:
            try:
                await asyncio.wait_for(stop.wait(), seconds / 3)
                return
            except asyncio.TimeoutError:
                pass
            try:
                await held.renew()
            except StoreError as e:
                log.warning("nbshelf: could not renew the lease of %s: %s", j.describe(), e)

    task = asyncio.create_task(keep_renewing())
    finished = False
    try:
        yield held
        finished = True
    finally:
        stop.set()
        await task  # a renewal in flight lands before the journal is removed
        if finished or held.undone:
            async with held.lock:
                await journal.end(store, j)


async def _rival(store: ObjectStore, j: Journal) -> Journal | None:
    """Another live operation on an overlapping folder (1 LIST of the journals, 1 GET
    each). Every operation writes its journal before it looks, so of two racing ones
    the later to look always sees the other: at most one proceeds (both may yield)."""
    for other in await journal.pending(store, skip=j.id):
        if isinstance(other, str) or journal.is_stale(other, LEGACY_LIVE):
            continue
        if any(overlaps(a, b) for a in j.trees for b in other.trees):
            return other
    return None


# ---------------------------------------------------------------- recovery
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


@dataclass
class Running:
    """A journal whose lease has not expired: its operation may still be running."""

    journal: Journal

    def report(self) -> str:
        until = self.journal.expires_at
        when = f"{until:%Y-%m-%d %H:%M:%S} UTC" if until else "?"
        return (
            f"{self.journal.id}: {self.journal.describe()}: running (its lease runs until "
            f"{when}), left alone"
        )

    def __str__(self) -> str:
        return self.report()


async def _existing(store: ObjectStore, folder: str) -> set[str]:
    return set(await keys_under(store, folder)) if folder else set()


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
    moved = await move_checkpoints(store, j.source, j.destination, dry_run=dry_run)
    if moved:
        out.lines.append(f"moved {moved} checkpoint(s) to {j.destination}")
    return out


async def recover_delete(store: ObjectStore, j: Journal, dry_run: bool = False) -> Outcome:
    """Finish a delete whose trash copies exist (or that had no trash); if a file
    still there has no trash copy, roll back (remove the partial trash batch)."""
    sources = await _existing(store, j.source)
    out = Outcome(j, "")
    left = [k for k in j.keys if k in sources]
    if j.trash:
        listing = await store.list_all(layout.trash_folder(j.trash), delimiter=None)
        trashed = {o.key for o in listing.objects if not o.is_dir_marker}
        files = [k for k in left if not k.endswith("/")]
        unsaved = [k for k in files if layout.trash_key(j.trash, k) not in trashed]
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
    dropped = await delete_checkpoints(store, j.source, dry_run=dry_run)
    if dropped:
        out.lines.append(f"deleted {dropped} checkpoint(s) of {j.source}")
    return out


async def _there(store: ObjectStore, path: str) -> bool:
    return bool(await entry_at(store, path, listed=False))


async def recover_whole(
    store: ObjectStore, j: Journal, rollback: bool = False, dry_run: bool = False
) -> Outcome:
    """A rename or delete done with one rename of the folder: it happened (its target
    exists) or it did not (nothing to do). Once it happened, finish: the checkpoints
    follow (again: their move is one rename, or idempotent copies); ``rollback`` moves a
    renamed folder back when its old path is still free."""
    target = j.destination if j.op == "rename" else layout.trash_key(j.trash, j.source)
    out = Outcome(j, "")
    if not await _there(store, target):
        out.action = "rolled back"
        out.lines.append(f"{j.source} was never moved; nothing to do")
        return out
    if j.op == "delete":
        out.action = "finished"
        out.lines.append(f"{j.source} is in the trash at {j.trash}/")
        if not dry_run and isinstance(store, SupportsTreeMove):
            await trash_checkpoints(store, j.source, j.trash)
        elif not dry_run:
            await delete_checkpoints(store, j.source)
        return out
    if rollback and not await _there(store, j.source) and isinstance(store, SupportsTreeMove):
        out.action = "rolled back"
        out.lines.append(f"moved {j.destination} back to {j.source}")
        if not dry_run:
            await move_checkpoints(store, j.source, j.destination)  # together first
            await store.move_tree(j.destination, j.source)
            await move_checkpoints(store, j.destination, j.source)
        return out
    out.action = "finished"
    moved = await move_checkpoints(store, j.source, j.destination, dry_run=dry_run)
    if moved:
        count = "the" if moved == MOVED_WHOLE else str(moved)
        out.lines.append(f"moved {count} checkpoint(s) to {j.destination}")
    return out


async def recover(
    store: ObjectStore,
    *,
    rollback: bool = False,
    dry_run: bool = False,
    older_than: timedelta | None = None,
    legacy_after: timedelta | None = None,
    report_live: bool = False,
) -> list[Outcome | Running | str]:
    """Recover every journal whose lease has expired, and remove it; returns what was
    done per journal (an unreadable journal is left, as a line; with ``report_live``,
    a live one too). ``older_than``: only journals that started that long ago. A journal
    written before leases (no expiry) is recovered only once it started ``legacy_after``
    ago, when that is given."""
    results: list[Outcome | Running | str] = []
    now = datetime.now(timezone.utc)
    for j in await journal.pending(store):
        if isinstance(j, str):
            results.append(f"{j}: unreadable journal, left in place")
            continue
        if j.expires_at is not None and not journal.is_stale(j, LEGACY_LIVE, now=now):
            if report_live:
                results.append(Running(j))
            continue
        started = j.started_at
        age = now - started if started is not None else None
        if older_than is not None and age is not None and age <= older_than:
            continue
        legacy = j.expires_at is None and legacy_after is not None
        if legacy and age is not None and legacy_after is not None and age <= legacy_after:
            continue
        if j.tree:
            outcome = await recover_whole(store, j, rollback=rollback, dry_run=dry_run)
        elif j.op == "rename":
            outcome = await recover_rename(store, j, rollback=rollback, dry_run=dry_run)
        else:
            outcome = await recover_delete(store, j, dry_run=dry_run)
        if dry_run:
            outcome.action = f"would be {outcome.action}"
        else:
            await journal.end(store, j)
        results.append(outcome)
    return results
