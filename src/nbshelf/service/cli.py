"""``nbshelf service``: placeholder until the service issue lands (registers nothing)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("service", help="(not yet available)")
    parser.set_defaults(func=lambda args: print("nbshelf service is not implemented yet") or 2)
