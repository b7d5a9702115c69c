"""nbshelf on JupyterHub: per-user, short-lived store credentials.

The hub side alone holds the broad credentials; it mints, for each single-user
server, credentials that reach that user's prefix or container and nothing else
(:mod:`.credentials` names the contract). Each single-user server asks for them
with its own JupyterHub API token and asks again before they expire.

Hub side: :mod:`.service` (the JupyterHub-managed service that alone holds the broad
credentials and issues per-user ones through a configured issuer), :mod:`.s3`
(``S3Issuer``: STS AssumeRole), :mod:`.keystone` (``KeystoneIssuer``: per-user Swift
containers and Keystone users, restricted application credentials), :mod:`.config`
(what jupyterhub_config.py calls). Single-user side: :mod:`.client` (asks the service)
and :mod:`.singleuser` (``HubContentsManager``, the store opened from those credentials).

May import: contents, stores (public names). Nothing of server/ or share/.
"""

from __future__ import annotations

from typing import Any

from .credentials import CredentialIssuer, IssuedCredentials, IssueRefused

# imported on first use: the hub's service needs none of the contents machinery
_LAZY = {
    "HubContentsManager": "singleuser",
    "HubCredentialsClient": "client",
    "KeystoneIssuer": "keystone",
    "S3Issuer": "s3",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CredentialIssuer",
    "HubContentsManager",
    "HubCredentialsClient",
    "IssueRefused",
    "IssuedCredentials",
    "KeystoneIssuer",
    "S3Issuer",
]
