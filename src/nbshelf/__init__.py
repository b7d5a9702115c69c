"""nbshelf: Jupyter notebooks in object storage, shared by link, served always on."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .contents import ShelfCheckpoints, ShelfContentsManager


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "nbshelf.extension"}]


__all__ = ["ShelfCheckpoints", "ShelfContentsManager", "__version__"]
