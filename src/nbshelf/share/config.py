"""Sharing settings, as traitlets: ``--ShareConfig.public_container=...`` on
``nbshelf serve`` or ``c.ShareConfig.default_expiry = ...`` in a Jupyter config file."""

from __future__ import annotations

from traitlets import Integer, Unicode
from traitlets.config import Configurable

DAY = 86400


class ShareConfig(Configurable):
    """How notebooks are shared by link."""

    public_container = Unicode(
        "",
        config=True,
        help="Swift/Cloud Files: the container holding public snapshots (default: the "
        "notebooks' container + '_public'). Never the notebooks' own container.",
    )
    default_expiry = Integer(
        7 * DAY, config=True, help="Seconds an expiring link lasts by default."
    )
    max_expiry = Integer(
        90 * DAY,
        config=True,
        help="The longest expiry allowed, in seconds (S3 presigned URLs are further limited "
        "to 7 days by SigV4).",
    )
    nbviewer_url = Unicode(
        "https://nbviewer.org", config=True, help="The nbviewer offered for public links."
    )
    server_url = Unicode(
        "",
        config=True,
        help="The public base URL of this nbshelf server, for links it serves itself (local "
        "store). Default: the URL the request came to (the CLI: http://localhost:8888/).",
    )
