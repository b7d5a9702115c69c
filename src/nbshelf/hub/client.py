"""The single-user server's side: credentials asked from the hub's service.

A JupyterHub single-user server holds no store credentials of its own. It asks the
hub's credentials service (:mod:`.service`) for them, authenticated with its own
``JUPYTERHUB_API_TOKEN``, and asks again before they expire: :meth:`HubCredentialsClient.fetch`
is the credential source (``Callable[[], IssuedCredentials]``) a backend's ``credentials``
option takes (:mod:`nbshelf.stores.expiring`); :meth:`HubCredentialsClient.sign` signs a
share link on the hub, for as long as the user asked, where a link signed with
short-lived credentials would die with them.

Everything here blocks (urllib): the stores call it in worker threads. A failure is a
:class:`~nbshelf.stores.CredentialsUnavailable` naming the hub service and its URL (the
contents API answers 503 with it), never the token.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..stores import CredentialsUnavailable
from .credentials import IssuedCredentials

#: Where the hub's credentials service is, as the spawner tells the server.
ENV_URL = "NBSHELF_HUB_CREDENTIALS_URL"
#: Its name in ``c.JupyterHub.services`` (for messages).
ENV_SERVICE = "NBSHELF_HUB_SERVICE"
DEFAULT_SERVICE = "nbshelf-credentials"


def fingerprint(creds: IssuedCredentials) -> str:
    """A short digest telling credentials apart (status, tests), revealing nothing."""
    text = "\0".join(f"{k}={v}" for k, v in sorted(creds.env.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class HubCredentialsClient:
    """Asks the hub's credentials service for this server's user's credentials."""

    def __init__(
        self, url: str, token: str, *, service: str = DEFAULT_SERVICE, timeout: float = 15.0
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise CredentialsUnavailable(
                f"the hub credentials service URL must be http(s)://..., not {url!r} "
                f"(${ENV_URL}, set by the hub's jupyterhub_config.py)"
            )
        if not token:
            raise CredentialsUnavailable(
                "no JupyterHub API token ($JUPYTERHUB_API_TOKEN): this server was not "
                f"started by JupyterHub, so the hub service {service} cannot know its user"
            )
        self.url = url.rstrip("/") + "/"
        self.service = service
        self.timeout = timeout
        self._token = token
        self._lock = threading.Lock()
        #: answers of the service taken so far, and what the last one was
        self.fetches = 0
        self.last: IssuedCredentials | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> HubCredentialsClient:
        env = os.environ if environ is None else environ
        url = env.get(ENV_URL, "")
        service = env.get(ENV_SERVICE) or DEFAULT_SERVICE
        if not url:
            raise CredentialsUnavailable(
                f"${ENV_URL} is not set: the hub's jupyterhub_config.py must set it "
                f"(c.Spawner.environment) to the URL of its service {service}"
            )
        return cls(url, env.get("JUPYTERHUB_API_TOKEN", ""), service=service)

    @property
    def what(self) -> str:
        return f"the JupyterHub service {self.service} at {self.url}"

    # ------------------------------------------------------------ requests
    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"token {self._token}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            reason = _message(e)
            raise CredentialsUnavailable(
                f"{self.what} refused ({e.code}): {reason}" if reason else f"{self.what}: {e.code}"
            ) from None
        except (urllib.error.URLError, OSError) as e:
            why = getattr(e, "reason", None) or type(e).__name__
            raise CredentialsUnavailable(
                f"{self.what} cannot be reached ({why}): ask the hub's admin to check that "
                "it is running"
            ) from None
        except ValueError:
            raise CredentialsUnavailable(f"{self.what} answered something not JSON") from None

    def fetch(self) -> IssuedCredentials:
        """This user's credentials, fresh from the hub (the credential source)."""
        data = self._request("GET", "credentials")
        try:
            creds = IssuedCredentials.from_json(data)
        except (KeyError, TypeError, ValueError):
            raise CredentialsUnavailable(f"{self.what} answered without credentials") from None
        with self._lock:
            self.fetches += 1
            self.last = creds
        return creds

    def sign(self, key: str, expires_in: int) -> str:
        """A presigned GET of ``key`` (a full key of the store the hub issued), signed on
        the hub for ``expires_in`` seconds; the hub checks it lies in this user's prefix."""
        data = self._request("POST", "sign", {"key": key, "expires_in": int(expires_in)})
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url:
            raise CredentialsUnavailable(f"{self.what} signed no link")
        return url

    def status(self) -> dict[str, Any]:
        """What this server's credentials are (no secret): for the status endpoint."""
        last = self.last
        expires: datetime | None = last.expires_at if last else None
        return {
            "service": self.service,
            "url": self.url,
            "fetches": self.fetches,
            "store_url": last.store_url if last else None,
            "expires_at": expires.isoformat() if expires else None,
            "fingerprint": fingerprint(last) if last else None,
        }


def _message(e: urllib.error.HTTPError) -> str:
    """The service's own message (JSON ``message``), short; never the request's token."""
    try:
        body = json.loads(e.read() or b"{}")
    except (ValueError, OSError):
        return ""
    text = body.get("message") if isinstance(body, dict) else None
    return str(text)[:300] if text else ""
