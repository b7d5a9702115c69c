"""nbshelf: Jupyter notebooks in object storage, shared by link, served always on."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .bookstore import CloudFilesNotebookManager, KeystoneNotebookManager, OpenStackNotebookManager
from .contents import ShelfCheckpoints, ShelfContentsManager


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # nbshelf.server.legacy honours the original Bookstore's NotebookApp settings
    return [
        {"module": "nbshelf.server.extension"},
        {"module": "nbshelf.server.legacy"},
        {"module": "nbshelf.server.security"},
    ]


__all__ = [
    "CloudFilesNotebookManager",
    "KeystoneNotebookManager",
    "OpenStackNotebookManager",
    "ShelfCheckpoints",
    "ShelfContentsManager",
    "__version__",
]
