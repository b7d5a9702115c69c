"""OpenStack Swift and Rackspace Cloud Files, through python-swiftclient and keystoneauth1.

``store`` is the :class:`SwiftStore` backend (and its typed options, ``SwiftOptions``);
``auth`` signs in (Keystone v3/v2, tempauth, Rackspace) and refreshes tokens; ``config``
reads the credentials from options, ``ST_*``/``OS_*`` and Bookstore's spellings;
``share`` is what the store's sharing capabilities do (public container, CDN, TempURL
key). May import ``nbshelf.stores`` (base, errors, options, location, capabilities)
only: nothing of Jupyter.
"""

from .store import SwiftStore

__all__ = ["SwiftStore"]
