"""Text notebooks in folder listings, when jupytext's contents manager wraps this one.

jupytext (its server extension derives a class from the configured contents manager)
types a text file as a notebook in ``get`` when its extension is one of the folder's
notebook extensions (``jupytext.toml``'s ``notebook_extensions``, by default .py, .md,
.R ...). jupyter_server's file manager lists a folder by calling ``get`` once per entry,
so its listings carry that type; nbshelf lists a folder with one LIST and calls nothing
per entry, so it asks jupytext once per listing for the folder's configuration (through
jupytext's own cache, probes answered by :mod:`.existence`) and types the entries the
same way. Without jupytext this does nothing.
"""

from __future__ import annotations

import os
from typing import Any

from . import paths


async def type_text_notebooks(manager: Any, folder: str, entries: list[dict[str, Any]]) -> None:
    """Set ``type: notebook`` on the file entries jupytext opens as notebooks."""
    get_config = getattr(manager, "get_config", None)
    extensions_of = getattr(manager, "all_nb_extensions", None)
    if not callable(get_config) or not callable(extensions_of):
        return
    if not any(e["type"] == "file" for e in entries):
        return
    # jupytext's get() asks the configuration of the file's parent folder, cached while
    # one folder is listed (use_cache=True), as it does for its own listings
    config = await get_config(paths.join(folder, "_"), use_cache=True)
    extensions = set(extensions_of(config))
    for entry in entries:
        if entry["type"] == "file" and os.path.splitext(entry["name"])[1] in extensions:
            entry["type"] = "notebook"


__all__ = ["type_text_notebooks"]
