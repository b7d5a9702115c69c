"""The jupyter_server extension: nbshelf's REST endpoints under ``/nbshelf/api/``."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .._version import __version__
from ..contents import ShelfContentsManager


class StatusHandler(APIHandler):
    """What store this server uses and how many requests it has made (for users and tests)."""

    @web.authenticated
    def get(self) -> None:
        cm = self.contents_manager
        body: dict[str, Any] = {"version": __version__, "contents_manager": type(cm).__name__}
        if isinstance(cm, ShelfContentsManager):
            body["store"] = cm.store_description
            body["requests"] = cm.store.requests.snapshot()
        self.finish(json.dumps(body))


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from .memory import release_large_buffers

    release_large_buffers()  # 8 MB pieces in worker threads: given back when freed
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$", [(url_path_join(base, "nbshelf/api/status"), StatusHandler)]
    )
    from .shares import setup as setup_shares

    setup_shares(serverapp)
    from .kernel_files import setup as setup_kernel_files

    setup_kernel_files(serverapp)
    cm = serverapp.contents_manager
    if isinstance(cm, ShelfContentsManager):
        serverapp.log.info("nbshelf %s: notebooks in %s", __version__, cm.store_description)
        from .ecosystem import check as check_ecosystem

        check_ecosystem(serverapp, cm)
        from .warmup import warm

        warm(serverapp, cm)
