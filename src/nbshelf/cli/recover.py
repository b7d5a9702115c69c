"""``nbshelf recover``: finish or roll back folder renames and deletes left half-done.

A server killed in the middle of a folder rename or delete leaves its journal in
``.nbshelf/ops/``; this command reads each, looks at the store, does what is left
and prints what it did (see ``nbshelf.contents.folder_ops``).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

from ..contents import folder_ops
from ..stores import ObjectStore, StoreError
from ._common import add_store_options, fail, open_cli_store


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "recover",
        help="finish or roll back folder renames and deletes a crash interrupted",
        description="Each folder rename or delete writes a journal to .nbshelf/ops/ first "
        "and removes it when done. For each journal left: a rename whose copies all exist "
        "is finished (the sources left are deleted), one with missing copies is rolled back "
        "(the partial copies are deleted; the sources are intact); a delete is finished "
        "once its files are in the trash. A journal is also its operation's lease, renewed "
        "while the operation runs: one whose lease has not expired is left alone, whichever "
        "machine, container or process runs it.",
    )
    add_store_options(p)
    p.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    p.add_argument(
        "--rollback",
        action="store_true",
        help="undo interrupted renames instead of finishing them (keep the sources)",
    )
    p.add_argument(
        "--older-than",
        type=float,
        default=None,
        metavar="MINUTES",
        help="only journals older than this (default: every journal whose lease has "
        "expired, and every journal of an nbshelf without leases)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        store = open_cli_store(args.store, args.prefix)
        return asyncio.run(_run(store, args))
    except StoreError as e:
        return fail("recover", e)


async def _run(store: ObjectStore, args: argparse.Namespace) -> int:
    older = timedelta(minutes=args.older_than) if args.older_than is not None else None
    try:
        done = await folder_ops.recover(
            store,
            rollback=args.rollback,
            dry_run=args.dry_run,
            older_than=older,
            report_live=True,
        )
    finally:
        await store.close()
    if not [o for o in done if not isinstance(o, folder_ops.Running)]:
        print("Nothing to recover: no interrupted folder rename or delete.")
    for outcome in done:
        print(outcome if isinstance(outcome, str) else outcome.report())
    return 1 if any(isinstance(o, str) for o in done) else 0
