"""Google Cloud Storage on obstore: ``gs://bucket/optional/prefix``.

Untested against a server here (no GCS server or emulator runs): only its construction
is tested. The shared behaviour lives in :mod:`.base`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

from obstore.store import GCSStore as _OsGCS

from ..location import StoreLocation
from ..options import OptionReader
from .base import ObstoreBackedStore, ObstoreOptions, build_client


@dataclass(frozen=True)
class GCSOptions:
    """obstore's common options, ``allow_http``, and any GCSConfig key for obstore
    (``service_account``, ``skip_signature`` ...), which obstore checks."""

    base: ObstoreOptions
    allow_http: bool
    #: GCSConfig keys nbshelf does not read itself, passed to obstore as they are.
    extra: dict[str, Any]
    #: nbshelf's own option names, for messages.
    known: tuple[str, ...]

    @classmethod
    def read(cls, options: dict[str, Any]) -> GCSOptions:
        r = OptionReader("gs", options)
        base = ObstoreOptions.read(r)
        allow_http = bool(r.flag("allow_http", False))
        return cls(base, allow_http, extra=r.rest(), known=tuple(r.known))


class GCSStore(ObstoreBackedStore):
    """A Google Cloud Storage bucket (``gs://``); untested here (no GCS emulator runs)."""

    scheme: ClassVar[str] = "gs"
    url_form: ClassVar[str] = "gs://bucket[/prefix]"
    signed_links_name: str = "GCS signed links"

    def __init__(self, bucket: str, options: GCSOptions, *, prefix: str = "") -> None:
        self.bucket = bucket
        os_store = build_client(
            _OsGCS,
            bucket,
            known=options.known,
            config=dict(options.extra),
            client_options=options.base.client_options(options.allow_http),
        )
        super().__init__(os_store, **options.base.store_kwargs(prefix))
        self.hints = {
            "auth": "check GOOGLE_APPLICATION_CREDENTIALS / service_account",
            "region": "check the bucket's location",
            "bucket": f"check the bucket name {bucket!r}",
            "endpoint": "check the network and base_url",
        }

    @classmethod
    def from_location(cls, location: StoreLocation, options: dict[str, Any]) -> GCSStore:
        return cls(location.container, GCSOptions.read(options), prefix=location.prefix)

    @property
    def location(self) -> str:
        return f"gs://{self.bucket}"

    def public_url(self, key: str) -> str:
        return f"https://storage.googleapis.com/{self.bucket}/{quote(self._full(key))}"
