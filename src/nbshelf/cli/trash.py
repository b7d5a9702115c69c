"""``nbshelf trash list | restore | empty``: get back what was deleted."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

from ..contents import trash
from ..stores import ObjectStore, StoreError
from ._common import add_store_options, fail, open_cli_store


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "trash",
        help="list, restore or empty deleted files",
        description="Deleted notebooks and folders wait in the store's .nbshelf/trash/.",
    )
    add_store_options(p)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list trashed files, newest first")
    r = actions.add_parser("restore", help="restore a file or folder from the trash")
    r.add_argument("ref", help="BATCH/PATH as 'nbshelf trash list' prints it")
    r.add_argument("--to", default=None, help="restore under another path")
    r.add_argument("--overwrite", action="store_true", help="replace existing files")
    e = actions.add_parser("empty", help="delete trashed files for good")
    e.add_argument("--older-than", type=int, default=None, metavar="DAYS")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        store = open_cli_store(args.store, args.prefix)
        return asyncio.run(_run(store, args))
    except (StoreError, ValueError, FileNotFoundError, FileExistsError) as e:
        return fail("trash", e)


async def _run(store: ObjectStore, args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            items = await trash.list_trash(store)
            if not items:
                print("The trash is empty.")
            for item in items:
                when = item.deleted.strftime("%Y-%m-%d %H:%M:%S UTC") if item.deleted else "?"
                print(f"{when}  {item.size:>10}  {item.ref}")
        elif args.action == "restore":
            for path in await trash.restore(store, args.ref, args.to, args.overwrite):
                print(f"restored {path}")
        elif args.action == "empty":
            older = timedelta(days=args.older_than) if args.older_than is not None else None
            print(f"deleted {await trash.purge(store, older)} file(s) for good")
        return 0
    finally:
        await store.close()
