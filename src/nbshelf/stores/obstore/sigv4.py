"""AWS Signature V4 for the few S3 requests nbshelf sends itself, with httpx.

obstore cannot make these, so they go around it (static credentials only):

* DELETE of a key ending in "/": folder markers ``a/b/`` written by other tools
  (S3 console, rclone, s3fs); obstore strips that slash from every path.
* CopyObject (``PUT`` with ``x-amz-copy-source``): obstore's copy discards the
  response, whose ``<CopyObjectResult>`` carries LastModified and ETag; sending it
  here spares the HEAD a checkpoint would otherwise need.
* ``PUT ?acl`` (public shares, :mod:`.share`): obstore sets no ACLs.
* PutObject of a small body: obstore's put drops the answer's Last-Modified (which
  moto, MinIO and Swift's s3api send), which cost a HEAD per save.

This module is the one signing implementation for all of them.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def object_url(endpoint: str, bucket: str, key: str, virtual_hosted: bool) -> str:
    """URL of ``key``; ``endpoint`` already holds the bucket when virtual-hosted."""
    path = quote(key, safe="/~")
    if virtual_hosted:
        return f"{endpoint.rstrip('/')}/{path}"
    return f"{endpoint.rstrip('/')}/{bucket}/{path}"


def copy_source(bucket: str, key: str) -> str:
    """The ``x-amz-copy-source`` header value: ``/bucket/key``, URL-encoded."""
    return "/" + quote(f"{bucket}/{key}", safe="/~")


def _canonical_query(query: str) -> str:
    """Query parameters sorted, each as ``name=value`` (``?acl`` is ``acl=``)."""
    return "&".join(sorted(q if "=" in q else f"{q}=" for q in query.split("&") if q))


def sign(
    method: str,
    url: str,
    extra: dict[str, str] | None = None,
    *,
    region: str,
    access_key: str,
    secret_key: str,
    session_token: str | None = None,
    now: datetime | None = None,
    payload_sha256: str = EMPTY_SHA256,
) -> dict[str, str]:
    """Headers (with Authorization) for an S3 request to ``url``, body-less unless
    ``payload_sha256`` (the hex SHA-256 of the body) is given; the ``extra`` headers
    (``x-amz-acl``, ``x-amz-copy-source`` ...) are signed too."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port and (parts.scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    now = now or datetime.now(timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {k.lower(): v.strip() for k, v in (extra or {}).items()}
    headers.update({"host": host, "x-amz-content-sha256": payload_sha256, "x-amz-date": amz_date})
    if session_token:
        headers["x-amz-security-token"] = session_token
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            parts.path or "/",  # already URI-encoded by object_url (S3 encodes once)
            _canonical_query(parts.query),
            "".join(f"{n}:{headers[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
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
    del headers["host"]  # the HTTP client sends it from the URL
    return headers
