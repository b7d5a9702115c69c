"""The Jupyter side: Jupyter models <-> objects, for any store.

``manager`` (ShelfContentsManager: the contents API and its HTTP rules), ``uploads``
(chunked uploads, a mixin), ``checkpoints`` (ShelfCheckpoints; the store is handed in),
``folder_ops`` (journalled moves and deletes, and their recovery), ``journal`` (the
journal record), ``trash``, ``lookup`` (what is at a path), ``layout`` (every key nbshelf
reserves), ``paths`` (the path check), ``models``, ``errors``, ``seen``.

May import ``nbshelf.stores`` (its public names, never a backend), jupyter_server,
nbformat and tornado; nothing here imports cli, server or share.
"""

from .checkpoints import ShelfCheckpoints
from .manager import ShelfContentsManager

__all__ = ["ShelfCheckpoints", "ShelfContentsManager"]
