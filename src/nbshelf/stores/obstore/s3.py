"""S3 (and S3-compatible: Swift's s3api, MinIO, Ceph, moto) on obstore:
``s3://bucket/optional/prefix``.

The shared behaviour (folder markers, listing, uploads, errors) lives in
:mod:`.base`; this module builds the S3 client from :class:`S3Options` (settings
resolved as the AWS CLI does, :mod:`.aws`) and sends the few requests obstore cannot
(CopyObject with its answer, DELETE of foreign ``a/b/`` markers) signed by
:mod:`.sigv4`. Its capabilities: signed links (presigned URLs, at most 7 days) and
public links (a public-read ACL, :mod:`.share`). See docs/s3.md.

Short-lived credentials (JupyterHub, docs/jupyterhub.md): the ``credentials`` option is
a credential source (:mod:`..expiring`) giving ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` with an expiry; they are renewed
before they expire (:class:`..credentials.CredentialCache`) and handed to obstore through
its ``credential_provider`` callback and to the requests signed here. A presigned link
signed with them would die with them: the ``link_signer`` option (a blocking
``(full key, seconds) -> URL``, e.g. the hub service's) signs links instead, for as long
as asked; without one, :attr:`S3Store.max_signed_expiry` is what is left of the
credentials' life, and a longer expiry is refused saying so.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import logging
import os
import re
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

# Imported with the module, not on first use: httpx, httpcore (httpx imports it when
# its first client is built) and anyio (httpcore imports it on the first request) were
# imported on the event loop, which stalled it for 30-250 ms the first time a folder
# marker was deleted.
import certifi
import httpcore  # noqa: F401
import httpx
from obstore.store import S3Store as _OsS3

from ..base import ObjectInfo, PutBody, PutOptions
from ..capabilities import PublicSnapshot, SnapshotFile
from ..credentials import CredentialCache
from ..errors import Conflict, CredentialsUnavailable, StoreError, Unavailable
from ..expiring import CredentialSource, ExpiringCredentials
from ..location import StoreLocation
from ..options import OptionReader
from . import share
from .aws import AWS_OPTIONS, AwsSettings, resolve
from .base import ObstoreBackedStore, ObstoreOptions, _etag, build_client
from .errors import translate_response
from .sigv4 import EMPTY_SHA256, copy_source, object_url, sign

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["S3Options", "S3Store"]

#: SigV4 presigned URLs last at most 7 days.
S3_MAX_EXPIRY = 7 * 86400
#: The variables a credential source gives for S3 (the session token may be absent).
_KEY_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
#: What is ignored in the environment when a credential source gives the credentials.
_ENV_CREDENTIALS = (*_KEY_VARS, "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")
#: Signs a presigned GET of a full key for some seconds (blocking; run in a thread).
LinkSigner = Callable[[str, int], str]
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


#: Attributes obstore sends as the object's own headers; any other is user metadata.
_OWN_HEADERS = {
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-type",
    "cache-control",
}


def _put_headers(content_type: str, metadata: Mapping[str, str]) -> dict[str, str]:
    """A PutObject's headers for what obstore would send as the object's attributes."""
    headers = {"Content-Type": content_type}
    for name, value in metadata.items():
        if name.lower() in _OWN_HEADERS:
            headers[name] = value
        else:
            headers[f"x-amz-meta-{name}"] = value
    return headers


async def _sha256(data: bytes) -> str:
    """The body's SHA-256 for the signature; a large body is hashed in a worker thread
    (hashlib lets go of the GIL), not on the event loop."""
    if len(data) < 1 << 16:
        return hashlib.sha256(data).hexdigest()
    return await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())


def _http_second(value: str | None) -> datetime | None:
    """An HTTP date (``Last-Modified``) as an aware UTC time, or None."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


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
    #: short-lived credentials, asked again before they expire (None: static ones)
    credentials: CredentialSource | None = None
    #: signs share links in place of the (short-lived) credentials
    link_signer: LinkSigner | None = None

    @classmethod
    def read(cls, location: StoreLocation, options: dict[str, Any]) -> S3Options:
        r = OptionReader("s3", options)
        source = r.function("credentials")
        signer = r.function("link_signer")
        base = ObstoreOptions.read(r)
        extra = r.rest()
        env: Mapping[str, str] | None = None
        if source is not None:  # the source's credentials, never the environment's
            env = {k: v for k, v in os.environ.items() if k not in _ENV_CREDENTIALS}
        settings = resolve(location.container, extra, env)  # takes the AWS options out
        if source is not None:
            if settings.access_key_id:
                raise StoreError("give credentials (a source) or access keys, not both")
            settings.credentials_from = "the credential source"
        known = (*r.known, *AWS_OPTIONS)
        return cls(base, settings, extra, known=known, credentials=source, link_signer=signer)


class S3Store(ObstoreBackedStore):
    """An S3 bucket (AWS, or any S3 API: Swift s3api, MinIO, Ceph, moto)."""

    scheme: ClassVar[str] = "s3"
    url_form: ClassVar[str] = "s3://bucket[/prefix]"

    def __init__(self, options: S3Options, *, prefix: str = "") -> None:
        settings = options.settings
        self.settings = settings
        self._link_signer = options.link_signer
        #: short-lived credentials and their renewal (None: static credentials)
        self.credential_cache: CredentialCache | None = None
        client_kwargs: dict[str, Any] = {}
        if options.credentials is not None:
            where = f"s3://{settings.bucket}/{prefix}".rstrip("/")
            self.credential_cache = CredentialCache(options.credentials, where=where)
            client_kwargs["credential_provider"] = self._obstore_credentials
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
        connect, request = options.base.timeouts()
        #: obstore's timeouts for the requests sent with httpx: a stalled answer is
        #: retried as soon as obstore's would be (httpx times each read, connect apart)
        self._http_timeout = httpx.Timeout(request, connect=connect)
        self._proxy_url: str | None = extra.get("proxy_url")
        os_store = build_client(
            _OsS3,
            settings.bucket,
            known=options.known,
            config={**config, **extra},
            client_options=options.base.client_options(settings.allow_http),
            **client_kwargs,
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

    # ------------------------------------------------------------ short-lived credentials
    @staticmethod
    def _keys(creds: ExpiringCredentials, where: str) -> tuple[str, str, str | None]:
        env = creds.env
        missing = [v for v in _KEY_VARS if not env.get(v)]
        if missing:
            raise CredentialsUnavailable(
                f"the credential source gave no {' or '.join(missing)}", store=where
            )
        return env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN")

    def _obstore_credentials(self) -> dict[str, Any]:
        """obstore's ``credential_provider`` callback (called from its threads whenever its
        cached credentials have less than 5 minutes left): the held ones, no network call
        unless they expired."""
        assert self.credential_cache is not None
        creds = self.credential_cache.current()
        key, secret, token = self._keys(creds, self.description)
        expires = creds.expires_at
        return {
            "access_key_id": key,
            "secret_access_key": secret,
            "token": token,
            # obstore takes exactly datetime.timezone.utc (not dateutil's tzutc ...)
            "expires_at": expires.astimezone(timezone.utc) if expires else None,
        }

    async def _before_request(self) -> None:
        """Credentials renewed ahead of their expiry (the held ones at once while fresh)."""
        if self.credential_cache is not None:
            await self.credential_cache.fresh()

    async def _retrying(
        self, call: Callable[[], Awaitable[T]], key: str | None, **kwargs: Any
    ) -> T:
        """Every attempt of every call first makes sure of its credentials."""
        if self.credential_cache is None:
            return await super()._retrying(call, key, **kwargs)

        async def fresh_call() -> T:
            await self._before_request()
            return await call()

        return await super()._retrying(fresh_call, key, **kwargs)

    def _signing_keys(self) -> tuple[str, str, str | None]:
        """The keys the requests sent here are signed with now."""
        if self.credential_cache is not None:
            return self._keys(self.credential_cache.current(), self.description)
        st = self.settings
        assert st.access_key_id and st.secret_access_key
        return st.access_key_id, st.secret_access_key, st.session_token

    # ------------------------------------------------------------ requests sent with httpx
    @property
    def signs_requests(self) -> bool:
        """True with static credentials (options, env, profile) or a credential source:
        the few requests obstore cannot make (or whose answer it drops) are signed here
        and sent with httpx."""
        if self.credential_cache is not None:
            return True
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
                timeout=self._http_timeout,
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
        content: bytes | None = None,
        payload_sha256: str = EMPTY_SHA256,
    ) -> httpx.Response:
        """Send one body-less, SigV4-signed request for the full ``key`` (counted as
        ``op``); an unreachable endpoint is :class:`Unavailable`. Needs static credentials
        or a credential source."""
        st = self.settings
        access_key, secret_key, session_token = self._signing_keys()
        url = object_url(self.endpoint_base(), st.bucket, key, st.virtual_hosted)
        if query:
            url += "?" + query
        signed = sign(
            method,
            url,
            headers,
            region=st.region,
            access_key=access_key,
            secret_key=secret_key,
            session_token=session_token,
            payload_sha256=payload_sha256,
        )
        client = self.http_client()
        self.requests.add(op)
        try:
            # ``signed`` holds every header of ``headers`` (lower-cased, as signed): sending
            # both spellings would send each twice ("If-None-Match: *, *"), not as signed
            return await client.request(method, url, headers=signed, content=content)
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

    async def _put(self, key: str, body: PutBody, put: PutOptions) -> ObjectInfo:
        """One PutObject of a body held in memory, sent here so that its answer's
        Last-Modified (moto, MinIO and Swift's s3api send it) spares the HEAD obstore's put
        needs; a server that does not send it (AWS) gets that HEAD. Files, bodies larger
        than a part, folder markers, and without signing keys or with S3Config options
        for writes: obstore's put (+ HEAD)."""
        if (
            key.endswith("/")
            or not isinstance(body, (bytes, bytearray, memoryview))
            or len(body) > self.chunk_size
            or not self.signs_requests
            or not self._plain_config
        ):
            return await super()._put(key, body, put)
        data = bytes(body)
        content_type = put.content_type or self._guess_type(key)
        headers = _put_headers(content_type, put.metadata)
        if put.if_none_match:
            headers["If-None-Match"] = "*"
        resp = await self.signed_request(
            "PUT", key, "PUT", headers=headers, content=data, payload_sha256=await _sha256(data)
        )
        if resp.status_code in (409, 412) and put.if_none_match:
            raise Conflict(f"{key!r} already exists", store=self.description, key=key)
        if resp.status_code >= 300:
            raise self._response_error(resp, key)
        etag = _etag(resp.headers.get("etag"))
        last_modified = _http_second(resp.headers.get("last-modified"))
        if last_modified is None:
            info = await self._head_after_write(key, key)
            last_modified, etag = info.last_modified, etag or info.etag
        return ObjectInfo(
            key=key,
            size=len(data),
            last_modified=last_modified,
            etag=etag,
            content_type=content_type,
            metadata=dict(put.metadata),
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

    # ------------------------------------------------------------ signed links
    @property
    def max_signed_expiry(self) -> int | None:
        """7 days (SigV4's limit); with short-lived credentials and no ``link_signer``,
        what is left of their life: a link signed with them dies with them."""
        cache = self.credential_cache
        if self._link_signer is not None or cache is None:
            return S3_MAX_EXPIRY
        expires = cache.current().expires_at
        if expires is None:
            return S3_MAX_EXPIRY
        left = int((expires - datetime.now(timezone.utc)).total_seconds())
        return max(0, min(S3_MAX_EXPIRY, left))

    @max_signed_expiry.setter
    def max_signed_expiry(self, value: int | None) -> None:
        raise AttributeError("the S3 store's longest link follows from its credentials")

    @property
    def signed_links_name(self) -> str:
        if self.credential_cache is not None and self._link_signer is None:
            return "S3 signed links made with this server's short-lived credentials"
        return "S3 signed links"

    @signed_links_name.setter
    def signed_links_name(self, value: str) -> None:
        raise AttributeError("the S3 store's links are named by how they are signed")

    async def signed_url(self, key: str, expires_in: int, *, inline: bool = False) -> str:
        """A presigned GET: signed by the ``link_signer`` when there is one (the hub
        service, for as long as asked), else with the store's own credentials."""
        if self._link_signer is None:
            await self._before_request()
            return await super().signed_url(key, expires_in, inline=inline)
        full = self._full(key)
        try:
            return await asyncio.to_thread(self._link_signer, full, expires_in)
        except StoreError:
            raise
        except Exception as e:
            raise Unavailable(
                f"the link could not be signed ({e})", store=self.description
            ) from None

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
