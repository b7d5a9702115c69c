"""Sharing notebooks by link: public, expiring (signed) or served by nbshelf itself.

The service (:mod:`.publish`) is shared by the REST handlers (:mod:`.handlers`)
and the command line (:mod:`.cli`); records live in the store (:mod:`.records`).
"""

from .config import ShareConfig
from .models import Share, ShareError
from .publish import ShareService

__all__ = ["Share", "ShareConfig", "ShareError", "ShareService"]
