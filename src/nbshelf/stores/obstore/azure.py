"""Azure Blob storage on obstore: ``az://container/optional/prefix``; tested against
Azurite. The shared behaviour lives in :mod:`.base`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from obstore.store import AzureStore as _OsAzure

from ..location import StoreLocation
from ..options import OptionReader
from .base import ObstoreBackedStore, ObstoreOptions, build_client


@dataclass(frozen=True)
class AzureOptions:
    """obstore's common options, ``allow_http`` (default: true for an ``endpoint`` on
    http://127.0.0.1, Azurite), and any AzureConfig key for obstore (``account_name``,
    ``account_key``, ``endpoint``, ``sas_key`` ...), which obstore checks."""

    base: ObstoreOptions
    allow_http: bool
    #: AzureConfig keys, passed to obstore as they are.
    extra: dict[str, Any]
    #: nbshelf's own option names, for messages.
    known: tuple[str, ...]

    @classmethod
    def read(cls, options: dict[str, Any]) -> AzureOptions:
        r = OptionReader("az", options)
        base = ObstoreOptions.read(r)
        allow_http = r.flag("allow_http", None)
        extra = r.rest()
        if allow_http is None:
            endpoint = extra.get("endpoint")
            allow_http = bool(endpoint and str(endpoint).startswith("http://127.0.0.1"))
        return cls(base, allow_http, extra, known=tuple(r.known))


class AzureStore(ObstoreBackedStore):
    """An Azure Blob container (``az://container/prefix``); tested against Azurite."""

    scheme: ClassVar[str] = "az"
    url_form: ClassVar[str] = "az://container[/prefix]"
    server_page: ClassVar[int] = 5000
    signed_links_name: str = "Azure signed links"

    def __init__(self, container: str, options: AzureOptions, *, prefix: str = "") -> None:
        self.container = container
        extra = dict(options.extra)
        os_store = build_client(
            _OsAzure,
            container,
            known=options.known,
            config=extra,
            client_options=options.base.client_options(options.allow_http),
        )
        super().__init__(os_store, **options.base.store_kwargs(prefix))
        account = extra.get("account_name", "?")
        self.endpoint = str(extra.get("endpoint") or f"https://{account}.blob.core.windows.net")
        self.hints = {
            "auth": "check account_name / account_key (AZURE_STORAGE_ACCOUNT_NAME, "
            "AZURE_STORAGE_ACCOUNT_KEY) or the SAS token",
            "region": "check the account's endpoint",
            "bucket": f"check the container name {container!r}",
            "endpoint": "check endpoint and that the service is running",
        }

    @classmethod
    def from_location(cls, location: StoreLocation, options: dict[str, Any]) -> AzureStore:
        return cls(location.container, AzureOptions.read(options), prefix=location.prefix)

    @property
    def location(self) -> str:
        return f"az://{self.container} at {self.endpoint}"

    def public_url(self, key: str) -> str:
        return f"{self.endpoint.rstrip('/')}/{self.container}/{quote(self._full(key))}"
