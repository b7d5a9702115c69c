"""Checks of the tools JupyterLab users add, made once as the server starts.

jupyter-collaboration finds documents through jupyter_server_fileid's file id manager.
Its default, ``ArbitraryFileIdManager``, keys documents by API path and follows the
contents manager's rename and delete events: it works on every nbshelf store.
``LocalFileIdManager`` stats files under the server's ``root_dir`` on the local disk: on
a store that keeps its files elsewhere (memory, Swift, S3 ...) every collaboration
session would be refused with a 404, so nbshelf says so at start, in one clear line.

jupytext's async contents manager hangs the server on "New Notebook"
(:mod:`.jupytext_untitled` repairs it at start).
"""

from __future__ import annotations

import os
from typing import Any

LOCAL_FILE_ID_MANAGER = "LocalFileIdManager"


def file_id_problem(serverapp: Any, cm: Any) -> str | None:
    """What is wrong with the file id manager for this store, or None."""
    manager = serverapp.web_app.settings.get("file_id_manager")
    if manager is None or not any(
        c.__name__ == LOCAL_FILE_ID_MANAGER for c in type(manager).__mro__
    ):
        return None
    local = cm.store.local_path("")
    root = os.path.realpath(str(getattr(manager, "root_dir", "") or serverapp.root_dir))
    if local is not None and os.path.realpath(local) == root:
        return None  # the local store at root_dir: the files it stats are the notebooks
    return (
        f"jupyter_server_fileid's {LOCAL_FILE_ID_MANAGER} tracks files on the local disk "
        f"under {root}, but the notebooks are in {cm.store_description}: real-time "
        "collaboration sessions would fail with 404. Remove "
        "FileIdExtension.file_id_manager_class from your configuration (the default, "
        "jupyter_server_fileid.manager.ArbitraryFileIdManager, works with nbshelf)."
    )


def check(serverapp: Any, cm: Any) -> None:
    problem = file_id_problem(serverapp, cm)
    if problem:
        serverapp.log.error("nbshelf: %s", problem)
    from .jupytext_untitled import repair

    if repair(type(cm)):
        serverapp.log.info(
            "nbshelf: jupytext's New Notebook made to await the folder's names "
            "(its async manager tests an un-awaited exists() and would hang the server)"
        )


__all__ = ["check", "file_id_problem"]
