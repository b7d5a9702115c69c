"""REST handlers: ``/nbshelf/api/shares`` (login + XSRF, as every Jupyter API) and
``/nbshelf/shared/<id>/<name>`` (no login: only snapshots the user chose to share
through the nbshelf server itself; everything else still needs login)."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..contents import ShelfContentsManager
from ..share.config import ShareConfig
from ..share.models import ShareError, parse_duration
from ..share.publish import NOTEBOOK_TYPE, ShareService, disposition, revoked_message
from ..stores import StoreError

SERVICE_KEY = "nbshelf_share_service"
CONFIG_KEY = "nbshelf_share_config"
#: A shared page is other people's content on this server's origin: no scripts, no
#: same-origin access (sandbox), no plugins; styles and images may load.
SHARED_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline' https: data:; "
    "img-src https: data:; font-src https: data:"
)


class _ShareMixin:
    settings: dict[str, Any]

    @property
    def shares(self) -> ShareService:
        """The share service over the contents manager's store (made on first use)."""
        cm = self.settings["contents_manager"]
        if not isinstance(cm, ShelfContentsManager):
            raise web.HTTPError(
                501, "Sharing needs nbshelf's contents manager (ShelfContentsManager)"
            )
        try:
            store = cm.store
        except StoreError as e:
            raise web.HTTPError(503, f"The notebook store cannot be opened: {e}") from None
        service: ShareService | None = self.settings.get(SERVICE_KEY)
        if service is None or service.store is not store:  # first use, or reconfigured
            service = ShareService(store, self.settings[CONFIG_KEY])
            self.settings[SERVICE_KEY] = service
        return service


class _ShareAPIHandler(_ShareMixin, APIHandler):
    def base_url_seen(self) -> str:
        """This server's address as the client reached it (for links it serves itself)."""
        return f"{self.request.protocol}://{self.request.host}{self.base_url}"

    def answer(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    def share_error(self, e: ShareError) -> web.HTTPError:
        return web.HTTPError(e.status, e.message)


class SharesHandler(_ShareAPIHandler):
    """GET: the shares (``?path=`` for one file's); POST: create {path, kind, expires_in}."""

    @web.authenticated
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        revoked = self.get_query_argument("revoked", "0") in ("1", "true")
        try:
            shares = await self.shares.list(path, include_revoked=revoked)
        except ShareError as e:
            raise self.share_error(e) from None
        self.answer({"shares": [s.to_api() for s in shares]})

    @web.authenticated
    async def post(self) -> None:
        body = self.get_json_body() or {}
        if not isinstance(body, dict):
            raise web.HTTPError(400, "Expected a JSON object {path, kind, expires_in}")
        expires_in = body.get("expires_in")
        try:
            if isinstance(expires_in, str):
                expires_in = parse_duration(expires_in)
            elif expires_in is not None and not isinstance(expires_in, int):
                raise ShareError(400, "expires_in is seconds (a number) or a duration like 7d")
            share = await self.shares.create(
                str(body.get("path") or ""),
                body.get("kind"),
                expires_in,
                base_url=self.base_url_seen(),
            )
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from None
        except ShareError as e:
            raise self.share_error(e) from None
        self.set_header("Location", url_path_join(self.base_url, "nbshelf/api/shares", share.id))
        self.answer(share.to_api(), 201)


class ShareHandler(_ShareAPIHandler):
    """GET one share; DELETE revokes it."""

    @web.authenticated
    async def get(self, share_id: str) -> None:
        try:
            share = await self.shares.get(share_id)
        except ShareError as e:
            raise self.share_error(e) from None
        self.answer(share.to_api())

    @web.authenticated
    async def delete(self, share_id: str) -> None:
        try:
            share = await self.shares.revoke(share_id)
        except ShareError as e:
            raise self.share_error(e) from None
        self.answer({**share.to_api(), "message": revoked_message(share)})


class ShareUpdateHandler(_ShareAPIHandler):
    """POST: re-publish the file's current version at the same links."""

    @web.authenticated
    async def post(self, share_id: str) -> None:
        try:
            share = await self.shares.update(share_id, base_url=self.base_url_seen())
        except ShareError as e:
            raise self.share_error(e) from None
        self.answer(share.to_api())


class SharedFileHandler(_ShareMixin, JupyterHandler):
    """A snapshot shared through this server: no login, read-only, sandboxed."""

    @allow_unauthenticated
    async def get(self, share_id: str, name: str) -> None:
        try:
            data, content_type = await self.shares.open_served(share_id, name)
        except ShareError as e:
            raise web.HTTPError(e.status, e.message) from None
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", SHARED_CSP)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        if content_type == NOTEBOOK_TYPE:
            self.set_header("Content-Disposition", disposition("inline", name))
        elif not content_type.startswith("text/html"):  # a raw file: a download
            self.set_header("Content-Disposition", disposition("attachment", name))
        self.finish(data)

    @allow_unauthenticated
    async def head(self, share_id: str, name: str) -> None:
        await self.get(share_id, name)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # a plain page: the anonymous visitor gets no Jupyter page or template
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code}: this shared link does not exist or no longer works\n")


_ID = r"([A-Za-z0-9_-]{16,64})"


def handlers(base_url: str) -> list[tuple[str, type]]:
    api = url_path_join(base_url, "nbshelf/api/shares")
    return [
        (api, SharesHandler),
        (api + "/" + _ID, ShareHandler),
        (api + "/" + _ID + "/update", ShareUpdateHandler),
        (url_path_join(base_url, "nbshelf/shared") + "/" + _ID + "/([^/]+)", SharedFileHandler),
    ]


def setup(serverapp: Any) -> None:
    """Register the handlers and the share service on a running ServerApp."""
    web_app = serverapp.web_app
    web_app.settings[CONFIG_KEY] = ShareConfig(parent=serverapp, config=serverapp.config)
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"]))
