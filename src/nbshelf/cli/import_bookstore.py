"""``nbshelf import-bookstore``: copy a container in the original Bookstore's layout into
nbshelf's, without deleting anything (the work is done by ``nbshelf.bookstore.importer``)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..bookstore.importer import run_import
from ..stores import StoreError
from ._common import fail


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "import-bookstore",
        help="copy notebooks from the original Bookstore's layout into nbshelf's",
        description=(
            "Copy a container written by Bookstore (objects named by notebook id, the name in "
            "X-Object-Meta-Nbname, checkpoints under {id}/checkpoints/{id}) into nbshelf's "
            "layout (<name>.ipynb, checkpoints under .nbshelf/checkpoints/). Originals are "
            "never deleted; a second run skips what is already imported. Credentials come "
            "from the environment (ST_AUTH/ST_USER/ST_KEY, OS_*)."
        ),
    )
    p.add_argument("source", metavar="SOURCE", help="the Bookstore container: swift://container")
    p.add_argument(
        "--to",
        dest="target",
        default=None,
        metavar="URL",
        help="where to write (default: the same container, e.g. swift://container)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    p.add_argument(
        "--on-collision",
        choices=("rename", "skip"),
        default="rename",
        help="a name already taken: append the notebook id's first 8 characters "
        "(rename, default) or leave the notebook out (skip)",
    )
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(
            run_import(args.source, args.target or args.source, args.dry_run, args.on_collision)
        )
    except StoreError as e:
        return fail("import-bookstore", e)
