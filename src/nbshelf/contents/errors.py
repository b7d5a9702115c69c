"""Store errors -> HTTP errors with a message that says what to check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tornado.web import HTTPError

from ..stores import (
    AuthFailed,
    Conflict,
    CredentialsUnavailable,
    IntegrityError,
    InvalidKey,
    NotFound,
    PermissionDenied,
    StoreError,
    Unavailable,
    Unsupported,
)


def http_error(e: StoreError, path: str) -> HTTPError:
    """The HTTP error a contents request answers for a store error.

    Store messages name the store and never hold secrets (the backends' rule),
    so they can be shown to the user as they are.
    """
    if isinstance(e, NotFound):
        return HTTPError(404, f"No such file or directory: {path}")
    if isinstance(e, Conflict):
        return HTTPError(409, f"{path}: {e.message}")
    if isinstance(e, InvalidKey):
        return HTTPError(400, f"Invalid path {path!r}: {e.message}")
    if isinstance(e, Unsupported):
        return HTTPError(501, str(e))
    if isinstance(e, PermissionDenied):
        return HTTPError(403, denied_message(e, path))
    if isinstance(e, AuthFailed):
        return HTTPError(
            503, f"The notebook store refused nbshelf's credentials ({e}); check them."
        )
    if isinstance(e, IntegrityError):
        return HTTPError(
            503, f"The notebook store did not keep {path} intact ({e}); nothing was lost."
        )
    if isinstance(e, CredentialsUnavailable):
        return HTTPError(503, f"nbshelf has no valid credentials for the notebook store: {e}")
    if isinstance(e, Unavailable):
        return HTTPError(
            503, f"The notebook store is unavailable ({e}); check that it is running and reachable."
        )
    return HTTPError(503, f"The notebook store failed: {e}")


#: what each operation of the store interface is called in a message
_DOING = {
    "read": "read",
    "list": "list",
    "write": "write",
    "delete": "delete",
    "copy": "copy",
}


def denied_message(e: PermissionDenied, path: str) -> str:
    """What the user reads when the store refused an operation (HTTP 403): which operation,
    on what, and that the credentials lack that permission."""
    op = _DOING.get(e.operation, e.operation or "access")
    what = path or e.key or ""
    return (
        f"The notebook store refused to {op} {what!r}: nbshelf's credentials lack the "
        f"permission to {op} there ({e}). Ask for credentials that may {op} objects in "
        "this store, or work where they may."
    )


@contextlib.contextmanager
def store_errors(path: str) -> Iterator[None]:
    """Translate store errors raised inside the block into HTTP errors for ``path``."""
    try:
        yield
    except StoreError as e:
        raise http_error(e, path) from None
