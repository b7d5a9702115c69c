"""nbshelf on JupyterHub: per-user, short-lived store credentials.

The hub side alone holds the broad credentials; it mints, for each single-user
server, credentials that reach that user's prefix or container and nothing else
(:mod:`.credentials` names the contract). Each single-user server asks for them
with its own JupyterHub API token and asks again before they expire.
"""

from __future__ import annotations

from .credentials import CredentialIssuer, IssuedCredentials, IssueRefused

__all__ = ["CredentialIssuer", "IssueRefused", "IssuedCredentials"]
