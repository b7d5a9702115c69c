"""obstore exceptions -> nbshelf's typed store errors, with what to check.

obstore's own messages carry request URLs and response bodies; none of that
is passed on. A message keeps only the HTTP status and the S3/Azure error
code (``NoSuchBucket``, ``InvalidAccessKeyId`` ...), which hold no secret.
"""

from __future__ import annotations

import re

from obstore import exceptions as oe

from ..errors import AuthFailed, Conflict, NotFound, PermissionDenied, StoreError, Unavailable

_STATUS_RE = re.compile(r"status code: (\d{3})")
_CODE_RE = re.compile(r"<Code>(\w+)</Code>")
#: a per-key failure of a bulk delete (DeleteObjects answers 200 with an <Error> per key),
#: as obstore words it: ``DeleteObjects request failed for key k: ... (code: AccessDenied)``
_BULK_CODE_RE = re.compile(r"\(code: (\w+)\)|code: \"(\w+)\"")

_AUTH_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AuthenticationFailed",
    "InvalidClientTokenId",
}
#: the credentials are known and valid, this operation is not allowed to them
_DENIED_CODES = {
    "AccessDenied",
    "AllAccessDisabled",
    "AuthorizationFailure",
    "AuthorizationPermissionMismatch",
    "AuthorizationResourceTypeMismatch",
    "InsufficientAccountPermissions",
}
_REGION_CODES = {
    "AuthorizationHeaderMalformed",
    "PermanentRedirect",
    "IllegalLocationConstraintException",
}
_BUCKET_CODES = {"NoSuchBucket", "ContainerNotFound"}
_UNREACHABLE = (
    "error sending request",
    "connection refused",
    "dns error",
    "tcp connect error",
    "timed out",
    "operation timed out",
    "connection reset",
    # a connection cut or stalled mid-body (the request's or the response's)
    "request or response body error",
    "error decoding response body",
    "connection closed before message completed",
    "broken pipe",
)


def describe(exc: BaseException) -> tuple[int | None, str | None]:
    """(HTTP status, service error code) found in an obstore error, if any."""
    text = str(exc)
    status = _STATUS_RE.search(text)
    code = _CODE_RE.search(text)
    if code:
        return (int(status.group(1)) if status else None, code.group(1))
    bulk = _BULK_CODE_RE.search(text)
    return (
        int(status.group(1)) if status else None,
        (bulk.group(1) or bulk.group(2)) if bulk else None,
    )


def translate(
    exc: BaseException, *, store: str, key: str | None, hints: dict[str, str]
) -> StoreError:
    """The typed error for an obstore failure. ``hints`` say what to check per kind:
    ``auth``, ``region``, ``bucket``, ``endpoint``."""
    status, code = describe(exc)
    what = f" {key!r}" if key else ""
    detail = ", ".join(x for x in (str(status) if status else "", code or "") if x)
    detail = f" ({detail})" if detail else ""
    text = str(exc).lower()
    if code in _REGION_CODES or (status == 301):
        return StoreError(f"wrong region{detail}: {hints['region']}", store=store, key=key)
    if code in _BUCKET_CODES:
        return NotFound(
            f"the bucket does not exist{detail}: {hints['bucket']}", store=store, key=key
        )
    if isinstance(exc, (oe.AlreadyExistsError, oe.PreconditionError)):
        return Conflict(
            f"{what.strip() or 'the object'} already exists or changed", store=store, key=key
        )
    if isinstance(exc, oe.NotFoundError) or status == 404:
        return NotFound(f"no such object{what}", store=store, key=key)
    if code in _DENIED_CODES or (
        (status == 403 or isinstance(exc, oe.PermissionDeniedError))
        and code not in _AUTH_CODES
        and not isinstance(exc, oe.UnauthenticatedError)
    ):
        return PermissionDenied(
            f"refused{detail}{' on' + what if what else ''}: the credentials lack the "
            f"permission for this operation ({hints['auth']})",
            store=store,
            key=key,
        )
    if (
        isinstance(exc, (oe.PermissionDeniedError, oe.UnauthenticatedError))
        or code in _AUTH_CODES
        or status in (401, 403)
    ):
        return AuthFailed(f"credentials refused{detail}: {hints['auth']}", store=store, key=key)
    if status is None and any(s in text for s in _UNREACHABLE):
        return Unavailable(f"cannot reach the endpoint: {hints['endpoint']}", store=store, key=key)
    if status is not None and (status >= 500 or status in (408, 429)):
        return Unavailable(
            f"the server failed{detail} on{what or ' a request'}", store=store, key=key
        )
    if isinstance(exc, oe.NotSupportedError):
        return StoreError(f"not supported by this server{detail}", store=store, key=key)
    return StoreError(
        f"request failed{detail} on{what or ' a request'} ({type(exc).__name__})",
        store=store,
        key=key,
    )


class ResponseError(Exception):
    """An S3 error answer to a request nbshelf sent itself (httpx, not obstore):
    its text has the shape :func:`describe` reads (status, service code), nothing else."""

    def __init__(self, status: int, body: bytes = b"") -> None:
        code = _CODE_RE.search(body[:4096].decode("utf-8", "replace"))
        text = f"status code: {status}"
        if code:
            text += f", <Code>{code.group(1)}</Code>"
        super().__init__(text)
        self.status = status


def translate_response(
    status: int, body: bytes, *, store: str, key: str | None, hints: dict[str, str]
) -> StoreError:
    """The typed error for an HTTP error answer, as :func:`translate` gives for obstore's."""
    return translate(ResponseError(status, body), store=store, key=key, hints=hints)
