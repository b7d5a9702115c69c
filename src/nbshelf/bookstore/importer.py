"""Bring a container in the original Bookstore's layout into
nbshelf's, without deleting anything.

Bookstore (IPython 1-2) named each notebook object by the notebook's id and kept its
name in ``X-Object-Meta-Nbname``; checkpoints were ``{id}/checkpoints/{checkpoint_id}``.
nbshelf keeps ``<name>.ipynb`` and ``.nbshelf/checkpoints/<name>.ipynb/<id>``. The
bytes are copied as they are (old nbformat v3 notebooks are upgraded when opened), each
copy marked with ``X-Object-Meta-Bookstore-Id`` so that a second run skips what the
first one brought over instead of duplicating it. Two notebooks with one name (or a
name already taken by another object) get the first 8 characters of their id appended:
``Analysis-77aa1b2c.ipynb``; ``--on-collision skip`` leaves them out instead.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any

from ..contents.layout import checkpoint_folder
from ..stores import NotFound, ObjectStore, open_store

META_NAME = "nbname"  # X-Object-Meta-Nbname
META_ORIGIN = "bookstore-id"  # X-Object-Meta-Bookstore-Id, on what this command writes
_CHECKPOINTS = "/checkpoints/"


@dataclass
class Checkpoint:
    source: str
    target: str


@dataclass
class Item:
    """One Bookstore notebook and what becomes of it."""

    source: str  # the notebook id (object name)
    name: str  # from X-Object-Meta-Nbname
    target: str | None  # None: skipped
    note: str = ""
    checkpoints: list[Checkpoint] = field(default_factory=list)


@dataclass
class Plan:
    items: list[Item] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (object, why)

    def lines(self) -> list[str]:
        out: list[str] = []
        for it in self.items:
            if it.target is None:
                out.append(f"skip      {it.source} {it.name!r}: {it.note}")
                continue
            note = f"  ({it.note})" if it.note else ""
            out.append(f"notebook  {it.source} {it.name!r} -> {it.target}{note}")
            for cp in it.checkpoints:
                out.append(f"  checkpoint {cp.source} -> {cp.target}")
        for key, why in self.ignored:
            out.append(f"ignored   {key}: {why}")
        todo = [it for it in self.items if it.target is not None]
        out.append(
            f"{len(todo)} notebook(s) and {sum(len(it.checkpoints) for it in todo)} "
            f"checkpoint(s) to copy, {len(self.items) - len(todo)} skipped, "
            f"{len(self.ignored)} other object(s) ignored; nothing is deleted"
        )
        return out


def notebook_name(raw: str) -> str:
    """A file name from Bookstore's notebook name: no slashes, ending ``.ipynb``."""
    name = raw.strip().replace("/", "-").replace("\\", "-") or "Untitled"
    if name.startswith("."):
        name = "_" + name[1:]
    return name if name.endswith(".ipynb") else name + ".ipynb"


def checkpoint_id(old_id: str, info_time: Any) -> str:
    """A sortable nbshelf checkpoint id: the old checkpoint's time, then its old id."""
    short = re.sub(r"[^0-9A-Za-z]", "", old_id)[:8] or "old"
    return f"{info_time.strftime('%Y%m%dT%H%M%S%f')}Z-{short}"


async def make_plan(source: ObjectStore, target: ObjectStore, on_collision: str = "rename") -> Plan:
    """Read the source (one LIST per page, one HEAD per notebook) and decide every copy."""
    plan = Plan()
    listing = await source.list_all("", delimiter=None)
    objects = [o for o in listing.objects if not o.key.startswith(".nbshelf/")]
    notebooks = [o for o in objects if "/" not in o.key]
    checkpoints: dict[str, list[Any]] = {}
    for o in objects:
        nb_id, sep, cp_id = o.key.partition(_CHECKPOINTS)
        if sep and "/" not in nb_id and cp_id and "/" not in cp_id:
            checkpoints.setdefault(nb_id, []).append(o)
        elif "/" in o.key:
            plan.ignored.append((o.key, "not in Bookstore's layout"))
    taken: set[str] = set()
    for o in sorted(notebooks, key=lambda o: o.key):
        info = await source.head(o.key)
        raw = info.metadata.get(META_NAME)
        if raw is None and META_ORIGIN in info.metadata:
            continue  # written by an earlier import into this same container
        if raw is None:
            plan.ignored.append((o.key, "no X-Object-Meta-Nbname: not a Bookstore notebook"))
            continue
        name = notebook_name(raw)
        item = Item(source=o.key, name=raw, target=name)
        existing = await _origin(target, name)
        renamed = f"{name[: -len('.ipynb')]}-{re.sub(r'[^0-9A-Za-z]', '', o.key)[:8]}.ipynb"
        if _same(existing, o.key):
            item.target, item.note = None, f"already imported as {name}"
        elif name in taken or existing is not None:
            why = (
                "another Bookstore notebook has this name"
                if name in taken
                else (f"{name} already exists")
            )
            if on_collision == "skip":
                item.target, item.note = None, why
            elif _same(await _origin(target, renamed), o.key):
                item.target, item.note = None, f"already imported as {renamed}"
            else:
                item.target, item.note = renamed, f"renamed: {why}"
        if item.target is not None:
            taken.add(item.target)
            for cp in sorted(checkpoints.get(o.key, []), key=lambda c: c.last_modified):
                old_id = cp.key.rsplit("/", 1)[1]
                item.checkpoints.append(
                    Checkpoint(
                        cp.key,
                        checkpoint_folder(item.target) + checkpoint_id(old_id, cp.last_modified),
                    )
                )
        plan.items.append(item)
    for nb_id, cps in checkpoints.items():
        if nb_id not in {o.key for o in notebooks}:
            plan.ignored.extend((c.key, "checkpoint of a notebook that is not there") for c in cps)
    return plan


def _same(origin: str | None, notebook_id: str) -> bool:
    """Whether a target object came from this notebook (or, restored, from one of its
    checkpoints: a restore copies the checkpoint's metadata too)."""
    return origin is not None and (
        origin == notebook_id or origin.startswith(notebook_id + _CHECKPOINTS)
    )


async def _origin(target: ObjectStore, name: str) -> str | None:
    """The Bookstore id an existing target object was imported from ('' if another file)."""
    try:
        info = await target.head(name)
    except NotFound:
        return None
    return info.metadata.get(META_ORIGIN, "")


async def apply_plan(source: ObjectStore, target: ObjectStore, plan: Plan) -> int:
    """Copy (GET + PUT: the stores may differ); the notebook after its checkpoints, so a
    notebook that shows up has its history with it. Never deletes."""
    copied = 0
    for it in plan.items:
        if it.target is None:
            continue
        for cp in it.checkpoints:
            got = await source.get(cp.source)
            await target.put(
                cp.target,
                got.data,
                content_type="application/x-ipynb+json",
                metadata={META_ORIGIN: cp.source},
            )
        got = await source.get(it.source)
        await target.put(
            it.target,
            got.data,
            content_type="application/x-ipynb+json",
            metadata={META_ORIGIN: it.source},
        )
        copied += 1
    return copied


async def run_import(
    source_url: str, target_url: str, dry_run: bool, on_collision: str, out: Any = None
) -> int:
    out = out or sys.stdout
    source = open_store(source_url)
    target = open_store(target_url) if target_url != source_url else source
    try:
        plan = await make_plan(source, target, on_collision)
        for line in plan.lines():
            print(line, file=out)
        if dry_run:
            print("dry run: nothing written", file=out)
            return 0
        copied = await apply_plan(source, target, plan)
        print(f"imported {copied} notebook(s) into {target.description}", file=out)
        return 0
    finally:
        await source.close()
        if target is not source:
            await target.close()
