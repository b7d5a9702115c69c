"""Entry point for service managers:
``python[w] -m nbshelf.service.launch [--log=FILE] [--jupyter-config-path=DIR] ARGS``.

Runs the ``nbshelf`` command with ARGS. Why not the ``nbshelf`` console script: on Windows
that is a console program, and a console window would open at every login; ``pythonw.exe``
opens none but has no stdout or stderr at all, hence ``--log``: output (of the watchdog,
Jupyter and the kernels it starts, which inherit the descriptors) is appended to FILE, on
every platform, so ``nbshelf service logs`` reads one place.

``--jupyter-config-path=DIR`` puts DIR first in ``JUPYTER_CONFIG_PATH`` for this process and
its children (the watchdog's server): Jupyter then reads nbshelf's
``DIR/jupyter_server_config.json`` *in addition to* the user's own configuration
(``~/.jupyter``, the environment's, the system's), with precedence over it. ``--config=FILE``
would have replaced the user's configuration instead. It is an argument, not an environment
setting of the service definition, because a Task Scheduler task has no environment of its
own: so it is one mechanism on systemd, launchd and Task Scheduler alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence
from pathlib import Path

MAX_LOG_BYTES = 10 * 1024 * 1024
CONFIG_PATH_VAR = "JUPYTER_CONFIG_PATH"


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


def add_config_path(directory: str, env: MutableMapping[str, str] | None = None) -> str:
    """Put ``directory`` first in ``JUPYTER_CONFIG_PATH`` (once); return the new value."""
    env = os.environ if env is None else env
    rest = [p for p in env.get(CONFIG_PATH_VAR, "").split(os.pathsep) if p and p != directory]
    env[CONFIG_PATH_VAR] = os.pathsep.join([directory, *rest])
    return env[CONFIG_PATH_VAR]


def _option(args: list[str], name: str) -> str | None:
    """Take ``--name=VALUE`` or ``--name VALUE`` off the front of ``args``."""
    if args and args[0].startswith(f"{name}="):
        return args.pop(0).split("=", 1)[1]
    if len(args) >= 2 and args[0] == name:
        args.pop(0)
        return args.pop(0)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    while args:  # launch's own options come first, in any order
        log = _option(args, "--log")
        if log is not None:
            open_log(log)
            continue
        config_dir = _option(args, "--jupyter-config-path")
        if config_dir is not None:
            add_config_path(config_dir)
            continue
        break
    from nbshelf.cli import main as nbshelf_main

    return nbshelf_main(args)


if __name__ == "__main__":
    sys.exit(main())
