"""The original Bookstore's notebook managers, on nbshelf.

Bookstore (2013-2014, IPython 1-2) kept notebooks in Swift / Rackspace Cloud Files
and was configured like this::

    c.NotebookApp.notebook_manager_class = 'bookstore.cloudfiles.CloudFilesNotebookManager'
    c.CloudFilesNotebookManager.account_name = 'USER_NAME'
    c.CloudFilesNotebookManager.account_key = 'API_KEY'
    c.CloudFilesNotebookManager.container_name = u'notebooks'
    c.CloudFilesNotebookManager.region = u'DFW'

The classes here have those names and those traits, and are ShelfContentsManagers
whose store is ``swift://<container_name>`` built from the traits, so such a config
works unchanged. They live in ``nbshelf.bookstore``, not in a top-level ``bookstore``
package, because PyPI's ``bookstore`` is another project (nteract's); the old
``bookstore.*`` class names in ``NotebookApp.notebook_manager_class`` are mapped to
these by :mod:`nbshelf.server.legacy` (a server extension hook), with a
deprecation message pointing at ``ServerApp.contents_manager_class``.
"""

from __future__ import annotations

from typing import Any

from .managers import (
    BookstoreNotebookManager,
    CloudFilesNotebookManager,
    KeystoneNotebookManager,
    OpenStackNotebookManager,
)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "nbshelf.server.legacy"}]


__all__ = [
    "BookstoreNotebookManager",
    "CloudFilesNotebookManager",
    "KeystoneNotebookManager",
    "OpenStackNotebookManager",
]
