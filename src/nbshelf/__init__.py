"""nbshelf: Jupyter notebooks in object storage, shared by link, served always on."""

from __future__ import annotations

from typing import Any

from ._version import __version__

# imported on first use: a kernel importing nbshelf.kernelfs (shelf://) needs no jupyter_server
_LAZY = {
    "CloudFilesNotebookManager": "bookstore",
    "KeystoneNotebookManager": "bookstore",
    "OpenStackNotebookManager": "bookstore",
    "ShelfCheckpoints": "contents",
    "ShelfContentsManager": "contents",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # nbshelf.server.legacy honours the original Bookstore's NotebookApp settings
    return [
        {"module": "nbshelf.server.extension"},
        {"module": "nbshelf.server.legacy"},
        {"module": "nbshelf.server.security"},
        {"module": "nbshelf.hub.singleuser"},  # /nbshelf/api/hub (JupyterHub only)
    ]


__all__ = [
    "CloudFilesNotebookManager",
    "KeystoneNotebookManager",
    "OpenStackNotebookManager",
    "ShelfCheckpoints",
    "ShelfContentsManager",
    "__version__",
]
