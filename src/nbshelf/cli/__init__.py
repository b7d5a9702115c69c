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
    try:
        return int(args.func(args) or 0)
    except Exception as e:
        message = _user_error(e)
        if message is None:
            raise
        # a bad path or argument the command did not catch itself: one line, no traceback
        print(f"nbshelf {args.command}: error: {message}", file=sys.stderr)
        return 2


def _user_error(e: Exception) -> str | None:
    """The message of an error in what the user gave (a bad path, an invalid key);
    None for anything else (a bug keeps its traceback)."""
    from tornado.web import HTTPError

    from ..share.models import ShareError
    from ..stores import InvalidKey

    if isinstance(e, HTTPError) and e.status_code < 500:
        return str(e.log_message or e)
    if isinstance(e, ShareError) and e.status < 500:
        return e.message
    if isinstance(e, InvalidKey | UnicodeError):
        return str(e)
    return None


if __name__ == "__main__":
    sys.exit(main())
