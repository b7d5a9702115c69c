"""S3 (and S3-compatible), Google Cloud Storage and Azure Blob stores, on obstore.

``s3://bucket/optional/prefix``, ``gs://bucket/prefix``, ``az://container/prefix``.
The shared behaviour (folder markers, listing, uploads, errors) lives in
:mod:`._obstore_base`; this module only builds each service's obstore store.
See docs/s3.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from obstore import exceptions as oe
from obstore.store import AzureStore as _OsAzure
from obstore.store import GCSStore as _OsGCS
from obstore.store import S3Store as _OsS3

from ._obstore_aws import AwsSettings, resolve
from ._obstore_base import MARKER_NAME, ObstoreBackedStore
from ._obstore_sigv4 import object_url, sign
from .base import RetryPolicy
from .errors import AuthFailed, StoreError, Unavailable

log = logging.getLogger(__name__)

__all__ = ["MARKER_NAME", "AzureStore", "GCSStore", "S3Store"]

#: obstore's own retries are off: the store's RetryPolicy (nbshelf.stores.base) retries
#: every call the same way on every backend, with jitter and a per-call deadline.
RETRY = {"max_retries": 0, "retry_timeout": timedelta(seconds=15)}
_BASE_KEYS = ("page_size", "max_concurrency", "chunk_size", "upload_concurrency")


def _split_url(url: str, scheme: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme.lower() != scheme or not parts.netloc:
        raise StoreError(f"expected {scheme}://bucket[/prefix], not {url!r}")
    return parts.netloc, parts.path.strip("/")


def _base_kwargs(options: dict[str, Any], url_prefix: str) -> dict[str, Any]:
    """The ObjectStore keywords; ``prefix`` may hold ``{username}``."""
    prefix = str(options.pop("prefix", None) or url_prefix)
    username = options.pop("username", None)
    if username is not None and "{" in prefix:
        prefix = prefix.format(username=username)
    out: dict[str, Any] = {"prefix": prefix}
    for k in _BASE_KEYS:
        if k in options:
            out[k] = int(options.pop(k))
    out["retry"] = RetryPolicy.from_options(options)
    return out


def _client_options(options: dict[str, Any], allow_http: bool) -> dict[str, Any]:
    return {
        "allow_http": allow_http,
        "connect_timeout": str(options.pop("connect_timeout", "5s")),
        "timeout": str(options.pop("timeout", "300s")),
    }


def _build(factory: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return factory(*args, retry_config=RETRY, **kwargs)
    except oe.UnknownConfigurationKeyError as e:
        raise StoreError(f"unknown store option: {str(e).splitlines()[0][:200]}") from None
    except (oe.BaseError, ValueError, TypeError) as e:
        raise StoreError(f"invalid store configuration ({type(e).__name__})") from None


class S3Store(ObstoreBackedStore):
    """An S3 bucket (AWS, or any S3 API: Swift s3api, MinIO, Ceph, moto)."""

    scheme: ClassVar[str] = "s3"

    def __init__(self, settings: AwsSettings, extra: dict[str, Any] | None = None, **kwargs: Any):
        self.settings = settings
        config: dict[str, Any] = {"region": settings.region}
        if settings.endpoint:
            config["endpoint"] = settings.endpoint
        if settings.virtual_hosted:
            config["virtual_hosted_style_request"] = True
        if settings.access_key_id:
            config["access_key_id"] = settings.access_key_id
            config["secret_access_key"] = settings.secret_access_key
            if settings.session_token:
                config["session_token"] = settings.session_token
        extra = dict(extra or {})
        self._proxy_url: str | None = extra.get("proxy_url")
        client = _client_options(extra, settings.allow_http)
        os_store = _build(_OsS3, settings.bucket, config={**config, **extra}, client_options=client)
        super().__init__(os_store, **kwargs)
        self._http: Any = None
        env_hint = "endpoint_url / AWS_ENDPOINT_URL_S3"
        self.hints = {
            "auth": f"check the access key and secret (from {settings.credentials_from}) "
            "and the bucket's permissions",
            "region": f"the bucket is not in region {settings.region!r}: "
            "set region / AWS_REGION to the bucket's region",
            "bucket": f"check the bucket name {settings.bucket!r} (and {env_hint})",
            "endpoint": f"check {env_hint} and that the server is running",
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3Store:
        bucket, url_prefix = _split_url(url, "s3")
        base = _base_kwargs(options, url_prefix)
        settings = resolve(bucket, options)
        return cls(settings, options, **base)

    @property
    def location(self) -> str:
        where = self.settings.endpoint or f"AWS region {self.settings.region}"
        return f"s3://{self.settings.bucket} at {where}"

    async def _delete_foreign_markers(self, keys: Sequence[str]) -> None:
        """DELETE each ``a/b/`` key itself (SigV4, httpx): obstore cannot name it.
        One request per folder marker; needs static credentials (options, env, profile)."""
        st = self.settings
        if not (st.access_key_id and st.secret_access_key):
            log.warning(
                "%s: cannot remove folder markers written by other tools without static "
                "credentials; they stay",
                self.description,
            )
            return
        import httpx

        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(timeout=30.0, proxy=self._proxy_url)
        if st.endpoint:
            endpoint = st.endpoint
        elif st.virtual_hosted:
            endpoint = f"https://{st.bucket}.s3.{st.region}.amazonaws.com"
        else:
            endpoint = f"https://s3.{st.region}.amazonaws.com"
        for key in keys:
            url = object_url(endpoint, st.bucket, key, st.virtual_hosted)
            headers = sign(
                "DELETE",
                url,
                region=st.region,
                access_key=st.access_key_id,
                secret_key=st.secret_access_key,
                session_token=st.session_token,
            )
            self.requests.add("DELETE")
            try:
                resp = await self._http.delete(url, headers=headers)
            except httpx.HTTPError as e:
                raise Unavailable(
                    f"cannot reach the endpoint ({type(e).__name__}): {self.hints['endpoint']}",
                    store=self.description,
                    key=key,
                ) from None
            if resp.status_code in (401, 403):
                raise AuthFailed(
                    f"credentials refused ({resp.status_code}): {self.hints['auth']}",
                    store=self.description,
                    key=key,
                )
            if resp.status_code >= 300 and resp.status_code != 404:
                raise StoreError(
                    f"deleting folder marker failed ({resp.status_code})",
                    store=self.description,
                    key=key,
                )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await super().close()

    def public_url(self, key: str) -> str:
        """The plain URL of an object: it opens only if the bucket or object is public."""
        full = quote(self._full(key))
        if self.settings.endpoint:
            if self.settings.virtual_hosted:
                return f"{self.settings.endpoint}/{full}"
            return f"{self.settings.endpoint}/{self.settings.bucket}/{full}"
        return f"https://{self.settings.bucket}.s3.{self.settings.region}.amazonaws.com/{full}"


class GCSStore(ObstoreBackedStore):
    """A Google Cloud Storage bucket (``gs://``); untested here (no GCS emulator runs)."""

    scheme: ClassVar[str] = "gs"

    def __init__(self, bucket: str, extra: dict[str, Any] | None = None, **kwargs: Any):
        self.bucket = bucket
        extra = dict(extra or {})
        client = _client_options(extra, bool(extra.pop("allow_http", False)))
        super().__init__(_build(_OsGCS, bucket, config=extra, client_options=client), **kwargs)
        self.hints = {
            "auth": "check GOOGLE_APPLICATION_CREDENTIALS / service_account",
            "region": "check the bucket's location",
            "bucket": f"check the bucket name {bucket!r}",
            "endpoint": "check the network and base_url",
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> GCSStore:
        bucket, url_prefix = _split_url(url, "gs")
        base = _base_kwargs(options, url_prefix)
        return cls(bucket, options, **base)

    @property
    def location(self) -> str:
        return f"gs://{self.bucket}"

    def public_url(self, key: str) -> str:
        return f"https://storage.googleapis.com/{self.bucket}/{quote(self._full(key))}"


class AzureStore(ObstoreBackedStore):
    """An Azure Blob container (``az://container/prefix``); tested against Azurite."""

    scheme: ClassVar[str] = "az"
    server_page: ClassVar[int] = 5000

    def __init__(self, container: str, extra: dict[str, Any] | None = None, **kwargs: Any):
        self.container = container
        extra = dict(extra or {})
        endpoint = extra.get("endpoint")
        allow_http = extra.pop("allow_http", None)
        if allow_http is None:
            allow_http = bool(endpoint and str(endpoint).startswith("http://127.0.0.1"))
        client = _client_options(extra, bool(allow_http))
        super().__init__(_build(_OsAzure, container, config=extra, client_options=client), **kwargs)
        account = extra.get("account_name", "?")
        self.endpoint = str(endpoint or f"https://{account}.blob.core.windows.net")
        self.hints = {
            "auth": "check account_name / account_key (AZURE_STORAGE_ACCOUNT_NAME, "
            "AZURE_STORAGE_ACCOUNT_KEY) or the SAS token",
            "region": "check the account's endpoint",
            "bucket": f"check the container name {container!r}",
            "endpoint": "check endpoint and that the service is running",
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AzureStore:
        container, url_prefix = _split_url(url, "az")
        base = _base_kwargs(options, url_prefix)
        return cls(container, options, **base)

    @property
    def location(self) -> str:
        return f"az://{self.container} at {self.endpoint}"

    def public_url(self, key: str) -> str:
        return f"{self.endpoint.rstrip('/')}/{self.container}/{quote(self._full(key))}"
