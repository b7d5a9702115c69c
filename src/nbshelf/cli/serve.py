"""``nbshelf serve``: JupyterLab (or Notebook 7) with notebooks kept in a store.

The store is checked before Jupyter starts, so a bad URL or an unreachable
store is one clear line, not a traceback from inside the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from ..stores import StoreError, open_store
from ._common import ENV_STORE, add_store_options, fail


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run JupyterLab with notebooks in a store",
        description=(
            "Run JupyterLab (or Notebook 7) with every save landing in a store. "
            "Arguments nbshelf does not know (e.g. --ServerApp.password=...) go to Jupyter."
        ),
    )
    add_store_options(
        p,
        store_help="where notebooks live: a directory (default: the current one), file:///path, "
        "memory://, swift://container/prefix, s3://bucket/prefix "
        f"(default: ${ENV_STORE} or the notebook directory)",
        prefix_help=None,
    )
    p.add_argument(
        "--notebook-dir",
        "--root-dir",
        dest="root_dir",
        default=None,
        metavar="DIR",
        help="the server's working directory and the local store's root (default: current dir)",
    )
    p.add_argument("--ip", default=None, help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: 8888 or the next free)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--app",
        choices=("lab", "notebook"),
        default="lab",
        help="the front end: JupyterLab (default) or Notebook 7",
    )
    p.add_argument(
        "--keep-alive",
        action="store_true",
        help="run the server under a watchdog that restarts it when it stops answering",
    )
    p.set_defaults(func=run, accepts_extra=True)


def check_store(url: str, root_dir: str) -> str | None:
    """Open the store and prove it answers; return an error line, or None if usable."""
    try:
        store = open_store(url or root_dir)
    except StoreError as e:
        return str(e)

    async def probe() -> None:
        try:
            await store.check()
        finally:
            await store.close()

    try:
        asyncio.run(probe())
    except StoreError as e:
        return str(e)
    return None


def jupyter_argv(args: argparse.Namespace) -> list[str]:
    """The Jupyter command line that the options stand for."""
    root_dir = os.path.abspath(args.root_dir or os.getcwd())
    argv = [
        "--ServerApp.contents_manager_class=nbshelf.ShelfContentsManager",
        f"--ServerApp.root_dir={root_dir}",
    ]
    if args.store:
        argv.append(f"--ShelfContentsManager.store_url={args.store}")
    if args.ip:
        argv.append(f"--ServerApp.ip={args.ip}")
    if args.port:
        argv.append(f"--ServerApp.port={args.port}")
    if args.no_browser:
        argv.append("--ServerApp.open_browser=False")
    return argv + list(getattr(args, "extra", []))


def run(args: argparse.Namespace) -> int:
    if args.keep_alive:
        from ..service import watchdog

        return watchdog.main(args)
    root_dir = os.path.abspath(args.root_dir or os.getcwd())
    if not os.path.isdir(root_dir):
        return fail("serve", f"{root_dir} is not a directory")
    error = check_store(args.store, root_dir)
    if error:
        return fail("serve", error)
    argv = jupyter_argv(args)
    App: Any
    if args.app == "notebook":
        try:
            from notebook.app import JupyterNotebookApp

            App = JupyterNotebookApp
        except ImportError:
            return fail("serve", "Notebook 7 is not installed: pip install 'nbshelf[notebook]'")
    else:
        from jupyterlab.labapp import LabApp

        App = LabApp
    App.launch_instance(argv=argv)
    return 0
