"""Sharing notebooks by link: public, expiring (signed) or served by nbshelf itself.

What lives here: the share service (:mod:`.publish`: create, list, update, revoke),
the share records kept in the store (:mod:`.records`), the share model
(:mod:`.models`), its settings (:mod:`.config`) and the rendered page
(:mod:`.render`). The REST handlers are in :mod:`nbshelf.server.shares`, the command
in :mod:`nbshelf.cli.share`.

May import: ``nbshelf.stores`` (its public names: a store is asked for capabilities,
``SupportsPublicLinks`` / ``SupportsSignedLinks``, never for its scheme or a private
method), and of ``nbshelf.contents`` only its key layout (``contents.layout``: where
share records and snapshots live), its path rules (``contents.paths``, which raise
tornado's HTTPError) and its store-error-to-HTTP mapping (``contents.errors``); plus
nbconvert, nbformat and traitlets. Never ``server``, ``cli`` or a concrete backend.
"""

from .config import ShareConfig
from .models import Share, ShareError
from .publish import ShareService

__all__ = ["Share", "ShareConfig", "ShareError", "ShareService"]
