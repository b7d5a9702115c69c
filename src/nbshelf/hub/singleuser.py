"""The contents manager of a JupyterHub single-user server whose store credentials come
from the hub (``c.ServerApp.contents_manager_class = "nbshelf.hub.HubContentsManager"``,
set by the hub's jupyterhub_config.py: docs/jupyterhub.md).

Where the notebooks are is the hub's answer too (``IssuedCredentials.store_url``): a user
editing her own server's configuration can move her notebooks within her prefix (the
``prefix`` trait is appended) but never out of it, and in any case holds credentials that
reach nothing else. The store renews them before they expire (the backend's
``credentials`` option, :mod:`nbshelf.stores.expiring`); when the hub's service cannot
issue them, every contents request answers 503 naming the service.

Also here: ``GET /nbshelf/api/hub``, what this server's credentials are (service, expiry,
how many times they were fetched, a fingerprint; never a secret).
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Bool, Unicode, default

from ..contents import ShelfContentsManager
from ..stores import ObjectStore, StoreError, open_store
from ..stores.base import RetryPolicy
from .client import DEFAULT_SERVICE, ENV_SERVICE, ENV_URL, HubCredentialsClient
from .credentials import IssuedCredentials

#: The option in ``IssuedCredentials.options`` by which an issuer says it signs share
#: links itself (the store then asks the hub for each link).
HUB_SIGNS_LINKS = "hub_signs_links"


class _Primed:
    """The credential source, answering its first call with the credentials already
    fetched (the answer that said where the store is), then asking the hub."""

    def __init__(self, first: IssuedCredentials, client: HubCredentialsClient) -> None:
        self._first: IssuedCredentials | None = first
        self._client = client
        self._lock = threading.Lock()

    def __call__(self) -> IssuedCredentials:
        with self._lock:
            first, self._first = self._first, None
        return first if first is not None else self._client.fetch()


class _NoCredentials(ObjectStore):
    """Stands in for the store while the hub cannot issue credentials: every call raises
    why (a 503 naming the hub's service); the next request asks the hub again."""

    scheme = "hub"

    def __init__(self, error: StoreError) -> None:
        super().__init__(retry=RetryPolicy(retries=0))
        self.error = error

    @classmethod
    def from_location(cls, location: Any, options: dict[str, Any]) -> _NoCredentials:
        raise NotImplementedError

    @property
    def location(self) -> str:
        return f"(no store: {self.error})"

    async def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    _head = _get = _put = _delete = _copy = _list = _fail


class HubContentsManager(ShelfContentsManager):
    """ShelfContentsManager on the store and credentials the hub issues to this user."""

    credentials_url = Unicode(
        config=True,
        help=f"The hub's credentials service (default: ${ENV_URL}, set by the hub's spawner).",
    )
    credentials_service = Unicode(
        config=True, help="The service's name in c.JupyterHub.services, for messages."
    )
    sign_links_on_hub = Bool(
        True,
        config=True,
        help="Ask the hub to sign expiring share links when its issuer offers it, so that a "
        "link lasts as long as the user chose rather than as long as this server's "
        "short-lived credentials.",
    )

    @default("credentials_url")
    def _credentials_url_default(self) -> str:
        return os.environ.get(ENV_URL, "")

    @default("credentials_service")
    def _credentials_service_default(self) -> str:
        return os.environ.get(ENV_SERVICE) or DEFAULT_SERVICE

    _client: HubCredentialsClient | None = None

    @property
    def hub_client(self) -> HubCredentialsClient:
        if self._client is None:
            if not self.credentials_url:
                return HubCredentialsClient.from_environment()  # raises: names what is unset
            self._client = HubCredentialsClient(
                self.credentials_url,
                os.environ.get("JUPYTERHUB_API_TOKEN", ""),
                service=self.credentials_service,
            )
        return self._client

    @property
    def store(self) -> ObjectStore:
        """The store the hub issued credentials for, opened on first use."""
        if self.store_instance is not None:
            return self.store_instance
        if self._store is None:
            try:
                self._store = self._open_issued()
            except StoreError as e:
                return _NoCredentials(e)  # not kept: the next request asks the hub again
        return self._store

    def _open_issued(self) -> ObjectStore:
        """The store the hub's answer names, with its credentials as the source."""
        client = self.hub_client
        first = client.fetch()
        issued = dict(first.options)
        signs = bool(issued.pop(HUB_SIGNS_LINKS, False))
        options: dict[str, Any] = {
            "page_size": self.page_size,
            "max_concurrency": self.max_concurrency,
            **{k: v for k, v in self.store_options.items() if k != "prefix"},
            **issued,
            "credentials": _Primed(first, client),
        }
        if signs and self.sign_links_on_hub:
            options["link_signer"] = client.sign
        return open_store(first.store_url, prefix=self.prefix, **options)


class HubStatusHandler(APIHandler):
    """This server's hub-issued credentials: where from, until when, how often renewed."""

    @web.authenticated
    def get(self) -> None:
        cm = self.contents_manager
        if not isinstance(cm, HubContentsManager):
            raise web.HTTPError(404, "this server's store credentials do not come from a hub")
        self.finish(json.dumps(cm.hub_client.status()))


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$", [(url_path_join(base, "nbshelf/api/hub"), HubStatusHandler)]
    )


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "nbshelf.hub.singleuser"}]
