"""Moving and deleting files and folders in a store, and finishing what a crash interrupted.

An object store has no rename: a folder move is a copy of every object, then one bulk
delete of the sources once every copy exists; a folder delete is a copy of every file
into the trash, then one bulk delete. Either touches many objects, so before its first
copy it writes a journal (:mod:`.journal`) naming every key, and removes it once done,
checkpoints included. A journal left behind names an operation a crash interrupted:
:func:`recover` finishes it or rolls it back with the same steps, each idempotent
(copies rewrite the same target, deletes ignore missing keys), so a recovery cut
short in turn can run again.

The contents manager decides what an HTTP request may do (existence, 404/409/400); this
module only does the store's part, so ``nbshelf recover`` and the manager share it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from ..stores import ObjectStore, StoreError
from . import journal, layout
from .checkpoints import delete_checkpoints, move_checkpoints
from .journal import Journal
from .lookup import Entry, keys_under
from .trash import copy_to_trash

log = logging.getLogger("nbshelf")


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
) -> None:
    """Move the file or folder ``entry`` found at ``old`` to ``new``, its checkpoints too.

    Copies run concurrently (bounded by the store); the sources are deleted only once
    every copy exists. A failed copy deletes the copies already made, leaves every
    source intact and raises the store's error. More than one object: journalled.
    """
    pairs = move_pairs(entry, old, new)
    op = None
    if len(pairs) > 1:  # a crash among the copies would leave a partial folder
        op = await journal.begin(store, journal.new_journal("rename", old, new, pairs=pairs))
    await _copy_then_delete(store, pairs, op)
    if with_checkpoints:
        await move_checkpoints(store, old, new)
    if op is not None:
        await journal.end(store, op)


async def _copy_then_delete(
    store: ObjectStore, pairs: list[tuple[str, str]], op: Journal | None
) -> None:
    results = await store.copy_many(pairs, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        made = [
            dst
            for (_, dst), r in zip(pairs, results, strict=True)
            if not isinstance(r, BaseException)
        ]
        try:
            await store.delete(made)
            if op is not None:
                await journal.end(store, op)
        except StoreError:
            log.warning("nbshelf: could not remove %d partial copies", len(made))
        raise failures[0]
    await store.delete([src for src, _ in pairs])


async def delete(
    store: ObjectStore,
    path: str,
    entry: Entry,
    *,
    to_trash: bool,
    with_checkpoints: bool = True,
) -> None:
    """Delete the file or folder ``entry`` found at ``path``, its checkpoints too; with
    ``to_trash``, every file is first copied into a new trash batch. More than one
    object: journalled (a crash leaves a file or an empty folder whole anyway)."""
    keys = [path] if entry.kind == "file" else list(entry.keys)
    op = None
    if len(keys) > 1:
        batch = layout.new_trash_batch() if to_trash else ""
        op = await journal.begin(store, journal.new_journal("delete", path, keys=keys, trash=batch))
        if batch:  # named first, in the journal, so recovery can check its copies
            await copy_to_trash(store, keys, batch)
    elif to_trash:
        await copy_to_trash(store, keys)
    await store.delete(keys)
    if with_checkpoints:
        await delete_checkpoints(store, path)
    if op is not None:
        await journal.end(store, op)


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
    for j in await journal.pending(store):
        if isinstance(j, str):
            results.append(f"{j}: unreadable journal, left in place")
            continue
        if older_than is not None and not journal.is_stale(j, older_than):
            continue
        if j.op == "rename":
            outcome = await recover_rename(store, j, rollback=rollback, dry_run=dry_run)
        else:
            outcome = await recover_delete(store, j, dry_run=dry_run)
        if dry_run:
            outcome.action = f"would be {outcome.action}"
        else:
            await journal.end(store, j)
        results.append(outcome)
    return results
