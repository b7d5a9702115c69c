"""The ``nbshelf`` command: one module per sub-command, each with a ``register``.

The commands sit on top of everything else: they may import any nbshelf package;
nothing imports them but the console script (and the service's launcher).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._version import __version__

#: Modules that add a sub-command: each has ``register(subparsers)`` setting ``func``.
COMMAND_MODULES = (
    "nbshelf.cli.serve",
    "nbshelf.cli.service",
    "nbshelf.cli.import_bookstore",
    "nbshelf.cli.trash",
    "nbshelf.cli.recover",
    "nbshelf.cli.share",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nbshelf",
        description="Jupyter notebooks in object storage, shared by link, served always on.",
    )
    parser.add_argument("--version", action="version", version=f"nbshelf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if extra and not getattr(args, "accepts_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
