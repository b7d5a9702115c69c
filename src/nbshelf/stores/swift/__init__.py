"""OpenStack Swift and Rackspace Cloud Files, through python-swiftclient and keystoneauth1.

``store`` is the :class:`SwiftStore` backend; ``auth`` signs in (Keystone v3/v2, tempauth,
Rackspace) and refreshes tokens; ``config`` reads ``ST_*``/``OS_*`` and Bookstore's
options; ``share`` publishes share snapshots (public container, CDN, TempURL).
May import ``nbshelf.stores`` (base, errors) only: nothing of Jupyter.
"""

from .store import SwiftStore

__all__ = ["SwiftStore"]
