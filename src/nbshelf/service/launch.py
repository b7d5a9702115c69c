"""Entry point for service managers: ``python[w] -m nbshelf.service.launch [--log=FILE] ARGS``.

Runs the ``nbshelf`` command with ARGS. Why not the ``nbshelf`` console script: on Windows
that is a console program, and a console window would open at every login; ``pythonw.exe``
opens none but has no stdout or stderr at all, hence ``--log``: output (of the watchdog,
Jupyter and the kernels it starts, which inherit the descriptors) is appended to FILE, on
every platform, so ``nbshelf service logs`` reads one place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

MAX_LOG_BYTES = 10 * 1024 * 1024


def open_log(path: str) -> None:
    """Send this process's (and its children's) stdout and stderr to ``path``, appended.

    At start, a log above MAX_LOG_BYTES is kept as ``FILE.1`` and a new one begun.
    """
    log = Path(path)
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        if log.stat().st_size > MAX_LOG_BYTES:
            os.replace(log, log.with_name(log.name + ".1"))
    except FileNotFoundError:
        pass
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # Replaces the streams for the rest of the process: closing them here would be wrong.
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0].startswith("--log="):
        open_log(args.pop(0).split("=", 1)[1])
    elif len(args) >= 2 and args[0] == "--log":
        args.pop(0)
        open_log(args.pop(0))
    from nbshelf.cli import main as nbshelf_main

    return nbshelf_main(args)


if __name__ == "__main__":
    sys.exit(main())
