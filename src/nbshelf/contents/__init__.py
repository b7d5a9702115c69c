"""The Jupyter side: contents manager and checkpoints over any store."""

from .checkpoints import ShelfCheckpoints
from .manager import ShelfContentsManager

__all__ = ["ShelfCheckpoints", "ShelfContentsManager"]
