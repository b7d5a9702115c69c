"""Typed errors every store raises, whatever the backend.

The contents layer maps these to HTTP statuses; a message never holds a secret
(backends pass the endpoint and the account or user name, never a key, token
or signed URL).
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error.

    ``store`` names the store (``swift://notebooks at http://127.0.0.1:8080``)
    so that a message says which store failed and what to check.
    """

    def __init__(self, message: str, *, store: str = "", key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.store = store
        self.key = key

    def __str__(self) -> str:
        if self.store:
            return f"{self.store}: {self.message}"
        return self.message


class NotFound(StoreError):
    """The key (or the container/bucket) does not exist."""


class Conflict(StoreError):
    """A conditional write failed: the object exists, or changed since it was read."""


class AuthFailed(StoreError):
    """The credentials were refused (401/403 from the store or its identity service)."""


class PermissionDenied(AuthFailed):
    """The store knew the credentials and refused this operation on this key (HTTP 403
    AccessDenied on S3, 403 from Swift's ACLs, EACCES on the local disk): they lack that
    permission. ``operation`` says which (``read``, ``list``, ``write``, ``delete``,
    ``copy``); the store interface fills it in whatever the backend."""

    def __init__(
        self, message: str, *, store: str = "", key: str | None = None, operation: str = ""
    ) -> None:
        super().__init__(message, store=store, key=key)
        self.operation = operation


class Unavailable(StoreError):
    """The store cannot be reached or answered with a server error."""


class CredentialsUnavailable(Unavailable):
    """The store's credentials expired or could not be had from where they come from
    (a JupyterHub service that issues them, :mod:`nbshelf.stores.credentials`)."""


class InvalidKey(StoreError):
    """The key is not acceptable to this store (too long, bad characters)."""


class Unsupported(StoreError):
    """The backend cannot do this operation (e.g. a public URL on the local store)."""


class IntegrityError(StoreError):
    """The bytes the store holds are not the bytes that were sent."""
