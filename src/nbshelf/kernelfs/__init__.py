"""shelf://: code in a notebook reads and writes the files beside it in the store.

Client side only (fsspec and the standard library; no jupyter_server): a kernel started
by ``nbshelf serve`` finds its server, a token scoped to file access and its notebook's
folder in its environment (``NBSHELF_SERVER_URL``, ``NBSHELF_KERNEL_TOKEN``,
``NBSHELF_NOTEBOOK_DIR``, set by ``nbshelf.server.kernel_files``) and reaches the store
through that server, never with the store's own credentials.

- ``filesystem``: ``ShelfFileSystem``, registered as ``shelf`` through the
  ``fsspec.specs`` entry point (so ``pd.read_csv("shelf://data.csv")`` works);
- ``client``: HTTP to the server, errors as Python exceptions, timeouts;
- ``magic``: ``%shelf pull`` / ``%shelf push`` / ``%shelf status`` for plain ``open()``.

May import: nothing of nbshelf outside this package.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ShelfFileSystem", "resolve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import filesystem

        return getattr(filesystem, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
