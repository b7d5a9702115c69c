"""What every command that opens a store shares: ``--store``/``--prefix``, ``$NBSHELF_STORE``,
opening the store, and turning an error into one line on stderr."""

from __future__ import annotations

import argparse
import os
import sys

from ..stores import ENV_STORE, ObjectStore, open_store


def default_store() -> str:
    return os.environ.get(ENV_STORE, "")


def add_store_options(
    p: argparse.ArgumentParser,
    *,
    store_help: str = f"the store (default: ${ENV_STORE} or the current directory)",
    prefix_help: str | None = "the key prefix inside the store, if any",
) -> None:
    """``--store URL`` (default ``$NBSHELF_STORE``) and, unless ``prefix_help`` is None,
    ``--prefix``."""
    p.add_argument("--store", default=default_store(), metavar="URL", help=store_help)
    if prefix_help is not None:
        p.add_argument("--prefix", default="", help=prefix_help)


def open_cli_store(url: str, prefix: str = "") -> ObjectStore:
    """The store a command works on: ``url``, else the current directory."""
    store = open_store(url or os.getcwd())
    return store.with_prefix(prefix) if prefix else store


def fail(command: str, error: object) -> int:
    """One line on stderr, never a traceback; exit status 2."""
    print(f"nbshelf {command}: error: {error}", file=sys.stderr)
    return 2
