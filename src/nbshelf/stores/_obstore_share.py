"""Making one S3 object public-read: the one sharing request obstore cannot make.

obstore writes, reads and presigns objects but sets no ACLs, so a public share
sends ``PUT <object>?acl`` with the canned ACL header ``x-amz-acl: public-read``
itself, signed with AWS Signature V4 (static credentials), with httpx. Many
buckets refuse object ACLs (AWS's default "bucket owner enforced" ownership,
Block Public Access, S3-compatible servers without ACL support): that is a
clear :class:`Unsupported` error naming the alternative, expiring links.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ._obstore_sigv4 import EMPTY_SHA256, object_url
from .errors import AuthFailed, StoreError, Unavailable, Unsupported
from .s3 import S3Store

NOT_PUBLIC_HINT = (
    "this bucket does not allow public objects (object ACLs disabled or public access "
    "blocked): share with an expiring link instead (--expires / kind 'expiring')"
)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sign_headers(
    method: str,
    url: str,
    extra: dict[str, str],
    *,
    region: str,
    access_key: str,
    secret_key: str,
    session_token: str | None = None,
) -> dict[str, str]:
    """SigV4 headers for a body-less request whose ``extra`` (x-amz-*) headers are signed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port and (parts.scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    amz_date = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {k.lower(): v for k, v in extra.items()}
    headers.update({"host": host, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": amz_date})
    if session_token:
        headers["x-amz-security-token"] = session_token
    names = sorted(headers)
    query = "&".join(sorted(q if "=" in q else f"{q}=" for q in parts.query.split("&") if q))
    canonical = "\n".join(
        [
            method,
            parts.path or "/",
            query,
            "".join(f"{n}:{headers[n].strip()}\n" for n in names),
            ";".join(names),
            EMPTY_SHA256,
        ]
    )
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(
        _hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), "s3"), "aws4_request"
    )
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    del headers["host"]
    return headers


def _endpoint(store: S3Store) -> str:
    st = store.settings
    if st.endpoint:
        return st.endpoint
    if st.virtual_hosted:
        return f"https://{st.bucket}.s3.{st.region}.amazonaws.com"
    return f"https://s3.{st.region}.amazonaws.com"


async def make_public(store: S3Store, key: str) -> str:
    """Give one object (relative key) the canned ACL ``public-read``; return its plain URL."""
    st = store.settings
    if not (st.access_key_id and st.secret_access_key):
        raise Unsupported(
            "public S3 shares need static credentials (access key and secret) to set the "
            "object's ACL; " + NOT_PUBLIC_HINT.split(": ", 1)[1],
            store=store.description,
        )
    import httpx

    full = store._full(key)
    url = object_url(_endpoint(store), st.bucket, full, st.virtual_hosted) + "?acl"
    headers = sign_headers(
        "PUT",
        url,
        {"x-amz-acl": "public-read"},
        region=st.region,
        access_key=st.access_key_id,
        secret_key=st.secret_access_key,
        session_token=st.session_token,
    )
    store.requests.add("ACL")
    try:
        async with httpx.AsyncClient(timeout=30.0, proxy=store._proxy_url) as client:
            resp = await client.put(url, headers=headers)
    except httpx.HTTPError as e:
        raise Unavailable(
            f"cannot reach the endpoint ({type(e).__name__}): {store.hints['endpoint']}",
            store=store.description,
            key=key,
        ) from None
    if resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content:
        raise AuthFailed(
            f"credentials refused setting an ACL: {store.hints['auth']}",
            store=store.description,
            key=key,
        )
    if resp.status_code >= 300:
        code = _error_code(resp.content)
        raise Unsupported(
            f"the bucket refused a public-read ACL (HTTP {resp.status_code}"
            f"{' ' + code if code else ''}): {NOT_PUBLIC_HINT}",
            store=store.description,
            key=key,
        )
    return store.public_url(key)


def _error_code(body: bytes) -> str:
    start, end = body.find(b"<Code>"), body.find(b"</Code>")
    if 0 <= start < end:
        return body[start + 6 : end].decode("utf-8", "replace")[:64]
    return ""


__all__ = ["NOT_PUBLIC_HINT", "StoreError", "make_public", "sign_headers"]
