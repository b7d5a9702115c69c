"""The contract between the hub side that mints credentials and the server that uses them.

An issuer (S3 through STS, Swift through Keystone ...) turns a JupyterHub user
name into :class:`IssuedCredentials`: the store URL that user's server opens
and the variables the store's backend reads its credentials from, valid until
``expires_at``. The single-user server never sees the issuer's own credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


class IssueRefused(Exception):
    """The issuer will not, or cannot, mint credentials for this user (said why)."""


@dataclass(frozen=True)
class IssuedCredentials:
    """What one user's server needs to open its store, and until when."""

    #: e.g. ``s3://hub-notebooks/users/alice`` or ``swift://notebooks-alice``
    store_url: str
    #: the variables the backend reads (``AWS_*``, ``OS_*``); secrets, never logged
    env: dict[str, str] = field(repr=False)
    #: when they stop working (timezone-aware, UTC); ``None``: they do not expire
    expires_at: datetime | None = None
    #: backend options beside the URL (endpoint, region ...), no secrets
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "store_url": self.store_url,
            "env": dict(self.env),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IssuedCredentials:
        expires = data.get("expires_at")
        return cls(
            store_url=str(data["store_url"]),
            env={str(k): str(v) for k, v in dict(data.get("env") or {}).items()},
            expires_at=datetime.fromisoformat(expires) if expires else None,
            options=dict(data.get("options") or {}),
        )


@runtime_checkable
class CredentialIssuer(Protocol):
    """Mints credentials scoped to one user; runs on the hub side only."""

    def issue(self, username: str) -> IssuedCredentials:
        """Credentials reaching ``username``'s notebooks and nothing else.

        Raises :class:`IssueRefused` with a reason a hub admin can act on."""
        ...
