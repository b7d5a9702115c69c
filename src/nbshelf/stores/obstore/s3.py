"""S3 (and S3-compatible: Swift's s3api, MinIO, Ceph, moto) on obstore:
``s3://bucket/optional/prefix``.

The shared behaviour (folder markers, listing, uploads, errors) lives in
:mod:`.base`; this module builds the S3 client from :class:`S3Options` (settings
resolved as the AWS CLI does, :mod:`.aws`) and sends the few requests obstore cannot
(CopyObject with its answer, DELETE of foreign ``a/b/`` markers) signed by
:mod:`.sigv4`. Its capabilities: signed links (presigned URLs, at most 7 days) and
public links (a public-read ACL, :mod:`.share`). See docs/s3.md.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import quote

# Imported with the module, not on first use: httpx, httpcore (httpx imports it when
# its first client is built) and anyio (httpcore imports it on the first request) were
# imported on the event loop, which stalled it for 30-250 ms the first time a folder
# marker was deleted.
import certifi
import httpcore  # noqa: F401
import httpx
from obstore.store import S3Store as _OsS3

from ..base import ObjectInfo
from ..capabilities import PublicSnapshot, SnapshotFile
from ..errors import StoreError, Unavailable
from ..location import StoreLocation
from ..options import OptionReader
from . import share
from .aws import AWS_OPTIONS, AwsSettings, resolve
from .base import ObstoreBackedStore, ObstoreOptions, _etag, build_client
from .errors import translate_response
from .sigv4 import copy_source, object_url, sign

log = logging.getLogger(__name__)

__all__ = ["S3Options", "S3Store"]

#: SigV4 presigned URLs last at most 7 days.
S3_MAX_EXPIRY = 7 * 86400
_ISO_SECOND = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)")


def _preload() -> None:
    """What httpx's first request would import on the event loop: anyio's asyncio
    backend (httpcore picks it per request) and the modules it loads lazily (the MIME
    table is read by :mod:`.base`)."""
    try:
        importlib.import_module("anyio._backends._asyncio")
        import anyio

        for name in ("connect_tcp", "Lock", "Semaphore", "fail_after", "lowlevel"):
            getattr(anyio, name, None)
    except ImportError:  # pragma: no cover - anyio is a dependency of httpx
        pass


_preload()


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CAs), made once per process, when the first
    store that needs it is built: loading the CAs takes 20-50 ms that would otherwise
    stall the event loop on a store's first signed request (a worker thread does not
    help: the loading holds the GIL)."""
    make = getattr(httpx, "create_ssl_context", None)
    if make is not None:
        return make()
    return ssl.create_default_context(cafile=certifi.where())


def _xml_text(body: bytes, name: str) -> str | None:
    """The text of the first element ``name`` (any namespace) of an S3 XML answer."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    for el in root.iter():
        if el.tag == name or el.tag.endswith("}" + name):
            return (el.text or "").strip()
    return None


def _iso_second(text: str | None) -> datetime | None:
    """``2026-11-22T17:00:01.000Z`` -> that time in whole seconds (UTC), as HEAD says it."""
    m = _ISO_SECOND.match(text or "")
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(g) for g in m.groups())
    return datetime(y, mo, d, h, mi, sec, tzinfo=timezone.utc)


@dataclass(frozen=True)
class S3Options:
    """The S3 store's options, read once: obstore's common ones, the AWS settings
    (credentials, region, endpoint, addressing, allow_http: :func:`.aws.resolve`), and
    any other S3Config key for obstore (``server_side_encryption`` ...), which obstore
    checks."""

    base: ObstoreOptions
    settings: AwsSettings
    #: S3Config keys nbshelf does not read itself, passed to obstore as they are.
    extra: dict[str, Any]
    #: nbshelf's own option names, for messages.
    known: tuple[str, ...]

    @classmethod
    def read(cls, location: StoreLocation, options: dict[str, Any]) -> S3Options:
        r = OptionReader("s3", options)
        base = ObstoreOptions.read(r)
        extra = r.rest()
        settings = resolve(location.container, extra)  # takes the AWS options out
        return cls(base, settings, extra, known=(*r.known, *AWS_OPTIONS))


class S3Store(ObstoreBackedStore):
    """An S3 bucket (AWS, or any S3 API: Swift s3api, MinIO, Ceph, moto)."""

    scheme: ClassVar[str] = "s3"
    url_form: ClassVar[str] = "s3://bucket[/prefix]"
    max_signed_expiry: int | None = S3_MAX_EXPIRY
    signed_links_name: str = "S3 signed links"

    def __init__(self, options: S3Options, *, prefix: str = "") -> None:
        settings = options.settings
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
        extra = dict(options.extra)
        self._proxy_url: str | None = extra.get("proxy_url")
        os_store = build_client(
            _OsS3,
            settings.bucket,
            known=options.known,
            config={**config, **extra},
            client_options=options.base.client_options(settings.allow_http),
        )
        super().__init__(os_store, **options.base.store_kwargs(prefix))
        #: Other S3Config options (server_side_encryption, request_payer ...) change what
        #: obstore sends with a copy: then the copy stays obstore's (+ HEAD).
        self._plain_config = not (set(extra) - {"proxy_url"})
        self._http: httpx.AsyncClient | None = None
        self._tls = not (settings.endpoint or "").startswith("http://")
        if self._tls and self.signs_requests:
            _tls_context()  # now, at construction, not on the event loop later
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
    def from_location(cls, location: StoreLocation, options: dict[str, Any]) -> S3Store:
        return cls(S3Options.read(location, options), prefix=location.prefix)

    @property
    def location(self) -> str:
        where = self.settings.endpoint or f"AWS region {self.settings.region}"
        return f"s3://{self.settings.bucket} at {where}"

    # ------------------------------------------------------------ requests sent with httpx
    @property
    def signs_requests(self) -> bool:
        """True with static credentials (options, env, profile): the few requests obstore
        cannot make (or whose answer it drops) are signed here and sent with httpx."""
        return bool(self.settings.access_key_id and self.settings.secret_access_key)

    def endpoint_base(self) -> str:
        """The endpoint URL requests go to (holding the bucket when virtual-hosted)."""
        st = self.settings
        if st.endpoint:
            return st.endpoint
        if st.virtual_hosted:
            return f"https://{st.bucket}.s3.{st.region}.amazonaws.com"
        return f"https://s3.{st.region}.amazonaws.com"

    def http_client(self) -> httpx.AsyncClient:
        """The store's httpx client, cheap to build (about 2 ms): its TLS context is the
        process-wide one made at construction, and a plain-http endpoint needs none."""
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(
                timeout=30.0,
                proxy=self._proxy_url,
                verify=_tls_context() if self._tls else False,
            )
        return self._http

    async def signed_request(
        self,
        method: str,
        key: str,
        op: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        error_key: str | None = None,
    ) -> httpx.Response:
        """Send one body-less, SigV4-signed request for the full ``key`` (counted as
        ``op``); an unreachable endpoint is :class:`Unavailable`. Needs static credentials."""
        st = self.settings
        assert st.access_key_id and st.secret_access_key
        url = object_url(self.endpoint_base(), st.bucket, key, st.virtual_hosted)
        if query:
            url += "?" + query
        signed = sign(
            method,
            url,
            headers,
            region=st.region,
            access_key=st.access_key_id,
            secret_key=st.secret_access_key,
            session_token=st.session_token,
        )
        client = self.http_client()
        self.requests.add(op)
        try:
            return await client.request(method, url, headers={**(headers or {}), **signed})
        except httpx.HTTPError as e:
            raise Unavailable(
                f"cannot reach the endpoint ({type(e).__name__}): {self.hints['endpoint']}",
                store=self.description,
                key=error_key or key,
            ) from None

    def _response_error(self, resp: httpx.Response, key: str) -> StoreError:
        return translate_response(
            resp.status_code, resp.content, store=self.description, key=key, hints=self.hints
        )

    async def _copy(self, src: str, dst: str) -> ObjectInfo:
        """One CopyObject, sent here so that its answer (LastModified, ETag) is read:
        obstore's copy drops it, which cost a HEAD per checkpoint. The size is not in
        the answer: it is -1 (unknown), as on Swift. Without static credentials, or
        with S3Config options that obstore would send with the copy (encryption, request
        payer ...), obstore's copy and a HEAD."""
        if (
            src.endswith("/")
            or dst.endswith("/")
            or not self.signs_requests
            or not self._plain_config
        ):
            return await super()._copy(src, dst)
        source = {"x-amz-copy-source": copy_source(self.settings.bucket, src)}
        resp = await self.signed_request("PUT", dst, "COPY", headers=source, error_key=src)
        body = resp.content
        if resp.status_code >= 300:
            raise self._response_error(resp, src)
        last_modified = _iso_second(_xml_text(body, "LastModified"))
        if last_modified is None:
            # S3 may answer 200 and put an error in the body (InternalError ...): retried
            raise translate_response(
                500 if b"<Error" in body else 502,
                body,
                store=self.description,
                key=src,
                hints=self.hints,
            )
        return ObjectInfo(
            key=dst,
            size=-1,
            last_modified=last_modified,
            etag=_etag(_xml_text(body, "ETag")),
            content_type=self._guess_type(dst),
        )

    async def _delete_foreign_markers(self, keys: Sequence[str]) -> None:
        """DELETE each ``a/b/`` key itself (SigV4, httpx): obstore cannot name it.
        One request per foreign marker seen; needs static credentials."""
        if not self.signs_requests:
            log.warning(
                "%s: cannot remove folder markers written by other tools without static "
                "credentials; they stay",
                self.description,
            )
            return
        for key in keys:
            resp = await self.signed_request("DELETE", key, "DELETE")
            if resp.status_code >= 300 and resp.status_code != 404:
                raise self._response_error(resp, key)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await super().close()

    # ------------------------------------------------------------ public links (.share)
    async def publish_public(
        self,
        snapshot_id: str,
        files: Sequence[SnapshotFile],
        *,
        folder: str,
        container: str | None = None,
    ) -> PublicSnapshot:
        """The files written under ``folder`` in this bucket, each then given a
        public-read ACL (``container`` is not used: S3 publishes the bucket's own
        objects); none is left behind if one cannot be made public."""
        return await share.publish_public(self, files, folder)

    async def unpublish_public(self, keys: Sequence[str], *, container: str | None) -> None:
        await self.delete(keys)

    def public_url(self, key: str) -> str:
        """The plain URL of an object: it opens only if the bucket or object is public."""
        full = quote(self._full(key))
        if self.settings.endpoint:
            if self.settings.virtual_hosted:
                return f"{self.settings.endpoint}/{full}"
            return f"{self.settings.endpoint}/{self.settings.bucket}/{full}"
        return f"https://{self.settings.bucket}.s3.{self.settings.region}.amazonaws.com/{full}"
